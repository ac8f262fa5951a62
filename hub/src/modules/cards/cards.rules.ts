import { randomBytes } from 'node:crypto';
import { refuse, type Refusal } from '../../shared/refusal';
import type { RandomBytes } from '../../shared/codes';

// Coupon codes and phone normalisation are shared primitives (programs and guests use them too).
export { COUPON_ALPHABET, MAX_COUPON_BATCH, generateCouponCodes, type CouponCodeOptions, type RandomBytes } from '../../shared/codes';
export { normalizePhone } from '../../shared/phone';

/*
 * Identifiers a guest carries: card numbers, the QR payload on the pass, coupon codes, phones.
 * Pure, except that generators take their randomness from `node:crypto` unless given a source.
 */

// ---------------------------------------------------------------------------------------------
// Card numbers
// ---------------------------------------------------------------------------------------------

/** Card numbers are 8 to 18 digits: printable as a barcode and within an Int64 (r_keeper FarCards). */
export const CARD_NUMBER_MIN_LENGTH = 8;
export const CARD_NUMBER_MAX_LENGTH = 18;
export const DEFAULT_CARD_NUMBER_LENGTH = 13;

const PREFIX = /^[1-9][0-9]{0,7}$/;

/**
 * The Luhn check digit for a string of digits (the digit to append).
 * @example luhnCheckDigit('7992739871') === 3
 */
