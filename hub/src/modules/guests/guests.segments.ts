import { z } from 'zod';
import type { FieldProblem } from '../../shared/errors';
import { RFM_SEGMENTS } from '../../shared/rfm';
import type { RowRef, SqlCondition } from '../../shared/sql';

/**
 * Guest segments: one filter over the guest base, shared by the console's client list, its count,
 * and (issues 08, 09, 18) triggers, exports and analytics. This file holds the zod schema and the
 * pure compile step (filter -> SQL conditions with bound parameters); the guests service applies the
 * conditions to a query builder. User values only ever travel as parameters.
 *
 * Dates are business-local calendar days: "registered on 2026-12-07" in Moscow starts at 21:00 UTC
 * the day before. Age and birthdays are compared as `YYYY-MM-DD` / `MM-DD` strings, so the same
 * SQL runs on SQLite and MariaDB and can use an index.
 */

/** A comma-separated value (`level=gold,silver`) or a repeated parameter (`level=gold&level=silver`). */
function list<T extends z.ZodType<unknown, string>>(item: T, max = 50) {
  return z
    .union([z.string().max(4000), z.array(z.string().max(200)).max(max)])
    .transform((v) => {
      const items = (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean);
      // An empty parameter (`source=`, as a cleared form field sends it) filters nothing.
      return items.length ? items : undefined;
    })
    .pipe(z.array(item).max(max).optional())
    .optional();
}

/** UTM values are matched without regard to letter case (`VK` = `vk`) on every database: both sides lower-cased. */
const utmValue = z
  .string()
  .max(100)
  .transform((s) => s.toLowerCase());
const count = (max: number) => z.coerce.number().int().min(0).max(max);
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** A day of the year without the year: `12-28`. February 29 is a valid day. */
export const monthDay = z
  .string()
  .regex(/^\d{2}-\d{2}$/, 'A day as MM-DD, e.g. 12-28')
  .refine((s) => {
    const [m, d] = s.split('-').map(Number) as [number, number];
    return m >= 1 && m <= 12 && d >= 1 && d <= MONTH_DAYS[m - 1]!;
  }, 'Not a day of the year');

export const BIRTHDAY_WINDOWS = ['today', 'this_week', 'this_month', 'next_7_days', 'next_30_days'] as const;
export type BirthdayWindow = (typeof BIRTHDAY_WINDOWS)[number];

/**
 * The segment filter, as query parameters. Every field narrows the segment (AND); list fields match
 * any of their values (OR). Days are `YYYY-MM-DD` in the business's time zone.
 */
export const segmentFields = {
  programId: list(z.uuid()).describe('Holds a card (not deleted) of one of these programs; comma-separated'),
  level: list(z.string().max(32)).describe('Holds a card at one of these level codes (with programId: in those programs); comma-separated'),
  gender: list(z.enum(['male', 'female', 'unknown'])).describe('male, female, unknown (not given); comma-separated'),
  ageFrom: count(150).optional().describe('Age in full years at least this (guests without a birthday are left out)'),
  ageTo: count(150).optional().describe('Age in full years at most this'),
  birthdayIn: z.enum(BIRTHDAY_WINDOWS).optional().describe('Birthday falls in this window, counted in the business time zone (a week runs Monday to Sunday)'),
  birthdayFrom: monthDay.optional().describe('Birthday from this day of the year (MM-DD), with birthdayTo; Dec 28 to Jan 5 wraps the new year'),
  birthdayTo: monthDay.optional().describe('Birthday up to this day of the year (MM-DD), inclusive'),
  source: list(z.string().max(40)).describe('Where the guest came from: pos, form, console, import, referral or a connector id; comma-separated'),
  utmSource: list(utmValue).describe('utm_source of the registration link, any letter case; comma-separated'),
  utmCampaign: list(utmValue).describe('utm_campaign of the registration link, any letter case; comma-separated'),
  visitsMin: count(1_000_000_000).optional().describe('At least this many purchases'),
  visitsMax: count(1_000_000_000).optional().describe('At most this many purchases'),
  spendMinMinor: count(Number.MAX_SAFE_INTEGER).optional().describe('Total spend at least this, in minor units'),
  spendMaxMinor: count(Number.MAX_SAFE_INTEGER).optional().describe('Total spend at most this, in minor units'),
  lastPurchaseAfter: z.iso.date().optional().describe('Last purchase on or after this day'),
  lastPurchaseBefore: z.iso.date().optional().describe('Last purchase before this day (the day itself excluded)'),
  notBackDays: z.coerce.number().int().min(1).max(3650).optional().describe('Bought before, but not in the last N days (today included)'),
  registeredFrom: z.iso.date().optional().describe('Registered on or after this day'),
  registeredTo: z.iso.date().optional().describe('Registered on or before this day'),
  walletInstalled: z.stringbool().optional().describe('true: a card of the guest is installed in a wallet; false: none is'),
  blacklisted: z.stringbool().optional().describe("true: the guest's phone is blacklisted; false: it is not"),
  consent: z.stringbool().optional().describe('Marketing consent given (true) or not (false)'),
  rfm: list(z.enum(RFM_SEGMENTS)).describe(`RFM segment by the last computed scores (analytics): ${RFM_SEGMENTS.join(', ')}; comma-separated`),
};

