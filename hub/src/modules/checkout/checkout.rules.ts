import type { CouponRules, ItemFilter, Level, ProgramKind, ProgramRules, RoundingMode } from '../programs/programs.schemas';
import type { Basket, BasketItem, CheckoutRequest } from './checkout.schemas';
import { MAX_BASKET_LINES } from './checkout.schemas';

/*
 * The pure rules of the checkout hot path (DESIGN §5): `quote` and `commit` both call `decide` on
 * the same inputs; `commit` runs it on the locked card state. No I/O, no clock: `now` is an input.
 */

// ---------------------------------------------------------------------------------------------
// Results and refusals
// ---------------------------------------------------------------------------------------------

import { refuse, type Refusal } from '../../shared/refusal';

// Refusals are a shared primitive (every module's rules return them); re-exported for the checkout's callers.
export { refuse, type Refusal };

/** Every code `decide` may refuse with. */
export const DECIDE_REFUSAL_CODES = [
  'invalid_amount',
  'invalid_basket',
  'card_required',
  'card_blocked',
  'card_deleted',
  'operation_not_supported',
  'below_min_check',
  'insufficient_points',
  'redeem_over_cap',
  'gift_expired',
  'insufficient_gift_balance',
  'gift_over_payable',
  'gift_partial_not_allowed',
  'coupon_not_found',
  'coupon_inactive',
  'coupon_expired',
  'coupon_not_yet_valid',
  'coupon_used_up',
  'coupon_guest_limit',
  'coupon_min_check',
  'coupon_not_applicable',
  'coupon_other_guest',
  'stamps_over_limit',
] as const;
export type RefusalCode = (typeof DECIDE_REFUSAL_CODES)[number];

// ---------------------------------------------------------------------------------------------
// Integer arithmetic
// ---------------------------------------------------------------------------------------------

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** Percent with up to two decimals → basis points (12.5 → 1250). */
export function toBasisPoints(percent: number): number {
  return Math.round(percent * 100);
}

/**
 * `a × b / c` rounded by `mode`, exact for any safe integers (BigInt inside).
 * @example mulDiv(999, 5, 100, 'floor') === 49; mulDiv(999, 5, 100, 'round') === 50
 */
export function mulDiv(a: number, b: number, c: number, mode: RoundingMode = 'floor'): number {
  if (c <= 0) throw new RangeError('mulDiv: divisor must be positive');
  const n = BigInt(a) * BigInt(b);
  const d = BigInt(c);
  let q = n / d;
  const r = n % d;
  if (r > 0n && (mode === 'ceil' || (mode === 'round' && 2n * r >= d))) q += 1n;
  return Number(q);
}

/**
 * Splits `total` across `weights` proportionally, in integers, by the largest-remainder method:
 * each part gets the floor of its exact share, and the leftover units go to the largest
 * fractional remainders (ties: the earlier index). The parts always sum to `total` exactly, and
 * when `total ≤ Σ weights` no part exceeds its weight. All weights zero: `total` must be 0.
 *
 * @example allocateProportionally(100, [1, 1, 1]) → [34, 33, 33]
 */
export function allocateProportionally(total: number, weights: readonly number[]): number[] {
  const sumW = weights.reduce((s, w) => s + BigInt(w), 0n);
  if (total === 0 || sumW === 0n) {
    if (total !== 0) throw new RangeError('allocateProportionally: cannot allocate over zero weights');
    return weights.map(() => 0);
  }
  const t = BigInt(total);
  const parts = weights.map((w) => (t * BigInt(w)) / sumW);
  const rems = weights.map((w, i) => ({ i, r: (t * BigInt(w)) % sumW }));
  let left = Number(t - parts.reduce((s, p) => s + p, 0n));
  rems.sort((x, y) => (x.r === y.r ? x.i - y.i : x.r > y.r ? -1 : 1));
  for (const { i } of rems) {
    if (left === 0) break;
    parts[i] += 1n;
    left--;
  }
  return parts.map(Number);
}

const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);
const DAY_MS = 86_400_000;

/** Whether a basket line is matched by a SKU/category filter. */
export function matchesFilter(filter: Pick<ItemFilter, 'skus' | 'categories'>, item: Pick<BasketItem, 'sku' | 'category'>): boolean {
  return filter.skus.includes(item.sku) || (item.category !== undefined && filter.categories.includes(item.category));
}

