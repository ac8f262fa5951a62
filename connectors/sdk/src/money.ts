/**
 * Money between vendors and the hub. Vendors send decimal strings or numbers (iiko and 1C roubles
 * `"1234.50"`, r_keeper kopecks as integers); the hub keeps integer minor units. These helpers are
 * strict: a value that is not exactly a decimal with at most `scale` fraction digits is refused —
 * never rounded, never read with a locale's grouping or comma (`"1 234,50"`), never an exponent.
 */

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/** The value could not be read as money of this scale. */
export class MoneyFormatError extends Error {
  constructor(
    readonly input: unknown,
    reason: string,
  ) {
    super(`Not an amount: ${JSON.stringify(input)} (${reason})`);
    this.name = 'MoneyFormatError';
  }
}

/**
 * `"1234.50"` → `123450` with scale 2. Accepts a string or a finite number (numbers are read through
 * their shortest decimal form, so `0.1 + 0.2` is refused rather than silently rounded).
 *
 * @example decimalToMinor('1234.5', 2) === 123450; decimalToMinor('-0.01', 2) === -1
 * @throws MoneyFormatError for '1 234,50', '1e3', '12.345' at scale 2, '', '.5', '5.', NaN, unsafe integers
 */
export function decimalToMinor(value: string | number, scale = 2): number {
  if (!Number.isInteger(scale) || scale < 0 || scale > 6) throw new RangeError('scale must be an integer from 0 to 6');
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new MoneyFormatError(value, 'not a finite number');
    text = String(value);
  } else if (typeof value === 'string') {
    text = value;
  } else {
    throw new MoneyFormatError(value, 'not a string or a number');
  }
  const m = DECIMAL.exec(text);
  if (!m) throw new MoneyFormatError(value, 'digits with an optional "." and fraction only');
  const [, minus, whole, fraction = ''] = m;
  if (fraction.length > scale) throw new MoneyFormatError(value, `more than ${scale} fraction digits`);
  const digits = `${whole}${fraction.padEnd(scale, '0')}`.replace(/^0+(?=\d)/, '');
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) throw new MoneyFormatError(value, 'too large');
  return minus && n !== 0 ? -n : n;
}

/**
 * `123450` → `"1234.50"` with scale 2: the exact decimal string of integer minor units.
 * @example minorToDecimal(-1, 2) === '-0.01'; minorToDecimal(5, 0) === '5'
 */
export function minorToDecimal(minor: number, scale = 2): string {
  if (!Number.isSafeInteger(minor)) throw new RangeError('minor units must be a safe integer');
  if (!Number.isInteger(scale) || scale < 0 || scale > 6) throw new RangeError('scale must be an integer from 0 to 6');
  const abs = String(Math.abs(minor)).padStart(scale + 1, '0');
  const body = scale ? `${abs.slice(0, -scale)}.${abs.slice(-scale)}` : abs;
  return minor < 0 ? `-${body}` : body;
}
