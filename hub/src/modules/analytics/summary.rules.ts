/** The calendar day (YYYY-MM-DD) of an instant in a time zone. */
export function dayIn(timeZone: string, at: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

export interface SaleRow {
  createdAt: Date;
  totalMinor: number;
  discountMinor: number;
  refundedMinor: number;
  pointsRedeemed: number;
  pointsAccrued: number;
}

export interface DayFigures {
  date: string;
  sales: number;
  revenueMinor: number;
  discountMinor: number;
  pointsAccrued: number;
  pointsRedeemed: number;
  newGuests: number;
}

/**
 * Daily figures in the business's time zone: revenue is what guests paid after discounts and
 * refunds (in money, points or certificates). Every day of the range appears, empty days as zeros.
 */
export function dailyFigures(timeZone: string, from: Date, to: Date, sales: SaleRow[], guestsCreated: Date[]): DayFigures[] {
  const days = new Map<string, DayFigures>();
  for (let t = from.getTime(); t < to.getTime(); t += 3_600_000) {
    const d = dayIn(timeZone, new Date(t));
    if (!days.has(d)) days.set(d, { date: d, sales: 0, revenueMinor: 0, discountMinor: 0, pointsAccrued: 0, pointsRedeemed: 0, newGuests: 0 });
  }
  for (const s of sales) {
    const d = days.get(dayIn(timeZone, s.createdAt));
    if (!d) continue;
    d.sales += 1;
    d.revenueMinor += s.totalMinor - s.discountMinor - s.refundedMinor;
    d.discountMinor += s.discountMinor;
    d.pointsAccrued += s.pointsAccrued;
    d.pointsRedeemed += s.pointsRedeemed;
  }
  for (const g of guestsCreated) {
    const d = days.get(dayIn(timeZone, g));
    if (d) d.newGuests += 1;
  }
  return [...days.values()];
}
