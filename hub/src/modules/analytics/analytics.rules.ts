import { RFM_SEGMENTS, type RfmSegment } from '../../shared/rfm';

/**
 * Analytics, the pure part: what each event adds to a day's figures, how days group into weeks
 * and months, the derived figures (average check, LTV, frequency, liability, breakage), and RFM
 * scoring with its 11 named segments. No I/O; the service applies these to the database.
 *
 * Attribution rules (README, "Analytics"):
 * - A sale counts on the business-local day it was committed (a hold: the day it was captured), at
 *   its location and its card's program.
 * - A refund counts on the day it was made — not the sale's day, so a closed day never changes —
 *   at the sale's location and program: revenue goes down by the refunded amount, the accrued points
 *   it took back are `pointsReversed`, the redeemed points it gave back `pointsReturned`. A voided
 *   refund is undone on the day of the void.
 * - New guests count on their registration day (no location, no program); cards on their issue day
 *   in their program; a guest's first purchase at the location and program of that sale.
 * - `pointsNet` sums every points movement of the ledger (accruals, redemptions, bonuses, manual
 *   adjustments, refunds, expiry), so the liability at a day's end is the running sum of it.
 */

export const FIGURES = [
  'sales',
  'cardSales',
  'grossMinor',
  'discountMinor',
  'revenueMinor',
  'cardRevenueMinor',
  'refunds',
  'refundedMinor',
  'pointsAccrued',
  'pointsRedeemed',
  'pointsReversed',
  'pointsReturned',
  'pointsExpired',
  'pointsNet',
  'newGuests',
  'cardsIssued',
  'firstPurchases',
] as const;
export type Figure = (typeof FIGURES)[number];
export type Figures = Record<Figure, number>;

export const zeroFigures = (): Figures => Object.fromEntries(FIGURES.map((f) => [f, 0])) as Figures;

export function addFigures(into: Figures, d: Partial<Figures>, sign = 1): Figures {
  for (const k of FIGURES) if (d[k]) into[k] += sign * d[k]!;
  return into;
}

/** Where a delta lands: one row of the rollup. */
export interface RollupKey {
  day: string;
  locationId: string;
  programId: string;
}

export const rollupKey = (k: RollupKey) => `${k.day}|${k.locationId}|${k.programId}`;

// ---------------------------------------------------------------------------------------------
// Events -> deltas
// ---------------------------------------------------------------------------------------------

export interface SaleFacts {
  cardId: string | null;
  guestId: string | null;
  locationId: string | null;
  programId: string | null;
  totalMinor: number;
  discountMinor: number;
  pointsRedeemed: number;
  pointsAccrued: number;
}

/** A committed sale. */
export function saleDelta(s: SaleFacts): Partial<Figures> {
  const paid = s.totalMinor - s.discountMinor;
  return {
    sales: 1,
    cardSales: s.cardId ? 1 : 0,
    grossMinor: s.totalMinor,
    discountMinor: s.discountMinor,
    revenueMinor: paid,
    cardRevenueMinor: s.cardId ? paid : 0,
    pointsAccrued: s.pointsAccrued,
    pointsRedeemed: s.pointsRedeemed,
  };
}

export interface RefundFacts {
  cardId: string | null;
  amountMinor: number;
  /** Redeemed points given back to the card. */
  pointsReturned: number;
  /** Accrued points taken back from the card. */
  pointsReversed: number;
}

/** A refund; a voided refund is the same delta with sign −1. */
export function refundDelta(r: RefundFacts): Partial<Figures> {
  return {
    refunds: 1,
    refundedMinor: r.amountMinor,
    revenueMinor: -r.amountMinor,
    cardRevenueMinor: r.cardId ? -r.amountMinor : 0,
    pointsReturned: r.pointsReturned,
    pointsReversed: r.pointsReversed,
  };
}

/** A points movement of the ledger (`delta` signed); expiry also counts as breakage. */
export function pointsDelta(delta: number, expired: boolean): Partial<Figures> {
  return { pointsNet: delta, pointsExpired: expired ? -delta : 0 };
}

// ---------------------------------------------------------------------------------------------
// Calendar
// ---------------------------------------------------------------------------------------------

/**
 * Maps instants to business-local days. Offsets change at most every 15 minutes of wall time, so
 * the day is cached per quarter hour: a rebuild over millions of rows formats a date once per
 * quarter hour it meets, not once per row.
 */
