import http2, { ClientHttp2Session } from 'node:http2';
import { createPrivateKey, KeyObject, sign } from 'node:crypto';
import type { Logger } from 'pino';

/*
 * APNs for Wallet pass updates: HTTP/2 (node:http2), token authentication (an ES256 JWT from the
 * team's .p8 key), topic = the pass type id, an empty JSON payload. One connection is kept and
 * reused for every push; pushes are multiplexed on it up to the server's stream limit.
 */

export interface ApnsAuth {
  teamId: string;
  keyId: string;
  /** PKCS#8 PEM of the .p8 key. */
  keyPem: string;
}

export interface PushResult {
  token: string;
  status: number;
  /** APNs `reason` on failure, e.g. `Unregistered`, `BadDeviceToken`. */
  reason?: string;
}

const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/** The provider token: `{alg: ES256, kid}.{iss: teamId, iat}` signed with the key (JOSE r||s form). */
export function apnsJwt(auth: ApnsAuth, key: KeyObject, nowSec = Math.floor(Date.now() / 1000)): string {
  const head = b64url(JSON.stringify({ alg: 'ES256', kid: auth.keyId }));
  const body = b64url(JSON.stringify({ iss: auth.teamId, iat: nowSec }));
  const sig = sign('sha256', Buffer.from(`${head}.${body}`), { key, dsaEncoding: 'ieee-p1363' });
  return `${head}.${body}.${b64url(sig)}`;
}

/** Whether APNs says the token is dead: the registration should be deleted. */
export const isDeadToken = (r: PushResult) =>
  r.status === 410 || (r.status === 400 && (r.reason === 'BadDeviceToken' || r.reason === 'DeviceTokenNotForTopic'));

export interface ApnsOptions {
  host: string;
  /** Extra CA for the TLS connection (tests: the local fake's self-signed certificate). */
  ca?: string;
  concurrency: number;
  log: Logger;
  /** Per-push deadline. */
  timeoutMs?: number;
}

export class ApnsClient {
  private session?: ClientHttp2Session;
  private connecting?: Promise<ClientHttp2Session>;
  private tokens = new Map<string, { jwt: string; at: number }>();
  private keys = new Map<string, KeyObject>();
  private closed = false;
  /** Pushes sent since start (metrics, tests). */
  sent = 0;

  constructor(private readonly opts: ApnsOptions) {}

  /** Apple wants the provider token refreshed at most every 20 min and at least every 60 min. */
  private jwt(auth: ApnsAuth, fresh = false): string {
    const id = `${auth.teamId}:${auth.keyId}`;
    const hit = this.tokens.get(id);
    if (!fresh && hit && Date.now() - hit.at < 40 * 60_000) return hit.jwt;
    let key = this.keys.get(auth.keyPem);
    if (!key) {
      key = createPrivateKey(auth.keyPem);
      this.keys.set(auth.keyPem, key);
    }
    const jwt = apnsJwt(auth, key);
    this.tokens.set(id, { jwt, at: Date.now() });
    return jwt;
  }

  private connect(): Promise<ClientHttp2Session> {
    if (this.closed) return Promise.reject(new Error('APNs client is closed'));
    const s = this.session;
    if (s && !s.closed && !s.destroyed) return Promise.resolve(s);
    if (this.connecting) return this.connecting;
    this.connecting = new Promise<ClientHttp2Session>((resolve, reject) => {
      const session = http2.connect(this.opts.host, { ...(this.opts.ca ? { ca: this.opts.ca } : {}) });
      const drop = () => {
        if (this.session === session) this.session = undefined;
      };
      session.once('connect', () => {
        this.session = session;
        this.connecting = undefined;
        resolve(session);
      });
      session.on('error', (e) => {
        drop();
        if (this.connecting) {
          this.connecting = undefined;
          reject(e);
        }
        this.opts.log.warn({ err: e }, 'APNs connection error');
      });
      session.on('goaway', drop);
      session.on('close', drop);
      session.unref();
    });
    return this.connecting;
  }

  private async pushOne(session: ClientHttp2Session, auth: ApnsAuth, topic: string, token: string, retry = true): Promise<PushResult> {
    const result = await new Promise<PushResult>((resolve) => {
      let req: http2.ClientHttp2Stream;
      try {
        req = session.request({
          ':method': 'POST',
          ':path': `/3/device/${token}`,
          authorization: `bearer ${this.jwt(auth)}`,
          'apns-topic': topic,
          'apns-push-type': 'alert',
          'content-type': 'application/json',
        });
      } catch (e) {
        resolve({ token, status: 0, reason: (e as Error).message });
        return;
      }
      let status = 0;
      const chunks: Buffer[] = [];
      req.setTimeout(this.opts.timeoutMs ?? 15_000, () => req.close(http2.constants.NGHTTP2_CANCEL));
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', (e) => resolve({ token, status: 0, reason: e.message }));
      req.on('close', () => {
        let reason: string | undefined;
        if (status !== 200 && chunks.length) {
          try {
            reason = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { reason?: string }).reason;
          } catch {
            reason = undefined;
          }
        }
        resolve({ token, status, ...(reason ? { reason } : {}) });
      });
      req.end('{}');
    });
    this.sent++;
    if (retry && result.status === 403 && (result.reason === 'ExpiredProviderToken' || result.reason === 'InvalidProviderToken')) {
      this.jwt(auth, true);
      return this.pushOne(session, auth, topic, token, false);
    }
    return result;
  }

  /**
   * Pushes the empty update notification to every token, at most `concurrency` streams (and the
   * server's SETTINGS_MAX_CONCURRENT_STREAMS) at a time on the one connection. Never throws for a
   * rejected token: each result says what APNs answered.
   */
  async push(auth: ApnsAuth, topic: string, tokens: string[]): Promise<PushResult[]> {
    if (!tokens.length) return [];
    const out: PushResult[] = new Array(tokens.length);
    let next = 0;
    const worker = async () => {
      while (next < tokens.length) {
        const i = next++;
        let session: ClientHttp2Session;
        try {
          session = await this.connect();
        } catch (e) {
          out[i] = { token: tokens[i]!, status: 0, reason: (e as Error).message };
          continue;
        }
        out[i] = await this.pushOne(session, auth, topic, tokens[i]!);
      }
    };
    const first = await this.connect().catch(() => undefined);
    const serverLimit = first?.remoteSettings.maxConcurrentStreams ?? 100;
    const width = Math.max(1, Math.min(this.opts.concurrency, serverLimit, tokens.length));
    await Promise.all(Array.from({ length: width }, worker));
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    const s = this.session;
    this.session = undefined;
    if (s && !s.closed) await new Promise<void>((r) => s.close(() => r()));
  }
}
