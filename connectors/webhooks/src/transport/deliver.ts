import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { AttemptResult } from '../translate/schedule';
import { RefusedAddressError, resolveSafely } from './ssrf';

export interface DeliveryRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowPrivate: boolean;
}

export type DeliverFn = (req: DeliveryRequest) => Promise<AttemptResult>;

const USER_AGENT = 'loyalty-hub-webhooks/1.0';

/**
 * One POST to a webhook endpoint — the only code of this connector that does HTTP. The host is
 * resolved and every address checked (SSRF guard) before connecting to the checked address itself;
 * redirects are not followed (node's client never does); the whole exchange is bounded by
 * `timeoutMs`; only the status and the Retry-After/Location headers are kept.
 */
export const deliverHttp: DeliverFn = async (req) => {
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  let url: URL;
  try {
    url = new URL(req.url);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`unsupported scheme ${url.protocol}`);
  } catch (e) {
    return { kind: 'error', code: 'bad_url', error: `Bad URL: ${(e as Error).message}`, durationMs: took() };
  }
  let target: { address: string };
  try {
    target = await resolveSafely(url.hostname, req.allowPrivate);
  } catch (e) {
    if (e instanceof RefusedAddressError) return { kind: 'error', code: 'refused_address', error: e.message, durationMs: took() };
    return { kind: 'error', code: 'dns', error: `DNS: ${(e as Error).message}`, durationMs: took() };
  }
  const secure = url.protocol === 'https:';
  const body = Buffer.from(req.body, 'utf8');
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const done = (r: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const opts: https.RequestOptions = {
      host: target.address,
      port: url.port || (secure ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      agent: false,
      headers: {
        host: url.host,
        'content-type': 'application/json',
        'content-length': String(body.length),
        'user-agent': USER_AGENT,
        ...req.headers,
      },
      ...(secure ? { servername: url.hostname.replace(/^\[|\]$/g, '') } : {}),
    };
    const r = (secure ? https : http).request(opts, (res) => {
      // Read (and drop) at most a little of the body so the socket closes cleanly.
      let seen = 0;
      res.on('data', (c: Buffer) => {
        seen += c.length;
        if (seen > 64 * 1024) res.destroy();
      });
      const finish = () =>
        done({
          kind: 'response',
          status: res.statusCode ?? 0,
          retryAfter: header(res.headers['retry-after']),
          location: header(res.headers.location),
          durationMs: took(),
        });
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
    });
    const timer = setTimeout(() => {
      r.destroy();
      done({ kind: 'error', code: 'timeout', error: `No answer within ${req.timeoutMs} ms`, durationMs: took() });
    }, req.timeoutMs);
    r.on('error', (e) =>
      done({ kind: 'error', code: 'network', error: `${(e as NodeJS.ErrnoException).code ?? 'error'}: ${e.message}`.slice(0, 300), durationMs: took() }),
    );
    r.end(body);
  });
};

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
