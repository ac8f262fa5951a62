/**
 * Request scenarios of the checkout bench. The load worker requires this module (kept light: no
 * hub, no TypeORM) and asks a factory for request `i`.
 */
import { randomBytes } from 'node:crypto';
import { demoCardNumber } from '../../fixtures/src/demo-data/generate';
import type { HttpRequestSpec } from '../lib';

export interface SaleArgs {
  terminalKey: string;
  cardPrefix: string;
  /** Cards 0..cards-1 of the demo data; each request picks one at random. */
  cards: number;
  /** Points each sale redeems (the demo cards start with 1000). */
  redeemPoints: number;
}

/** A sale as a till sends it: card number, a three-line basket, some points, the receipt. */
export function saleBody(cardNumber: string, i: number, redeemPoints: number, receiptNo?: string) {
  const a = 25_000 + (i % 50) * 100;
  return {
    card: { number: cardNumber },
    basket: {
      items: [
        { sku: 'LATTE', qty: 2, unitPriceMinor: a, amountMinor: 2 * a },
        { sku: 'CROISSANT', qty: 1, unitPriceMinor: 18_000, amountMinor: 18_000 },
        { sku: 'WATER', qty: 1, unitPriceMinor: 9_000, amountMinor: 9_000 },
      ],
    },
    ...(redeemPoints ? { redeemPoints } : {}),
    ...(receiptNo ? { receipt: { number: receiptNo, date: new Date().toISOString().slice(0, 10), till: 'T1' } } : {}),
  };
}

const pick = (n: number) => Math.floor(Math.random() * n);

/** `POST /v1/pos/checkouts` with a fresh Idempotency-Key and receipt per request. */
export function commitRequests(a: SaleArgs): (i: number) => HttpRequestSpec {
  const run = randomBytes(6).toString('hex');
  const auth = `Bearer ${a.terminalKey}`;
  return (i) => ({
    method: 'POST',
    path: '/v1/pos/checkouts',
    headers: { authorization: auth, 'idempotency-key': `${run}-${i}` },
    body: JSON.stringify(saleBody(demoCardNumber(a.cardPrefix, pick(a.cards)), i, a.redeemPoints, `R-${run}-${i}`)),
  });
}

/** `POST /v1/pos/checkouts/quote`: the same basket, nothing written. */
export function quoteRequests(a: SaleArgs): (i: number) => HttpRequestSpec {
  const auth = `Bearer ${a.terminalKey}`;
  return (i) => ({
    method: 'POST',
    path: '/v1/pos/checkouts/quote',
    headers: { authorization: auth },
    body: JSON.stringify(saleBody(demoCardNumber(a.cardPrefix, pick(a.cards)), i, a.redeemPoints)),
  });
}

/** The same quote body, POSTed to the bare express hello app (the HTTP + JSON floor). */
export function helloRequests(a: SaleArgs): (i: number) => HttpRequestSpec {
  const auth = `Bearer ${a.terminalKey}`;
  return (i) => ({
    method: 'POST',
    path: '/hello',
    headers: { authorization: auth },
    body: JSON.stringify(saleBody(demoCardNumber(a.cardPrefix, pick(a.cards)), i, a.redeemPoints)),
  });
}
