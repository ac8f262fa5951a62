/**
 * Request scenarios of the scale bench: the embedded demo's guests (phones +79990000001…N), as a
 * till sends them. Kept light (no hub): the load worker requires this module.
 */
import { randomBytes } from 'node:crypto';
import type { HttpRequestSpec } from '../lib';

export interface ScaleArgs {
  terminalKey: string;
  /** Guests 1..guests of the demo seed. */
  guests: number;
}

const phone = (n: number) => `+7999${String(1 + Math.floor(Math.random() * n)).padStart(7, '0')}`;
const basket = (i: number) => ({
  items: [
    { sku: 'LATTE', qty: 2, unitPriceMinor: 25_000 + (i % 50) * 100, amountMinor: 2 * (25_000 + (i % 50) * 100) },
    { sku: 'CROISSANT', qty: 1, unitPriceMinor: 18_000, amountMinor: 18_000 },
  ],
});

/** `POST /v1/pos/checkouts/quote`: reads the card and program, computes, writes nothing. */
export function scaleQuote(a: ScaleArgs): (i: number) => HttpRequestSpec {
  const auth = `Bearer ${a.terminalKey}`;
  return (i) => ({
    method: 'POST',
    path: '/v1/pos/checkouts/quote',
    headers: { authorization: auth },
    body: JSON.stringify({ card: { phone: phone(a.guests) }, basket: basket(i) }),
  });
}

/** `POST /v1/pos/checkouts` with a fresh Idempotency-Key: one sale committed per request. */
export function scaleCommit(a: ScaleArgs): (i: number) => HttpRequestSpec {
  const run = randomBytes(6).toString('hex');
  const auth = `Bearer ${a.terminalKey}`;
  return (i) => ({
    method: 'POST',
    path: '/v1/pos/checkouts',
    headers: { authorization: auth, 'idempotency-key': `${run}-${i}` },
    body: JSON.stringify({ card: { phone: phone(a.guests) }, basket: basket(i) }),
  });
}
