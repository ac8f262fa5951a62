import { dailyFigures, dayIn } from './summary.rules';

describe('daily figures', () => {
  it('buckets by the business time zone, not UTC', () => {
    // 22:30 UTC on the 24th is already the 25th in Moscow (UTC+3).
    expect(dayIn('Europe/Moscow', new Date('2026-11-24T22:30:00Z'))).toBe('2026-11-25');
    expect(dayIn('UTC', new Date('2026-11-24T22:30:00Z'))).toBe('2026-11-24');
  });

  it('lists every day of the range, sums sales after discounts and refunds, counts new guests', () => {
    const from = new Date('2026-11-22T21:00:00Z'); // 23 Nov 00:00 Moscow
    const to = new Date('2026-11-25T21:00:00Z'); // 26 Nov 00:00 Moscow
    const sale = (iso: string, total: number, discount = 0, refunded = 0) => ({ createdAt: new Date(iso), totalMinor: total, discountMinor: discount, refundedMinor: refunded, pointsRedeemed: 1, pointsAccrued: 2 });
    const days = dailyFigures('Europe/Moscow', from, to, [sale('2026-11-23T10:00:00Z', 10000, 500), sale('2026-11-24T22:30:00Z', 20000, 0, 5000)], [new Date('2026-11-25T08:00:00Z')]);
    expect(days.map((d) => d.date)).toEqual(['2026-11-23', '2026-11-24', '2026-11-25']);
    expect(days[0]).toMatchObject({ sales: 1, revenueMinor: 9500, discountMinor: 500, pointsAccrued: 2, pointsRedeemed: 1 });
    expect(days[1]).toMatchObject({ sales: 0, revenueMinor: 0 });
    expect(days[2]).toMatchObject({ sales: 1, revenueMinor: 15000, newGuests: 1 });
  });
});
