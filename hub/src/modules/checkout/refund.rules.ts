import type { Decision, DecisionLine, Refusal } from './checkout.rules';
import { mulDiv, refuse } from './checkout.rules';

/*
 * Refunds reverse a checkout, whole or in part (DESIGN §5). Amounts are measured against the
 * *paid total* of the original purchase: the basket total after the loyalty discounts
 * (`totalMinor − discountMinor`), i.e. what the POS's receipt showed, whichever way it was paid
 * (money, points or certificate). The plan says how much of each effect goes back:
 * redeemed points returned to the guest, accrued points taken back, certificate money returned,
 * stamps taken back, and the money the guest gets back.
 *
 * Cumulative refunds never give back more than was taken; the refund that completes the purchase
 * (`final`) returns exactly what is left, remainders included.
 */

/** What `planRefund` needs of the original decision (a stored `Decision` fits). */
export type RefundOriginal = Pick<
  Decision,
  'totalMinor' | 'discountMinor' | 'payableMinor' | 'pointsRedeemed' | 'pointsAccrued' | 'giftSpentMinor' | 'stampsAdded'
> & {
  lines: readonly Pick<DecisionLine, 'sku' | 'qty' | 'amountMinor' | 'discountMinor' | 'pointsValueMinor' | 'accruedPoints'>[];
};

/** A quantity of one SKU. */
export interface SkuQty {
  sku: string;
  qty: number;
}

/** Sums of the earlier refunds of the same purchase (all zero for the first refund). */
export interface RefundedSoFar {
  /** Paid amount refunded so far (sum of the plans' `amountMinor`). */
  amountMinor: number;
  pointsReturned: number;
  pointsReversed: number;
  giftReturnedMinor: number;
  /** Required like the others: a missing sum would make the next plan give the same money back again. */
  payableReturnedMinor: number;
  stampsReversed: number;
  /**
   * Units refunded so far by line refunds. Pass it to make line refunds exact (a line refunded
   * unit by unit then adds up to the line) and to refuse refunding a unit twice.
   */
  lines?: readonly SkuQty[];
}

/**
 * What to refund: everything left, a paid amount (minor units, of the paid total), or units of
 * lines by SKU.
 */
export type RefundRequest = { full: true } | { amountMinor: number } | { lines: readonly SkuQty[] };

/** What this refund gives back and takes back. Add each figure to `RefundedSoFar` once committed. */
export interface RefundPlan {
  /** Paid amount refunded now. */
  amountMinor: number;
  /** Money back to the guest (the part of the refund paid in money). */
  payableReturnedMinor: number;
  /** Redeemed points given back to the guest. */
  pointsReturned: number;
  /** Accrued points taken back. */
  pointsReversed: number;
  giftReturnedMinor: number;
  stampsReversed: number;
  /** Whether this refund completes the purchase: everything left has been returned. */
  final: boolean;
  /** Units refunded now (line refunds only). */
  lines: SkuQty[];
}

export const REFUND_REFUSAL_CODES = ['invalid_amount', 'refund_exceeds_remaining', 'refund_line_not_found'] as const;
export type RefundRefusalCode = (typeof REFUND_REFUSAL_CODES)[number];
export type RefundResult = { ok: true; plan: RefundPlan } | Refusal<RefundRefusalCode>;

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
const clamp = (x: number, hi: number) => Math.max(0, Math.min(x, hi));
const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);
/** `floor(v × to / q) − floor(v × from / q)`: the part of `v` for units `from..to` of `q`; exact when summed to `q`. */
const slice = (v: number, q: number, from: number, to: number) => mulDiv(v, to, q) - mulDiv(v, from, q);

/**
 * Plans a (partial) refund of a purchase.
 *
 * - `{ full: true }` returns everything not yet returned;
 * - `{ amountMinor }` returns a share of each effect in proportion to the cumulative paid amount
 *   refunded (rounded down; the refund reaching the paid total is `final` and exact);
 * - `{ lines }` returns each line's own effects (points paid on it, points earned on it), so
 *   refunding a line that earned nothing takes nothing back; certificate and money shares follow
 *   the lines' paid amounts.
 *
 * Refusals: `invalid_amount` (negative, fractional or zero amount/qty), `refund_exceeds_remaining`
 * (more than is left to refund, or a purchase already refunded in full), `refund_line_not_found`.
 *
 * @example planRefund(decision, { amountMinor: 0, pointsReturned: 0, pointsReversed: 0, giftReturnedMinor: 0, payableReturnedMinor: 0, stampsReversed: 0 }, { amountMinor: 30000 })
 */
