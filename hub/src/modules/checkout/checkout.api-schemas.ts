import { z } from 'zod';
import { cardView } from '../cards/cards.schemas';
import type { Checkout, CheckoutRefund } from './checkout.entity';
import type { StoredDecision } from './checkout.service';
import { checkoutSource } from './checkout.source';
import { guestView } from '../guests/guests.schemas';
import { basketSchema, checkoutRequestSchema, oneWayToRedeem } from './checkout.schemas';

/** How the till identifies the card: exactly one of number, QR payload, phone or id. */
export const cardRef = z
  .strictObject({
    id: z.uuid().optional(),
    number: z
      .string()
      .trim()
      .regex(/^[\d\s-]{6,24}$/, 'Digits only')
      .optional(),
    qr: z.string().trim().min(1).max(200).optional(),
    phone: z.string().trim().min(3).max(40).optional(),
  })
  .refine((c) => [c.id, c.number, c.qr, c.phone].filter(Boolean).length === 1, { message: 'Give exactly one of id, number, qr, phone', path: ['number'] });

/**
 * The receipt as the POS knows it. Together with the location and till it forms the receipt
 * fingerprint: the same sale arriving twice (plugin and webhook, agent replay) counts once.
 */
export const receiptSchema = z.strictObject({
  number: z.string().trim().min(1).max(64),
  /** Date (YYYY-MM-DD) or date-time of the receipt. */
  date: z.union([z.iso.date(), z.iso.datetime({ offset: true })]),
  till: z.string().trim().min(1).max(64).optional(),
});

export const quoteBody = z
  .strictObject({
    card: cardRef.optional(),
    basket: basketSchema,
    ...checkoutRequestSchema.shape,
  })
  .superRefine(oneWayToRedeem);

/**
 * Body of `POST /v1/pos/checkouts`.
 * @example { "card": { "number": "1010000012345" }, "basket": { "items": [ { "sku": "LATTE", "qty": 1, "unitPriceMinor": 25000, "amountMinor": 25000 } ] },
 *            "redeemPoints": "max", "receipt": { "number": "A-1042", "date": "2026-11-25" } }
 */
export const commitBody = quoteBody.extend({
  receipt: receiptSchema.optional(),
  /** `hold`: reserve points (two-phase), capture or cancel later. */
  mode: z.enum(['commit', 'hold']).default('commit'),
  locationId: z.uuid().optional(),
});
export type CommitBody = z.infer<typeof commitBody>;
export type QuoteBody = z.infer<typeof quoteBody>;

export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string({ error: 'The Idempotency-Key header is required' })
    .trim()
    .regex(/^[\x21-\x7e]{1,128}$/, '1 to 128 printable ASCII characters'),
});

export const refundBody = z
  .strictObject({
    /** Refund this much of the sale's total (minor units); omit with `full: true`. */
    amountMinor: z.number().int().min(1).optional(),
    full: z.boolean().optional(),
    reason: z.string().trim().max(500).optional(),
  })
  .refine((b) => (b.full === true) !== (b.amountMinor !== undefined), { message: 'Give either amountMinor or full: true', path: ['amountMinor'] });
export type RefundBody = z.infer<typeof refundBody>;

export const checkoutView = z.object({
  id: z.string(),
  status: z.enum(['held', 'committed', 'canceled']),
  replayed: z.boolean().optional(),
  cardId: z.string().nullable(),
  guestId: z.string().nullable(),
  currency: z.string(),
  totalMinor: z.number().int(),
  discountMinor: z.number().int(),
  couponDiscountMinor: z.number().int(),
  pointsRedeemed: z.number().int(),
  redeemValueMinor: z.number().int(),
  giftSpentMinor: z.number().int(),
  payableMinor: z.number().int().describe('What the guest still pays in money'),
  pointsAccrued: z.number().int(),
  pointsAvailableAt: z.string().nullable(),
  stampsAdded: z.number().int(),
  stampRewards: z.number().int(),
  couponCode: z.string().nullable(),
  lines: z.array(z.record(z.string(), z.unknown())),
  balanceAfter: z.object({ points: z.number().int(), giftMinor: z.number().int(), stamps: z.number().int(), levelCode: z.string().nullable() }).nullable(),
  holdExpiresAt: z.date().nullable(),
  refunded: z.object({ amountMinor: z.number().int(), payableMinor: z.number().int(), pointsReturned: z.number().int(), pointsReversed: z.number().int(), giftMinor: z.number().int() }),
  receipt: z.record(z.string(), z.unknown()).nullable(),
  locationId: z.string().nullable(),
  /** Where the sale came from: pos (terminal key), web_scanner, console, system. */
  source: z.string(),
  createdAt: z.date(),
});

