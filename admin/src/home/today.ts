import { http, withQuery } from '../app/api';

/** `YYYY-MM-DD` of an instant in a time zone. */
export function dayKey(d: Date, timeZone: string): string {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
  } catch {
    return d.toISOString().slice(0, 10);
  }
}

/** The last `n` day keys, oldest first, ending today (in the business's time zone). */
export function lastDays(n: number, timeZone: string, now = new Date()): string[] {
  const keys = new Set<string>();
  for (let i = 0; keys.size < n && i < n + 2; i++) keys.add(dayKey(new Date(now.getTime() - i * 86_400_000), timeZone));
  return [...keys].slice(0, n).reverse();
}

export interface DayFigures {
  day: string;
  sales: number;
  revenueMinor: number;
  discountMinor: number;
  pointsAccrued: number;
  pointsRedeemed: number;
  newGuests: number;
}

export interface Summary {
  days: DayFigures[];
  today: DayFigures;
  /** The figures stop at the page limit: there were more sales or guests than were read. */
  partial: boolean;
  anySales: boolean;
}

interface SummaryAnswer {
  days: (Omit<DayFigures, 'day'> & { date: string })[];
}

/**
 * Today's and the last days' figures in one call (`GET /v1/admin/summary`, read from the analytics
 * rollups): every member may read it, cashiers included, who may not page through sales or guests.
 */
export async function loadSummary(timeZone: string, signal: AbortSignal, days = 7): Promise<Summary> {
  const keys = lastDays(days, timeZone);
  const r = await http.get<SummaryAnswer>(withQuery('/v1/admin/summary', {}), { signal });
  const byDay = new Map(r.days.map(({ date, ...d }) => [date, { day: date, ...d }]));
  const list = keys.map((k) => byDay.get(k) ?? { day: k, sales: 0, revenueMinor: 0, discountMinor: 0, pointsAccrued: 0, pointsRedeemed: 0, newGuests: 0 });
  return { days: list, today: list[list.length - 1]!, partial: false, anySales: list.some((d) => d.sales > 0) };
}
