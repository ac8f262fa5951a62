/**
 * Retry policy (pure): when to try again and what an answer means. Standard Webhooks' example
 * schedule: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h (≈ 3 days).
 */
const S = 1000;
const M = 60 * S;
const H = 60 * M;

/** Delay before attempt n+1 (index n-1 = after the n-th attempt); attempt 1 is immediate. */
export const DEFAULT_SCHEDULE_MS: readonly number[] = [5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 14 * H, 20 * H, 24 * H];

/** A 2xx within this time is success. */
export const DELIVERY_TIMEOUT_MS = 15 * S;

const MAX_RETRY_AFTER_MS = 24 * H;

/** What came back from one attempt (see transport/deliver). */
export type AttemptResult =
  | { kind: 'response'; status: number; retryAfter?: string; location?: string; durationMs: number }
  | { kind: 'error'; code: 'timeout' | 'refused_address' | 'dns' | 'network' | 'bad_url'; error: string; durationMs: number };

/** What the engine does next. */
export type Verdict =
  | { kind: 'delivered' }
  /** 410 Gone: the receiver asks us to stop; the endpoint is disabled. */
  | { kind: 'gone' }
  /** Try again, no sooner than `minDelayMs` (from Retry-After) when given. */
  | { kind: 'retry'; error: string; minDelayMs?: number };

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(v: string | undefined, nowMs: number): number | undefined {
  if (!v) return undefined;
  const t = v.trim();
  if (/^\d+$/.test(t)) return Math.min(Number(t) * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(t);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - nowMs), MAX_RETRY_AFTER_MS);
}

export function classify(r: AttemptResult, nowMs: number): Verdict {
  if (r.kind === 'error') return { kind: 'retry', error: r.error };
  const s = r.status;
  if (s >= 200 && s < 300) return { kind: 'delivered' };
  if (s === 410) return { kind: 'gone' };
  if (s >= 300 && s < 400) return { kind: 'retry', error: `HTTP ${s}: redirects are not followed${r.location ? ` (to ${r.location.slice(0, 200)})` : ''}` };
  const minDelayMs = s === 429 || s === 502 || s === 503 || s === 504 ? parseRetryAfter(r.retryAfter, nowMs) : undefined;
  return { kind: 'retry', error: `HTTP ${s}`, ...(minDelayMs !== undefined ? { minDelayMs } : {}) };
}

/**
 * The delay before the next attempt after `made` attempts of this round, with jitter (+0–20 %, so
 * never sooner than the schedule), stretched to honour Retry-After; undefined when the schedule is spent.
 */
export function nextDelay(made: number, schedule: readonly number[], random: () => number, minDelayMs?: number): number | undefined {
  const base = schedule[made - 1];
  if (base === undefined) return undefined;
  const jittered = Math.round(base * (1 + 0.2 * random()));
  return Math.max(jittered, minDelayMs ?? 0);
}
