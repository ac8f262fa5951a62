import { createHash, createPrivateKey, createPublicKey, KeyObject, sign, verify } from 'node:crypto';
import { guardedHttp } from '@loyalty/sdk';
import type { AxiosError } from 'axios';
import type { GoogleType } from './wallet.rules';
import type { ServiceAccountKey } from './wallet.schemas';

/*
 * Google Wallet: a service account's OAuth2 token (JWT bearer grant, RS256), the REST API for
 * classes and objects (insert, get, patch, addMessage) and the "Save to Google Wallet" link (an RS256
 * JWT with aud "google", typ "savetowallet" and the page origins).
 */

export const WALLET_SCOPE = 'https://www.googleapis.com/auth/wallet_object.issuer';
export const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';

/**
 * Why a service account's `token_uri` is refused, else undefined. Only Google's own token URL is
 * accepted: the hub POSTs a signed assertion there, so any other value would let a tenant point
 * the hub at an address of its choice (SSRF).
 */
export function tokenUriProblem(uri: string | undefined): string | undefined {
  if (uri === undefined || uri === DEFAULT_TOKEN_URI) return undefined;
  return `token_uri must be ${DEFAULT_TOKEN_URI} (Google's token endpoint)`;
}
export const SAVE_URL = 'https://pay.google.com/gp/v/save/';

const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/** An RS256 JWT (header `{alg, typ, kid?}`). */
export function rs256Jwt(claims: Record<string, unknown>, key: KeyObject, kid?: string): string {
  const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', ...(kid ? { kid } : {}) }));
  const body = b64url(JSON.stringify(claims));
  return `${head}.${body}.${b64url(sign('sha256', Buffer.from(`${head}.${body}`), key))}`;
}

/**
 * Checks a "Save to Google Wallet" JWT locally, as Google would on its side: RS256 signed by the
 * service account's key, issued by its e-mail, for `google`, of type `savetowallet`, with objects.
 * Returns the problems (empty when it verifies).
 */
export function verifySaveJwt(jwt: string, account: { client_email: string; private_key: string }): { problems: string[]; objects: number } {
  const problems: string[] = [];
  const parts = jwt.split('.');
  if (parts.length !== 3) return { problems: ['not a JWT'], objects: 0 };
  const [head, body, sig] = parts as [string, string, string];
  let header: { alg?: string };
  let claims: { iss?: string; aud?: string; typ?: string; payload?: Record<string, unknown[]> };
  try {
    header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { problems: ['the JWT is not JSON'], objects: 0 };
  }
  if (header.alg !== 'RS256') problems.push(`alg is ${header.alg}, RS256 expected`);
  const publicKey = createPublicKey(createPrivateKey(account.private_key));
  if (!verify('sha256', Buffer.from(`${head}.${body}`), publicKey, Buffer.from(sig, 'base64url'))) problems.push('the signature does not verify');
  if (claims.iss !== account.client_email) problems.push('iss is not the service account');
  if (claims.aud !== 'google') problems.push('aud is not google');
  if (claims.typ !== 'savetowallet') problems.push('typ is not savetowallet');
  const objects = Object.values(claims.payload ?? {}).reduce((n, list) => n + (Array.isArray(list) ? list.length : 0), 0);
  if (!objects) problems.push('the payload holds no object');
  return { problems, objects };
}

/** The SHA-256 of a service account's public key (hex, in pairs): identifies the key without revealing it. */
export function serviceAccountFingerprint(privateKeyPem: string): string {
  const spki = createPublicKey(createPrivateKey(privateKeyPem)).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('hex').toUpperCase().match(/../g)!.join(':');
}

/** A Google API error with its status and Google's `error.status` / `reason`. */
export class GoogleApiError extends Error {
  constructor(
    readonly status: number,
    readonly googleStatus: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'GoogleApiError';
  }
}

function toGoogleError(e: unknown, what: string): GoogleApiError {
  const ax = e as AxiosError<{ error?: { code?: number; message?: string; status?: string } }>;
  if (ax.isAxiosError && ax.response) {
    const err = ax.response.data?.error;
    return new GoogleApiError(ax.response.status, err?.status, `${what}: ${ax.response.status} ${err?.message ?? ''}`.trim());
  }
  return new GoogleApiError(0, undefined, `${what}: ${(e as Error).message}`);
}

export interface GoogleCredentials {
  issuerId: string;
  account: ServiceAccountKey;
}

/** One client per service account: it caches the access token until shortly before it expires. */
export class GoogleWalletClient {
  private token?: { value: string; until: number };
  private pending?: Promise<string>;
  private readonly key: KeyObject;
  private readonly http: ReturnType<typeof guardedHttp>;