export function planRefund(original: RefundOriginal, already: RefundedSoFar, request: RefundRequest): RefundResult {
  const invalid = checkCounts(original, already);
  if (invalid) return invalid;

  const paidTotal = original.totalMinor - original.discountMinor;
  const soFar = already.amountMinor;
  if (paidTotal < 0 || soFar > paidTotal) {
    return refuse('refund_exceeds_remaining', 'More has been refunded than was paid', { paidTotalMinor: paidTotal, refundedMinor: soFar });
  }
  const remaining = paidTotal - soFar;

  const measures = {
    payableReturnedMinor: [original.payableMinor, already.payableReturnedMinor],
    pointsReturned: [original.pointsRedeemed, already.pointsReturned],
    pointsReversed: [original.pointsAccrued, already.pointsReversed],
    giftReturnedMinor: [original.giftSpentMinor, already.giftReturnedMinor],
    stampsReversed: [original.stampsAdded, already.stampsReversed],
  } as const;
  type Measure = keyof typeof measures;
  const left = (m: Measure) => Math.max(0, measures[m][0] - measures[m][1]);
  const plan = (amountMinor: number, final: boolean, take: (m: Measure) => number, lines: SkuQty[] = []): RefundResult => {
    const pick = (m: Measure) => (final ? left(m) : clamp(take(m), left(m)));
    return {
      ok: true,
      plan: {
        amountMinor,
        payableReturnedMinor: pick('payableReturnedMinor'),
        pointsReturned: pick('pointsReturned'),
        pointsReversed: pick('pointsReversed'),
        giftReturnedMinor: pick('giftReturnedMinor'),
        stampsReversed: pick('stampsReversed'),
        final,
        lines,
      },
    };
  };

  if ('full' in request) {
    if (request.full !== true) return refuse('invalid_amount', 'A full refund is asked with full: true');
    if (paidTotal > 0 && remaining === 0)
      return refuse('refund_exceeds_remaining', 'This purchase has already been refunded in full', { paidTotalMinor: paidTotal });
    return plan(remaining, true, () => 0);
  }

  if ('amountMinor' in request) {
    const a = request.amountMinor;
    if (!isCount(a) || a === 0) return refuse('invalid_amount', 'A refund amount is a whole, positive number of minor units', { amountMinor: a });
    if (a > remaining) {
      return refuse('refund_exceeds_remaining', 'The refund is more than is left to refund on this purchase', { requestedMinor: a, remainingMinor: remaining });
    }
    const cum = soFar + a;
    // Cumulative targets: rounding of earlier refunds is made up by later ones.
    return plan(a, cum === paidTotal, (m) => mulDiv(measures[m][0], cum, paidTotal) - measures[m][1]);
  }

  return planLines(original, already, request.lines, remaining, plan);
}

type PlanFn = (amountMinor: number, final: boolean, take: (m: MeasureName) => number, lines?: SkuQty[]) => RefundResult;
type MeasureName = 'payableReturnedMinor' | 'pointsReturned' | 'pointsReversed' | 'giftReturnedMinor' | 'stampsReversed';