/** Coupon codes compare trimmed and upper-cased. */
export const normalizeCode = (code: string): string => code.trim().toUpperCase();

// ---------------------------------------------------------------------------------------------
// Inputs and the decision
// ---------------------------------------------------------------------------------------------

export type CardStatus = 'active' | 'blocked' | 'deleted';

/** The card as locked for the checkout. Balances are what is usable now. */
export interface CardState {
  status: CardStatus;
  /** The card holder (null for a bearer certificate); checked against personal coupons. */
  guestId?: string | null;
  levelCode: string | null;
  /** Points usable now: pending and held points excluded. */
  pointsAvailable: number;
  giftBalanceMinor: number;
  giftExpiresAt: Date | null;
  stamps: number;
}

/** `used`: no uses left (a spent single-use code); `revoked`: switched off by the business. */
export type CouponStatus = 'active' | 'used' | 'revoked';

/** A coupon looked up by the service from the request's code, with its use counters. */
export interface CouponState {
  code: string;
  /** The rules of the coupon's program. */
  rules: CouponRules;
  /** Uses of this code by anyone so far. */
  usesSoFar: number;
  /** Uses of this code (or of this coupon program, as the service counts) by this card's guest. */
  usesByThisGuest: number;
  status: CouponStatus;
  /** Per-code total uses, overriding the program's; null/absent: as the program allows. */
  maxUses?: number | null;
  /** Per-code validity, narrowing the program's window (`validTo` exclusive). */
  validFrom?: Date | null;
  validTo?: Date | null;
  /** A personal code (e.g. a stamp-card reward): only this guest's card may use it. */
  guestId?: string | null;
}

/** Everything `decide` needs; no DB types. */
export interface DecideInput {
  /**
   * Rules of the card's program. For a purchase without a card that only applies a coupon,
   * pass the coupon's program.
   */
  program: ProgramRules;
  /** The program's levels, as validated by `levelsSchema`. */
  levels: readonly Level[];
  /** The guest's card; null for an anonymous purchase. */
  card: CardState | null;
  basket: Basket;
  request: CheckoutRequest;
  /** The coupon matching `request.couponCode`; null/absent when none was found. */
  coupon?: CouponState | null;
  now: Date;
}

/** How one basket line was treated. Per-line figures sum to the decision's totals. */
export interface DecisionLine {
  sku: string;
  qty: number;
  amountMinor: number;
  /** Level discount + coupon discount on this line. */
  discountMinor: number;
  couponDiscountMinor: number;
  /** Part of the line paid by points, in minor units. */
  pointsValueMinor: number;
  /** Amount of the line that earns points. */
  accrualBaseMinor: number;
  accruedPoints: number;
}

/** The outcome of a checkout: what to charge, redeem, accrue and stamp. */
export interface Decision {
  kind: ProgramKind;
  /** Sum of the basket lines. */
  totalMinor: number;
  /** The level the card's rates came from (null: program base rates or no card). */
  levelCode: string | null;
  levelDiscountMinor: number;
  couponDiscountMinor: number;
  /** Level discount + coupon discount; never more than the total. */
  discountMinor: number;
  /** The applied coupon (normalized), or null. The service records one use of it. */
  couponCode: string | null;
  /** Total after discounts: what the guest spent (in money, points or certificate), for level metrics. */
  spendMinor: number;
  /** Minor units per point (bonus programs), else 0. */
  pointValueMinor: number;
  /** Most points the till may offer: min(balance, cap); 0 below the minimum check. */
  maxRedeemablePoints: number;
  /** `maxRedeemablePoints × pointValueMinor`: the most money points may pay for this basket. */
  maxRedeemValueMinor: number;
  pointsRedeemed: number;
  /** `pointsRedeemed × pointValueMinor`. */
  redeemValueMinor: number;
  giftSpentMinor: number;
  /** Certificate balance lost because the program forbids partial spending. */
  giftForfeitedMinor: number;
  /** Money left to pay: total − discounts − points value − certificate. */
  payableMinor: number;
  /** Accrual percent applied (0 when nothing is earned). */
  accrualPercent: number;
  pointsAccrued: number;
  /** When the accrued points become usable (null when none accrued). */
  accrualAvailableAt: Date | null;
  /** When the accrued lot expires (null: none accrued or no expiry). */
  accrualExpiresAt: Date | null;
  stampsAdded: number;
  /** Rewards completed by this purchase (a full card may complete several). */
  stampRewards: number;
  /** Stamps on the card after rewards are taken (the remainder). */
  stampsAfter: number;
  lines: DecisionLine[];
}

