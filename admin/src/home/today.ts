import { http, withQuery } from '../app/api';
import type { Checkout, CursorPage, Guest } from '../app/types';

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

const PAGE = 200;
const MAX_PAGES = 5;

/** Reads newest-first pages until an item is older than `oldest` (or the page limit). */
async function readSince<T extends { createdAt: string }>(
  path: string,
  query: Record<string, string>,
  oldest: string,
  timeZone: string,
  signal: AbortSignal,
): Promise<{ items: T[]; partial: boolean }> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await http.get<CursorPage<T>>(withQuery(path, { ...query, limit: PAGE, cursor }), { signal });
    items.push(...r.items);
    const last = r.items[r.items.length - 1];
    if (!r.nextCursor || !last || dayKey(new Date(last.createdAt), timeZone) < oldest) return { items, partial: false };
    cursor = r.nextCursor;
  }
  return { items, partial: true };
}

/**
 * Today's and the last days' figures from the sales and guests lists. Built from the list APIs the
 * hub has; a summary endpoint would replace these reads for a busy business.
 */
export async function loadSummary(timeZone: string, signal: AbortSignal, days = 7): Promise<Summary> {
  const keys = lastDays(days, timeZone);
  const oldest = keys[0]!;
  const [sales, guests] = await Promise.all([
    readSince<Checkout>('/v1/admin/checkouts', { status: 'committed' }, oldest, timeZone, signal),
    readSince<Guest>('/v1/admin/guests', {}, oldest, timeZone, signal),
  ]);
  const byDay = new Map<string, DayFigures>(
    keys.map((k) => [k, { day: k, sales: 0, revenueMinor: 0, discountMinor: 0, pointsAccrued: 0, pointsRedeemed: 0, newGuests: 0 }]),
  );
  for (const c of sales.items) {
    const d = byDay.get(dayKey(new Date(c.createdAt), timeZone));
    if (!d) continue;
    d.sales += 1;
    d.revenueMinor += c.totalMinor - c.refunded.amountMinor;
    d.discountMinor += c.discountMinor + c.couponDiscountMinor;
    d.pointsAccrued += c.pointsAccrued;
    d.pointsRedeemed += c.pointsRedeemed;
  }
  for (const g of guests.items) {
    const d = byDay.get(dayKey(new Date(g.createdAt), timeZone));
    if (d) d.newGuests += 1;
  }
  const list = keys.map((k) => byDay.get(k)!);
  return { days: list, today: list[list.length - 1]!, partial: sales.partial || guests.partial, anySales: list.some((d) => d.sales > 0) };
}
