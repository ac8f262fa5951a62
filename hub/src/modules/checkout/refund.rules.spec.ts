import fc from 'fast-check';
import { programRulesSchema, type ProgramRulesOf } from '../programs/programs.schemas';
import { decide, type Decision } from './checkout.rules';
import { planRefund, planRefundVoid, type RefundDone, type RefundedSoFar, type RefundOriginal, type RefundPlan, type RefundRequest, type RefundResult, type SkuQty } from './refund.rules';

const NOW = new Date('2026-06-15T12:00:00Z');
const NOTHING: RefundedSoFar = {
  amountMinor: 0,
  pointsReturned: 0,
  pointsReversed: 0,
  giftReturnedMinor: 0,
  payableReturnedMinor: 0,
  stampsReversed: 0,
  lines: [],
};

function ok(r: RefundResult): RefundPlan {
  if (!r.ok) throw new Error(`refused ${r.code}: ${r.message}`);
  return r.plan;
}
function add(a: RefundedSoFar, p: RefundPlan): RefundedSoFar {
  const lines = new Map<string, number>((a.lines ?? []).map((l) => [l.sku, l.qty]));
  for (const l of p.lines) lines.set(l.sku, (lines.get(l.sku) ?? 0) + l.qty);
  return {
    amountMinor: a.amountMinor + p.amountMinor,
    pointsReturned: a.pointsReturned + p.pointsReturned,
    pointsReversed: a.pointsReversed + p.pointsReversed,
    giftReturnedMinor: a.giftReturnedMinor + p.giftReturnedMinor,
    payableReturnedMinor: a.payableReturnedMinor + p.payableReturnedMinor,
    stampsReversed: a.stampsReversed + p.stampsReversed,
    lines: [...lines].map(([sku, qty]) => ({ sku, qty })),
  };
}

/** A real purchase: 600.00 of coffee and 400.00 of tobacco (no earning, no paying by points), 300 points redeemed. */
function purchase(): Decision {
  const program = programRulesSchema.parse({
    kind: 'bonus',
    accrualPercent: 5,
    maxRedeemPercent: 50,
    excluded: { categories: ['tobacco'] },
  }) as ProgramRulesOf<'bonus'>;
  const r = decide({
    program,
    levels: [],
    card: { status: 'active', levelCode: null, pointsAvailable: 1000, giftBalanceMinor: 0, giftExpiresAt: null, stamps: 0 },
    basket: {
      items: [
        { sku: 'LATTE', category: 'coffee', qty: 3, unitPriceMinor: 20_000, amountMinor: 60_000 },
        { sku: 'CIG', category: 'tobacco', qty: 1, unitPriceMinor: 40_000, amountMinor: 40_000 },
      ],
    },
    request: { redeemPoints: 'max' },
    now: NOW,
  });
  if (!r.ok) throw new Error(r.code);
  return r.decision;
}