export const quoteView = z.object({
  currency: z.string(),
  cardId: z.string().nullable(),
  totalMinor: z.number().int(),
  discountMinor: z.number().int(),
  couponDiscountMinor: z.number().int(),
  pointsRedeemed: z.number().int(),
  maxRedeemablePoints: z.number().int(),
  /** Minor units one point pays for (0: the card carries no points). */
  pointValueMinor: z.number().int().describe('Minor units one point pays for (0: the card carries no points)'),
  /** The most money points may pay on this basket: `maxRedeemablePoints × pointValueMinor`. */
  maxRedeemValueMinor: z.number().int().describe('The most money points may pay on this basket (maxRedeemablePoints × pointValueMinor)'),
  redeemValueMinor: z.number().int().describe('Money paid by points: pointsRedeemed × pointValueMinor'),
  giftSpentMinor: z.number().int(),
  payableMinor: z.number().int(),
  pointsAccrued: z.number().int(),
  stampsAdded: z.number().int(),
  lines: z.array(z.record(z.string(), z.unknown())),
});

export const refundView = z.object({
  id: z.string(),
  checkoutId: z.string(),
  replayed: z.boolean().optional(),
  amountMinor: z.number().int(),
  payableReturnedMinor: z.number().int().describe('Money to hand back to the guest'),
  pointsReturned: z.number().int(),
  pointsReversed: z.number().int(),
  pointsShortfall: z.number().int(),
  giftReturnedMinor: z.number().int(),
  stampsReversed: z.number().int(),
  /** Stamps the refund should have taken back but the card no longer had. */
  stampsShortfall: z.number().int(),
  full: z.boolean(),
  voidedAt: z.date().nullable().describe('When the refund was voided (all its effects reversed); null while it stands'),
  createdAt: z.date(),
});

/** What a till sees when it looks a card up (POS and web scanner): the card with its guest. */
export const cardLookupView = z.object({
  card: cardView,
  guest: guestView.nullable(),
  pointValueMinor: z.number().int().describe('Minor units one point pays for (0: the card carries no points)'),
  maxRedeemValueMinor: z.number().int().describe('Value of the points usable now (pointsAvailable × pointValueMinor); a check’s own cap comes with its quote'),
});

/** A checkout as the API shows it (`checkoutView`). */
export function checkoutOut(c: Checkout, currency: string, replayed?: boolean) {
  const d = c.decision as StoredDecision;
  return {
    id: c.id,
    status: c.status,
    ...(replayed ? { replayed: true } : {}),
    cardId: c.cardId,
    guestId: c.guestId,
    currency,
    totalMinor: c.totalMinor,
    discountMinor: c.discountMinor,
    couponDiscountMinor: d.couponDiscountMinor,
    pointsRedeemed: c.pointsRedeemed,
    redeemValueMinor: d.redeemValueMinor,
    giftSpentMinor: c.giftSpentMinor,
    payableMinor: d.payableMinor,
    pointsAccrued: c.pointsAccrued,
    pointsAvailableAt: c.pointsAccrued > 0 ? d.accrualAvailableAt : null,
    stampsAdded: c.stampsAdded,
    stampRewards: c.status === 'committed' ? d.stampRewards : 0,
    couponCode: c.couponCode,
    // Lines follow the basket's order; the POS's product names come from the basket.
    lines: d.lines.map((line, i) => ({ ...line, name: (c.basket as { items?: { name?: string }[] })?.items?.[i]?.name ?? null })) as unknown as Record<string, unknown>[],
    locationId: c.locationId,
    source: checkoutSource(c),
    balanceAfter: d.after ?? null,
    holdExpiresAt: c.holdExpiresAt,
    refunded: { amountMinor: c.refundedMinor, payableMinor: c.refundedPayableMinor, pointsReturned: c.refundedPointsReturned, pointsReversed: c.refundedPointsReversed, giftMinor: c.refundedGiftMinor },
    receipt: c.receipt ?? null,
    createdAt: c.createdAt,
  };
}

export const refundOut = (r: CheckoutRefund, replayed?: boolean) => ({
  id: r.id,
  checkoutId: r.checkoutId,
  ...(replayed ? { replayed: true } : {}),
  amountMinor: r.amountMinor,
  payableReturnedMinor: r.payableReturnedMinor,
  pointsReturned: r.pointsReturned,
  pointsReversed: r.pointsReversed,
  pointsShortfall: r.pointsShortfall,
  giftReturnedMinor: r.giftReturnedMinor,
  stampsReversed: r.stampsReversed,
  stampsShortfall: r.stampsShortfall ?? 0,
  full: r.full,
  voidedAt: r.voidedAt ?? null,
  createdAt: r.createdAt,
});
