import fc from 'fast-check';
import {
  couponRules,
  programRulesSchema,
  type CouponRules,
  type Level,
  type ProgramRulesInput,
  type ProgramRulesOf,
  type StampEarn,
  type StampRules,
} from '../programs/programs.schemas';
import type { BasketItem, CheckoutRequest } from './checkout.schemas';
import {
  allocateProportionally,
  DECIDE_REFUSAL_CODES,
  decide,
  mulDiv,
  pointsForValue,
  stampProgress,
  type CardState,
  type CouponState,
  type Decision,
  type DecideInput,
  type DecideResult,
} from './checkout.rules';

const NOW = new Date('2026-06-15T12:00:00Z');
const DAY = 86_400_000;

const program = <K extends ProgramRulesInput['kind']>(rules: Extract<ProgramRulesInput, { kind: K }>) => programRulesSchema.parse(rules) as ProgramRulesOf<K>;
const bonus = (over: Partial<Extract<ProgramRulesInput, { kind: 'bonus' }>> = {}) => program<'bonus'>({ kind: 'bonus', accrualPercent: 5, ...over });
const card = (over: Partial<CardState> = {}): CardState => ({
  status: 'active',
  levelCode: null,
  pointsAvailable: 0,
  giftBalanceMinor: 0,
  giftExpiresAt: null,
  stamps: 0,
  ...over,
});
const item = (sku: string, amountMinor: number, over: Partial<BasketItem> = {}): BasketItem => ({
  sku,
  qty: 1,
  unitPriceMinor: amountMinor,
  amountMinor,
  ...over,
});
const coupon = (rules: Parameters<typeof couponRules.parse>[0], over: Partial<CouponState> = {}): CouponState => ({
  code: 'SAVE10',
  rules: couponRules.parse(rules),
  usesSoFar: 0,
  usesByThisGuest: 0,
  status: 'active',
  ...over,
});

function run(over: Partial<DecideInput> = {}): DecideResult {
  return decide({ program: bonus(), levels: [], card: card(), basket: { items: [item('A', 100_000)] }, request: {}, now: NOW, ...over });
}
function ok(r: DecideResult): Decision {
  if (!r.ok) throw new Error(`refused ${r.code}: ${r.message}`);
  return r.decision;
}
function refusal(r: DecideResult) {
  if (r.ok) throw new Error('expected a refusal');
  return r;
}

/** Invariants every decision must hold, whatever the program. */
function expectInvariants(input: DecideInput, d: Decision) {
  for (const [k, v] of Object.entries(d)) {
    if (typeof v === 'number') {
      expect({ k, safe: Number.isSafeInteger(v) || k === 'accrualPercent', nonNegative: v >= 0 }).toEqual({ k, safe: true, nonNegative: true });
    }
  }
  const total = input.basket.items.reduce((s, i) => s + i.amountMinor, 0);
  expect(d.totalMinor).toBe(total);
  expect(d.discountMinor).toBeLessThanOrEqual(d.totalMinor);
  expect(d.discountMinor).toBe(d.levelDiscountMinor + d.couponDiscountMinor);
  expect(d.payableMinor).toBeGreaterThanOrEqual(0);
  expect(d.payableMinor).toBe(d.totalMinor - d.discountMinor - d.redeemValueMinor - d.giftSpentMinor);
  expect(d.redeemValueMinor).toBe(d.pointsRedeemed * d.pointValueMinor);
  expect(d.maxRedeemValueMinor).toBe(d.maxRedeemablePoints * d.pointValueMinor);
  const sum = (f: (l: Decision['lines'][number]) => number) => d.lines.reduce((s, l) => s + f(l), 0);
  expect(sum((l) => l.discountMinor)).toBe(d.discountMinor);
  expect(sum((l) => l.couponDiscountMinor)).toBe(d.couponDiscountMinor);
  expect(sum((l) => l.pointsValueMinor)).toBe(d.redeemValueMinor);
  expect(sum((l) => l.accruedPoints)).toBe(d.pointsAccrued);
  for (const l of d.lines) {
    expect(l.couponDiscountMinor).toBeLessThanOrEqual(l.discountMinor);
    expect(l.discountMinor + l.pointsValueMinor).toBeLessThanOrEqual(l.amountMinor);
    expect(l.accrualBaseMinor).toBeLessThanOrEqual(l.amountMinor - l.discountMinor);
  }
  if (input.card) {
    expect(d.pointsRedeemed).toBeLessThanOrEqual(input.card.pointsAvailable);
    expect(d.giftSpentMinor + d.giftForfeitedMinor).toBeLessThanOrEqual(input.card.giftBalanceMinor);
  } else {
    expect(d.pointsRedeemed + d.giftSpentMinor + d.pointsAccrued + d.stampsAdded).toBe(0);
  }
  expect(d.pointsRedeemed).toBeLessThanOrEqual(d.maxRedeemablePoints);
}

