import { z } from 'zod';

/*
 * Programs are card templates of five kinds (discount, bonus, gift, coupon, stamp). The rules of a
 * program are stored as JSON and validated here, once, at the admin API; the pure checkout rules
 * (`checkout.rules.ts`) trust the parsed shape (`ProgramRules`).
 *
 * Money is an integer in minor units (`…Minor`), points are integers, percents are numbers with at
 * most two decimals (12.5 means 12.5 %; the rules work in basis points internally).
 */

// ---------------------------------------------------------------------------------------------
// Building blocks, shared with the checkout schemas
// ---------------------------------------------------------------------------------------------

/** Money in minor units (kopecks, cents): a non-negative safe integer. */
export const moneyMinor = z.number().int('Money is a whole number of minor units (kopecks, cents)').min(0, 'Money cannot be negative');
/** A number of points: a non-negative safe integer. */
export const pointsAmount = z.number().int('Points are whole numbers').min(0, 'Points cannot be negative');

/** A percent from 0 to 100 with at most two decimals, e.g. `5`, `2.5`, `12.75`. */
export const percent = z
  .number()
  .min(0, 'A percent is from 0 to 100')
  .max(100, 'A percent is from 0 to 100')
  .refine((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-6, 'At most two decimals, e.g. 2.5 or 12.75');

/** A machine name: lower-case letters, digits, `_` and `-`, starting with a letter or digit. */
export const slug = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'Lower-case letters, digits, _ and -, up to 32 characters, e.g. gold');

/** A POS article code (SKU), as the till sends it. */
export const sku = z.string().trim().min(1).max(64);
/** A POS category (menu group) code, as the till sends it. */
export const category = z.string().trim().min(1).max(64);

/** Whole days, e.g. pending or expiry periods. */
const days = (max: number) => z.number().int('Days are whole numbers').min(1).max(max);

const uniqueList = <T extends z.ZodType<string>>(item: T, max: number, what: string) =>
  z
    .array(item)
    .max(max)
    .refine((xs) => new Set(xs).size === xs.length, `Each ${what} may appear only once`);

/**
 * Basket lines a rule does not apply to: a line is matched when its SKU is listed or its category
 * is listed.
 */
export const itemFilter = z.strictObject({
  skus: uniqueList(sku, 2000, 'SKU').default([]),
  categories: uniqueList(category, 500, 'category').default([]),
});
export type ItemFilter = z.infer<typeof itemFilter>;
const noItems = (): ItemFilter => ({ skus: [], categories: [] });

// ---------------------------------------------------------------------------------------------
// Levels
// ---------------------------------------------------------------------------------------------

/**
 * A level (tier) of a program. A card is on the highest level whose `threshold` its metric
 * (spend in minor units, or visits) has reached. A level's percent overrides the program's base
 * percent: `discountPercent` in discount programs, `accrualPercent` in bonus programs.
 *
 * @example { "code": "gold", "name": "Gold", "threshold": 5000000, "accrualPercent": 7.5 }
 */
export const levelSchema = z.strictObject({
  code: slug,
  name: z.string().trim().min(1).max(100),
  /** Spend in minor units or number of visits, per the program's `levelPolicy.metric`. */
  threshold: z.number().int('A threshold is a whole number').min(0),
  discountPercent: percent.optional(),
  accrualPercent: percent.optional(),
});
export type Level = z.infer<typeof levelSchema>;

/** Levels in increasing order: unique codes, the first threshold is 0, thresholds strictly increase. */
export const levelsSchema = z
  .array(levelSchema)
  .max(20)
  .superRefine((levels, ctx) => {
    const seen = new Set<string>();
    levels.forEach((l, i) => {
      if (seen.has(l.code)) ctx.addIssue({ code: 'custom', path: [i, 'code'], message: `Level code "${l.code}" is used twice` });
      seen.add(l.code);
      if (i === 0 && l.threshold !== 0) {
        ctx.addIssue({ code: 'custom', path: [i, 'threshold'], message: 'The first level starts at threshold 0' });
      }
      if (i > 0 && l.threshold <= levels[i - 1].threshold) {
        ctx.addIssue({ code: 'custom', path: [i, 'threshold'], message: 'Thresholds must strictly increase from level to level' });
      }
    });
  });