export type DecideResult = { ok: true; decision: Decision } | Refusal<RefusalCode>;

// ---------------------------------------------------------------------------------------------
// decide
// ---------------------------------------------------------------------------------------------

/**
 * Computes a checkout: level discount, coupon, points redemption, certificate payment, accrual
 * and stamps, each allocated to the basket lines. Pure and deterministic.
 *
 * Order: level discount → coupon (on what the level discount left) → points (capped by the
 * program's share of the eligible amount after discounts) → certificate (up to what is left).
 * Minimum-check rules compare with the basket total before any discount.
 *
 * A request the rules cannot honour exactly (more points than the balance or the cap, an expired
 * coupon…) is refused rather than trimmed, so the till never charges something else than it
 * asked for; `"max"` asks for as much as allowed and is never refused for its size, and
 * `redeemValueMinor` (money asked of points) is trimmed by `pointsForValue`, the decision's
 * `redeemValueMinor` saying what was taken.
 *
 * @example
 * decide({ program: bonus5pct, levels: [], card, basket, request: { redeemPoints: 'max' }, now })
 * // → { ok: true, decision: { pointsRedeemed: 120, payableMinor: 38000, pointsAccrued: 19, … } }
 */
export function decide(input: DecideInput): DecideResult {
  const invalid = checkInput(input);
  if (invalid) return invalid;
  const { program, card, basket, request, now } = input;

  if (card && card.status !== 'active') {
    return card.status === 'blocked'
      ? refuse('card_blocked', 'This card is blocked', { status: card.status })
      : refuse('card_deleted', 'This card has been deleted', { status: card.status });
  }

  const items = basket.items;
  const amounts = items.map((i) => i.amountMinor);
  const totalMinor = sum(amounts);
  const level = card?.levelCode != null ? (input.levels.find((l) => l.code === card.levelCode) ?? null) : null;

  // 1. Level (or base) discount: discount programs, card holders only.
  let levelDisc = amounts.map(() => 0);
  if (program.kind === 'discount' && card && totalMinor >= program.minCheckMinor) {
    const bp = toBasisPoints(level?.discountPercent ?? program.discountPercent);
    const eligible = items.map((it, i) => (matchesFilter(program.excluded, it) ? 0 : amounts[i]));
    levelDisc = allocateProportionally(mulDiv(sum(eligible), bp, 10_000), eligible);
  }
  const afterLevel = amounts.map((a, i) => a - levelDisc[i]);

  // 2. Coupon.
  const coupon = applyCoupon(input, totalMinor, afterLevel);
  if (!coupon.ok) return coupon;
  const couponDisc = coupon.perLine;
  const net = afterLevel.map((a, i) => a - couponDisc[i]);
  const levelDiscountMinor = sum(levelDisc);
  const couponDiscountMinor = sum(couponDisc);
  const discountMinor = levelDiscountMinor + couponDiscountMinor;

  // 3. Points.
  let pointsRedeemed = 0;
  let maxRedeemablePoints = 0;
  let pointValueMinor = 0;
  let pointsValue = amounts.map(() => 0);
  if (program.kind === 'bonus') {
    pointValueMinor = program.pointValueMinor;
    const minOk = totalMinor >= program.minCheckMinor;
    const ex = program.excluded;
    const redeemable = items.map((it, i) => (ex.noRedeem && matchesFilter(ex, it) ? 0 : net[i]));
    const capMinor = mulDiv(sum(redeemable), toBasisPoints(program.maxRedeemPercent), 10_000);
    const capPoints = Math.floor(capMinor / pointValueMinor);
    const balance = card?.pointsAvailable ?? 0;
    maxRedeemablePoints = card && minOk ? Math.min(balance, capPoints) : 0;
    const asked = request.redeemPoints;
    const askedValue = request.redeemValueMinor;
    if (askedValue !== undefined && askedValue > 0) {
      // Money asked of points is trimmed, not refused: the reply's redeemValueMinor is what was taken.
      if (!card) return refuse('card_required', 'Points can be redeemed only with a card', { requestedMinor: askedValue });
      pointsRedeemed = pointsForValue(askedValue, pointValueMinor, maxRedeemablePoints);
    } else if (asked === 'max') {
      pointsRedeemed = maxRedeemablePoints;
    } else if (asked !== undefined && asked > 0) {
      const figures = { requested: asked, pointsAvailable: balance, capPoints, maxRedeemablePoints };
      if (!card) return refuse('card_required', 'Points can be redeemed only with a card', figures);
      if (!minOk) {
        return refuse('below_min_check', 'The check is below the minimum for paying with points', {
          ...figures,
          totalMinor,
          minCheckMinor: program.minCheckMinor,
        });
      }
      if (asked > balance) return refuse('insufficient_points', `The card has only ${balance} points (asked ${asked})`, figures);
      if (asked > capPoints) {
        return refuse('redeem_over_cap', `At most ${capPoints} points can pay for this check (asked ${asked})`, figures);
      }
      pointsRedeemed = asked;
    }
    pointsValue = allocateProportionally(pointsRedeemed * pointValueMinor, redeemable);
  } else if ((typeof request.redeemPoints === 'number' && request.redeemPoints > 0) || (request.redeemValueMinor ?? 0) > 0) {
    return refuse('operation_not_supported', 'This card does not carry points', { kind: program.kind });
  }
  const redeemValueMinor = pointsRedeemed * pointValueMinor;

  // 4. Gift certificate.
  const payableBeforeGift = totalMinor - discountMinor - redeemValueMinor;
  let giftSpentMinor = 0;
  let giftForfeitedMinor = 0;
  const askedGift = request.giftAmountMinor;
  if (program.kind === 'gift') {
    const wants = askedGift === 'max' || (askedGift !== undefined && askedGift > 0);
    if (wants && !card && askedGift !== 'max') return refuse('card_required', 'A certificate can be used only with its card');
    if (wants && card) {
      const balance = card.giftBalanceMinor;
      if (card.giftExpiresAt && card.giftExpiresAt.getTime() <= now.getTime()) {
        return refuse('gift_expired', 'This certificate has expired', { expiresAt: card.giftExpiresAt.toISOString(), balanceMinor: balance });
      }
      const usable = Math.min(balance, payableBeforeGift);
      if (askedGift === 'max') {
        giftSpentMinor = usable;
      } else {
        const asked = askedGift as number;
        const figures = { requestedMinor: asked, balanceMinor: balance, payableMinor: payableBeforeGift };
        if (asked > balance) return refuse('insufficient_gift_balance', 'The certificate balance is lower than the amount asked', figures);
        if (asked > payableBeforeGift) return refuse('gift_over_payable', 'The amount asked is more than is left to pay', figures);
        if (!program.partialSpend && asked < usable) {
          return refuse('gift_partial_not_allowed', 'This certificate can only be used in full, in one purchase', { ...figures, usableMinor: usable });
        }
        giftSpentMinor = asked;
      }
      if (!program.partialSpend && giftSpentMinor > 0) giftForfeitedMinor = balance - giftSpentMinor;
    }
  } else if (typeof askedGift === 'number' && askedGift > 0) {
    return refuse('operation_not_supported', 'This card is not a gift certificate', { kind: program.kind });
  }
  const payableMinor = payableBeforeGift - giftSpentMinor;

  // 5. Accrual.
  let accrualBase = amounts.map(() => 0);
  let accrued = amounts.map(() => 0);
  let accrualPercent = 0;
  let accrualAvailableAt: Date | null = null;
  let accrualExpiresAt: Date | null = null;
  if (program.kind === 'bonus' && card && totalMinor >= program.minCheckMinor) {
    const ex = program.excluded;
    accrualBase = items.map((it, i) => (ex.noEarn && matchesFilter(ex, it) ? 0 : net[i] - (program.pointsPartEarns ? 0 : pointsValue[i])));
    const percent = level?.accrualPercent ?? program.accrualPercent;
    const points = mulDiv(sum(accrualBase), toBasisPoints(percent), 10_000 * program.pointValueMinor, program.rounding);
    accrued = allocateProportionally(points, accrualBase);
    if (points > 0) {
      accrualPercent = percent;
      accrualAvailableAt = new Date(now.getTime() + program.pendingDays * DAY_MS);
      if (program.expiryDays !== null) accrualExpiresAt = new Date(accrualAvailableAt.getTime() + program.expiryDays * DAY_MS);
    }
  }

  // 6. Stamps.
  let stampsAdded = 0;
  let stampRewards = 0;
  let stampsAfter = card?.stamps ?? 0;
  if (program.kind === 'stamp') {
    const cap = program.maxStampsPerPurchase;
    if (request.addStamps !== undefined) {
      if (request.addStamps > 0 && !card) return refuse('card_required', 'Stamps can be added only to a card');
      if (cap !== null && request.addStamps > cap) {
        return refuse('stamps_over_limit', `At most ${cap} stamps per purchase (asked ${request.addStamps})`, {
          requested: request.addStamps,
          maxStampsPerPurchase: cap,
        });
      }
      stampsAdded = request.addStamps;
    } else if (card && totalMinor >= program.minCheckMinor) {
      const earn = program.earn;
      const computed =
        earn.mode === 'per_visit'
          ? 1
          : earn.mode === 'per_amount'
            ? Math.floor((totalMinor - discountMinor) / earn.amountMinor)
            : sum(items.filter((it) => earn.skus.includes(it.sku)).map((it) => it.qty));
      stampsAdded = cap === null ? computed : Math.min(computed, cap);
    }
    if (card) ({ stampRewards, stampsAfter } = stampProgress(card.stamps, stampsAdded, program.stampsRequired));
  } else if (request.addStamps !== undefined && request.addStamps > 0) {
    return refuse('operation_not_supported', 'This card does not collect stamps', { kind: program.kind });
  }

  const lines: DecisionLine[] = items.map((it, i) => ({
    sku: it.sku,
    qty: it.qty,
    amountMinor: amounts[i],
    discountMinor: levelDisc[i] + couponDisc[i],
    couponDiscountMinor: couponDisc[i],
    pointsValueMinor: pointsValue[i],
    accrualBaseMinor: accrualBase[i],
    accruedPoints: accrued[i],
  }));

  return {
    ok: true,
    decision: {
      kind: program.kind,
      totalMinor,
      levelCode: level?.code ?? null,
      levelDiscountMinor,
      couponDiscountMinor,
      discountMinor,
      couponCode: coupon.code,
      spendMinor: totalMinor - discountMinor,
      pointValueMinor,
      maxRedeemablePoints,
      maxRedeemValueMinor: maxRedeemablePoints * pointValueMinor,
      pointsRedeemed,
      redeemValueMinor,
      giftSpentMinor,
      giftForfeitedMinor,
      payableMinor,
      accrualPercent,
      pointsAccrued: sum(accrued),
      accrualAvailableAt,
      accrualExpiresAt,
      stampsAdded,
      stampRewards,
      stampsAfter,
      lines,
    },
  };
}