export function dayBucketer(timeZone: string): (at: Date | number) => string {
  const fmt = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  const cache = new Map<number, string>();
  const Q = 15 * 60_000;
  return (at) => {
    const t = typeof at === 'number' ? at : at.getTime();
    const q = Math.floor(t / Q);
    let d = cache.get(q);
    if (d === undefined) {
      d = fmt.format(new Date(q * Q));
      if (cache.size > 200_000) cache.clear();
      cache.set(q, d);
    }
    return d;
  };
}

export type Interval = 'day' | 'week' | 'month';

const utc = (day: string) => Date.parse(`${day}T00:00:00Z`);
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The first day of the bucket a day falls in: itself, its week's Monday, or its month's 1st. */
export function bucketOf(day: string, interval: Interval): string {
  if (interval === 'day') return day;
  if (interval === 'month') return `${day.slice(0, 7)}-01`;
  const t = utc(day);
  const dow = (new Date(t).getUTCDay() + 6) % 7;
  return iso(t - dow * 86_400_000);
}

/** Every bucket from the one holding `from` to the one holding `to` (inclusive days). */
export function bucketsBetween(from: string, to: string, interval: Interval): string[] {
  const out: string[] = [];
  for (let t = utc(from); t <= utc(to); t += 86_400_000) {
    const b = bucketOf(iso(t), interval);
    if (out[out.length - 1] !== b) out.push(b);
  }
  return out;
}

export const daysBetween = (from: string, to: string) => Math.round((utc(to) - utc(from)) / 86_400_000) + 1;

// ---------------------------------------------------------------------------------------------
// Derived figures
// ---------------------------------------------------------------------------------------------

export interface Kpis {
  /** Revenue per sale, rounded to a minor unit. */
  averageCheckMinor: number;
  /** Lifetime revenue from card sales per guest who bought, up to the period's end. */
  ltvMinor: number;
  /** Lifetime card sales per guest who bought (purchases per buyer), up to the period's end, ×100. */
  frequencyX100: number;
  /** Points on cards at the period's end (Σ of every movement so far). */
  liabilityPoints: number;
  /** Share of points accrued in the period that expired in it, in basis points (1/100 of a percent). */
  breakageBp: number;
}

const div = (a: number, b: number) => (b > 0 ? Math.round(a / b) : 0);

export function kpis(period: Figures, lifetime: Figures): Kpis {
  return {
    averageCheckMinor: div(period.revenueMinor, period.sales),
    ltvMinor: div(lifetime.cardRevenueMinor, lifetime.firstPurchases),
    frequencyX100: div(lifetime.cardSales * 100, lifetime.firstPurchases),
    liabilityPoints: lifetime.pointsNet,
    breakageBp: div(period.pointsExpired * 10_000, period.pointsAccrued),
  };
}

// ---------------------------------------------------------------------------------------------
// RFM
// ---------------------------------------------------------------------------------------------

// The segment names are a shared vocabulary (the guest filter reads them too).
export { RFM_SEGMENTS, type RfmSegment };

/**
 * The segment of each cell: rows are R = 5..1 (5 = bought most recently), columns FM = 1..5
 * (FM = the mean of the F and M scores, halves rounded up). Champions bought recently, often and
 * much; "can't lose" bought often and much but long ago; "new" bought recently, once and little.
 */
export const RFM_GRID: Record<number, RfmSegment[]> = {
  5: ['new', 'potential_loyalists', 'potential_loyalists', 'champions', 'champions'],
  4: ['promising', 'potential_loyalists', 'potential_loyalists', 'loyal', 'champions'],
  3: ['about_to_sleep', 'about_to_sleep', 'need_attention', 'loyal', 'loyal'],
  2: ['hibernating', 'hibernating', 'at_risk', 'at_risk', 'cant_lose'],
  1: ['lost', 'hibernating', 'at_risk', 'at_risk', 'cant_lose'],
};

export const fmScore = (f: number, m: number) => Math.floor((f + m + 1) / 2);

export function segmentOf(r: number, f: number, m: number): RfmSegment {
  return RFM_GRID[r]![fmScore(f, m) - 1]!;
}