/**
 * How levels are earned and lost.
 * - `metric`: cumulative `spend` (minor units, after discounts) or `visits` (purchases);
 * - `window`: `all_time`, or a rolling window of the last `days` days;
 * - `downgrade`: `never` (a card keeps its best level) or `periodic` (a scheduled job may move a
 *   card down when its metric in the window falls below the level). Upgrades happen at commit.
 */
export const levelPolicySchema = z.strictObject({
  metric: z.enum(['spend', 'visits']),
  window: z.union([z.literal('all_time'), z.strictObject({ days: days(3650) })]),
  downgrade: z.enum(['never', 'periodic']),
});
export type LevelPolicy = z.infer<typeof levelPolicySchema>;
export const defaultLevelPolicy = (): LevelPolicy => ({ metric: 'spend', window: 'all_time', downgrade: 'never' });

// ---------------------------------------------------------------------------------------------
// Rules per kind
// ---------------------------------------------------------------------------------------------

const discountShape = {
  /** Base discount for card holders whose level sets no percent of its own. */
  discountPercent: percent.default(0),
  /** No discount below this basket total. */
  minCheckMinor: moneyMinor.default(0),
  /** Lines that never get the discount (tobacco, alcohol, gift certificates…). */
  excluded: itemFilter.default(noItems),
};

/**
 * Discount program: a percent off for card holders, by level.
 * @example { "discountPercent": 5, "excluded": { "categories": ["tobacco"] } }
 */
export const discountRules = z.strictObject(discountShape);
export type DiscountRules = z.infer<typeof discountRules>;

/** Lines excluded from earning and/or from being paid by points. */
export const bonusExclusions = z.strictObject({
  skus: itemFilter.shape.skus,
  categories: itemFilter.shape.categories,
  /** Excluded lines earn no points. */
  noEarn: z.boolean().default(true),
  /** Excluded lines cannot be paid by points. */
  noRedeem: z.boolean().default(true),
});
export type BonusExclusions = z.infer<typeof bonusExclusions>;

const bonusShape = {
  /** Accrual percent for cards whose level sets no percent of its own (cashback in point value). */
  accrualPercent: percent,
  /** What one point is worth when redeemed, in minor units (100 = one rouble per point). */
  pointValueMinor: z.number().int().min(1).max(1_000_000).default(100),
  /** The largest share of the check (after discounts, excluded lines aside) payable by points. */
  maxRedeemPercent: percent.default(100),
  /** Below this basket total nothing is earned and points cannot be redeemed. */
  minCheckMinor: moneyMinor.default(0),
  excluded: bonusExclusions.default(() => ({ skus: [], categories: [], noEarn: true, noRedeem: true })),
  /** Whether the part of the check paid by points earns points too. */
  pointsPartEarns: z.boolean().default(false),
  /** How a fractional accrual is rounded to whole points. */
  rounding: z.enum(['floor', 'round', 'ceil']).default('floor'),
  /** Days before accrued points become usable (0 = at once). */
  pendingDays: z.number().int().min(0).max(365).default(0),
  /** Days an accrued lot stays usable after it becomes available; null = never expires. */
  expiryDays: days(3650).nullable().default(null),
};

/**
 * Bonus program: points accrued as a percent of the check, redeemed as payment.
 * @example { "accrualPercent": 5, "maxRedeemPercent": 30, "pendingDays": 14, "expiryDays": 365 }
 */
export const bonusRules = z.strictObject(bonusShape);
export type BonusRules = z.infer<typeof bonusRules>;
export type RoundingMode = BonusRules['rounding'];

const giftShape = {
  /** Face values on sale, in minor units, e.g. [100000, 300000]. */
  nominalsMinor: z
    .array(z.number().int().min(1))
    .min(1)
    .max(20)
    .refine((xs) => new Set(xs).size === xs.length, 'Each face value may appear only once'),
  /** If false, the certificate is used once: what the purchase does not cover is forfeited. */
  partialSpend: z.boolean().default(true),
  /** Days a certificate is valid after issue; null = no expiry. */
  expiryDays: days(3650).nullable().default(365),
};

/**
 * Gift certificate: a money balance spent as payment.
 * @example { "nominalsMinor": [100000, 300000], "partialSpend": true, "expiryDays": 365 }
 */
