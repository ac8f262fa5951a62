import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { guardedLookup, literalHostProblem, RefusedAddressError, type Resolver } from '@loyalty/sdk';
import { parseRk7Result, rk7Query, type Rk7Command, type Rk7Result } from '../translate/rk7';

/** How to reach one r_keeper cash server's XML interface. */
export interface XmlInterfaceOptions {
  /** `https://host:port/rk7api/v0/xmlinterface.xml` */
  url: string;
  user?: string;
  password?: string;
  /** Pin the server certificate by its SHA-256 fingerprint (`AA:BB:…`); without it any certificate is accepted (r_keeper's are self-signed). */
  certSha256?: string;
  /** Let the client reach private and loopback addresses (`CONNECTORS_ALLOW_PRIVATE`): a cash server is usually on the restaurant's LAN. */
  allowPrivate: boolean;
  /** Whole-exchange deadline, ms (default 15 000). */
  timeoutMs?: number;
  /** Largest answer read, bytes (default 10 MB). */
  maxBytes?: number;
  resolver?: Resolver;
}

/** The cash server answered, but not with `Ok` (or the exchange failed before it could). */
export class Rk7Error extends Error {
  constructor(
    message: string,
    /** `Status` of the answer (`Query Executing Error` …), or `http` / `network` / `tls` / `refused`. */
    readonly status: string,
    readonly rk7ErrorN?: string,
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'Rk7Error';
  }
}

const normFp = (s: string) => s.replace(/:/g, '').toUpperCase();

/**
 * A client of the r_keeper 7 XML interface: one POST of an `RK7Query` per command, HTTP Basic,
 * `Content-Type: application/xml` (a form body reads as "Empty input XML"). HTTP is 200 whatever
 * happened: the outcome is the `Status` of `RK7QueryResult`, and anything but `Ok` / `No changes`
 * rejects with an {@link Rk7Error} carrying `Status`, `RK7ErrorN` and `ErrorText`.
 *
 * Outbound calls go through the SDK's address guard: private addresses only with
 * `CONNECTORS_ALLOW_PRIVATE` (set it for on-premise installs that reach the LAN).
 */
export class Rk7Client {
  private readonly url: URL;
  constructor(private readonly o: XmlInterfaceOptions) {
    this.url = new URL(o.url);
  }

  /** Sends commands in one query and returns the parsed result (throws unless `Ok` / `No changes`). */
  async query(commands: Rk7Command[]): Promise<Rk7Result> {
    const body = Buffer.from(rk7Query(commands), 'utf8');
    const { status, text } = await this.post(body);
    if (status === 401 || status === 403) throw new Rk7Error(`r_keeper refused the user or password (HTTP ${status})`, 'http', undefined, status);
    if (status !== 200) throw new Rk7Error(`r_keeper answered HTTP ${status}`, 'http', undefined, status);
    const r = parseRk7Result(text);
    if (!r.ok) throw new Rk7Error(`r_keeper's answer could not be read: ${r.reason}`, 'Result Writing Error');
    if (r.result.status !== 'Ok' && r.result.status !== 'No changes') {
      throw new Rk7Error(r.result.errorText || r.result.status, r.result.status, r.result.rk7ErrorN);
    }
    return r.result;
  }