/** Every (R, F, M) triple as `R*100 + F*10 + M`, for the cells of the given segments. */
export function cellsOf(segments: readonly RfmSegment[]): number[] {
  const out: number[] = [];
  for (let r = 1; r <= 5; r++)
    for (let f = 1; f <= 5; f++) for (let m = 1; m <= 5; m++) if (segments.includes(segmentOf(r, f, m))) out.push(r * 100 + f * 10 + m);
  return out;
}

/**
 * Score thresholds (each list ascending, four cut points): R = 5 when the last purchase is at most
 * `recencyDays[0]` days old … 1 when older than `recencyDays[3]`; F = 5 with at least
 * `frequency[3]` purchases … 1 below `frequency[0]`; M likewise on lifetime spend.
 */
export interface RfmThresholds {
  recencyDays: number[];
  frequency: number[];
  monetaryMinor: number[];
}

export interface RfmSettings extends RfmThresholds {
  /** `bounds`: the thresholds above. `quintiles`: each score holds a fifth of the buyers, recomputed each time. */
  mode: 'bounds' | 'quintiles';
}

export const DEFAULT_RFM: RfmSettings = {
  mode: 'bounds',
  recencyDays: [14, 30, 90, 180],
  frequency: [2, 3, 5, 10],
  monetaryMinor: [100_000, 300_000, 1_000_000, 3_000_000],
};

const ascending = (xs: number[]) => xs.length === 4 && xs.every((x, i) => Number.isFinite(x) && x >= 0 && (i === 0 || x > xs[i - 1]!));

/** Names the fields whose thresholds are not four ascending non-negative numbers. */
export function rfmProblems(s: RfmThresholds): { field: string; message: string }[] {
  return (['recencyDays', 'frequency', 'monetaryMinor'] as const)
    .filter((k) => !ascending(s[k]))
    .map((field) => ({ field, message: 'Four increasing numbers, each at least 0' }));
}

export const scoreRecency = (ageDays: number, t: number[]) => (ageDays <= t[0]! ? 5 : ageDays <= t[1]! ? 4 : ageDays <= t[2]! ? 3 : ageDays <= t[3]! ? 2 : 1);
export const scoreUp = (v: number, t: number[]) => (v >= t[3]! ? 5 : v >= t[2]! ? 4 : v >= t[1]! ? 3 : v >= t[0]! ? 2 : 1);

/**
 * Quintile cut points from the smallest value of each of the upper four fifths (as SQL's NTILE(5)
 * splits them). Ties can make cut points equal; they are nudged up so the list stays increasing.
 */
export function cutsFromNtiles(minOfTile: (number | null)[], fallback: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    const v = minOfTile[i + 1] ?? null;
    const prev = out[i - 1];
    const x = v === null ? fallback[i]! : v;
    out.push(prev !== undefined && x <= prev ? prev + 1e-9 : x);
  }
  return out;
}

export interface RfmCell {
  r: number;
  f: number;
  m: number;
  guests: number;
  revenueMinor: number;
}

export interface RfmSummary {
  segments: { segment: RfmSegment; guests: number; revenueMinor: number }[];
  /** Guests per R (rows, 5..1) × FM (columns, 1..5): the console's grid. */
  grid: { r: number; fm: number; segment: RfmSegment; guests: number; revenueMinor: number }[];
  buyers: number;
}

export function summarizeRfm(cells: RfmCell[]): RfmSummary {
  const seg = new Map<RfmSegment, { guests: number; revenueMinor: number }>(RFM_SEGMENTS.map((s) => [s, { guests: 0, revenueMinor: 0 }]));
  const grid = new Map<string, { r: number; fm: number; segment: RfmSegment; guests: number; revenueMinor: number }>();
  for (let r = 5; r >= 1; r--) for (let fm = 1; fm <= 5; fm++) grid.set(`${r}${fm}`, { r, fm, segment: RFM_GRID[r]![fm - 1]!, guests: 0, revenueMinor: 0 });
  let buyers = 0;
  for (const c of cells) {
    const s = seg.get(segmentOf(c.r, c.f, c.m))!;
    s.guests += c.guests;
    s.revenueMinor += c.revenueMinor;
    const g = grid.get(`${c.r}${fmScore(c.f, c.m)}`)!;
    g.guests += c.guests;
    g.revenueMinor += c.revenueMinor;
    buyers += c.guests;
  }
  return { segments: RFM_SEGMENTS.map((segment) => ({ segment, ...seg.get(segment)! })), grid: [...grid.values()], buyers };
}