describe('decide — bonus programs', () => {
  it('accrues the program percent, converted to points by the point value', () => {
    const d = ok(run({ basket: { items: [item('A', 60_000), item('B', 40_000)] } }));
    expect(d).toMatchObject({ kind: 'bonus', totalMinor: 100_000, payableMinor: 100_000, pointsAccrued: 50, accrualPercent: 5, pointValueMinor: 100 });
    expect(d.lines.map((l) => l.accruedPoints)).toEqual([30, 20]);
    expect(d.accrualAvailableAt).toEqual(NOW);
    expect(d.accrualExpiresAt).toBeNull();
  });

  it("takes the accrual percent from the card's level, falling back to the program's", () => {
    const levels: Level[] = [
      { code: 'base', name: 'Base', threshold: 0 },
      { code: 'gold', name: 'Gold', threshold: 1000, accrualPercent: 10 },
    ];
    expect(ok(run({ levels, card: card({ levelCode: 'gold' }) }))).toMatchObject({ pointsAccrued: 100, levelCode: 'gold', accrualPercent: 10 });
    expect(ok(run({ levels, card: card({ levelCode: 'base' }) }))).toMatchObject({ pointsAccrued: 50, levelCode: 'base' });
    expect(ok(run({ levels, card: card({ levelCode: 'removed' }) }))).toMatchObject({ pointsAccrued: 50, levelCode: null });
  });

  it('redeems "max" = min(balance, cap) and earns only on the money part', () => {
    const p = bonus({ maxRedeemPercent: 30 });
    const d = ok(run({ program: p, card: card({ pointsAvailable: 1000 }), request: { redeemPoints: 'max' } }));
    expect(d).toMatchObject({ maxRedeemablePoints: 300, pointsRedeemed: 300, redeemValueMinor: 30_000, payableMinor: 70_000, pointsAccrued: 35 });
    const poor = ok(run({ program: p, card: card({ pointsAvailable: 120 }), request: { redeemPoints: 'max' } }));
    expect(poor).toMatchObject({ maxRedeemablePoints: 120, pointsRedeemed: 120, payableMinor: 88_000 });
  });

  it('lets the points-paid part earn when the program says so', () => {
    const d = ok(
      run({ program: bonus({ maxRedeemPercent: 30, pointsPartEarns: true }), card: card({ pointsAvailable: 1000 }), request: { redeemPoints: 'max' } }),
    );
    expect(d.pointsAccrued).toBe(50);
  });

  it('refuses an explicit redemption over the cap or over the balance, with the figures', () => {
    const p = bonus({ maxRedeemPercent: 30 });
    const over = refusal(run({ program: p, card: card({ pointsAvailable: 1000 }), request: { redeemPoints: 301 } }));
    expect(over).toMatchObject({ code: 'redeem_over_cap', details: { requested: 301, capPoints: 300, pointsAvailable: 1000, maxRedeemablePoints: 300 } });
    expect(over.message).toMatch(/300/);
    const poor = refusal(run({ program: p, card: card({ pointsAvailable: 50 }), request: { redeemPoints: 51 } }));
    expect(poor).toMatchObject({ code: 'insufficient_points', details: { requested: 51, pointsAvailable: 50 } });
    expect(ok(run({ program: p, card: card({ pointsAvailable: 1000 }), request: { redeemPoints: 300 } })).pointsRedeemed).toBe(300);
  });

  it('below the minimum check earns nothing and refuses a redemption', () => {
    const p = bonus({ minCheckMinor: 150_000 });
    const d = ok(run({ program: p, card: card({ pointsAvailable: 1000 }), request: { redeemPoints: 'max' } }));
    expect(d).toMatchObject({ pointsAccrued: 0, pointsRedeemed: 0, maxRedeemablePoints: 0, accrualAvailableAt: null });
    expect(refusal(run({ program: p, card: card({ pointsAvailable: 1000 }), request: { redeemPoints: 10 } }))).toMatchObject({
      code: 'below_min_check',
      details: { totalMinor: 100_000, minCheckMinor: 150_000 },
    });
  });

  it('keeps excluded lines out of earning and of paying by points', () => {
    const p = bonus({ excluded: { categories: ['tobacco'] } });
    const basket = { items: [item('CIG', 50_000, { category: 'tobacco' }), item('LATTE', 50_000, { category: 'coffee' })] };
    const d = ok(run({ program: p, basket, card: card({ pointsAvailable: 10_000 }), request: { redeemPoints: 'max' } }));
    expect(d.maxRedeemablePoints).toBe(500); // only the latte can be paid by points
    expect(d.lines[0]).toMatchObject({ pointsValueMinor: 0, accrualBaseMinor: 0, accruedPoints: 0 });
    expect(d.lines[1]).toMatchObject({ pointsValueMinor: 50_000, accrualBaseMinor: 0 });
    expect(d.pointsAccrued).toBe(0);

    const earnsButNoPay = bonus({ excluded: { skus: ['CIG'], noEarn: false, noRedeem: true } });
    const e = ok(run({ program: earnsButNoPay, basket, card: card({ pointsAvailable: 10_000 }), request: { redeemPoints: 'max' } }));
    expect(e.lines[0]).toMatchObject({ pointsValueMinor: 0, accrualBaseMinor: 50_000, accruedPoints: 25 });
  });

  it.each([
    ['floor', 49],
    ['round', 50],
    ['ceil', 50],
  ] as const)('rounds a fractional accrual with %s', (rounding, points) => {
    const p = bonus({ rounding, pointValueMinor: 1 }); // 5 % of 999 = 49.95 points
    expect(ok(run({ program: p, basket: { items: [item('A', 999)] } })).pointsAccrued).toBe(points);
  });

  it('dates accrued points: usable after the pending days, expiring N days later', () => {
    const d = ok(run({ program: bonus({ pendingDays: 14, expiryDays: 365 }) }));
    expect(d.accrualAvailableAt).toEqual(new Date(NOW.getTime() + 14 * DAY));
    expect(d.accrualExpiresAt).toEqual(new Date(NOW.getTime() + (14 + 365) * DAY));
    const none = ok(run({ program: bonus({ pendingDays: 14, expiryDays: 365 }), basket: { items: [item('A', 1)] } }));
    expect(none).toMatchObject({ pointsAccrued: 0, accrualAvailableAt: null, accrualExpiresAt: null });
  });

  it('spreads the points payment over lines by largest remainder, summing exactly', () => {
    const p = bonus({ pointValueMinor: 1, accrualPercent: 0 });
    const d = ok(
      run({
        program: p,
        basket: { items: [item('A', 300), item('B', 300), item('C', 300)] },
        card: card({ pointsAvailable: 100 }),
        request: { redeemPoints: 100 },
      }),
    );
    expect(d.lines.map((l) => l.pointsValueMinor)).toEqual([34, 33, 33]);
  });

  it('without a card: nothing earned, "max" redeems 0, an explicit redemption needs a card', () => {
    expect(ok(run({ card: null, request: { redeemPoints: 'max' } }))).toMatchObject({ pointsAccrued: 0, pointsRedeemed: 0, maxRedeemablePoints: 0 });
    expect(refusal(run({ card: null, request: { redeemPoints: 5 } })).code).toBe('card_required');
  });
});

