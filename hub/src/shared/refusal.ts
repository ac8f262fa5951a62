/**
 * An expected business refusal from a pure rule: `code` is for machines (and maps to a 4xx problem),
 * `message` is for the cashier, `details` carries the figures (amounts in minor units, points).
 * Rules return it instead of throwing; the service turns it into a problem.
 */
export interface Refusal<C extends string = string> {
  ok: false;
  code: C;
  message: string;
  details?: Record<string, unknown>;
}

/** Builds a refusal. */
export function refuse<C extends string>(code: C, message: string, details?: Record<string, unknown>): Refusal<C> {
  return details ? { ok: false, code, message, details } : { ok: false, code, message };
}