/**
 * How many points pay for `valueMinor` of money asked by a till that sends amounts, not points
 * (r_keeper kopecks, iiko and 1C roubles).
 *
 * The rule, in order:
 * 1. `points = floor(valueMinor / pointValueMinor)` — never a fraction of a point, so the money
 *    taken (`points × pointValueMinor`) is never more than the money asked;
 * 2. capped at `maxRedeemablePoints` — the usable balance and the program's maximum share of this
 *    check (`decide` computes it), so never more than the balance.
 *
 * The request is trimmed, not refused: the till reads back `redeemValueMinor` (what was actually
 * taken) and charges the rest in money. A program without points (`pointValueMinor` 0) takes none.
 *
 * @example pointsForValue(25_050, 100, 1_000) === 250   // 250.50 ₽ at 1 ₽ a point: 250 points, 250 ₽
 * @example pointsForValue(25_000, 100, 120) === 120     // only 120 points may pay this check
 */
export function pointsForValue(valueMinor: number, pointValueMinor: number, maxRedeemablePoints: number): number {
  if (!(pointValueMinor > 0) || !(valueMinor > 0) || !(maxRedeemablePoints > 0)) return 0;
  return Math.min(Math.floor(valueMinor / pointValueMinor), maxRedeemablePoints);
}