export const giftRules = z.strictObject(giftShape);
export type GiftRules = z.infer<typeof giftRules>;

/** What a coupon gives. `free_item` makes the cheapest `qty` units among `skus` free. */
export const couponDiscount = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('percent'), percent: percent.refine((p) => p > 0, 'A coupon percent is above 0') }),
  z.strictObject({ type: z.literal('fixed'), amountMinor: z.number().int().min(1) }),
  z.strictObject({ type: z.literal('free_item'), skus: uniqueList(sku, 200, 'SKU').min(1), qty: z.number().int().min(1).max(100).default(1) }),
]);
export type CouponDiscount = z.infer<typeof couponDiscount>;

const couponShape = {
  discount: couponDiscount,
  /** `single`: a code is good for one purchase; `multi`: one code is shared (up to `maxUses`). */
  usage: z.enum(['single', 'multi']).default('single'),
  /** Total uses of one multi-use code; null = unlimited. Single-use codes have one use. */
  maxUses: z.number().int().min(1).nullable().default(null),
  /** Uses per guest (needs a card at the till); null = no limit. */
  perGuestLimit: z.number().int().min(1).nullable().default(null),
  minCheckMinor: moneyMinor.default(0),
  /** Validity window, ISO 8601 with offset; `validTo` is exclusive. null = open. */
  validFrom: z.iso.datetime({ offset: true }).nullable().default(null),
  validTo: z.iso.datetime({ offset: true }).nullable().default(null),
  /** Lines the percent/fixed discount does not apply to. */
  excluded: itemFilter.default(noItems),
  /** Shape of bulk-generated codes: `prefix` + `length` characters of an unambiguous alphabet (`generateCouponCodes`). */
  codeFormat: z
    .strictObject({
      prefix: z
        .string()
        .regex(/^[A-Z0-9-]{0,16}$/, 'Capital letters, digits and -, up to 16 characters')
        .default(''),
      length: z.number().int().min(6).max(20).default(8),
    })
    .default(() => ({ prefix: '', length: 8 })),
};

interface CouponCrossFields {
  usage: 'single' | 'multi';
  maxUses: number | null;
  validFrom: string | null;
  validTo: string | null;
}
const checkCoupon = (v: CouponCrossFields, ctx: z.RefinementCtx) => {
  if (v.validFrom && v.validTo && Date.parse(v.validFrom) >= Date.parse(v.validTo)) {
    ctx.addIssue({ code: 'custom', path: ['validTo'], message: 'The validity must end after it starts' });
  }
  if (v.usage === 'single' && v.maxUses !== null && v.maxUses !== 1) {
    ctx.addIssue({ code: 'custom', path: ['maxUses'], message: 'A single-use code has exactly one use; choose usage "multi"' });
  }
};

/**
 * Coupon program: codes giving a percent, a fixed amount or a free item.
 * @example { "discount": { "type": "percent", "percent": 10 }, "usage": "single", "minCheckMinor": 100000,
 *            "validFrom": "2025-06-01T00:00:00+03:00", "validTo": "2025-07-01T00:00:00+03:00" }
 */
export const couponRules = z.strictObject(couponShape).superRefine(checkCoupon);
export type CouponRules = z.infer<typeof couponRules>;

/** How stamps are earned: one per qualifying visit, one per `amountMinor` spent, or one per unit of listed SKUs. */
export const stampEarn = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('per_visit') }),
  z.strictObject({ mode: z.literal('per_amount'), amountMinor: z.number().int().min(1) }),
  z.strictObject({ mode: z.literal('per_sku'), skus: uniqueList(sku, 200, 'SKU').min(1) }),
]);
export type StampEarn = z.infer<typeof stampEarn>;

/** What a full stamp card gives: a coupon of another program (e.g. a free coffee) or points. */
export const stampReward = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('coupon'), couponProgramId: z.uuid(), title: z.string().trim().min(1).max(200) }),
  z.strictObject({ type: z.literal('points'), points: z.number().int().min(1) }),
]);
export type StampReward = z.infer<typeof stampReward>;

