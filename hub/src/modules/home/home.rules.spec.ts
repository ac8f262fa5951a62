import { addDays, compared, dayStart, homePeriods, pointsAsMoney, shareBp, zoneOffsetMinutes } from './home.rules';

describe('home rules', () => {
  it('takes the last seven local days and the same weekdays a week earlier', () => {
    // 22:30 UTC on Sunday Dec 6 is already Monday Dec 7 in Moscow.
    expect(homePeriods('Europe/Moscow', new Date('2026-12-06T22:30:00Z'))).toEqual({
      from: '2026-12-01',
      to: '2026-12-07',
      previousFrom: '2026-11-24',
      previousTo: '2026-11-30',
    });
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
  });

  it('compares with last week in basis points, with no change figure against zero', () => {
    expect(compared(150, 100)).toEqual({ value: 150, previous: 100, changeBp: 5000 });
    expect(compared(50, 200).changeBp).toBe(-7500);
    expect(compared(10, 0).changeBp).toBeNull();
    expect(shareBp(1, 3)).toBe(3333);
    expect(shareBp(5, 0)).toBe(0);
  });

  it('values points per program', () => {
    expect(
      pointsAsMoney([
        { points: 1500, pointValueMinor: 100 },
        { points: 10, pointValueMinor: 50 },
      ]),
    ).toBe(150_500);
  });

  it('finds where a local day starts, across a daylight-saving change', () => {
    expect(zoneOffsetMinutes('Europe/Moscow', new Date('2026-12-07T12:00:00Z'))).toBe(180);
    expect(dayStart('Europe/Moscow', '2026-12-07').toISOString()).toBe('2026-12-06T21:00:00.000Z');
    expect(dayStart('Europe/Berlin', '2026-03-29').toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(dayStart('Europe/Berlin', '2026-03-30').toISOString()).toBe('2026-03-29T22:00:00.000Z');
  });
});
