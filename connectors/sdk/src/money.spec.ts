import fc from 'fast-check';
import { decimalToMinor, minorToDecimal, MoneyFormatError } from './money';

describe('money helpers', () => {
  it('reads exact decimals into minor units', () => {
    expect(decimalToMinor('1234.50', 2)).toBe(123450);
    expect(decimalToMinor('1234.5', 2)).toBe(123450);
    expect(decimalToMinor('1234', 2)).toBe(123400);
    expect(decimalToMinor('0.01', 2)).toBe(1);
    expect(decimalToMinor('-0.01', 2)).toBe(-1);
    expect(decimalToMinor('-0.00', 2)).toBe(0);
    expect(decimalToMinor(99.99, 2)).toBe(9999);
    expect(decimalToMinor('007', 0)).toBe(7);
    expect(decimalToMinor('12.345', 3)).toBe(12345);
  });

  it.each([['1 234,50'], ['1234,50'], ['1e3'], ['12.345'], [''], ['.5'], ['5.'], ['+5'], [' 5'], ['0x10'], ['１２']])('refuses %j at scale 2', (v) => {
    expect(() => decimalToMinor(v, 2)).toThrow(MoneyFormatError);
  });

  it('refuses numbers that are not exact at the scale, and unsafe or non-finite values', () => {
    expect(() => decimalToMinor(0.1 + 0.2, 2)).toThrow(/more than 2 fraction digits/);
    expect(() => decimalToMinor(Number.NaN, 2)).toThrow(MoneyFormatError);
    expect(() => decimalToMinor('99999999999999999', 2)).toThrow(/too large/);
    expect(() => decimalToMinor(1e21, 2)).toThrow(MoneyFormatError);
    expect(() => decimalToMinor(null as never, 2)).toThrow(MoneyFormatError);
  });

  it('writes minor units as exact decimals', () => {
    expect(minorToDecimal(123450, 2)).toBe('1234.50');
    expect(minorToDecimal(1, 2)).toBe('0.01');
    expect(minorToDecimal(-1, 2)).toBe('-0.01');
    expect(minorToDecimal(0, 2)).toBe('0.00');
    expect(minorToDecimal(5, 0)).toBe('5');
    expect(() => minorToDecimal(1.5, 2)).toThrow(RangeError);
  });

  it('round-trips every safe amount at every scale', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e15, max: 1e15 }), fc.integer({ min: 0, max: 6 }), (minor, scale) => {
        expect(decimalToMinor(minorToDecimal(minor, scale), scale)).toBe(minor);
      }),
    );
  });
});