/**
 * Where a stamp card ends when `added` stamps land on a card holding `stamps`: every
 * `stampsRequired` stamps complete one reward and the remainder stays on the card.
 *
 * Rewards complete only when a stamp is added: a card filled by hand (an adjustment) completes on
 * its next stamp, so a sale that adds none reports none — the reply never names a reward that is
 * not granted. The service calls this again at capture, on the card as it is then, so a hold never
 * replays a decision taken against stamps that have moved since.
 *
 * @example stampProgress(3, 2, 4) → { stampRewards: 1, stampsAfter: 1 }
 * @example stampProgress(4, 0, 4) → { stampRewards: 0, stampsAfter: 4 }
 */
export function stampProgress(stamps: number, added: number, stampsRequired: number): { stampRewards: number; stampsAfter: number } {
  if (added <= 0) return { stampRewards: 0, stampsAfter: stamps };
  const after = stamps + added;
  return { stampRewards: Math.floor(after / stampsRequired), stampsAfter: after % stampsRequired };
}

/** Refuses money, points or counts that are negative, fractional or unsafe, and malformed baskets. */
function checkInput(input: DecideInput): Refusal<RefusalCode> | null {
  const bad = (field: string, value: unknown) =>
    refuse('invalid_amount', 'Amounts must be whole, non-negative numbers', { field, value: typeof value === 'number' ? value : String(value) });
  const items = input.basket?.items;
  if (!Array.isArray(items) || items.length === 0 || items.length > MAX_BASKET_LINES) {
    return refuse('invalid_basket', `A basket has 1 to ${MAX_BASKET_LINES} lines`, { lines: Array.isArray(items) ? items.length : 0 });
  }
  let total = 0;
  for (const [i, it] of items.entries()) {
    if (!isCount(it.qty) || it.qty < 1) return bad(`items[${i}].qty`, it.qty);
    if (!isCount(it.amountMinor)) return bad(`items[${i}].amountMinor`, it.amountMinor);
    if (!isCount(it.unitPriceMinor)) return bad(`items[${i}].unitPriceMinor`, it.unitPriceMinor);
    total += it.amountMinor;
  }
  if (!Number.isSafeInteger(total)) return bad('basket.totalMinor', total);
  const stated = input.basket.totalMinor;
  if (stated !== undefined) {
    if (!isCount(stated)) return bad('basket.totalMinor', stated);
    if (stated !== total) {
      return refuse('invalid_basket', 'The basket total does not match its lines', { totalMinor: stated, sumOfLinesMinor: total });
    }
  }
  const { redeemPoints, redeemValueMinor, giftAmountMinor, addStamps } = input.request;
  if (redeemPoints !== undefined && redeemPoints !== 'max' && !isCount(redeemPoints)) return bad('redeemPoints', redeemPoints);
  if (redeemValueMinor !== undefined && !isCount(redeemValueMinor)) return bad('redeemValueMinor', redeemValueMinor);
  if (redeemPoints !== undefined && redeemValueMinor !== undefined) {
    return refuse('invalid_amount', 'Give redeemPoints or redeemValueMinor, not both', { field: 'redeemValueMinor', value: redeemValueMinor });
  }
  if (giftAmountMinor !== undefined && giftAmountMinor !== 'max' && !isCount(giftAmountMinor)) return bad('giftAmountMinor', giftAmountMinor);
  if (addStamps !== undefined && !isCount(addStamps)) return bad('addStamps', addStamps);
  const card = input.card;
  if (card) {
    if (!isCount(card.pointsAvailable)) return bad('card.pointsAvailable', card.pointsAvailable);
    if (!isCount(card.giftBalanceMinor)) return bad('card.giftBalanceMinor', card.giftBalanceMinor);
    if (!isCount(card.stamps)) return bad('card.stamps', card.stamps);
  }
  const coupon = input.coupon;
  if (coupon) {
    if (!isCount(coupon.usesSoFar)) return bad('coupon.usesSoFar', coupon.usesSoFar);
    if (!isCount(coupon.usesByThisGuest)) return bad('coupon.usesByThisGuest', coupon.usesByThisGuest);
    if (coupon.maxUses != null && !isCount(coupon.maxUses)) return bad('coupon.maxUses', coupon.maxUses);
  }
  return null;
}