export function luhnCheckDigit(payload: string): number {
  if (!/^[0-9]+$/.test(payload)) throw new RangeError('luhnCheckDigit: digits only');
  let total = 0;
  for (let i = 0; i < payload.length; i++) {
    let d = payload.charCodeAt(payload.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    total += d;
  }
  return (10 - (total % 10)) % 10;
}

/** Whether a string is a card number: 8–18 digits whose last digit is the Luhn check digit. */
export function isValidCardNumber(value: string): boolean {
  if (typeof value !== 'string' || !/^[0-9]+$/.test(value)) return false;
  if (value.length < CARD_NUMBER_MIN_LENGTH || value.length > CARD_NUMBER_MAX_LENGTH) return false;
  return luhnCheckDigit(value.slice(0, -1)) === Number(value[value.length - 1]);
}

function checkShape(prefix: string, length: number): number {
  if (!PREFIX.test(prefix)) throw new RangeError('Card number prefix: 1 to 8 digits, not starting with 0');
  if (!Number.isInteger(length) || length < CARD_NUMBER_MIN_LENGTH || length > CARD_NUMBER_MAX_LENGTH) {
    throw new RangeError(`Card number length: ${CARD_NUMBER_MIN_LENGTH} to ${CARD_NUMBER_MAX_LENGTH}`);
  }
  const body = length - prefix.length - 1;
  if (body < 1) throw new RangeError('Card number prefix leaves no room for the sequence');
  return body;
}

/** Uniform random decimal digits by rejection sampling over random bytes. */
function randomDigits(n: number, random: RandomBytes): string {
  let out = '';
  let guard = 0;
  while (out.length < n) {
    if (++guard > 1000) throw new Error('randomDigits: the random source looks broken');
    for (const b of random(n * 2)) {
      if (b < 250 && out.length < n) out += String(b % 10);
    }
  }
  return out;
}

export interface CardNumberOptions {
  /** Total digits, check digit included (8–18, default 13). */
  length?: number;
  /** Random source for numbers without a sequence. */
  random?: RandomBytes;
}

/**
 * A card number: `prefix`, then the sequence zero-padded (or random digits when `sequence` is
 * omitted or null), then the Luhn check digit; `length` digits in all (13 by default: shorter
 * than bank card numbers, so DLP scanners do not take them for PANs). Throws a RangeError on a bad
 * prefix (1–8 digits, not starting with 0) or a sequence that does not fit. With random digits the
 * service retries on the rare collision with an existing number (unique index).
 *
 * @example makeCardNumber('27', 1) === '2700000000011'
 * @example makeCardNumber('101') // e.g. '1018302749165'
 */
export function makeCardNumber(prefix: string, sequence?: number | bigint | null, options: CardNumberOptions = {}): string {
  const { length = DEFAULT_CARD_NUMBER_LENGTH, random = randomBytes } = options;
  const body = checkShape(prefix, length);
  let digits: string;
  if (sequence === undefined || sequence === null) {
    digits = randomDigits(body, random);
  } else {
    const seq = BigInt(sequence);
    if (seq < 0n) throw new RangeError('Card sequence must not be negative');
    digits = seq.toString();
    if (digits.length > body) throw new RangeError(`Card sequence ${digits} does not fit in ${body} digits`);
  }
  const payload = prefix + digits.padStart(body, '0');
  return payload + String(luhnCheckDigit(payload));
}

// ---------------------------------------------------------------------------------------------
// QR payload
// ---------------------------------------------------------------------------------------------

/**
 * The QR on a wallet pass carries `LH1:<card number>`: `LH` (loyalty hub), format version `1`, a
 * colon, then the card number digits. Example: `LH1:2700000000011`. A scanner that reads a
 * barcode of the bare number, or a cashier typing it (with spaces or dashes), is accepted too.
 */
export const QR_PREFIX = 'LH1:';

/** The QR payload for a card number: `LH1:<number>`. */
export function qrPayload(cardNumber: string): string {
  if (!isValidCardNumber(cardNumber)) throw new RangeError('qrPayload: not a valid card number');
  return QR_PREFIX + cardNumber;
}

export type QrRefusalCode = 'invalid_qr' | 'invalid_card_number';
/** A scanned or typed card code, read (`format` says which way it came) or refused. */
export type QrParseResult = { ok: true; cardNumber: string; format: 'lh1' | 'raw' } | Refusal<QrRefusalCode>;

/** Cyrillic letters a keyboard-wedge scanner types for `LH1:` when the PC is on the Russian layout. */
const RU_LAYOUT: Record<string, string> = { Д: 'L', Р: 'H', Ж: ':' };

/**
 * Reads what a scanner or a cashier entered: `LH1:<number>` (any case; also as typed on a Russian
 * keyboard layout, `ДР1Ж…`) or a bare number (spaces and dashes ignored). The number must pass
 * the Luhn check. Refusals: `invalid_qr` (not a card code), `invalid_card_number` (a digit is wrong).
 *
 * @example readCardCode('LH1:2700000000011') → { ok: true, cardNumber: '2700000000011', format: 'lh1' }
 * @example readCardCode('2700 0000 0001 1') → { ok: true, cardNumber: '2700000000011', format: 'raw' }
 */
export function readCardCode(raw: string): QrParseResult {
  const text = (typeof raw === 'string' ? raw : '').trim();
  const head = text
    .slice(0, 4)
    .toUpperCase()
    .replace(/[ДРЖ]/g, (c) => RU_LAYOUT[c]);
  let number: string;
  let format: 'lh1' | 'raw';
  if (head === QR_PREFIX) {
    number = text.slice(4).trim();
    format = 'lh1';
  } else if (/^[0-9][0-9 -]*$/.test(text)) {
    number = text.replace(/[ -]/g, '');
    format = 'raw';
  } else {
    return refuse('invalid_qr', /^LH[0-9]+:/i.test(head) ? 'This QR code is from a newer app version' : 'This code is not a loyalty card', {
      length: text.length,
    });
  }
  if (!isValidCardNumber(number)) return refuse('invalid_card_number', 'The card number is not valid (check the digits)');
  return { ok: true, cardNumber: number, format };
}

/**
 * The card number in a QR payload or a typed/scanned number, or null when it is not a valid card
 * code (see `readCardCode` for the reason).
 *
 * @example parseQrPayload('LH1:2700000000011') === '2700000000011'; parseQrPayload('2700000000011') === '2700000000011'
 */
export function parseQrPayload(raw: string): string | null {
  const r = readCardCode(raw);
  return r.ok ? r.cardNumber : null;
}