describe('decide — card state and bad input', () => {
  it('refuses blocked and deleted cards', () => {
    expect(refusal(run({ card: card({ status: 'blocked' }) })).code).toBe('card_blocked');
    expect(refusal(run({ card: card({ status: 'deleted' }) })).code).toBe('card_deleted');
  });

  it.each([
    ['a negative line amount', { basket: { items: [item('A', -100)] } }, 'items[0].amountMinor'],
    ['a fractional line amount', { basket: { items: [item('A', 10.5)] } }, 'items[0].amountMinor'],
    ['a fractional unit price', { basket: { items: [item('A', 100, { unitPriceMinor: 0.1 })] } }, 'items[0].unitPriceMinor'],
    ['a zero quantity', { basket: { items: [item('A', 100, { qty: 0 })] } }, 'items[0].qty'],
    ['an unsafe amount', { basket: { items: [item('A', 2 ** 60)] } }, 'items[0].amountMinor'],
    ['a fractional redemption', { request: { redeemPoints: 1.5 } }, 'redeemPoints'],
    ['a negative redemption', { request: { redeemPoints: -1 } }, 'redeemPoints'],
    ['a negative certificate amount', { request: { giftAmountMinor: -1 } }, 'giftAmountMinor'],
    ['fractional stamps', { request: { addStamps: 0.5 } }, 'addStamps'],
    ['a negative card balance', { card: card({ pointsAvailable: -5 }) }, 'card.pointsAvailable'],
  ] as [string, Partial<DecideInput>, string][])('refuses %s as invalid_amount', (_what, over, field) => {
    expect(refusal(run(over))).toMatchObject({ code: 'invalid_amount', details: { field } });
  });

  it('refuses an empty basket and a total that does not match the lines', () => {
    expect(refusal(run({ basket: { items: [] } })).code).toBe('invalid_basket');
    expect(refusal(run({ basket: { totalMinor: 999, items: [item('A', 1000)] } }))).toMatchObject({
      code: 'invalid_basket',
      details: { totalMinor: 999, sumOfLinesMinor: 1000 },
    });
    expect(ok(run({ basket: { totalMinor: 1000, items: [item('A', 1000)] } })).totalMinor).toBe(1000);
  });

  it('refuses operations the program kind does not offer, but "max" quietly gives 0', () => {
    const discount = program<'discount'>({ kind: 'discount', discountPercent: 5 });
    expect(refusal(run({ program: discount, request: { redeemPoints: 10 } })).code).toBe('operation_not_supported');
    expect(refusal(run({ request: { giftAmountMinor: 10 } })).code).toBe('operation_not_supported');
    expect(refusal(run({ request: { addStamps: 1 } })).code).toBe('operation_not_supported');
    expect(ok(run({ program: discount, request: { redeemPoints: 'max', giftAmountMinor: 'max', addStamps: 0 } }))).toMatchObject({
      pointsRedeemed: 0,
      giftSpentMinor: 0,
      stampsAdded: 0,
    });
  });

  it('accepts a basket of zero-priced lines', () => {
    const d = ok(run({ basket: { items: [item('FREE', 0)] }, card: card({ pointsAvailable: 10 }), request: { redeemPoints: 'max' } }));
    expect(d).toMatchObject({ totalMinor: 0, payableMinor: 0, pointsRedeemed: 0, pointsAccrued: 0 });
  });
});

describe('decide — discount programs', () => {
  const discount = program<'discount'>({ kind: 'discount', discountPercent: 5, excluded: { categories: ['tobacco'] } });
  const levels: Level[] = [
    { code: 'base', name: 'Base', threshold: 0 },
    { code: 'gold', name: 'Gold', threshold: 10, discountPercent: 10 },
  ];

  it('gives the base or the level percent, never on excluded lines', () => {
    const basket = { items: [item('A', 10_000), item('CIG', 30_000, { category: 'tobacco' })] };
    expect(ok(run({ program: discount, basket }))).toMatchObject({ levelDiscountMinor: 500, discountMinor: 500, payableMinor: 39_500 });
    const gold = ok(run({ program: discount, levels, basket, card: card({ levelCode: 'gold' }) }));
    expect(gold.lines.map((l) => l.discountMinor)).toEqual([1000, 0]);
    expect(gold.spendMinor).toBe(39_000);
  });

  it('gives nothing without a card or below the minimum check', () => {
    expect(ok(run({ program: discount, card: null })).discountMinor).toBe(0);
    const min = program<'discount'>({ kind: 'discount', discountPercent: 5, minCheckMinor: 200_000 });
    expect(ok(run({ program: min })).discountMinor).toBe(0);
  });

  it('rounds the discount down to whole minor units', () => {
    expect(ok(run({ program: discount, basket: { items: [item('A', 99)] } })).discountMinor).toBe(4); // 4.95
  });
});

