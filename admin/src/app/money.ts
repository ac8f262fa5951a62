import type { Lang } from './types';

/**
 * Money in the console is an integer of minor units (kopecks, cents), as the hub keeps it. Typed
 * amounts are parsed from the string, digit by digit, never through a float: "1 234,50" is 123450.
 */

const digitsCache = new Map<string, number>();

/** Minor digits of a currency: 2 for RUB, EUR, USD; 0 for JPY. */
export function currencyDigits(currency: string): number {
  let d = digitsCache.get(currency);
  if (d === undefined) {
    try {
      d = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      d = 2;
    }
    digitsCache.set(currency, d);
  }
  return d;
}

const SPACES = /[\s\u00a0\u202f\u2009']/g;
/** Up to 13 whole digits keeps every amount a safe integer of minor units. */
const MONEY = /^(\d{1,13})(?:[.,](\d*))?$/;

/**
 * A typed amount ("1 234,5", "99.90", "15") in minor units, or null when it is not an amount
 * (letters, a sign, two separators, more decimals than the currency has).
 */
export function parseMoney(input: string, digits = 2): number | null {
  const s = input.replace(SPACES, '');
  const m = MONEY.exec(s);
  if (!m) return null;
  const whole = m[1]!;
  const frac = m[2] ?? '';
  if (frac.length > digits) return null;
  const scale = 10 ** digits;
  return Number(whole) * scale + (digits ? Number(frac.padEnd(digits, '0')) : 0);
}

/** Minor units as a plain decimal string for an input: 123450 -> "1234.50" (2 digits). */
export function minorToInput(minor: number | null | undefined, digits = 2): string {
  if (minor === null || minor === undefined) return '';
  const neg = minor < 0;
  const abs = String(Math.abs(Math.trunc(minor))).padStart(digits + 1, '0');
  const out = digits ? `${abs.slice(0, -digits)}.${abs.slice(-digits)}` : abs;
  return neg ? `-${out}` : out;
}

const fmtCache = new Map<string, Intl.NumberFormat>();

/** Minor units as money in the console's language: 123450 RUB -> "1 234,50 ₽". */
export function formatMoney(minor: number | null | undefined, currency: string, lang: Lang, opts: { compact?: boolean } = {}): string {
  if (minor === null || minor === undefined) return '—';
  const digits = currencyDigits(currency);
  const key = `${lang}|${currency}|${opts.compact ? 1 : 0}`;
  let f = fmtCache.get(key);
  if (!f) {
    f = new Intl.NumberFormat(lang === 'ru' ? 'ru-RU' : 'en-US', {
      style: 'currency',
      currency,
      minimumFractionDigits: opts.compact ? 0 : digits,
      maximumFractionDigits: opts.compact ? 0 : digits,
    });
    fmtCache.set(key, f);
  }
  // Display only: the division is exact enough for any safe integer of minor units at 2 decimals.
  return f.format(minor / 10 ** digits);
}

/** The currency's symbol in the console's language ("₽", "$"). */
export function currencySymbol(currency: string, lang: Lang): string {
  try {
    const parts = new Intl.NumberFormat(lang === 'ru' ? 'ru-RU' : 'en-US', { style: 'currency', currency }).formatToParts(0);
    return parts.find((p) => p.type === 'currency')?.value ?? currency;
  } catch {
    return currency;
  }
}