type CouponOutcome = { ok: true; code: string | null; perLine: number[] } | Refusal<RefusalCode>;

/** Checks the coupon and spreads its discount over the lines (`afterLevel`: line amounts after the level discount). */
function applyCoupon(input: DecideInput, totalMinor: number, afterLevel: number[]): CouponOutcome {
  const none = { ok: true as const, code: null, perLine: afterLevel.map(() => 0) };
  const asked = input.request.couponCode;
  const coupon = input.coupon ?? null;
  if (asked === undefined && !coupon) return none;
  if (!coupon || (asked !== undefined && normalizeCode(asked) !== normalizeCode(coupon.code))) {
    return refuse('coupon_not_found', 'No such coupon', { code: asked });
  }
  const code = normalizeCode(coupon.code);
  const r = coupon.rules;
  const now = input.now.getTime();
  if (coupon.status === 'revoked') return refuse('coupon_inactive', 'This coupon has been switched off', { code });
  // The effective window is the program's narrowed by the code's own.
  const starts = [r.validFrom === null ? null : Date.parse(r.validFrom), coupon.validFrom?.getTime() ?? null].filter((t): t is number => t !== null);
  const ends = [r.validTo === null ? null : Date.parse(r.validTo), coupon.validTo?.getTime() ?? null].filter((t): t is number => t !== null);
  const from = starts.length ? Math.max(...starts) : null;
  const to = ends.length ? Math.min(...ends) : null;
  if (from !== null && now < from) {
    const validFrom = new Date(from).toISOString();
    return refuse('coupon_not_yet_valid', `This coupon is valid from ${validFrom}`, { code, validFrom });
  }
  if (to !== null && now >= to) {
    const validTo = new Date(to).toISOString();
    return refuse('coupon_expired', `This coupon expired at ${validTo}`, { code, validTo });
  }
  const maxUses = coupon.maxUses ?? (r.usage === 'single' ? 1 : r.maxUses);
  if (coupon.status === 'used' || (maxUses !== null && coupon.usesSoFar >= maxUses)) {
    return refuse('coupon_used_up', 'This coupon has already been used', { code, usesSoFar: coupon.usesSoFar, maxUses });
  }
  if (coupon.guestId != null) {
    if (!input.card) return refuse('card_required', "This is a personal coupon: present the guest's card", { code });
    if (input.card.guestId !== coupon.guestId) return refuse('coupon_other_guest', 'This coupon belongs to another guest', { code });
  }
  if (r.perGuestLimit !== null) {
    if (!input.card) return refuse('card_required', 'This coupon can be used only with a loyalty card', { code });
    if (coupon.usesByThisGuest >= r.perGuestLimit) {
      return refuse('coupon_guest_limit', `This guest has already used this coupon ${coupon.usesByThisGuest} time(s)`, {
        code,
        usesByThisGuest: coupon.usesByThisGuest,
        perGuestLimit: r.perGuestLimit,
      });
    }
  }
  if (totalMinor < r.minCheckMinor) {
    return refuse('coupon_min_check', 'The check is below the minimum for this coupon', { code, totalMinor, minCheckMinor: r.minCheckMinor });
  }

  const items = input.basket.items;
  const d = r.discount;
  let perLine: number[];
  if (d.type === 'free_item') {
    // The cheapest matching units become free; the unit price is the line's remaining amount per unit
    // (rounded down, so a free unit never costs more than the line has left).
    perLine = afterLevel.map(() => 0);
    const candidates = items
      .map((it, i) => ({ i, qty: it.qty, unit: Math.floor(afterLevel[i] / it.qty) }))
      .filter((c) => c.unit > 0 && d.skus.includes(items[c.i].sku))
      .sort((a, b) => a.unit - b.unit || a.i - b.i);
    if (candidates.length === 0) return refuse('coupon_not_applicable', 'The basket has no item this coupon makes free', { code, skus: d.skus });
    let units = d.qty;
    for (const c of candidates) {
      if (units === 0) break;
      const take = Math.min(units, c.qty);
      perLine[c.i] = take * c.unit;
      units -= take;
    }
  } else {
    const eligible = items.map((it, i) => (matchesFilter(r.excluded, it) ? 0 : afterLevel[i]));
    const base = sum(eligible);
    if (base === 0) return refuse('coupon_not_applicable', 'No item in the basket qualifies for this coupon', { code });
    const amount = d.type === 'percent' ? mulDiv(base, toBasisPoints(d.percent), 10_000) : Math.min(d.amountMinor, base);
    perLine = allocateProportionally(amount, eligible);
  }
  return { ok: true, code, perLine };
}