describe('decide — coupons', () => {
  const pct = { discount: { type: 'percent' as const, percent: 10 } };

  it('applies a percent coupon on what the level discount left, case-insensitively', () => {
    const discount = program<'discount'>({ kind: 'discount', discountPercent: 10 });
    const d = ok(run({ program: discount, request: { couponCode: 'save10' }, coupon: coupon(pct) }));
    expect(d).toMatchObject({ levelDiscountMinor: 10_000, couponDiscountMinor: 9000, discountMinor: 19_000, couponCode: 'SAVE10', payableMinor: 81_000 });
  });

  it('caps a fixed coupon at the eligible amount', () => {
    const d = ok(
      run({ basket: { items: [item('A', 3000)] }, request: { couponCode: 'SAVE10' }, coupon: coupon({ discount: { type: 'fixed', amountMinor: 5000 } }) }),
    );
    expect(d).toMatchObject({ couponDiscountMinor: 3000, payableMinor: 0 });
  });

  it('makes the cheapest matching unit free', () => {
    const basket = { items: [item('LATTE', 50_000, { qty: 2, unitPriceMinor: 25_000 }), item('ESPRESSO', 15_000), item('CAKE', 30_000)] };
    const free = coupon({ discount: { type: 'free_item', skus: ['LATTE', 'ESPRESSO'] } });
    const d = ok(run({ basket, request: { couponCode: 'SAVE10' }, coupon: free }));
    expect(d.lines.map((l) => l.couponDiscountMinor)).toEqual([0, 15_000, 0]);
    const two = coupon({ discount: { type: 'free_item', skus: ['LATTE', 'ESPRESSO'], qty: 2 } });
    expect(ok(run({ basket, request: { couponCode: 'SAVE10' }, coupon: two })).lines.map((l) => l.couponDiscountMinor)).toEqual([25_000, 15_000, 0]);
    expect(refusal(run({ request: { couponCode: 'SAVE10' }, coupon: free })).code).toBe('coupon_not_applicable');
  });

  it('lowers the points cap by the coupon discount', () => {
    const d = ok(
      run({
        program: bonus({ maxRedeemPercent: 50 }),
        card: card({ pointsAvailable: 10_000 }),
        request: { couponCode: 'SAVE10', redeemPoints: 'max' },
        coupon: coupon(pct),
      }),
    );
    expect(d).toMatchObject({ couponDiscountMinor: 10_000, maxRedeemablePoints: 450, payableMinor: 45_000 });
  });

  it.each([
    ['coupon_not_found', { request: { couponCode: 'NOPE' }, coupon: null }],
    ['coupon_not_found', { request: { couponCode: 'OTHER' }, coupon: coupon(pct) }],
    ['coupon_inactive', { request: { couponCode: 'SAVE10' }, coupon: coupon(pct, { status: 'revoked' }) }],
    ['coupon_not_yet_valid', { request: { couponCode: 'SAVE10' }, coupon: coupon({ ...pct, validFrom: '2026-07-01T00:00:00+03:00' }) }],
    ['coupon_expired', { request: { couponCode: 'SAVE10' }, coupon: coupon({ ...pct, validTo: '2026-06-15T12:00:00Z' }) }],
    ['coupon_expired', { request: { couponCode: 'SAVE10' }, coupon: coupon(pct, { validTo: new Date('2026-06-01') }) }],
    ['coupon_used_up', { request: { couponCode: 'SAVE10' }, coupon: coupon(pct, { usesSoFar: 1 }) }],
    ['coupon_used_up', { request: { couponCode: 'SAVE10' }, coupon: coupon(pct, { status: 'used' }) }],
    ['coupon_used_up', { request: { couponCode: 'SAVE10' }, coupon: coupon({ ...pct, usage: 'multi', maxUses: 3 }, { usesSoFar: 3 }) }],
    ['coupon_used_up', { request: { couponCode: 'SAVE10' }, coupon: coupon({ ...pct, usage: 'multi' }, { usesSoFar: 2, maxUses: 2 }) }],
    [
      'coupon_guest_limit',
      { request: { couponCode: 'SAVE10' }, coupon: coupon({ ...pct, usage: 'multi', perGuestLimit: 2 }, { usesSoFar: 9, usesByThisGuest: 2 }) },
    ],
    ['card_required', { card: null, request: { couponCode: 'SAVE10' }, coupon: coupon({ ...pct, usage: 'multi', perGuestLimit: 1 }) }],
    ['coupon_min_check', { request: { couponCode: 'SAVE10' }, coupon: coupon({ ...pct, minCheckMinor: 100_001 }) }],
    ['coupon_not_applicable', { request: { couponCode: 'SAVE10' }, coupon: coupon({ ...pct, excluded: { skus: ['A'] } }) }],
    ['coupon_other_guest', { card: card({ guestId: 'g1' }), request: { couponCode: 'SAVE10' }, coupon: coupon(pct, { guestId: 'g2' }) }],
  ] as [string, Partial<DecideInput>][])('refuses with %s', (code, over) => {
    const r = refusal(run(over));
    expect(r.code).toBe(code);
    expect(r.message.length).toBeGreaterThan(5);
  });

  it('accepts a coupon inside its windows and under its limits', () => {
    const c = coupon(
      { ...pct, usage: 'multi', maxUses: 10, perGuestLimit: 2, minCheckMinor: 100_000, validFrom: '2026-06-01T00:00:00Z', validTo: '2026-07-01T00:00:00Z' },
      { usesSoFar: 9, usesByThisGuest: 1, guestId: 'g1', validFrom: new Date('2026-06-15T12:00:00Z') },
    );
    expect(ok(run({ card: card({ guestId: 'g1' }), request: { couponCode: 'SAVE10' }, coupon: c })).couponDiscountMinor).toBe(10_000);
  });

  it('applies a coupon the service resolved without a typed code, and a coupon-only anonymous purchase', () => {
    expect(ok(run({ coupon: coupon(pct) })).couponCode).toBe('SAVE10');
    const couponProgram = program<'coupon'>({ kind: 'coupon', ...pct });
    const d = ok(run({ program: couponProgram, card: null, request: { couponCode: 'SAVE10' }, coupon: coupon(pct) }));
    expect(d).toMatchObject({ kind: 'coupon', couponDiscountMinor: 10_000, pointsAccrued: 0 });
  });
});