describe('planRefund', () => {
  const d = purchase();

  it('sets up the purchase the tests expect', () => {
    expect(d).toMatchObject({ totalMinor: 100_000, pointsRedeemed: 300, payableMinor: 70_000, pointsAccrued: 15 });
  });

  it('a full refund returns everything, exactly', () => {
    expect(ok(planRefund(d, NOTHING, { full: true }))).toEqual({
      amountMinor: 100_000,
      payableReturnedMinor: 70_000,
      pointsReturned: 300,
      pointsReversed: 15,
      giftReturnedMinor: 0,
      stampsReversed: 0,
      final: true,
      lines: [],
    });
  });

  it('a partial amount returns a proportional share, rounded down; the rest comes with the last refund', () => {
    const half = ok(planRefund(d, NOTHING, { amountMinor: 50_000 }));
    expect(half).toMatchObject({ amountMinor: 50_000, pointsReturned: 150, pointsReversed: 7, payableReturnedMinor: 35_000, final: false });
    const rest = ok(planRefund(d, add(NOTHING, half), { amountMinor: 50_000 }));
    expect(rest).toMatchObject({ pointsReturned: 150, pointsReversed: 8, payableReturnedMinor: 35_000, final: true });
  });

  it('a line refund takes back what that line earned and was paid by', () => {
    const cig = ok(planRefund(d, NOTHING, { lines: [{ sku: 'CIG', qty: 1 }] }));
    expect(cig).toMatchObject({
      amountMinor: 40_000,
      pointsReturned: 0,
      pointsReversed: 0,
      payableReturnedMinor: 40_000,
      final: false,
      lines: [{ sku: 'CIG', qty: 1 }],
    });
    const latte = ok(planRefund(d, add(NOTHING, cig), { lines: [{ sku: 'LATTE', qty: 1 }] }));
    expect(latte).toMatchObject({ amountMinor: 20_000, pointsReturned: 100, pointsReversed: 5, payableReturnedMinor: 10_000, final: false });
  });

  it('unit-by-unit line refunds add up exactly when earlier units are passed', () => {
    let so = NOTHING;
    const steps: RefundPlan[] = [];
    for (const req of [
      { sku: 'CIG', qty: 1 },
      { sku: 'LATTE', qty: 1 },
      { sku: 'LATTE', qty: 1 },
      { sku: 'LATTE', qty: 1 },
    ]) {
      const p = ok(planRefund(d, so, { lines: [req] }));
      steps.push(p);
      so = add(so, p);
    }
    expect(steps.map((s) => s.final)).toEqual([false, false, false, true]);
    expect(so).toMatchObject({ amountMinor: 100_000, pointsReturned: 300, pointsReversed: 15, payableReturnedMinor: 70_000 });
  });

  it.each([
    ['refund_exceeds_remaining', NOTHING, { amountMinor: 100_001 }],
    ['refund_exceeds_remaining', { ...NOTHING, amountMinor: 100_000 }, { full: true }],
    ['refund_exceeds_remaining', { ...NOTHING, amountMinor: 90_000 }, { amountMinor: 10_001 }],
    ['refund_exceeds_remaining', NOTHING, { lines: [{ sku: 'LATTE', qty: 4 }] }],
    [
      'refund_exceeds_remaining',
      { ...NOTHING, lines: [{ sku: 'LATTE', qty: 2 }] },
      {
        lines: [
          { sku: 'LATTE', qty: 1 },
          { sku: 'LATTE', qty: 1 },
        ],
      },
    ],
    ['refund_exceeds_remaining', { ...NOTHING, amountMinor: 70_000 }, { lines: [{ sku: 'CIG', qty: 1 }] }],
    ['refund_line_not_found', NOTHING, { lines: [{ sku: 'BEER', qty: 1 }] }],
    ['invalid_amount', NOTHING, { amountMinor: 0 }],
    ['invalid_amount', NOTHING, { amountMinor: -5 }],
    ['invalid_amount', NOTHING, { amountMinor: 10.5 }],
    ['invalid_amount', NOTHING, { lines: [{ sku: 'LATTE', qty: 0 }] }],
    ['invalid_amount', NOTHING, { lines: [] }],
    ['invalid_amount', { ...NOTHING, pointsReturned: -1 }, { full: true }],
  ] as [string, RefundedSoFar, RefundRequest][])('refuses with %s', (code, so, req) => {
    const r = planRefund(d, so, req);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(code);
      expect(r.message.length).toBeGreaterThan(5);
    }
  });

  it('refuses an inconsistent original', () => {
    const broken = { ...d, lines: [{ ...d.lines[0], pointsValueMinor: 70_000 }] };
    expect(planRefund(broken, NOTHING, { full: true })).toMatchObject({ ok: false, code: 'invalid_amount' });
  });

  it('returns certificate money and stamps pro rata, the remainder at the end', () => {
    const gift: RefundOriginal = {
      totalMinor: 10_000,
      discountMinor: 0,
      payableMinor: 7001,
      pointsRedeemed: 0,
      pointsAccrued: 0,
      giftSpentMinor: 2999,
      stampsAdded: 1,
      lines: [{ sku: 'A', qty: 1, amountMinor: 10_000, discountMinor: 0, pointsValueMinor: 0, accruedPoints: 0 }],
    };
    const third = ok(planRefund(gift, NOTHING, { amountMinor: 3333 }));
    expect(third).toMatchObject({ giftReturnedMinor: 999, payableReturnedMinor: 2333, stampsReversed: 0 });
    const rest = ok(planRefund(gift, add(NOTHING, third), { full: true }));
    expect(rest).toMatchObject({ amountMinor: 6667, giftReturnedMinor: 2000, payableReturnedMinor: 4668, stampsReversed: 1, final: true });
  });

  it('a purchase discounted to zero can still be fully refunded (stamps, points)', () => {
    const free: RefundOriginal = {
      totalMinor: 500,
      discountMinor: 500,
      payableMinor: 0,
      pointsRedeemed: 0,
      pointsAccrued: 0,
      giftSpentMinor: 0,
      stampsAdded: 2,
      lines: [{ sku: 'A', qty: 1, amountMinor: 500, discountMinor: 500, pointsValueMinor: 0, accruedPoints: 0 }],
    };
    expect(ok(planRefund(free, NOTHING, { full: true }))).toMatchObject({ amountMinor: 0, stampsReversed: 2, final: true });
    expect(ok(planRefund(free, NOTHING, { lines: [{ sku: 'A', qty: 1 }] }))).toMatchObject({ stampsReversed: 2, final: true });
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/** A consistent original purchase, built line by line. */
const originalArb: fc.Arbitrary<RefundOriginal> = fc
  .record({
    lines: fc.array(
      fc.record({
        sku: fc.constantFrom('A', 'B', 'C', 'D'),
        qty: fc.integer({ min: 1, max: 5 }),
        amountMinor: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 1_000_000 })),
        discountShare: fc.double({ min: 0, max: 1, noNaN: true }),
        pointsShare: fc.double({ min: 0, max: 1, noNaN: true }),
        accruedPoints: fc.integer({ min: 0, max: 500 }),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    giftShare: fc.double({ min: 0, max: 1, noNaN: true }),
    stampsAdded: fc.integer({ min: 0, max: 10 }),
  })
  .map(({ lines, giftShare, stampsAdded }) => {
    const ls = lines.map(({ discountShare, pointsShare, ...l }) => {
      const discountMinor = Math.floor(l.amountMinor * discountShare);
      const pointsValueMinor = Math.floor((l.amountMinor - discountMinor) * pointsShare);
      return { ...l, discountMinor, pointsValueMinor };
    });
    const sum = (f: (l: (typeof ls)[number]) => number) => ls.reduce((s, l) => s + f(l), 0);
    const totalMinor = sum((l) => l.amountMinor);
    const discountMinor = sum((l) => l.discountMinor);
    const redeemValue = sum((l) => l.pointsValueMinor);
    const giftSpentMinor = Math.floor((totalMinor - discountMinor - redeemValue) * giftShare);
    return {
      totalMinor,
      discountMinor,
      payableMinor: totalMinor - discountMinor - redeemValue - giftSpentMinor,
      pointsRedeemed: redeemValue, // one minor unit per point
      pointsAccrued: sum((l) => l.accruedPoints),
      giftSpentMinor,
      stampsAdded,
      lines: ls,
    };
  });

type Step = { kind: 'amount'; f: number } | { kind: 'line'; pick: number; f: number } | { kind: 'full' };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('amount' as const), f: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('line' as const), pick: fc.nat(), f: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.constant({ kind: 'full' as const }),
);

const MEASURES = [
  ['pointsReturned', 'pointsRedeemed'],
  ['pointsReversed', 'pointsAccrued'],
  ['giftReturnedMinor', 'giftSpentMinor'],
  ['payableReturnedMinor', 'payableMinor'],
  ['stampsReversed', 'stampsAdded'],
] as const;

describe('planRefund — properties', () => {
  it('cumulative refunds never exceed what was taken, and completing the refund returns exactly that', () => {
    fc.assert(
      fc.property(originalArb, fc.array(stepArb, { maxLength: 8 }), (o, steps) => {
        const paidTotal = o.totalMinor - o.discountMinor;
        let so: RefundedSoFar = NOTHING;
        let done = false;
        const check = () => {
          for (const [got, had] of MEASURES) expect(so[got]).toBeLessThanOrEqual(o[had]);
          expect(so.amountMinor).toBeLessThanOrEqual(paidTotal);
        };
        for (const step of [...steps, { kind: 'full' } as Step]) {
          if (done) break;
          let req: RefundRequest;
          if (step.kind === 'full') req = { full: true };
          else if (step.kind === 'amount') req = { amountMinor: Math.max(1, Math.round((paidTotal - so.amountMinor) * step.f)) };
          else {
            const line = o.lines[step.pick % o.lines.length];
            const units = o.lines.filter((l) => l.sku === line.sku).reduce((s, l) => s + l.qty, 0);
            const left = units - (so.lines?.find((l) => l.sku === line.sku)?.qty ?? 0);
            req = { lines: [{ sku: line.sku, qty: Math.max(1, Math.round(left * step.f)) }] };
          }
          const r = planRefund(o, so, req);
          if (!r.ok) {
            expect(['refund_exceeds_remaining', 'invalid_amount']).toContain(r.code);
            if (step.kind === 'full') throw new Error(`a full refund was refused: ${r.code}`);
            continue;
          }
          for (const v of Object.values(r.plan)) if (typeof v === 'number') expect(Number.isSafeInteger(v) && v >= 0).toBe(true);
          so = add(so, r.plan);
          check();
          done = r.plan.final;
        }
        expect(done).toBe(true);
        for (const [got, had] of MEASURES) expect(so[got]).toBe(o[had]);
      }),
      { numRuns: 200 },
    );
  });

  it('lines refunded unit by unit (earlier units passed) add up to the whole purchase', () => {
    fc.assert(
      fc.property(originalArb, (o) => {
        let so: RefundedSoFar = NOTHING;
        const units: SkuQty[] = o.lines.flatMap((l) => Array.from({ length: l.qty }, () => ({ sku: l.sku, qty: 1 })));
        units.forEach((u, i) => {
          const p = ok(planRefund(o, so, { lines: [u] }));
          if (i === units.length - 1) expect(p.final).toBe(true);
          so = add(so, p);
          // Final early only when the units left carry no paid amount: everything is back already.
          if (p.final) for (const [got, had] of MEASURES) expect(so[got]).toBe(o[had]);
        });
        expect(so.amountMinor).toBe(o.totalMinor - o.discountMinor);
        expect(so.pointsReversed).toBe(o.pointsAccrued);
        for (const [got, had] of MEASURES) expect(so[got]).toBe(o[had]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('planRefundVoid', () => {
  const done = (p: RefundPlan, over: Partial<RefundDone> = {}): RefundDone => ({
    amountMinor: p.amountMinor,
    payableReturnedMinor: p.payableReturnedMinor,
    pointsReturned: p.pointsReturned,
    pointsReversed: p.pointsReversed,
    pointsShortfall: 0,
    giftReturnedMinor: p.giftReturnedMinor,
    stampsReversed: p.stampsReversed,
    stampsShortfall: 0,
    ...over,
  });
  const rich = { pointsUsable: 1_000_000, giftBalanceMinor: 10_000_000 };

  it('undoes every effect of the refund, or refuses when the guest spent what it gave back', () => {
    const p = ok(planRefund(purchase(), NOTHING, { amountMinor: 50_000 }));
    const so = add(NOTHING, p);
    const v = planRefundVoid(done(p), so, { pointsUsable: p.pointsReturned, giftBalanceMinor: 0 });
    if (!v.ok) throw new Error(v.code);
    expect(v.plan).toMatchObject({ pointsTaken: p.pointsReturned, pointsRestored: p.pointsReversed, giftTakenMinor: 0, stampsRestored: 0 });
    expect(v.plan.refundedAfter).toEqual({ amountMinor: 0, payableReturnedMinor: 0, pointsReturned: 0, pointsReversed: 0, giftReturnedMinor: 0, stampsReversed: 0 });
    const spent = planRefundVoid(done(p), so, { pointsUsable: p.pointsReturned - 1, giftBalanceMinor: 0 });
    expect(spent).toMatchObject({ ok: false, code: 'refund_void_insufficient_points', details: { pointsNeeded: p.pointsReturned, pointsUsable: p.pointsReturned - 1 } });
    const gift = planRefundVoid(done(p, { giftReturnedMinor: 500 }), so, { pointsUsable: 1000, giftBalanceMinor: 499 });
    expect(gift).toMatchObject({ ok: false, code: 'refund_void_insufficient_gift' });
  });

  it('restores only the accrued points and stamps actually taken, but removes the shortfalls from the sums', () => {
    const p = ok(planRefund(purchase(), NOTHING, { full: true }));
    const so = add(NOTHING, p);
    const v = planRefundVoid(done(p, { pointsReversed: p.pointsReversed - 3, pointsShortfall: 3 }), so, rich);
    if (!v.ok) throw new Error(v.code);
    expect(v.plan.pointsRestored).toBe(p.pointsReversed - 3);
    expect(v.plan.refundedAfter.pointsReversed).toBe(0);
  });

  it('moves nothing on a sale without a card, only the sums', () => {
    const p = ok(planRefund(purchase(), NOTHING, { amountMinor: 10_000 }));
    const v = planRefundVoid(done(p), add(NOTHING, p), null);
    if (!v.ok) throw new Error(v.code);
    expect(v.plan).toMatchObject({ pointsTaken: 0, pointsRestored: 0, giftTakenMinor: 0, stampsRestored: 0 });
    expect(v.plan.refundedAfter.amountMinor).toBe(0);
  });

  it('(property) voiding one refund of a series leaves the sums of the others, and the purchase refunds to exactly what was taken', () => {
    fc.assert(
      fc.property(originalArb, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 5 }), fc.nat(), (o, fractions, pick) => {
        const paidTotal = o.totalMinor - o.discountMinor;
        const plans: RefundPlan[] = [];
        let so: RefundedSoFar = NOTHING;
        for (const f of fractions) {
          const left = paidTotal - so.amountMinor;
          if (left <= 0) break;
          const r = planRefund(o, so, { amountMinor: Math.max(1, Math.round(left * f)) });
          if (!r.ok) continue;
          plans.push(r.plan);
          so = add(so, r.plan);
        }
        if (!plans.length) return;
        const i = pick % plans.length;
        const v = planRefundVoid(done(plans[i]), so, rich);
        if (!v.ok) throw new Error(v.code);
        const others = plans.filter((_, j) => j !== i).reduce(add, NOTHING);
        const { lines: _lines, ...expected } = others;
        expect(v.plan.refundedAfter).toEqual(expected);
        // After the void the rest of the purchase can still be refunded, never past what was taken.
        const rest = planRefund(o, { ...v.plan.refundedAfter, lines: [] }, { full: true });
        if (v.plan.refundedAfter.amountMinor < paidTotal) {
          const total = add({ ...v.plan.refundedAfter, lines: [] }, ok(rest));
          for (const [got, had] of MEASURES) expect(total[got]).toBe(o[had]);
        }
      }),
      { numRuns: 200 },
    );
  });
});
