import { currencyDigits, formatMoney, minorToInput, parseMoney } from './money';

describe('money', () => {
  it('parses typed amounts into minor units exactly, without floats', () => {
    expect(parseMoney('15')).toBe(1500);
    expect(parseMoney('1234,5')).toBe(123450);
    expect(parseMoney('1 234,50')).toBe(123450);
    expect(parseMoney('1\u00a0234.05')).toBe(123405);
    expect(parseMoney('0.1')).toBe(10);
    expect(parseMoney('0,29')).toBe(29); // 0.29 * 100 is 28.999999999999996 as a float
    expect(parseMoney('1.005', 2)).toBeNull();
    expect(parseMoney('9999999999999.99')).toBe(999999999999999);
    expect(parseMoney('12.')).toBe(1200);
  });

  it('refuses what is not an amount', () => {
    for (const s of ['', ' ', '-5', '+5', '1,2,3', '1.2.3', 'abc', '12a', '1e3', ',5', '12345678901234']) expect([s, parseMoney(s)]).toEqual([s, null]);
  });

  it('follows the currency digits', () => {
    expect(currencyDigits('RUB')).toBe(2);
    expect(currencyDigits('JPY')).toBe(0);
    expect(parseMoney('150', 0)).toBe(150);
    expect(parseMoney('150.5', 0)).toBeNull();
  });

  it('writes minor units back for inputs and for people', () => {
    expect(minorToInput(123450)).toBe('1234.50');
    expect(minorToInput(5)).toBe('0.05');
    expect(minorToInput(-250)).toBe('-2.50');
    expect(minorToInput(150, 0)).toBe('150');
    expect(minorToInput(null)).toBe('');
    expect(formatMoney(123450, 'RUB', 'en').replace(/\s/g, ' ')).toBe('RUB 1,234.50');
    expect(formatMoney(123450, 'RUB', 'ru').replace(/\s/g, ' ')).toBe('1 234,50 ₽');
  });
});