describe('decide — gift certificates', () => {
  const gift = program<'gift'>({ kind: 'gift', nominalsMinor: [100_000] });
  const holder = (over: Partial<CardState> = {}) => card({ giftBalanceMinor: 30_000, giftExpiresAt: new Date('2027-01-01'), ...over });

  it('spends up to the balance and up to what is left to pay', () => {
    expect(ok(run({ program: gift, card: holder(), request: { giftAmountMinor: 'max' } }))).toMatchObject({ giftSpentMinor: 30_000, payableMinor: 70_000 });
    const small = { items: [item('A', 12_000)] };
    expect(ok(run({ program: gift, basket: small, card: holder(), request: { giftAmountMinor: 'max' } }))).toMatchObject({
      giftSpentMinor: 12_000,
      payableMinor: 0,
    });
    expect(ok(run({ program: gift, card: holder(), request: { giftAmountMinor: 10_000 } })).giftSpentMinor).toBe(10_000);
    expect(ok(run({ program: gift, card: holder() })).giftSpentMinor).toBe(0);
  });

  it('refuses more than the balance or than is left to pay, and an expired certificate', () => {
    expect(refusal(run({ program: gift, card: holder(), request: { giftAmountMinor: 30_001 } }))).toMatchObject({
      code: 'insufficient_gift_balance',
      details: { balanceMinor: 30_000 },
    });
    const small = { items: [item('A', 12_000)] };
    expect(refusal(run({ program: gift, basket: small, card: holder(), request: { giftAmountMinor: 20_000 } })).code).toBe('gift_over_payable');
    expect(refusal(run({ program: gift, card: holder({ giftExpiresAt: NOW }), request: { giftAmountMinor: 'max' } })).code).toBe('gift_expired');
    expect(refusal(run({ program: gift, card: null, request: { giftAmountMinor: 100 } })).code).toBe('card_required');
  });

  it('without partial spending uses the certificate once and forfeits the rest', () => {
    const once = program<'gift'>({ kind: 'gift', nominalsMinor: [100_000], partialSpend: false });
    const small = { items: [item('A', 12_000)] };
    expect(ok(run({ program: once, basket: small, card: holder(), request: { giftAmountMinor: 'max' } }))).toMatchObject({
      giftSpentMinor: 12_000,
      giftForfeitedMinor: 18_000,
    });
    expect(refusal(run({ program: once, card: holder(), request: { giftAmountMinor: 10_000 } })).code).toBe('gift_partial_not_allowed');
    expect(ok(run({ program: once, card: holder(), request: { giftAmountMinor: 30_000 } }))).toMatchObject({ giftSpentMinor: 30_000, giftForfeitedMinor: 0 });
  });
});

describe('decide — stamp cards', () => {
  const stamps = (earn: StampEarn, over: Partial<StampRules> = {}) =>
    program<'stamp'>({ kind: 'stamp', earn, stampsRequired: 6, reward: { type: 'points', points: 100 }, ...over });

  it('adds one stamp per qualifying visit and completes a card at N, keeping the remainder', () => {
    expect(ok(run({ program: stamps({ mode: 'per_visit' }), card: card({ stamps: 2 }) }))).toMatchObject({ stampsAdded: 1, stampRewards: 0, stampsAfter: 3 });
    expect(ok(run({ program: stamps({ mode: 'per_visit' }), card: card({ stamps: 5 }) }))).toMatchObject({ stampsAdded: 1, stampRewards: 1, stampsAfter: 0 });
  });

  it('adds floor(amount / X) stamps per amount, possibly completing several cards', () => {
    const d = ok(run({ program: stamps({ mode: 'per_amount', amountMinor: 7000 }), card: card({ stamps: 4 }) }));
    expect(d).toMatchObject({ stampsAdded: 14, stampRewards: 3, stampsAfter: 0 });
  });

  it('counts the units of listed SKUs', () => {
    const basket = { items: [item('LATTE', 50_000, { qty: 2 }), item('CAKE', 1000), item('LATTE', 25_000, { qty: 1 })] };
    expect(ok(run({ program: stamps({ mode: 'per_sku', skus: ['LATTE'] }), basket })).stampsAdded).toBe(3);
  });

  it('honours the minimum check, the per-purchase cap and stamps set by hand', () => {
    expect(ok(run({ program: stamps({ mode: 'per_visit' }, { minCheckMinor: 200_000 }) })).stampsAdded).toBe(0);
    expect(ok(run({ program: stamps({ mode: 'per_amount', amountMinor: 1000 }, { maxStampsPerPurchase: 2 }) })).stampsAdded).toBe(2);
    expect(ok(run({ program: stamps({ mode: 'per_visit' }), card: card({ stamps: 1 }), request: { addStamps: 3 } }))).toMatchObject({
      stampsAdded: 3,
      stampsAfter: 4,
    });
    expect(refusal(run({ program: stamps({ mode: 'per_visit' }, { maxStampsPerPurchase: 2 }), request: { addStamps: 3 } })).code).toBe('stamps_over_limit');
    expect(refusal(run({ program: stamps({ mode: 'per_visit' }), card: null, request: { addStamps: 1 } })).code).toBe('card_required');
    expect(ok(run({ program: stamps({ mode: 'per_visit' }), card: null })).stampsAdded).toBe(0);
  });

  it('reports no reward for a sale that adds no stamp, even on a full card (it completes on its next stamp)', () => {
    const full = card({ stamps: 6 });
    expect(ok(run({ program: stamps({ mode: 'per_visit' }), card: full, request: { addStamps: 0 } }))).toMatchObject({
      stampsAdded: 0,
      stampRewards: 0,
      stampsAfter: 6,
    });
    expect(ok(run({ program: stamps({ mode: 'per_visit' }, { minCheckMinor: 10_000_000 }), card: full }))).toMatchObject({
      stampsAdded: 0,
      stampRewards: 0,
      stampsAfter: 6,
    });
    expect(ok(run({ program: stamps({ mode: 'per_visit' }), card: full }))).toMatchObject({ stampsAdded: 1, stampRewards: 1, stampsAfter: 1 });
  });
});

describe('stampProgress', () => {
  it('completes a reward per N stamps only when a stamp is added', () => {
    expect(stampProgress(3, 2, 4)).toEqual({ stampRewards: 1, stampsAfter: 1 });
    expect(stampProgress(4, 0, 4)).toEqual({ stampRewards: 0, stampsAfter: 4 });
    expect(stampProgress(0, 9, 4)).toEqual({ stampRewards: 2, stampsAfter: 1 });
  });

  it('keeps every stamp: before + added = rewards × N + after', () => {
    fc.assert(
      fc.property(fc.nat(100), fc.nat(100), fc.integer({ min: 1, max: 20 }), (before, added, n) => {
        const r = stampProgress(before, added, n);
        expect(before + added).toBe(r.stampRewards * n + r.stampsAfter);
        if (added === 0) expect(r.stampRewards).toBe(0);
        else expect(r.stampsAfter).toBeLessThan(n);
      }),
    );
  });
});