const stampShape = {
  earn: stampEarn,
  /** Stamps that complete a card; the count then restarts from the remainder. */
  stampsRequired: z.number().int().min(1).max(1000),
  reward: stampReward,
  /** A purchase below this total earns no stamps. */
  minCheckMinor: moneyMinor.default(0),
  /** Cap of stamps per purchase (computed or added by hand); null = no cap. */
  maxStampsPerPurchase: z.number().int().min(1).max(1000).nullable().default(null),
};

/**
 * Stamp card: N stamps give a reward.
 * @example { "earn": { "mode": "per_visit" }, "stampsRequired": 6,
 *            "reward": { "type": "coupon", "couponProgramId": "…", "title": "Free coffee" } }
 */
export const stampRules = z.strictObject(stampShape);
export type StampRules = z.infer<typeof stampRules>;

// ---------------------------------------------------------------------------------------------
// The union and the admin body
// ---------------------------------------------------------------------------------------------

export const PROGRAM_KINDS = ['discount', 'bonus', 'gift', 'coupon', 'stamp'] as const;
export type ProgramKind = (typeof PROGRAM_KINDS)[number];

/**
 * The rules of a program, tagged by `kind`.
 * @example { "kind": "bonus", "accrualPercent": 5, "maxRedeemPercent": 30 }
 */
export const programRulesSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('discount'), ...discountShape }),
  z.strictObject({ kind: z.literal('bonus'), ...bonusShape }),
  z.strictObject({ kind: z.literal('gift'), ...giftShape }),
  z.strictObject({ kind: z.literal('coupon'), ...couponShape }).superRefine(checkCoupon),
  z.strictObject({ kind: z.literal('stamp'), ...stampShape }),
]);
/** Parsed program rules (defaults filled in). */
export type ProgramRules = z.infer<typeof programRulesSchema>;
/** Program rules as an API client sends them. */
export type ProgramRulesInput = z.input<typeof programRulesSchema>;
export type ProgramRulesOf<K extends ProgramKind> = Extract<ProgramRules, { kind: K }>;

/** Points given to both sides of a referral. */
export const referralSchema = z.strictObject({
  referrerPoints: pointsAmount,
  refereePoints: pointsAmount,
});

/**
 * Body of `POST /v1/admin/programs`.
 * @example { "name": "Coffee club", "rules": { "kind": "bonus", "accrualPercent": 5 },
 *            "levels": [ { "code": "base", "name": "Base", "threshold": 0 },
 *                        { "code": "gold", "name": "Gold", "threshold": 5000000, "accrualPercent": 10 } ],
 *            "welcomeBonusPoints": 100 }
 */
export const createProgramBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    rules: programRulesSchema,
    levels: levelsSchema.default([]),
    levelPolicy: levelPolicySchema.default(defaultLevelPolicy),
    /** Points credited when a card is issued (bonus programs). */
    welcomeBonusPoints: pointsAmount.default(0),
    referral: referralSchema.optional(),
    active: z.boolean().default(true),
  })
  .superRefine((p, ctx) => {
    const kind = p.rules.kind;
    if (p.levels.length > 0 && kind !== 'discount' && kind !== 'bonus') {
      ctx.addIssue({ code: 'custom', path: ['levels'], message: 'Levels apply to discount and bonus programs only' });
    }
    p.levels.forEach((l, i) => {
      if (l.discountPercent !== undefined && kind !== 'discount') {
        ctx.addIssue({ code: 'custom', path: ['levels', i, 'discountPercent'], message: 'A level discount applies to discount programs only' });
      }
      if (l.accrualPercent !== undefined && kind !== 'bonus') {
        ctx.addIssue({ code: 'custom', path: ['levels', i, 'accrualPercent'], message: 'A level accrual percent applies to bonus programs only' });
      }
    });
    if (kind !== 'bonus' && p.welcomeBonusPoints > 0) {
      ctx.addIssue({ code: 'custom', path: ['welcomeBonusPoints'], message: 'Welcome points need a bonus program' });
    }
    if (kind !== 'bonus' && p.referral && (p.referral.referrerPoints > 0 || p.referral.refereePoints > 0)) {
      ctx.addIssue({ code: 'custom', path: ['referral'], message: 'Referral points need a bonus program' });
    }
  });
export type CreateProgramBody = z.infer<typeof createProgramBody>;
export type CreateProgramInput = z.input<typeof createProgramBody>;