export const segmentFilter = z.strictObject(segmentFields);
export type SegmentFilter = z.infer<typeof segmentFilter>;
/** The names of the filter fields (a request's other parameters are not part of the segment). */
export const SEGMENT_KEYS = Object.keys(segmentFields) as (keyof SegmentFilter)[];

/** Picks the segment fields out of a parsed query that carries others too (q, status, limit…). */
export function segmentOf(query: Record<string, unknown>): SegmentFilter {
  const out: Record<string, unknown> = {};
  for (const k of SEGMENT_KEYS) if (query[k] !== undefined) out[k] = query[k];
  return out as SegmentFilter;
}

/**
 * Fields that contradict each other (an empty range, two birthday windows, half a window). These
 * are well-formed but cannot mean what the owner wanted, so the request is refused (422).
 */
export function segmentProblems(f: SegmentFilter): FieldProblem[] {
  const out: FieldProblem[] = [];
  const range = <T extends string | number>(lo: T | undefined, hi: T | undefined, field: string, message: string) => {
    if (lo !== undefined && hi !== undefined && lo > hi) out.push({ field, message });
  };
  range(f.ageFrom, f.ageTo, 'ageTo', 'Must not be less than ageFrom');
  range(f.visitsMin, f.visitsMax, 'visitsMax', 'Must not be less than visitsMin');
  range(f.spendMinMinor, f.spendMaxMinor, 'spendMaxMinor', 'Must not be less than spendMinMinor');
  range(f.registeredFrom, f.registeredTo, 'registeredTo', 'Must not be before registeredFrom');
  if (f.lastPurchaseAfter !== undefined && f.lastPurchaseBefore !== undefined && f.lastPurchaseAfter >= f.lastPurchaseBefore)
    out.push({ field: 'lastPurchaseBefore', message: 'Must be after lastPurchaseAfter' });
  if ((f.birthdayFrom === undefined) !== (f.birthdayTo === undefined))
    out.push({ field: f.birthdayFrom === undefined ? 'birthdayFrom' : 'birthdayTo', message: 'birthdayFrom and birthdayTo go together' });
  if (f.birthdayIn !== undefined && (f.birthdayFrom !== undefined || f.birthdayTo !== undefined))
    out.push({ field: 'birthdayIn', message: 'Give either birthdayIn or birthdayFrom/birthdayTo, not both' });
  return out;
}

// ---------- calendar arithmetic (pure; days as YYYY-MM-DD strings) ----------

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const ymd = (y: number, m: number, d: number) => `${pad(y, 4)}-${pad(m)}-${pad(d)}`;
const parts = (day: string) => day.split('-').map(Number) as [number, number, number];
export const isLeapYear = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysInMonth = (y: number, m: number) => (m === 2 && !isLeapYear(y) ? 28 : MONTH_DAYS[m - 1]!);