describe('integer helpers', () => {
  it('mulDiv rounds exactly beyond 2^53', () => {
    expect(mulDiv(999, 5, 100)).toBe(49);
    expect(mulDiv(999, 5, 100, 'round')).toBe(50);
    expect(mulDiv(990, 5, 100, 'ceil')).toBe(50);
    expect(mulDiv(Number.MAX_SAFE_INTEGER, 10_000, 10_000)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('allocateProportionally sums exactly, stays within weights and close to the exact share', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1e12 }), { minLength: 1, maxLength: 20 }), fc.double({ min: 0, max: 1, noNaN: true }), (weights, f) => {
        const sumW = weights.reduce((s, w) => s + w, 0);
        const total = Math.floor(sumW * f);
        const parts = allocateProportionally(total, weights);
        expect(parts.reduce((s, p) => s + p, 0)).toBe(total);
        parts.forEach((p, i) => {
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(weights[i]);
          if (sumW > 0) expect(Math.abs(p - (total * weights[i]) / sumW)).toBeLessThan(1 + 1e-6 * p);
        });
      }),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const SKUS = ['A', 'B', 'C', 'D', 'E'];
const CATEGORIES = ['food', 'drink', 'tobacco'];
const bp = (max: number) => fc.integer({ min: 0, max: max * 100 }).map((n) => n / 100);

const itemArb: fc.Arbitrary<BasketItem> = fc
  .record({
    sku: fc.constantFrom(...SKUS),
    category: fc.option(fc.constantFrom(...CATEGORIES), { nil: undefined }),
    qty: fc.integer({ min: 1, max: 5 }),
    amountMinor: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 5_000_000 })),
  })
  .map(({ category, ...i }) => ({ ...i, unitPriceMinor: Math.ceil(i.amountMinor / i.qty), ...(category ? { category } : {}) }));
const basketArb = fc.array(itemArb, { minLength: 1, maxLength: 8 }).map((items) => ({ items }));
const filterArb = fc.record({ skus: fc.subarray(SKUS), categories: fc.subarray(CATEGORIES) });

const bonusArb = fc
  .record({
    accrualPercent: bp(100),
    pointValueMinor: fc.constantFrom(1, 7, 100, 250, 1000),
    maxRedeemPercent: bp(100),
    minCheckMinor: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2_000_000 })),
    excluded: fc.record({ skus: fc.subarray(SKUS), categories: fc.subarray(CATEGORIES), noEarn: fc.boolean(), noRedeem: fc.boolean() }),
    pointsPartEarns: fc.boolean(),
    rounding: fc.constantFrom('floor' as const, 'round' as const, 'ceil' as const),
    pendingDays: fc.integer({ min: 0, max: 30 }),
    expiryDays: fc.option(fc.integer({ min: 1, max: 365 }), { nil: null }),
  })
  .map((r) => program<'bonus'>({ kind: 'bonus', ...r }));

const levelsArb: fc.Arbitrary<Level[]> = fc
  .tuple(
    fc.option(bp(100), { nil: undefined }),
    fc.option(bp(100), { nil: undefined }),
    fc.option(bp(100), { nil: undefined }),
    fc.option(bp(100), { nil: undefined }),
  )
  .map(([a1, d1, a2, d2]) => [
    { code: 'base', name: 'Base', threshold: 0, ...(a1 !== undefined ? { accrualPercent: a1 } : {}), ...(d1 !== undefined ? { discountPercent: d1 } : {}) },
    { code: 'gold', name: 'Gold', threshold: 100, ...(a2 !== undefined ? { accrualPercent: a2 } : {}), ...(d2 !== undefined ? { discountPercent: d2 } : {}) },
  ]);

const cardArb = fc.record({
  status: fc.constant('active' as const),
  levelCode: fc.constantFrom(null, 'base', 'gold', 'gone'),
  pointsAvailable: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 2_000_000 })),
  giftBalanceMinor: fc.integer({ min: 0, max: 5_000_000 }),
  giftExpiresAt: fc.constantFrom(null, new Date('2027-01-01'), new Date('2026-01-01')),
  stamps: fc.integer({ min: 0, max: 20 }),
});

const amountOrMax = (max: number) => fc.option(fc.oneof(fc.constant('max' as const), fc.integer({ min: 0, max })), { nil: undefined });

const couponRulesArb: fc.Arbitrary<CouponRules> = fc
  .record({
    discount: fc.oneof(
      bp(100)
        .filter((p) => p > 0)
        .map((percent) => ({ type: 'percent' as const, percent })),
      fc.integer({ min: 1, max: 3_000_000 }).map((amountMinor) => ({ type: 'fixed' as const, amountMinor })),
      fc.record({ type: fc.constant('free_item' as const), skus: fc.subarray(SKUS, { minLength: 1 }), qty: fc.integer({ min: 1, max: 4 }) }),
    ),
    excluded: filterArb,
  })
  .map((r) => couponRules.parse(r));