function planLines(original: RefundOriginal, already: RefundedSoFar, asked: readonly SkuQty[], remaining: number, plan: PlanFn): RefundResult {
  if (!Array.isArray(asked) || asked.length === 0) return refuse('invalid_amount', 'Name at least one line to refund');
  const want = new Map<string, number>();
  for (const l of asked) {
    if (!isCount(l.qty) || l.qty === 0) return refuse('invalid_amount', 'A refunded quantity is a whole, positive number', { sku: l.sku, qty: l.qty });
    want.set(l.sku, (want.get(l.sku) ?? 0) + l.qty);
  }
  const before = new Map<string, number>();
  for (const l of already.lines ?? []) {
    if (!isCount(l.qty)) return refuse('invalid_amount', 'Refunded quantities are whole numbers', { sku: l.sku, qty: l.qty });
    before.set(l.sku, (before.get(l.sku) ?? 0) + l.qty);
  }

  const lines = original.lines;
  let paid = 0;
  let pointsValue = 0;
  let accrued = 0;
  for (const [sku, qty] of want) {
    const idx = lines.map((l, i) => (l.sku === sku ? i : -1)).filter((i) => i >= 0);
    if (idx.length === 0) return refuse('refund_line_not_found', `Item ${sku} is not on this purchase`, { sku });
    const capacity = sum(idx.map((i) => lines[i].qty));
    const prev = before.get(sku) ?? 0;
    if (prev + qty > capacity) {
      return refuse('refund_exceeds_remaining', `Only ${Math.max(0, capacity - prev)} of item ${sku} are left to refund`, {
        sku,
        requested: qty,
        remainingQty: Math.max(0, capacity - prev),
      });
    }
    // Earlier units fill the lines of this SKU in order; the new units follow them.
    let skip = prev;
    let take = qty;
    for (const i of idx) {
      const l = lines[i];
      const from = Math.min(skip, l.qty);
      skip -= from;
      const n = Math.min(take, l.qty - from);
      take -= n;
      if (n === 0) continue;
      paid += slice(l.amountMinor - l.discountMinor, l.qty, from, from + n);
      pointsValue += slice(l.pointsValueMinor, l.qty, from, from + n);
      accrued += slice(l.accruedPoints, l.qty, from, from + n);
    }
  }
  if (paid > remaining) {
    return refuse('refund_exceeds_remaining', 'The refund is more than is left to refund on this purchase', {
      requestedMinor: paid,
      remainingMinor: remaining,
    });
  }

  const tracked = already.lines !== undefined;
  const allUnits = lines.every((l) => {
    const units = sum(lines.filter((x) => x.sku === l.sku).map((x) => x.qty));
    return (tracked ? (before.get(l.sku) ?? 0) : 0) + (want.get(l.sku) ?? 0) === units;
  });
  const paidTotal = original.totalMinor - original.discountMinor;
  const final = allUnits || (paidTotal > 0 && already.amountMinor + paid === paidTotal);

  const pointsValueTotal = sum(lines.map((l) => l.pointsValueMinor));
  const nonPointsTotal = paidTotal - pointsValueTotal;
  const nonPoints = paid - pointsValue;
  const share = (q: number, part: number, whole: number) => (whole > 0 ? mulDiv(q, Math.max(0, part), whole) : 0);
  const take = (m: MeasureName): number => {
    switch (m) {
      case 'pointsReturned':
        return share(original.pointsRedeemed, pointsValue, pointsValueTotal);
      case 'pointsReversed':
        return accrued;
      case 'giftReturnedMinor':
        return share(original.giftSpentMinor, nonPoints, nonPointsTotal);
      case 'payableReturnedMinor':
        return share(original.payableMinor, nonPoints, nonPointsTotal);
      case 'stampsReversed':
        return share(original.stampsAdded, paid, paidTotal);
    }
  };
  return plan(
    paid,
    final,
    take,
    [...want].map(([sku, qty]) => ({ sku, qty })),
  );
}

