import { birthdayOffset, phoneTail } from './birthday';

describe('birthdayOffset', () => {
  it('counts days to the nearest birthday within the window, either side, across the new year', () => {
    expect(birthdayOffset('1990-12-08', '2026-12-08')).toBe(0);
    expect(birthdayOffset('1990-12-11', '2026-12-08')).toBe(3);
    expect(birthdayOffset('1990-12-01', '2026-12-08')).toBe(-7);
    expect(birthdayOffset('1990-11-30', '2026-12-08')).toBeNull();
    expect(birthdayOffset('1990-01-02', '2026-12-30')).toBe(3);
    expect(birthdayOffset('1990-12-30', '2027-01-02')).toBe(-3);
  });
  it('puts 29 February on 28 February in other years, and ignores unknown dates', () => {
    expect(birthdayOffset('2000-02-29', '2027-02-28')).toBe(0);
    expect(birthdayOffset('2000-02-29', '2028-02-29')).toBe(0);
    expect(birthdayOffset(null, '2026-12-08')).toBeNull();
    expect(birthdayOffset('not a date', '2026-12-08')).toBeNull();
  });
});

describe('phoneTail', () => {
  it('gives the last four digits of a phone', () => {
    expect(phoneTail('+79990000024')).toBe('0024');
    expect(phoneTail('+7 999 000-12-34')).toBe('1234');
    expect(phoneTail('12')).toBeNull();
    expect(phoneTail(null)).toBeNull();
  });
});