/** The calendar day of an instant in a time zone. */
export function dayIn(timeZone: string, at: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

export function addDays(day: string, n: number): string {
  const [y, m, d] = parts(day);
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return ymd(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

/** The same day n years earlier; February 29 becomes February 28 in a common year. */
export function minusYears(day: string, n: number): string {
  const [y, m, d] = parts(day);
  return ymd(y - n, m, Math.min(d, daysInMonth(y - n, m)));
}

/** Milliseconds the zone is ahead of UTC at an instant. */
function offsetAt(timeZone: string, at: number): number {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const p = Object.fromEntries(f.formatToParts(new Date(at)).map((x) => [x.type, x.value]));
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return asUtc - Math.floor(at / 1000) * 1000;
}

/** The instant a business-local day starts (DST-aware: the offset is taken at that instant). */
export function startOfDay(day: string, timeZone: string): Date {
  const [y, m, d] = parts(day);
  const naive = Date.UTC(y, m - 1, d);
  let t = naive - offsetAt(timeZone, naive);
  t = naive - offsetAt(timeZone, t);
  return new Date(t);
}

/**
 * The `MM-DD` range (inclusive; `from > to` wraps the new year) of a birthday window around
 * `today`. In a common year a window ending on February 28 also takes February 29, so guests born
 * on a leap day are congratulated once a year.
 */
export function birthdayRange(window: BirthdayWindow, today: string): { from: string; to: string } {
  const [y, m] = parts(today);
  let first = today;
  let last = today;
  switch (window) {
    case 'today':
      break;
    case 'this_week': {
      const dow = (new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7; // Monday = 0
      first = addDays(today, -dow);
      last = addDays(first, 6);
      break;
    }
    case 'this_month':
      first = ymd(y, m, 1);
      last = ymd(y, m, daysInMonth(y, m));
      break;
    case 'next_7_days':
      last = addDays(today, 6);
      break;
    case 'next_30_days':
      last = addDays(today, 29);
      break;
  }
  const md = (day: string) => day.slice(5);
  const [ly] = parts(last);
  return { from: md(first), to: md(last) === '02-28' && !isLeapYear(ly) ? '02-29' : md(last) };
}

// ---------- compile ----------

// SqlCondition and RowRef are shared types (cards and wallet build conditions over their own tables).
export type { RowRef, SqlCondition };

/**
 * What the segment needs from modules that own other tables. Each returns a condition over the
 * given outer row; `key` makes its parameter names unique within one query.
 */
export interface SegmentSources {
  /** The guest holds a card (not deleted) matching; `also` adds a condition over that card. */
  cards(guest: RowRef, f: { programIds?: string[]; levelCodes?: string[]; also?: (card: RowRef) => SqlCondition }, key: string): SqlCondition;
  /** The card is installed in a wallet (wallet module). */
  walletInstalled(card: RowRef, key: string): SqlCondition;
}

/** `alias` is the guests table's alias in the outer query. */
export interface CompileOptions {
  alias: string;
  now: Date;
  timeZone: string;
  sources: SegmentSources;
  /** The RFM condition of the business (analytics module), over the guests row's columns. */
  rfm?: (column: (name: string) => string, segments: string[]) => SqlCondition;
}

/**
 * Compiles a (checked) filter into conditions to AND onto a query of the guests table. Parameter
 * names start with `sg_`; values are bound, never spliced into the SQL text.
 */
export function compileSegment(f: SegmentFilter, o: CompileOptions): SqlCondition[] {
  const g = (col: string) => `${o.alias}.${col}`;
  const out: SqlCondition[] = [];
  const add = (sql: string, params: Record<string, unknown> = {}) => out.push({ sql, params });
  const today = dayIn(o.timeZone, o.now);
  const guest: RowRef = { id: g('id'), businessId: g('businessId') };

  if (f.programId || f.level) out.push(o.sources.cards(guest, { programIds: f.programId, levelCodes: f.level }, 'sg_c'));
  if (f.walletInstalled !== undefined) {
    const c = o.sources.cards(guest, { also: (card) => o.sources.walletInstalled(card, 'sg_w') }, 'sg_wc');
    out.push(f.walletInstalled ? c : { sql: `NOT ${c.sql}`, params: c.params });
  }
  if (f.gender) {
    const known = f.gender.filter((x) => x !== 'unknown');
    const parts: string[] = [];
    if (known.length) parts.push(`${g('gender')} IN (:...sg_gender)`);
    if (f.gender.includes('unknown')) parts.push(`${g('gender')} IS NULL`);
    add(`(${parts.join(' OR ')})`, known.length ? { sg_gender: known } : {});
  }
  // Age in full years >= a  <=>  born on or before today minus a years.
  if (f.ageFrom !== undefined) add(`${g('birthday')} <= :sg_bornBy`, { sg_bornBy: minusYears(today, f.ageFrom) });
  if (f.ageTo !== undefined) add(`${g('birthday')} > :sg_bornAfter`, { sg_bornAfter: minusYears(today, f.ageTo + 1) });
  const bday = f.birthdayIn ? birthdayRange(f.birthdayIn, today) : f.birthdayFrom && f.birthdayTo ? { from: f.birthdayFrom, to: f.birthdayTo } : null;
  if (bday) {
    const md = g('birthdayMd');
    if (bday.from <= bday.to) add(`${md} BETWEEN :sg_bdFrom AND :sg_bdTo`, { sg_bdFrom: bday.from, sg_bdTo: bday.to });
    else add(`(${md} >= :sg_bdFrom OR ${md} <= :sg_bdTo)`, { sg_bdFrom: bday.from, sg_bdTo: bday.to });
  }
  if (f.source) add(`${g('source')} IN (:...sg_source)`, { sg_source: f.source });
  if (f.utmSource) add(`${g('utmSource')} IN (:...sg_utmSource)`, { sg_utmSource: f.utmSource });
  if (f.utmCampaign) add(`${g('utmCampaign')} IN (:...sg_utmCampaign)`, { sg_utmCampaign: f.utmCampaign });
  if (f.visitsMin !== undefined) add(`${g('visits')} >= :sg_visitsMin`, { sg_visitsMin: f.visitsMin });
  if (f.visitsMax !== undefined) add(`${g('visits')} <= :sg_visitsMax`, { sg_visitsMax: f.visitsMax });
  if (f.spendMinMinor !== undefined) add(`${g('spendMinor')} >= :sg_spendMin`, { sg_spendMin: f.spendMinMinor });
  if (f.spendMaxMinor !== undefined) add(`${g('spendMinor')} <= :sg_spendMax`, { sg_spendMax: f.spendMaxMinor });
  if (f.lastPurchaseAfter) add(`${g('lastPurchaseAt')} >= :sg_lastAfter`, { sg_lastAfter: startOfDay(f.lastPurchaseAfter, o.timeZone) });
  if (f.lastPurchaseBefore) add(`${g('lastPurchaseAt')} < :sg_lastBefore`, { sg_lastBefore: startOfDay(f.lastPurchaseBefore, o.timeZone) });
  // "Not back for 30 days": nothing bought today nor on the 29 days before.
  if (f.notBackDays !== undefined) add(`${g('lastPurchaseAt')} < :sg_notBack`, { sg_notBack: startOfDay(addDays(today, -(f.notBackDays - 1)), o.timeZone) });
  if (f.registeredFrom) add(`${g('createdAt')} >= :sg_regFrom`, { sg_regFrom: startOfDay(f.registeredFrom, o.timeZone) });
  if (f.registeredTo) add(`${g('createdAt')} < :sg_regTo`, { sg_regTo: startOfDay(addDays(f.registeredTo, 1), o.timeZone) });
  if (f.blacklisted !== undefined) {
    // The blacklist is the guests module's own table.
    const sql = `EXISTS (SELECT 1 FROM blacklist sg_bl WHERE sg_bl.businessId = ${g('businessId')} AND sg_bl.phone = ${g('phone')})`;
    add(f.blacklisted ? sql : `NOT ${sql}`);
  }
  if (f.consent !== undefined) add(`${g('marketingConsent')} = :sg_consent`, { sg_consent: f.consent });
  if (f.rfm) {
    if (!o.rfm) throw new Error('RFM segments are not wired (CompileOptions.rfm)');
    out.push(o.rfm(g, f.rfm));
  }
  return out;
}

/** `MM-DD` of a `YYYY-MM-DD` birthday: the indexed column birthday windows compare. */
export const birthdayMonthDay = (birthday: string | null | undefined): string | null =>
  birthday && /^\d{4}-\d{2}-\d{2}$/.test(birthday) ? birthday.slice(5) : null;

/** The UTM values kept in their own (indexed) columns: trimmed, lower-cased, cut to the columns' width. */
export function utmColumns(utm: Record<string, string> | null | undefined): { utmSource: string | null; utmCampaign: string | null } {
  const cut = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim().toLowerCase().slice(0, 100) : null);
  return { utmSource: cut(utm?.source), utmCampaign: cut(utm?.campaign) };
}
