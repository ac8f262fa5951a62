import fc from 'fast-check';
import {
  COUPON_ALPHABET,
  generateCouponCodes,
  isValidCardNumber,
  luhnCheckDigit,
  makeCardNumber,
  normalizePhone,
  parseQrPayload,
  qrPayload,
  readCardCode,
  type RandomBytes,
} from './cards.rules';

/** A deterministic byte source for reproducible generators. */
function seeded(seed: number): RandomBytes {
  let x = seed >>> 0 || 1;
  return (n) =>
    Uint8Array.from({ length: n }, () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) & 0xff;
    });
}

describe('card numbers', () => {
  it('computes Luhn check digits (reference vectors)', () => {
    expect(luhnCheckDigit('7992739871')).toBe(3);
    expect(isValidCardNumber('79927398713')).toBe(true);
    expect(isValidCardNumber('79927398710')).toBe(false);
    expect(isValidCardNumber('4539148803436467')).toBe(true);
  });

  it('makes numbers from a prefix and a sequence, or random digits', () => {
    expect(makeCardNumber('27', 1)).toBe('2700000000011');
    expect(makeCardNumber('101', 12_345n)).toBe('1010000123453');
    expect(makeCardNumber('27', 5, { length: 8 })).toMatch(/^2700005\d$/);
    const random = makeCardNumber('101', undefined, { random: seeded(7) });
    expect(random).toMatch(/^101\d{10}$/);
    expect(isValidCardNumber(random)).toBe(true);
    expect(makeCardNumber('101', null, { random: seeded(7) })).toBe(random);
    expect(makeCardNumber('101', null, { random: seeded(8) })).not.toBe(random);
  });

  it('refuses bad prefixes, lengths and sequences that do not fit', () => {
    expect(() => makeCardNumber('', 1)).toThrow(RangeError);
    expect(() => makeCardNumber('012', 1)).toThrow(RangeError);
    expect(() => makeCardNumber('12a', 1)).toThrow(RangeError);
    expect(() => makeCardNumber('27', 1, { length: 19 })).toThrow(RangeError);
    expect(() => makeCardNumber('27', 10_000_000_000)).toThrow(/does not fit/);
    expect(() => makeCardNumber('27', -1)).toThrow(RangeError);
  });

  it('rejects non-numbers and wrong lengths', () => {
    for (const bad of ['', '2700000000O11', ' 2700000000011', '2700-000000011', '0', '1234567', '1234567890123456789']) {
      expect(isValidCardNumber(bad)).toBe(false);
    }
  });

  it('round-trips; any single wrong digit or swap of neighbours is caught', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[1-9][0-9]{0,5}$/),
        fc.bigInt({ min: 0n, max: 999_999n }),
        fc.integer({ min: 13, max: 18 }),
        fc.nat(),
        fc.integer({ min: 1, max: 9 }),
        (prefix, seq, length, at, delta) => {
          const n = makeCardNumber(prefix, seq, { length });
          expect(n).toHaveLength(length);
          expect(n.startsWith(prefix)).toBe(true);
          expect(isValidCardNumber(n)).toBe(true);
          expect(parseQrPayload(qrPayload(n))).toBe(n);
          const i = at % n.length;
          const typo = n.slice(0, i) + String((Number(n[i]) + delta) % 10) + n.slice(i + 1);
          expect(isValidCardNumber(typo)).toBe(false);
          const j = at % (n.length - 1);
          const [a, b] = [n[j], n[j + 1]];
          if (a !== b && !['09', '90'].includes(a + b)) {
            expect(isValidCardNumber(n.slice(0, j) + b + a + n.slice(j + 2))).toBe(false);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('QR payload', () => {
  const n = makeCardNumber('27', 1);

  it('is LH1:<number>', () => {
    expect(qrPayload(n)).toBe('LH1:2700000000011');
    expect(() => qrPayload('2700000000012')).toThrow(RangeError);
  });

  it.each([
    ['LH1:2700000000011', 'lh1'],
    ['lh1:2700000000011', 'lh1'],
    ['  LH1:2700000000011\r\n', 'lh1'],
    ['ДР1Ж2700000000011', 'lh1'], // a keyboard-wedge scanner on the Russian layout
    ['др1ж2700000000011', 'lh1'],
    ['2700000000011', 'raw'],
    ['2700 0000 0001 1', 'raw'],
    ['2700-0000-0001-1', 'raw'],
  ])('reads %j', (raw, format) => {
    expect(readCardCode(raw)).toEqual({ ok: true, cardNumber: n, format });
    expect(parseQrPayload(raw)).toBe(n);
  });

  it.each([
    ['LH1:2700000000012', 'invalid_card_number'],
    ['2700000000012', 'invalid_card_number'],
    ['LH1:', 'invalid_card_number'],
    ['LH2:2700000000011', 'invalid_qr'],
    ['https://example.com/card/2700000000011', 'invalid_qr'],
    ['', 'invalid_qr'],
  ])('refuses %j with %s', (raw, code) => {
    expect(readCardCode(raw)).toMatchObject({ ok: false, code });
    expect(parseQrPayload(raw)).toBeNull();
  });
});

describe('coupon codes', () => {
  it('generates distinct codes of the unambiguous alphabet with the prefix', () => {
    const codes = generateCouponCodes(500, { prefix: 'SUMMER-', length: 8, random: seeded(1) });
    expect(codes).toHaveLength(500);
    expect(new Set(codes).size).toBe(500);
    for (const c of codes) expect(c).toMatch(/^SUMMER-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/);
    expect(COUPON_ALPHABET).not.toMatch(/[01ILO]/);
    expect(generateCouponCodes(3, { random: seeded(1) })).toEqual(generateCouponCodes(3, { random: seeded(1) }));
    expect(generateCouponCodes(0)).toEqual([]);
  });

  it('avoids codes that already exist and uses every character', () => {
    const first = generateCouponCodes(1, { length: 6, random: seeded(3) })[0];
    const next = generateCouponCodes(1, { length: 6, random: seeded(3), exclude: new Set([first]) })[0];
    expect(next).not.toBe(first);
    const chars = new Set(generateCouponCodes(200, { length: 10 }).join(''));
    expect(chars.size).toBe(COUPON_ALPHABET.length);
  });

  it('refuses bad options and a broken random source', () => {
    expect(() => generateCouponCodes(-1)).toThrow(RangeError);
    expect(() => generateCouponCodes(1.5)).toThrow(RangeError);
    expect(() => generateCouponCodes(100_001)).toThrow(RangeError);
    expect(() => generateCouponCodes(1, { prefix: 'summer' })).toThrow(RangeError);
    expect(() => generateCouponCodes(1, { length: 5 })).toThrow(RangeError);
    expect(() => generateCouponCodes(2, { random: (n) => new Uint8Array(n) })).toThrow(/random source/);
  });

  it('are unique and well-formed for any batch', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 6, max: 12 }),
        fc.stringMatching(/^[A-Z0-9-]{0,16}$/),
        fc.integer(),
        (count, length, prefix, seed) => {
          const codes = generateCouponCodes(count, { prefix, length, random: seeded(seed) });
          expect(new Set(codes).size).toBe(count);
          const malformed = codes.filter(
            (c) => !c.startsWith(prefix) || c.length !== prefix.length + length || [...c.slice(prefix.length)].some((ch) => !COUPON_ALPHABET.includes(ch)),
          );
          expect(malformed).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('normalizePhone', () => {
  it.each([
    ['8 (999) 123-45-67', '+79991234567'],
    ['+7 999 1234567', '+79991234567'],
    ['9991234567', '+79991234567'],
    ['89991234567', '+79991234567'],
    ['79991234567', '+79991234567'],
    ['+7 (495) 123-45-67', '+74951234567'],
    [' 8-800-555-35-35 ', '+78005553535'],
    ['810 7 999 1234567', '+79991234567'],
    ['00 44 20 7946 0958', '+442079460958'],
    ['+1 (415) 555-2671', '+14155552671'],
  ])('reads %j as %s', (input, e164) => {
    expect(normalizePhone(input)).toBe(e164);
  });

  it.each(['', '123', '+7 000 1234567', 'abc', 'call me', '8 999 123 45 67 ext 5', '9'.repeat(50)])('returns null for %j', (input) => {
    expect(normalizePhone(input)).toBeNull();
  });

  it('reads national numbers of another default country', () => {
    expect(normalizePhone('020 7946 0958', 'GB')).toBe('+442079460958');
    expect(normalizePhone('(415) 555-2671', 'US')).toBe('+14155552671');
  });
});
