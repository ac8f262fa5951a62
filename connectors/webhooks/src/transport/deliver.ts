import type { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { guardedHttp, isRefusedAddress } from '@loyalty/sdk';
import type { AxiosInstance } from 'axios';
import type { AttemptResult } from '../translate/schedule';

export interface DeliveryRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowPrivate: boolean;
}

export type DeliverFn = (req: DeliveryRequest) => Promise<AttemptResult>;

const USER_AGENT = 'loyalty-hub-webhooks/1.0';
/** Most of a receiver's answer read (and dropped) so the socket closes cleanly. */
const MAX_READ = 64 * 1024;

// Two shared clients (guarded / private allowed); the deadline is per delivery.
const clients = new Map<boolean, AxiosInstance>();
const client = (allowPrivate: boolean) => {
  let c = clients.get(allowPrivate);
  if (!c) clients.set(allowPrivate, (c = guardedHttp({ allowPrivate, timeoutMs: 60_000 })));
  return c;
};

/**
 * One POST to a webhook endpoint — the only code of this connector that does HTTP. It goes through
 * the SDK's guarded client: the host is resolved and every address checked (SSRF guard) before
 * connecting to the checked address; redirects are not followed; the whole exchange is bounded by
 * `timeoutMs`; only the status and the Retry-After/Location headers are kept.
 */
export const deliverHttp: DeliverFn = async (req) => {
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  try {
    const url = new URL(req.url);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`unsupported scheme ${url.protocol}`);
  } catch (e) {
    return { kind: 'error', code: 'bad_url', error: `Bad URL: ${(e as Error).message}`, durationMs: took() };
  }
  const abort = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, req.timeoutMs);
  try {
    const res = await client(req.allowPrivate).post<Readable>(req.url, req.body, {
      headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...req.headers },
      responseType: 'stream',
      validateStatus: () => true,
      timeout: 0,
      signal: abort.signal,
      transformRequest: [(d: unknown) => d],
    });
    await drain(res.data);
    return {
      kind: 'response',
      status: res.status,
      retryAfter: header(res.headers['retry-after']),
      location: header(res.headers.location),
      durationMs: took(),
    };
  } catch (e) {
    if (timedOut) return { kind: 'error', code: 'timeout', error: `No answer within ${req.timeoutMs} ms`, durationMs: took() };
    if (isRefusedAddress(e)) return { kind: 'error', code: 'refused_address', error: refusal(e), durationMs: took() };
    const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
    const code = err.cause?.code ?? err.code;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENODATA')
      return { kind: 'error', code: 'dns', error: `DNS: ${(err.cause ?? err).message}`.slice(0, 300), durationMs: took() };
    return { kind: 'error', code: 'network', error: `${code ?? 'error'}: ${(err.cause ?? err).message}`.slice(0, 300), durationMs: took() };
  } finally {
    clearTimeout(timer);
  }
};

/** Reads at most {@link MAX_READ} bytes of the answer, then lets the socket go. */
function drain(s: Readable): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const done = () => resolve();
    s.on('data', (c: Buffer) => {
      seen += c.length;
      if (seen > MAX_READ) {
        s.destroy();
        done();
      }
    });
    s.on('end', done);
    s.on('close', done);
    s.on('error', done);
  });
}

function refusal(e: unknown): string {
  let x = e as { message?: string; code?: string; cause?: unknown } | undefined;
  while (x && x.code !== 'refused_address' && x.cause) x = x.cause as typeof x;
  return String(x?.message ?? 'Refused: a private, loopback, link-local, multicast or metadata address');
}

function header(v: unknown): string | undefined {
  if (Array.isArray(v)) return v[0] as string | undefined;
  return typeof v === 'string' ? v : undefined;
}
