import { z } from 'zod';
import {
  bonusRules,
  couponRules,
  createProgramBody,
  discountRules,
  giftRules,
  levelPolicySchema,
  levelsSchema,
  percent,
  programRulesSchema,
  stampRules,
  type CreateProgramInput,
} from './programs.schemas';

const COUPON_PROGRAM = '7f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f';
const messages = (r: { success: boolean; error?: z.ZodError }) => (r.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

describe('program rules', () => {
  it('fills the documented defaults per kind', () => {
    expect(discountRules.parse({})).toEqual({ discountPercent: 0, minCheckMinor: 0, excluded: { skus: [], categories: [] } });
    expect(bonusRules.parse({ accrualPercent: 5 })).toEqual({
      accrualPercent: 5,
      pointValueMinor: 100,
      maxRedeemPercent: 100,
      minCheckMinor: 0,
      excluded: { skus: [], categories: [], noEarn: true, noRedeem: true },
      pointsPartEarns: false,
      rounding: 'floor',
      pendingDays: 0,
      expiryDays: null,
    });
    expect(giftRules.parse({ nominalsMinor: [100_000] })).toEqual({ nominalsMinor: [100_000], partialSpend: true, expiryDays: 365 });
    expect(couponRules.parse({ discount: { type: 'percent', percent: 10 } })).toMatchObject({
      usage: 'single',
      maxUses: null,
      perGuestLimit: null,
      validFrom: null,
      validTo: null,
      codeFormat: { prefix: '', length: 8 },
    });
    expect(couponRules.parse({ discount: { type: 'free_item', skus: ['LATTE'] } }).discount).toEqual({ type: 'free_item', skus: ['LATTE'], qty: 1 });
    expect(
      stampRules.parse({ earn: { mode: 'per_visit' }, stampsRequired: 6, reward: { type: 'coupon', couponProgramId: COUPON_PROGRAM, title: 'Free coffee' } }),
    ).toMatchObject({ minCheckMinor: 0, maxStampsPerPurchase: null });
  });

  it('accepts percents with up to two decimals only', () => {
    for (const ok of [0, 2.5, 12.75, 99.99, 100]) expect(percent.safeParse(ok).success).toBe(true);
    for (const bad of [-0.01, 100.01, 12.345, Number.NaN]) expect(percent.safeParse(bad).success).toBe(false);
  });

  it.each([
    ['negative money', { kind: 'bonus', accrualPercent: 5, minCheckMinor: -1 }, 'minCheckMinor'],
    ['fractional money', { kind: 'bonus', accrualPercent: 5, minCheckMinor: 10.5 }, 'minCheckMinor'],
    ['an unsafe integer', { kind: 'discount', minCheckMinor: 2 ** 60 }, 'minCheckMinor'],
    ['a zero point value', { kind: 'bonus', accrualPercent: 5, pointValueMinor: 0 }, 'pointValueMinor'],
    ['a missing accrual percent', { kind: 'bonus' }, 'accrualPercent'],
    ['an unknown field', { kind: 'discount', discountPercnt: 5 }, ''],
    ['a field of another kind', { kind: 'discount', accrualPercent: 5 }, ''],
    ['an unknown kind', { kind: 'cashback' }, 'kind'],
    ['a duplicate SKU', { kind: 'discount', excluded: { skus: ['A', 'A'] } }, 'excluded.skus'],
    ['duplicate face values', { kind: 'gift', nominalsMinor: [100, 100] }, 'nominalsMinor'],
    [
      'a coupon window ending before it starts',
      { kind: 'coupon', discount: { type: 'fixed', amountMinor: 100 }, validFrom: '2026-07-01T00:00:00Z', validTo: '2026-06-01T00:00:00Z' },
      'validTo',
    ],
    ['a coupon date without offset', { kind: 'coupon', discount: { type: 'fixed', amountMinor: 100 }, validFrom: '2026-07-01' }, 'validFrom'],
    ['a single-use coupon with several uses', { kind: 'coupon', discount: { type: 'percent', percent: 5 }, maxUses: 3 }, 'maxUses'],
    ['a zero percent coupon', { kind: 'coupon', discount: { type: 'percent', percent: 0 } }, 'discount.percent'],
    ['a zero stamp count', { kind: 'stamp', earn: { mode: 'per_visit' }, stampsRequired: 0, reward: { type: 'points', points: 5 } }, 'stampsRequired'],
    [
      'a per-SKU stamp with no SKU',
      { kind: 'stamp', earn: { mode: 'per_sku', skus: [] }, stampsRequired: 5, reward: { type: 'points', points: 5 } },
      'earn.skus',
    ],
  ])('refuses %s', (_what, rules, path) => {
    const r = programRulesSchema.safeParse(rules);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('accepts a valid coupon window with offsets', () => {
    const r = programRulesSchema.parse({
      kind: 'coupon',
      discount: { type: 'percent', percent: 10 },
      usage: 'multi',
      maxUses: 100,
      validFrom: '2026-06-01T00:00:00+03:00',
      validTo: '2026-07-01T00:00:00+03:00',
    });
    expect(r.kind).toBe('coupon');
  });
});

describe('levels', () => {
  it('need unique codes and strictly increasing thresholds from 0', () => {
    expect(levelsSchema.safeParse([]).success).toBe(true);
    expect(
      levelsSchema.safeParse([
        { code: 'base', name: 'Base', threshold: 0 },
        { code: 'gold', name: 'Gold', threshold: 100, accrualPercent: 7.5 },
      ]).success,
    ).toBe(true);
    expect(messages(levelsSchema.safeParse([{ code: 'base', name: 'Base', threshold: 10 }]))).toEqual(['0.threshold: The first level starts at threshold 0']);
    expect(
      messages(
        levelsSchema.safeParse([
          { code: 'base', name: 'Base', threshold: 0 },
          { code: 'base', name: 'Again', threshold: 0 },
        ]),
      ),
    ).toEqual(['1.code: Level code "base" is used twice', '1.threshold: Thresholds must strictly increase from level to level']);
    expect(levelsSchema.safeParse([{ code: 'Gold Tier', name: 'Gold', threshold: 0 }]).success).toBe(false);
  });

  it('policies: spend or visits, all time or a rolling window', () => {
    expect(levelPolicySchema.safeParse({ metric: 'visits', window: { days: 90 }, downgrade: 'periodic' }).success).toBe(true);
    expect(levelPolicySchema.safeParse({ metric: 'spend', window: { days: 0 }, downgrade: 'never' }).success).toBe(false);
    expect(levelPolicySchema.safeParse({ metric: 'spend', window: 'forever', downgrade: 'never' }).success).toBe(false);
  });
});

describe('createProgramBody', () => {
  const body = (over: Partial<CreateProgramInput> = {}): CreateProgramInput => ({ name: 'Coffee club', rules: { kind: 'bonus', accrualPercent: 5 }, ...over });

  it('parses a bonus program with levels and defaults', () => {
    const p = createProgramBody.parse(
      body({
        levels: [
          { code: 'base', name: 'Base', threshold: 0 },
          { code: 'gold', name: 'Gold', threshold: 5_000_000, accrualPercent: 10 },
        ],
        welcomeBonusPoints: 100,
        referral: { referrerPoints: 200, refereePoints: 100 },
      }),
    );
    expect(p).toMatchObject({
      name: 'Coffee club',
      active: true,
      welcomeBonusPoints: 100,
      levelPolicy: { metric: 'spend', window: 'all_time', downgrade: 'never' },
    });
    expect(createProgramBody.parse(body()).levels).toEqual([]);
  });

  it.each([
    ['levels on a gift program', { rules: { kind: 'gift', nominalsMinor: [1000] }, levels: [{ code: 'base', name: 'B', threshold: 0 }] }, 'levels'],
    ['a level discount on a bonus program', { levels: [{ code: 'base', name: 'B', threshold: 0, discountPercent: 5 }] }, 'levels.0.discountPercent'],
    [
      'a level accrual on a discount program',
      { rules: { kind: 'discount' }, levels: [{ code: 'base', name: 'B', threshold: 0, accrualPercent: 5 }] },
      'levels.0.accrualPercent',
    ],
    ['welcome points without points', { rules: { kind: 'discount' }, welcomeBonusPoints: 10 }, 'welcomeBonusPoints'],
    ['referral points without points', { rules: { kind: 'discount' }, referral: { referrerPoints: 1, refereePoints: 0 } }, 'referral'],
    ['negative welcome points', { welcomeBonusPoints: -1 }, 'welcomeBonusPoints'],
    ['an empty name', { name: '  ' }, 'name'],
    ['an unknown field', { color: 'red' } as object, ''],
  ] as [string, Partial<CreateProgramInput>, string][])('refuses %s', (_what, over, path) => {
    const r = createProgramBody.safeParse(body(over));
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('converts to JSON Schema for the OpenAPI document', () => {
    const js = z.toJSONSchema(createProgramBody, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as { required?: string[] };
    expect(js.required).toEqual(expect.arrayContaining(['name', 'rules']));
  });
});
