import { refuse, type Refusal } from '../../shared/refusal';

/*
 * Point lots. Every accrual creates a lot (points, when they become usable, when they
 * expire); a redemption consumes lots, the soonest-expiring first, so points expire as late as
 * possible for the guest (Odoo's loyalty history works the same way). Pure functions: the
 * service loads the lots under the card lock and writes what these return.
 */

/** A lot of points as stored. `remaining` counts the points not yet consumed or expired. */
export interface PointLot {
  id: string;
  remaining: number;
  /** null: never expires. A lot is expired from this instant on. */
  expiresAt: Date | null;
  /** The lot is pending before this instant. */
  availableAt: Date;
}

/** Points taken from (or expired in) one lot. */
export interface LotAllocation {
  lotId: string;
  points: number;
}

export const LEDGER_REFUSAL_CODES = ['invalid_amount', 'insufficient_points'] as const;
export type LedgerRefusalCode = (typeof LEDGER_REFUSAL_CODES)[number];
export type FifoResult = { ok: true; allocations: LotAllocation[] } | Refusal<LedgerRefusalCode>;

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** Whether a lot can be spent at `now`: available, not expired, not empty. */
export function isUsable(lot: PointLot, now: Date): boolean {
  const t = now.getTime();
  return lot.remaining > 0 && lot.availableAt.getTime() <= t && (lot.expiresAt === null || lot.expiresAt.getTime() > t);
}

/**
 * The usable lots in spending order: soonest expiry first, lots that never expire last; then the
 * oldest (earliest available) first; then the input order.
 */
export function spendingOrder(lots: readonly PointLot[], now: Date): PointLot[] {
  return lots
    .map((lot, i) => ({ lot, i }))
    .filter(({ lot }) => isUsable(lot, now))
    .sort((a, b) => {
      const ea = a.lot.expiresAt?.getTime() ?? Infinity;
      const eb = b.lot.expiresAt?.getTime() ?? Infinity;
      if (ea !== eb) return ea < eb ? -1 : 1;
      const d = a.lot.availableAt.getTime() - b.lot.availableAt.getTime();
      return d !== 0 ? d : a.i - b.i;
    })
    .map(({ lot }) => lot);
}

/** Points usable at `now` (the card's `pointsAvailable` before holds). */
export function usablePoints(lots: readonly PointLot[], now: Date): number {
  return lots.filter((l) => isUsable(l, now)).reduce((s, l) => s + l.remaining, 0);
}

/**
 * Takes `points` from the usable lots in `spendingOrder`. The allocations sum to `points` exactly
 * and never take more than a lot's `remaining`.
 *
 * Refusals: `invalid_amount` (negative or fractional points, or a lot with such a balance),
 * `insufficient_points` (the usable lots hold fewer points).
 *
 * @example allocateFifo([{ id: 'a', remaining: 50, expiresAt: may1, availableAt: jan1 },
 *                        { id: 'b', remaining: 80, expiresAt: null, availableAt: jan1 }], 70, now)
 * // → { ok: true, allocations: [{ lotId: 'a', points: 50 }, { lotId: 'b', points: 20 }] }
 */
export function allocateFifo(lots: readonly PointLot[], points: number, now: Date): FifoResult {
  if (!isCount(points)) return refuse('invalid_amount', 'Points are whole, non-negative numbers', { points });
  const broken = lots.find((l) => !isCount(l.remaining));
  if (broken) return refuse('invalid_amount', 'A point lot has an invalid balance', { lotId: broken.id, remaining: broken.remaining });
  const ordered = spendingOrder(lots, now);
  const available = ordered.reduce((s, l) => s + l.remaining, 0);
  if (points > available) {
    return refuse('insufficient_points', `The card has only ${available} usable points (asked ${points})`, { requested: points, pointsAvailable: available });
  }
  const allocations: LotAllocation[] = [];
  let left = points;
  for (const lot of ordered) {
    if (left === 0) break;
    const take = Math.min(left, lot.remaining);
    allocations.push({ lotId: lot.id, points: take });
    left -= take;
  }
  return { ok: true, allocations };
}

/** The points to expire at `now`: the whole remainder of every lot whose expiry has come. */
export function expireLots(lots: readonly PointLot[], now: Date): LotAllocation[] {
  const t = now.getTime();
  return lots.filter((l) => l.remaining > 0 && l.expiresAt !== null && l.expiresAt.getTime() <= t).map((l) => ({ lotId: l.id, points: l.remaining }));
}
