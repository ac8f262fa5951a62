import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { guardedHttp } from '@loyalty/sdk';
import { z } from 'zod';

/**
 * Google Wallet's save / delete callbacks (a class's `callbackOptions.url`). Google POSTs a
 * message signed with the ECv2SigningOnly protocol of Google Pay's payment-data cryptography — what
 * Tink's `PaymentMethodTokenRecipient` verifies with sender id `GooglePayPasses`, the issuer id as
 * recipient id and Google's root keys from `https://pay.google.com/gp/m/issuer/keys`:
 *
 * 1. a root key (ECDSA P-256, not expired, protocol ECv2SigningOnly) must verify one of
 *    `intermediateSigningKey.signatures` over `lv(sender) ‖ lv(protocol) ‖ lv(signedKey)`;
 * 2. the intermediate key (`signedKey.keyValue`, X.509 SubjectPublicKeyInfo in base64) must not
 *    have expired (`keyExpiration`, ms);
 * 3. it must verify `signature` over `lv(sender) ‖ lv(recipient) ‖ lv(protocol) ‖ lv(signedMessage)`,
 *    where `lv(s)` is the UTF-8 bytes of `s` after their length as 4 bytes little-endian, and every
 *    signature is ASN.1 DER ECDSA-SHA256;
 * 4. the message (`{classId, objectId, expTimeMillis, eventType: save|del, nonce}`) must not have
 *    expired. Google may deliver a callback twice (same nonce): handling is idempotent.
 */
export const GOOGLE_CALLBACK_SENDER = 'GooglePayPasses';
export const GOOGLE_CALLBACK_PROTOCOL = 'ECv2SigningOnly';
export const GOOGLE_ISSUER_KEYS_URL = 'https://pay.google.com/gp/m/issuer/keys';

export const googleCallbackBody = z.object({
  signature: z.string().min(1).max(1000),
  intermediateSigningKey: z.object({ signedKey: z.string().min(1).max(2000), signatures: z.array(z.string().min(1).max(1000)).min(1).max(10) }),
  protocolVersion: z.string().max(40),
  signedMessage: z.string().min(1).max(4000),
});
export type GoogleCallbackBody = z.infer<typeof googleCallbackBody>;

export const googleCallbackMessage = z.object({
  classId: z.string().min(1).max(200),
  objectId: z.string().min(1).max(200),
  expTimeMillis: z.union([z.number(), z.string().regex(/^\d+$/)]).transform(Number),
  eventType: z.enum(['save', 'del']),
  nonce: z.string().max(200),
});
export type GoogleCallbackMessage = z.infer<typeof googleCallbackMessage>;

/** One of Google's root signing keys, as the keys URL lists them. */
export interface GoogleRootKey {
  keyValue: string;
  protocolVersion: string;
  keyExpiration?: string;
}

/** `lv(a) ‖ lv(b) ‖ …`: each part's UTF-8 length as 4 bytes little-endian, then its bytes. */
export function lengthValue(...parts: string[]): Buffer {
  return Buffer.concat(
    parts.flatMap((p) => {
      const bytes = Buffer.from(p, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32LE(bytes.length);
      return [len, bytes];
    }),
  );
}

const spki = (base64: string): KeyObject => createPublicKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'spki' });
const ecdsaOk = (key: KeyObject, data: Buffer, sigBase64: string) => {
  try {
    return verifySignature('sha256', data, { key, dsaEncoding: 'der' }, Buffer.from(sigBase64, 'base64'));
  } catch {
    return false;
  }
};

export type CallbackVerdict = { ok: true; message: GoogleCallbackMessage } | { ok: false; reason: string };

/** Verifies a callback for the issuer `recipientId` against Google's root keys, at `now`. */
export function verifyGoogleCallback(body: GoogleCallbackBody, recipientId: string, rootKeys: GoogleRootKey[], now = Date.now()): CallbackVerdict {
  if (body.protocolVersion !== GOOGLE_CALLBACK_PROTOCOL) return { ok: false, reason: 'unsupported protocolVersion' };
  const roots = rootKeys.filter((k) => k.protocolVersion === GOOGLE_CALLBACK_PROTOCOL && (!k.keyExpiration || Number(k.keyExpiration) > now));
  if (!roots.length) return { ok: false, reason: 'no valid root key' };
  const keyData = lengthValue(GOOGLE_CALLBACK_SENDER, GOOGLE_CALLBACK_PROTOCOL, body.intermediateSigningKey.signedKey);
  const rootOk = roots.some((r) => {
    let key: KeyObject;
    try {
      key = spki(r.keyValue);
    } catch {
      return false;
    }
    return body.intermediateSigningKey.signatures.some((s) => ecdsaOk(key, keyData, s));
  });
  if (!rootOk) return { ok: false, reason: 'intermediate key not signed by a Google root key' };
  let signedKey: { keyValue?: unknown; keyExpiration?: unknown };
  try {
    signedKey = JSON.parse(body.intermediateSigningKey.signedKey);
  } catch {
    return { ok: false, reason: 'signedKey is not JSON' };
  }
  if (typeof signedKey.keyValue !== 'string' || !/^\d+$/.test(String(signedKey.keyExpiration))) return { ok: false, reason: 'signedKey malformed' };
  if (Number(signedKey.keyExpiration) <= now) return { ok: false, reason: 'intermediate key expired' };
  let intermediate: KeyObject;
  try {
    intermediate = spki(signedKey.keyValue);
  } catch {
    return { ok: false, reason: 'intermediate key unreadable' };
  }
  const messageData = lengthValue(GOOGLE_CALLBACK_SENDER, recipientId, GOOGLE_CALLBACK_PROTOCOL, body.signedMessage);
  if (!ecdsaOk(intermediate, messageData, body.signature)) return { ok: false, reason: 'bad message signature' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.signedMessage);
  } catch {
    return { ok: false, reason: 'signedMessage is not JSON' };
  }
  const m = googleCallbackMessage.safeParse(parsed);
  if (!m.success) return { ok: false, reason: 'signedMessage malformed' };
  if (m.data.expTimeMillis <= now) return { ok: false, reason: 'message expired' };
  return { ok: true, message: m.data };
}

/** Google's root keys, fetched through the guarded client and kept for an hour (Google rotates them rarely, with overlap). */
export class GoogleRootKeys {
  private cached?: { keys: GoogleRootKey[]; until: number };
  private readonly http: ReturnType<typeof guardedHttp>;

  constructor(
    private readonly url = GOOGLE_ISSUER_KEYS_URL,
    opts: { allowPrivate?: boolean } = {},
  ) {
    this.http = guardedHttp({ timeoutMs: 10_000, allowPrivate: opts.allowPrivate });
  }

  async get(force = false): Promise<GoogleRootKey[]> {
    if (!force && this.cached && Date.now() < this.cached.until) return this.cached.keys;
    const res = await this.http.get(this.url, { responseType: 'json' });
    const keys = z
      .object({ keys: z.array(z.object({ keyValue: z.string(), protocolVersion: z.string(), keyExpiration: z.string().optional() })) })
      .parse(res.data).keys;
    this.cached = { keys, until: Date.now() + 3_600_000 };
    return keys;
  }
}
