import { randomBytes } from 'node:crypto';

/*
 * Coupon codes: a pure identifier primitive (programs issue them, cards and checkout read them).
 * Randomness from `node:crypto` unless the caller gives a source.
 */

/** A source of random bytes (`crypto.randomBytes` by default; tests pass a seeded one). */
export type RandomBytes = (size: number) => Uint8Array;

/** Characters of generated coupon codes: digits and capitals without 0/O, 1/I/L look-alikes (31). */
export const COUPON_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
/** Most codes one call generates; bigger batches are split by the caller (a background job). */
export const MAX_COUPON_BATCH = 100_000;

export interface CouponCodeOptions {
  /** Prepended as is: capitals, digits and `-`, up to 16 characters, e.g. `SUMMER-`. */
  prefix?: string;
  /** Random characters after the prefix (6–20; 8 gives 31⁸ ≈ 8.5·10¹¹ codes). */
  length?: number;
  /** Codes that already exist, to avoid. */
  exclude?: ReadonlySet<string>;
  random?: RandomBytes;
}

/**
 * `count` distinct coupon codes: `prefix` + `length` characters of `COUPON_ALPHABET`, uniformly
 * random, unique within the batch and absent from `exclude`.
 *
 * @example generateCouponCodes(2, { prefix: 'SUMMER-' }) → ['SUMMER-8Y89NUMH', 'SUMMER-Z27FA2J2']
 */
export function generateCouponCodes(count: number, options: CouponCodeOptions = {}): string[] {
  const { prefix = '', length = 8, exclude, random = randomBytes } = options;
  if (!Number.isInteger(count) || count < 0 || count > MAX_COUPON_BATCH) throw new RangeError(`Coupon batch: 0 to ${MAX_COUPON_BATCH} codes`);
  if (!/^[A-Z0-9-]{0,16}$/.test(prefix)) throw new RangeError('Coupon prefix: capitals, digits and -, up to 16 characters');
  if (!Number.isInteger(length) || length < 6 || length > 20) throw new RangeError('Coupon code length: 6 to 20');
  if (count > COUPON_ALPHABET.length ** length / 2) throw new RangeError('Too many codes for this length');
  const n = COUPON_ALPHABET.length;
  const limit = 256 - (256 % n); // rejection sampling keeps every character equally likely
  const codes = new Set<string>();
  let attempts = 0;
  while (codes.size < count) {
    if (++attempts > count * 20 + 100) throw new Error('generateCouponCodes: the random source looks broken');
    let body = '';
    while (body.length < length) {
      for (const b of random(length)) if (b < limit && body.length < length) body += COUPON_ALPHABET[b % n];
    }
    const code = prefix + body;
    if (!exclude?.has(code)) codes.add(code);
  }
  return [...codes];
}
