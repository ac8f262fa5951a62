import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';

/** A new endpoint secret: `whsec_` + base64 of 32 random bytes (Standard Webhooks: 24–64). */
export function newWebhookSecret(): string {
  return PREFIX + randomBytes(32).toString('base64');
}

export function isWebhookSecret(s: string): boolean {
  if (!s.startsWith(PREFIX)) return false;
  const raw = Buffer.from(s.slice(PREFIX.length), 'base64');
  return raw.length >= 24 && raw.length <= 64;
}

/** `v1,<base64 HMAC-SHA256>` of `${id}.${timestamp}.${body}` keyed with the secret's decoded bytes. */
export function sign(secret: string, id: string, timestampSec: number, body: string): string {
  const key = Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestampSec}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/**
 * The three Standard Webhooks headers. With more than one secret (during a rotation) the signature
 * header lists one signature per secret, space-separated; a receiver accepts any that verifies.
 */
export function webhookHeaders(secrets: string[], id: string, timestampSec: number, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSec),
    'webhook-signature': secrets.map((s) => sign(s, id, timestampSec, body)).join(' '),
  };
}