  /**
   * @param apiUrl the Google Wallet REST API (an operator setting, never a tenant's)
   * @param opts.allowPrivate let the API URL be a private address (CONNECTORS_ALLOW_PRIVATE: a local fake)
   */
  constructor(
    readonly creds: GoogleCredentials,
    apiUrl: string,
    opts: { allowPrivate?: boolean } = {},
  ) {
    this.key = createPrivateKey(creds.account.private_key);
    // Every call, the token request included, goes through the SDK's guarded client: no redirects, checked addresses.
    this.http = guardedHttp({
      baseURL: apiUrl.replace(/\/$/, ''),
      timeoutMs: 15_000,
      headers: { 'content-type': 'application/json' },
      allowPrivate: opts.allowPrivate,
      keepAlive: true,
    });
  }

  /** OAuth2 access token by the JWT bearer grant (RFC 7523), cached. */
  async accessToken(force = false): Promise<string> {
    if (!force && this.token && Date.now() < this.token.until) return this.token.value;
    if (this.pending) return this.pending;
    this.pending = (async () => {
      // Always Google's token URL: a key stored before token_uri was checked cannot steer the hub elsewhere.
      const tokenUri = DEFAULT_TOKEN_URI;
      const iat = Math.floor(Date.now() / 1000);
      const assertion = rs256Jwt(
        { iss: this.creds.account.client_email, scope: WALLET_SCOPE, aud: tokenUri, iat, exp: iat + 3600 },
        this.key,
        this.creds.account.private_key_id,
      );
      try {
        const res = await this.http.post<{ access_token: string; expires_in?: number; token_type?: string }>(
          tokenUri,
          new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
          { headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        );
        const ttl = Math.max(60, (res.data.expires_in ?? 3600) - 120);
        this.token = { value: res.data.access_token, until: Date.now() + ttl * 1000 };
        return res.data.access_token;
      } catch (e) {
        throw toGoogleError(e, 'Google OAuth token');
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }

  private async call<T>(method: 'get' | 'post' | 'patch' | 'put', path: string, body?: unknown): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken(attempt > 0);
      try {
        const res = await this.http.request<T>({ method, url: path, data: body, headers: { authorization: `Bearer ${token}` } });
        return res.data;
      } catch (e) {
        const err = toGoogleError(e, `Google Wallet ${method.toUpperCase()} ${path}`);
        if (err.status === 401 && attempt === 0) continue;
        throw err;
      }
    }
  }

  /** GET a class or object; null when Google has none (404). */
  async get(kind: `${GoogleType}Class` | `${GoogleType}Object`, id: string): Promise<Record<string, unknown> | null> {
    try {
      return await this.call('get', `/${kind}/${encodeURIComponent(id)}`);
    } catch (e) {
      if (e instanceof GoogleApiError && e.status === 404) return null;
      throw e;
    }
  }

  /** Inserts a class, or PATCHes it when it exists (a design change). */
  async upsertClass(type: GoogleType, cls: Record<string, unknown>): Promise<void> {
    const id = String(cls.id);
    const existing = await this.get(`${type}Class`, id);
    if (!existing) {
      try {
        await this.call('post', `/${type}Class`, cls);
        return;
      } catch (e) {
        if (!(e instanceof GoogleApiError && e.status === 409)) throw e;
      }
    }
    const { id: _id, reviewStatus: _rs, ...patch } = cls;
    await this.call('patch', `/${type}Class/${encodeURIComponent(id)}`, patch);
  }

  /** Inserts an object; an existing one (409) is PATCHed instead. */
  async insertObject(type: GoogleType, obj: Record<string, unknown>): Promise<void> {
    try {
      await this.call('post', `/${type}Object`, obj);
    } catch (e) {
      if (!(e instanceof GoogleApiError && e.status === 409)) throw e;
      await this.patchObject(type, obj);
    }
  }

  /** PATCH of an object's own values (ids stay). */
  async patchObject(type: GoogleType, obj: Record<string, unknown>): Promise<void> {
    const { id, classId: _c, ...patch } = obj;
    await this.call('patch', `/${type}Object/${encodeURIComponent(String(id))}`, patch);
  }

  /** Adds a message to an object; `TEXT_AND_NOTIFY` shows an Android notification. */
  async addMessage(
    type: GoogleType,
    objectId: string,
    message: { id: string; header: string; body: string; messageType: 'TEXT' | 'TEXT_AND_NOTIFY' },
  ): Promise<void> {
    await this.call('post', `/${type}Object/${encodeURIComponent(objectId)}/addMessage`, { message });
  }

  /** The "Save to Google Wallet" link for objects that already exist (payload holds their ids). */
  saveUrl(type: GoogleType, objects: { id: string; classId: string }[], origins: string[]): string {
    const jwt = rs256Jwt(
      {
        iss: this.creds.account.client_email,
        aud: 'google',
        typ: 'savetowallet',
        iat: Math.floor(Date.now() / 1000),
        origins,
        payload: { [`${type}Objects`]: objects },
      },
      this.key,
      this.creds.account.private_key_id,
    );
    return SAVE_URL + jwt;
  }
}