  private async post(body: Buffer): Promise<{ status: number; text: string }> {
    const { url, o } = this;
    if (!o.allowPrivate) {
      const why = literalHostProblem(url);
      if (why) throw new Rk7Error(new RefusedAddressError(url.hostname, why.split(' ')[0]!).message, 'refused');
    }
    const isHttps = url.protocol === 'https:';
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/xml; charset=utf-8',
      'Content-Length': body.length,
      Accept: 'application/xml',
    };
    if (o.user) headers.Authorization = `Basic ${Buffer.from(`${o.user}:${o.password ?? ''}`, 'utf8').toString('base64')}`;
    const maxBytes = o.maxBytes ?? 10 * 1024 * 1024;
    const pinned = isHttps && o.certSha256 ? await this.pinnedSocket() : undefined;
    return new Promise((resolve, reject) => {
      const opts: https.RequestOptions = {
        method: 'POST',
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || (isHttps ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        headers,
        lookup: guardedLookup(o.allowPrivate, o.resolver),
        timeout: o.timeoutMs ?? 15_000,
        // No pooling: every query is one connection; with a pin, the connection already checked.
        ...(pinned ? { createConnection: () => pinned } : { agent: false }),
        ...(isHttps
          ? {
              // Self-signed certificates with weak (1024-bit) keys are the norm on cash servers: the
              // chain is not checked and the security level is lowered; pin `certSha256` instead.
              rejectUnauthorized: false,
              ciphers: 'DEFAULT:@SECLEVEL=0',
              minVersion: 'TLSv1' as const,
            }
          : {}),
      };
      const req = (isHttps ? https : http).request(opts, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) {
            req.destroy(new Rk7Error(`r_keeper's answer is larger than ${maxBytes} bytes`, 'network'));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Rk7Error(`r_keeper did not answer within ${opts.timeout} ms`, 'network')));
      req.on('error', (e) =>
        reject(e instanceof Rk7Error ? e : new Rk7Error(`Cannot reach r_keeper: ${(e as Error).message}`, isRefused(e) ? 'refused' : 'network')),
      );
      req.end(body);
    });
  }

  /**
   * A TLS connection to the cash server whose certificate is the pinned one; nothing (no query, no
   * credentials) is sent before the fingerprint has been compared.
   */
  private pinnedSocket(): Promise<tls.TLSSocket> {
    const { url, o } = this;
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return new Promise((resolve, reject) => {
      const s = tls.connect({
        host,
        port: Number(url.port || 443),
        ...(isIP(host) ? {} : { servername: host }),
        rejectUnauthorized: false,
        ciphers: 'DEFAULT:@SECLEVEL=0',
        minVersion: 'TLSv1',
        lookup: guardedLookup(o.allowPrivate, o.resolver),
        timeout: o.timeoutMs ?? 15_000,
      });
      s.once('timeout', () => s.destroy(new Rk7Error(`r_keeper did not answer within ${o.timeoutMs ?? 15_000} ms`, 'network')));
      s.once('error', (e) => reject(e instanceof Rk7Error ? e : new Rk7Error(`Cannot reach r_keeper: ${e.message}`, isRefused(e) ? 'refused' : 'network')));
      s.once('secureConnect', () => {
        const fp = s.getPeerCertificate()?.fingerprint256;
        if (fp && normFp(fp) === normFp(o.certSha256!)) return resolve(s);
        s.destroy();
        reject(new Rk7Error(`The cash server's certificate (${fp ?? 'none'}) is not the pinned one`, 'tls'));
      });
    });
  }

  /** "Test connection": the list of open orders, the cheapest authenticated read. */
  async check(): Promise<{ ok: true; detail: string } | { ok: false; error: string }> {
    try {
      const r = await this.query([{ cmd: 'GetOrderList', attrs: { onlyOpened: '1' } }]);
      return { ok: true, detail: `r_keeper ${r.serverVersion ?? ''} at ${r.netName ?? this.url.host}: ${r.orders.length} open orders`.replace(/\s+/g, ' ') };
    } catch (e) {
      const x = e as Rk7Error;
      return {
        ok: false,
        error: x.rk7ErrorN
          ? `${x.message} (${x.status}, RK7ErrorN ${x.rk7ErrorN})`
          : ['http', 'network', 'tls', 'refused'].includes(x.status) || !x.status
            ? x.message
            : `${x.message} (${x.status})`,
      };
    }
  }

  /** Orders (of open visits when `onlyOpened`), and the version to send back next time; `unchanged` when nothing changed since `lastVersion`. */
  async orderList(opts: { onlyOpened?: boolean; lastVersion?: string } = {}): Promise<Rk7Result> {
    return this.query([
      {
        cmd: 'GetOrderList',
        attrs: { onlyOpened: opts.onlyOpened ? '1' : '0', needIdents: '1', ...(opts.lastVersion ? { lastversion: opts.lastVersion } : {}) },
      },
    ]);
  }

  /** One order with its sessions, dishes, discounts and payments. */
  async order(guid: string): Promise<Rk7Result> {
    return this.query([{ cmd: 'GetOrder', children: [{ name: 'Order', attrs: [['guid', guid]] }] }]);
  }
}

function isRefused(e: unknown): boolean {
  const x = e as { code?: string; cause?: unknown } | undefined;
  return !!x && (x.code === 'refused_address' || (x.cause !== undefined && isRefused(x.cause)));
}
