/**
 * The console's Home: "is it working?" figures for the last seven days beside the seven before.
 * Pure helpers (no I/O): the periods in the business's calendar and the comparison of two figures.
 */

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of an instant in a time zone. */
export function localDay(timeZone: string, at: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** A calendar day moved by `n` days (`2026-03-01` − 1 = `2026-02-28`). */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

export interface HomePeriods {
  /** This period: the last seven business-local days, today included. */
  from: string;
  to: string;
  /** The same seven weekdays one week earlier. */
  previousFrom: string;
  previousTo: string;
}

export function homePeriods(timeZone: string, now: Date): HomePeriods {
  const to = localDay(timeZone, now);
  return { from: addDays(to, -6), to, previousFrom: addDays(to, -13), previousTo: addDays(to, -7) };
}

/** A figure now and a week ago; `changeBp` is the change in basis points of the old value (null when it was 0). */
export interface Compared {
  value: number;
  previous: number;
  changeBp: number | null;
}

export function compared(value: number, previous: number): Compared {
  return { value, previous, changeBp: previous === 0 ? null : Math.round(((value - previous) * 10_000) / Math.abs(previous)) };
}

/** Share `part / whole` in basis points (0 when there is no whole). */
export const shareBp = (part: number, whole: number): number => (whole > 0 ? Math.round((part * 10_000) / whole) : 0);

/** Points as money: Σ points × the program's minor units per point (bonus programs only carry points). */
export function pointsAsMoney(perProgram: { points: number; pointValueMinor: number }[]): number {
  return perProgram.reduce((s, p) => s + p.points * p.pointValueMinor, 0);
}

/** Minutes the zone is ahead of UTC at an instant (Moscow: 180). */
export function zoneOffsetMinutes(timeZone: string, at: Date): number {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(at)
      .map((x) => [x.type, x.value]),
  );
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return Math.round((asUtc - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
}

/** The instant a business-local day starts. */
export function dayStart(timeZone: string, day: string): Date {
  const guess = Date.parse(`${day}T00:00:00Z`);
  let at = guess - zoneOffsetMinutes(timeZone, new Date(guess)) * 60_000;
  at = guess - zoneOffsetMinutes(timeZone, new Date(at)) * 60_000;
  return new Date(at);
}