function checkCounts(original: RefundOriginal, already: RefundedSoFar): Refusal<RefundRefusalCode> | null {
  const figures: Record<string, unknown> = {
    totalMinor: original.totalMinor,
    discountMinor: original.discountMinor,
    payableMinor: original.payableMinor,
    pointsRedeemed: original.pointsRedeemed,
    pointsAccrued: original.pointsAccrued,
    giftSpentMinor: original.giftSpentMinor,
    stampsAdded: original.stampsAdded,
    'refunded.amountMinor': already.amountMinor,
    'refunded.pointsReturned': already.pointsReturned,
    'refunded.pointsReversed': already.pointsReversed,
    'refunded.giftReturnedMinor': already.giftReturnedMinor,
    'refunded.payableReturnedMinor': already.payableReturnedMinor,
    'refunded.stampsReversed': already.stampsReversed,
  };
  for (const [field, value] of Object.entries(figures)) {
    if (!isCount(value)) return refuse('invalid_amount', 'Amounts must be whole, non-negative numbers', { field, value });
  }
  for (const [i, l] of original.lines.entries()) {
    for (const k of ['qty', 'amountMinor', 'discountMinor', 'pointsValueMinor', 'accruedPoints'] as const) {
      if (!isCount(l[k])) return refuse('invalid_amount', 'Amounts must be whole, non-negative numbers', { field: `lines[${i}].${k}`, value: l[k] });
    }
    if (l.qty === 0 || l.discountMinor + l.pointsValueMinor > l.amountMinor) {
      return refuse('invalid_amount', 'The original purchase lines are not consistent', { field: `lines[${i}]` });
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Refund void (r_keeper chmode 4, "return rollback")
// ---------------------------------------------------------------------------------------------

/** What a committed refund did, as its row records it. */
export interface RefundDone {
  amountMinor: number;
  payableReturnedMinor: number;
  /** Redeemed points given back to the guest. */
  pointsReturned: number;
  /** Accrued points actually taken back. */
  pointsReversed: number;
  /** Accrued points the plan asked to take back but the guest had already spent. */
  pointsShortfall: number;
  giftReturnedMinor: number;
  /** Stamps actually taken back. */
  stampsReversed: number;
  /** Stamps the plan asked to take back but the card no longer had. */
  stampsShortfall: number;
}

/** What the card holds when the void runs (after the reversed accrual is credited back). */
export interface VoidCardState {
  /** Points usable now. */
  pointsUsable: number;
  giftBalanceMinor: number;
}

/** How to undo a refund: what moves on the card, and the purchase's refunded sums afterwards. */
export interface RefundVoidPlan {
  /** Points the refund gave back, taken from the guest again. */
  pointsTaken: number;
  /** Accrued points the refund took back, credited again. */
  pointsRestored: number;
  /** Certificate money the refund gave back, taken again. */
  giftTakenMinor: number;
  /** Stamps the refund took, given back. */
  stampsRestored: number;
  /** The purchase's refunded sums without this refund (as if it had never happened). */
  refundedAfter: Omit<RefundedSoFar, 'lines'>;
}

export const REFUND_VOID_REFUSAL_CODES = ['refund_void_insufficient_points', 'refund_void_insufficient_gift'] as const;
export type RefundVoidRefusalCode = (typeof REFUND_VOID_REFUSAL_CODES)[number];

/**
 * Plans the void of a refund: every effect of the refund reversed exactly, or a refusal — never a
 * partial undo, because the till prints the rollback receipt from the figures it gets back.
 *
 * - points the refund gave back to the guest are taken again; when the guest has spent them
 *   (`pointsUsable` is lower), the void is refused with `refund_void_insufficient_points`;
 * - certificate money given back is taken again, or `refund_void_insufficient_gift`;
 * - accrued points the refund took back are credited again (only those taken: the shortfall was
 *   never taken), and stamps it took are given back;
 * - the purchase's refunded sums lose this refund's figures, shortfalls included (the refund added
 *   the planned figures so later plans stay exact), so the purchase can be refunded again.
 *
 * `card` is null for a sale without a card (only the sums move).
 *
 * @example planRefundVoid({ amountMinor: 50000, payableReturnedMinor: 40000, pointsReturned: 100, pointsReversed: 20, … }, soFar, { pointsUsable: 300, giftBalanceMinor: 0 })
 * // → { ok: true, plan: { pointsTaken: 100, pointsRestored: 20, giftTakenMinor: 0, stampsRestored: 0, refundedAfter: … } }
 */
export function planRefundVoid(
  refund: RefundDone,
  soFar: Omit<RefundedSoFar, 'lines'>,
  card: VoidCardState | null,
): { ok: true; plan: RefundVoidPlan } | Refusal<RefundVoidRefusalCode> {
  if (card && refund.pointsReturned > card.pointsUsable) {
    return refuse('refund_void_insufficient_points', `The guest has already spent the points this refund gave back (needs ${refund.pointsReturned}, has ${card.pointsUsable})`, {
      pointsNeeded: refund.pointsReturned,
      pointsUsable: card.pointsUsable,
    });
  }
  if (card && refund.giftReturnedMinor > card.giftBalanceMinor) {
    return refuse('refund_void_insufficient_gift', 'The certificate money this refund gave back has already been spent', {
      giftNeededMinor: refund.giftReturnedMinor,
      giftBalanceMinor: card.giftBalanceMinor,
    });
  }
  const less = (a: number, b: number) => Math.max(0, a - b);
  return {
    ok: true,
    plan: {
      pointsTaken: card ? refund.pointsReturned : 0,
      pointsRestored: card ? refund.pointsReversed : 0,
      giftTakenMinor: card ? refund.giftReturnedMinor : 0,
      stampsRestored: card ? refund.stampsReversed : 0,
      refundedAfter: {
        amountMinor: less(soFar.amountMinor, refund.amountMinor),
        payableReturnedMinor: less(soFar.payableReturnedMinor, refund.payableReturnedMinor),
        pointsReturned: less(soFar.pointsReturned, refund.pointsReturned),
        pointsReversed: less(soFar.pointsReversed, refund.pointsReversed + refund.pointsShortfall),
        giftReturnedMinor: less(soFar.giftReturnedMinor, refund.giftReturnedMinor),
        stampsReversed: less(soFar.stampsReversed, refund.stampsReversed + refund.stampsShortfall),
      },
    },
  };
}