describe('decide — properties', () => {
  it('bonus: no negative figure, redemption within balance and cap, lines sum to totals; only explicit asks are refused', () => {
    fc.assert(
      fc.property(bonusArb, levelsArb, fc.option(cardArb, { nil: null }), basketArb, amountOrMax(3_000_000), (p, levels, c, basket, redeemPoints) => {
        const input: DecideInput = { program: p, levels, card: c, basket, request: { redeemPoints }, now: NOW };
        const r = decide(input);
        const net = (i: number) => basket.items[i].amountMinor; // no discounts in bonus programs
        const redeemable = basket.items.reduce((s, it, i) => {
          const excluded = p.excluded.skus.includes(it.sku) || (it.category !== undefined && p.excluded.categories.includes(it.category));
          return s + (p.excluded.noRedeem && excluded ? 0 : net(i));
        }, 0);
        const capPoints = Math.floor(Math.floor((redeemable * Math.round(p.maxRedeemPercent * 100)) / 10_000) / p.pointValueMinor);
        if (!r.ok) {
          expect(typeof redeemPoints).toBe('number');
          expect(['redeem_over_cap', 'insufficient_points', 'below_min_check', 'card_required']).toContain(r.code);
          if (r.code === 'redeem_over_cap') expect(redeemPoints as number).toBeGreaterThan(capPoints);
          if (r.code === 'insufficient_points') expect(redeemPoints as number).toBeGreaterThan(c!.pointsAvailable);
          return;
        }
        const d = r.decision;
        expectInvariants(input, d);
        expect(d.pointsRedeemed).toBeLessThanOrEqual(Math.min(c?.pointsAvailable ?? 0, capPoints));
        if (c && redeemPoints === 'max' && d.totalMinor >= p.minCheckMinor) expect(d.pointsRedeemed).toBe(Math.min(c.pointsAvailable, capPoints));
        if (typeof redeemPoints === 'number') expect(d.pointsRedeemed).toBe(c ? redeemPoints : 0);
        d.lines.forEach((l, i) => {
          const it = basket.items[i];
          const excluded = p.excluded.skus.includes(it.sku) || (it.category !== undefined && p.excluded.categories.includes(it.category));
          if (excluded && p.excluded.noRedeem) expect(l.pointsValueMinor).toBe(0);
          if (excluded && p.excluded.noEarn) expect(l.accruedPoints).toBe(0);
        });
        if (d.totalMinor < p.minCheckMinor) expect(d.pointsAccrued + d.pointsRedeemed).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('discount + coupon: discount never exceeds the total, lines sum, payable stays non-negative', () => {
    const discountArb = fc
      .record({ discountPercent: bp(100), minCheckMinor: fc.integer({ min: 0, max: 1_000_000 }), excluded: filterArb })
      .map((r) => program<'discount'>({ kind: 'discount', ...r }));
    fc.assert(
      fc.property(
        discountArb,
        levelsArb,
        fc.option(cardArb, { nil: null }),
        basketArb,
        fc.option(couponRulesArb, { nil: undefined }),
        (p, levels, c, basket, rules) => {
          const input: DecideInput = {
            program: p,
            levels,
            card: c,
            basket,
            request: rules ? { couponCode: 'C1' } : {},
            coupon: rules ? { code: 'c1', rules, usesSoFar: 0, usesByThisGuest: 0, status: 'active' } : null,
            now: NOW,
          };
          const r = decide(input);
          if (!r.ok) {
            expect(r.code).toBe('coupon_not_applicable');
            return;
          }
          expectInvariants(input, r.decision);
          expect(r.decision.discountMinor).toBeLessThanOrEqual(r.decision.totalMinor);
          if (rules?.discount.type === 'fixed') expect(r.decision.couponDiscountMinor).toBeLessThanOrEqual(rules.discount.amountMinor);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('gift: spends within the balance and what is left to pay; never a negative balance', () => {
    const giftArb = fc.boolean().map((partialSpend) => program<'gift'>({ kind: 'gift', nominalsMinor: [100_000], partialSpend }));
    fc.assert(
      fc.property(giftArb, cardArb, basketArb, amountOrMax(6_000_000), (p, c, basket, giftAmountMinor) => {
        const input: DecideInput = { program: p, levels: [], card: c, basket, request: { giftAmountMinor }, now: NOW };
        const r = decide(input);
        if (!r.ok) {
          expect(['gift_expired', 'insufficient_gift_balance', 'gift_over_payable', 'gift_partial_not_allowed']).toContain(r.code);
          if (r.code === 'insufficient_gift_balance') expect(giftAmountMinor as number).toBeGreaterThan(c.giftBalanceMinor);
          return;
        }
        const d = r.decision;
        expectInvariants(input, d);
        expect(c.giftBalanceMinor - d.giftSpentMinor - d.giftForfeitedMinor).toBeGreaterThanOrEqual(0);
        if (giftAmountMinor === 'max') expect(d.giftSpentMinor).toBe(Math.min(c.giftBalanceMinor, d.totalMinor));
      }),
      { numRuns: 200 },
    );
  });

  it('stamps: the count after rewards stays below N and nothing is lost', () => {
    const stampArb = fc
      .record({
        earn: fc.oneof(
          fc.constant({ mode: 'per_visit' as const }),
          fc.integer({ min: 1, max: 100_000 }).map((amountMinor) => ({ mode: 'per_amount' as const, amountMinor })),
          fc.subarray(SKUS, { minLength: 1 }).map((skus) => ({ mode: 'per_sku' as const, skus })),
        ),
        stampsRequired: fc.integer({ min: 1, max: 12 }),
        maxStampsPerPurchase: fc.option(fc.integer({ min: 1, max: 20 }), { nil: null }),
        minCheckMinor: fc.integer({ min: 0, max: 500_000 }),
      })
      .map((r) => program<'stamp'>({ kind: 'stamp', reward: { type: 'points', points: 10 }, ...r }));
    fc.assert(
      fc.property(stampArb, cardArb, basketArb, fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }), (p, c, basket, addStamps) => {
        const input: DecideInput = { program: p, levels: [], card: c, basket, request: { addStamps }, now: NOW };
        const r = decide(input);
        if (!r.ok) {
          expect(r.code).toBe('stamps_over_limit');
          return;
        }
        const d = r.decision;
        expectInvariants(input, d);
        expect(c.stamps + d.stampsAdded).toBe(d.stampRewards * p.stampsRequired + d.stampsAfter);
        if (d.stampsAdded > 0) expect(d.stampsAfter).toBeLessThan(p.stampsRequired);
        // No stamp added: no reward is reported (none would be granted) and the card is as it was.
        else expect(d).toMatchObject({ stampRewards: 0, stampsAfter: c.stamps });
        if (p.maxStampsPerPurchase !== null) expect(d.stampsAdded).toBeLessThanOrEqual(p.maxStampsPerPurchase);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses garbage input with invalid_amount or invalid_basket, never throws', () => {
    const junk = fc.oneof(fc.integer({ min: -1000, max: -1 }), fc.double({ noInteger: true }), fc.constant(Number.NaN), fc.constant(2 ** 60));
    fc.assert(
      fc.property(basketArb, junk, fc.constantFrom('amountMinor', 'unitPriceMinor', 'qty', 'redeemPoints', 'giftAmountMinor'), (basket, bad, where) => {
        const request: CheckoutRequest = {};
        const items = basket.items.map((i) => ({ ...i }));
        if (where === 'redeemPoints' || where === 'giftAmountMinor') request[where] = bad;
        else items[0][where] = bad;
        const r = decide({ program: bonus(), levels: [], card: card(), basket: { items }, request, now: NOW });
        expect(r.ok).toBe(false);
        if (!r.ok) expect(DECIDE_REFUSAL_CODES).toContain(r.code);
        if (!r.ok) expect(r.code).toBe('invalid_amount');
      }),
      { numRuns: 200 },
    );
  });
});

describe('redeem by money (pointsForValue)', () => {
  it('takes whole points for the money asked, capped by what may be redeemed', () => {
    expect(pointsForValue(25_050, 100, 1_000)).toBe(250);
    expect(pointsForValue(25_000, 100, 120)).toBe(120);
    expect(pointsForValue(99, 100, 1_000)).toBe(0);
    expect(pointsForValue(5_000, 0, 1_000)).toBe(0);
    expect(pointsForValue(0, 100, 1_000)).toBe(0);
  });

  it('never more money than asked, never more points than allowed, never a fraction of a point; as much as allowed otherwise', () => {
    fc.assert(
      fc.property(fc.nat(10_000_000), fc.integer({ min: 1, max: 10_000 }), fc.nat(1_000_000), (value, pointValue, max) => {
        const points = pointsForValue(value, pointValue, max);
        expect(Number.isSafeInteger(points)).toBe(true);
        expect(points).toBeGreaterThanOrEqual(0);
        expect(points).toBeLessThanOrEqual(max);
        expect(points * pointValue).toBeLessThanOrEqual(value);
        // Maximal: one more point would overshoot the money asked or the cap.
        expect((points + 1) * pointValue > value || points + 1 > max).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('decide: trims the money to the balance and the share, and says what was taken', () => {
    const p = bonus({ maxRedeemPercent: 50, pointValueMinor: 100 });
    const basket = { items: [item('A', 60_000), item('B', 40_000)] };
    // 300.50 asked, 1 000 points: 300 points pay 300.00.
    expect(ok(run({ program: p, basket, card: card({ pointsAvailable: 1_000 }), request: { redeemValueMinor: 30_050 } }))).toMatchObject({
      pointsRedeemed: 300,
      redeemValueMinor: 30_000,
      payableMinor: 70_000,
      maxRedeemablePoints: 500,
      maxRedeemValueMinor: 50_000,
    });
    // More than the balance: the balance.
    expect(ok(run({ program: p, basket, card: card({ pointsAvailable: 120 }), request: { redeemValueMinor: 30_000 } }))).toMatchObject({ pointsRedeemed: 120, redeemValueMinor: 12_000 });
    // More than the share (50 % of 1 000.00): the share.
    expect(ok(run({ program: p, basket, card: card({ pointsAvailable: 5_000 }), request: { redeemValueMinor: 90_000 } }))).toMatchObject({ pointsRedeemed: 500, redeemValueMinor: 50_000 });
    // Below the minimum check nothing may be redeemed: nothing is.
    expect(ok(run({ program: bonus({ minCheckMinor: 200_000 }), basket, card: card({ pointsAvailable: 5_000 }), request: { redeemValueMinor: 1_000 } }))).toMatchObject({ pointsRedeemed: 0, redeemValueMinor: 0 });
  });

  it('decide: refuses money without a card, on a card without points, with redeemPoints, or fractional', () => {
    expect(refusal(run({ card: null, request: { redeemValueMinor: 1_000 } })).code).toBe('card_required');
    expect(refusal(run({ program: program<'stamp'>({ kind: 'stamp', earn: { mode: 'per_visit' }, stampsRequired: 6, reward: { type: 'points', points: 1 } }), request: { redeemValueMinor: 1_000 } })).code).toBe(
      'operation_not_supported',
    );
    expect(refusal(run({ card: card({ pointsAvailable: 500 }), request: { redeemValueMinor: 1_000, redeemPoints: 5 } })).code).toBe('invalid_amount');
    expect(refusal(run({ card: card({ pointsAvailable: 500 }), request: { redeemValueMinor: 10.5 } })).details).toMatchObject({ field: 'redeemValueMinor' });
    expect(ok(run({ card: null, request: { redeemValueMinor: 0 } })).pointsRedeemed).toBe(0);
  });

  it('decide (property): the points taken for money are pointsForValue of the most that may be redeemed', () => {
    fc.assert(
      fc.property(bonusArb, fc.option(cardArb, { nil: null }), basketArb, fc.nat(3_000_000), (p, c, basket, value) => {
        const input: DecideInput = { program: p, levels: [], card: c, basket, request: { redeemValueMinor: value }, now: NOW };
        const r = decide(input);
        if (!r.ok) {
          expect(r.code).toBe('card_required');
          expect(c).toBeNull();
          return;
        }
        const d = r.decision;
        expectInvariants(input, d);
        expect(d.pointsRedeemed).toBe(pointsForValue(value, p.pointValueMinor, d.maxRedeemablePoints));
        expect(d.redeemValueMinor).toBeLessThanOrEqual(value);
        expect(d.redeemValueMinor).toBeLessThanOrEqual(d.maxRedeemValueMinor);
        if (c) expect(d.pointsRedeemed).toBeLessThanOrEqual(c.pointsAvailable);
      }),
      { numRuns: 300 },
    );
  });
});
