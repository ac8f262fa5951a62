import { z } from 'zod';
import { category, moneyMinor, pointsAmount, sku } from '../programs/programs.schemas';

/** Most lines one basket may carry. */
export const MAX_BASKET_LINES = 500;

/**
 * One basket line as the POS rang it up. `amountMinor` is the line total after the POS's own
 * discounts; the loyalty rules work on it (not on `qty × unitPriceMinor`).
 *
 * @example { "sku": "LATTE-03", "name": "Latte 0.3", "category": "coffee", "qty": 2, "unitPriceMinor": 25000, "amountMinor": 50000 }
 */
export const basketItemSchema = z.strictObject({
  sku,
  name: z.string().trim().max(200).optional(),
  category: category.optional(),
  qty: z.number().int('Quantity is a whole number').min(1, 'Quantity is at least 1').max(1_000_000),
  unitPriceMinor: moneyMinor,
  amountMinor: moneyMinor,
});
export type BasketItem = z.infer<typeof basketItemSchema>;

/**
 * The basket of a purchase. `totalMinor` is optional; when given it must equal the sum of the
 * line amounts, which catches a POS that sends a total after a discount it did not itemize.
 */
export const basketSchema = z
  .strictObject({
    totalMinor: moneyMinor.optional(),
    items: z.array(basketItemSchema).min(1, 'A basket has at least one line').max(MAX_BASKET_LINES),
  })
  .superRefine((b, ctx) => {
    const sum = b.items.reduce((s, i) => s + i.amountMinor, 0);
    if (!Number.isSafeInteger(sum)) {
      ctx.addIssue({ code: 'custom', path: ['items'], message: 'The basket total is too large' });
    } else if (b.totalMinor !== undefined && b.totalMinor !== sum) {
      ctx.addIssue({ code: 'custom', path: ['totalMinor'], message: `The total must equal the sum of the lines (${sum})` });
    }
  });
export type Basket = z.infer<typeof basketSchema>;

/** A coupon code as typed or scanned: trimmed and upper-cased. */
export const couponCode = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'Letters, digits, _ and - only')
  .toUpperCase();

/**
 * What the cashier asks for on top of the basket.
 * - `redeemPoints`: points to pay with, or `"max"` for as many as allowed;
 * - `redeemValueMinor`: money to pay with points, in minor units, for tills that send amounts
 *   (r_keeper kopecks, iiko and 1C roubles). Converted by `pointsForValue` (checkout.rules.ts):
 *   whole points only, at most the balance and the program's share; the reply's
 *   `redeemValueMinor` is what was actually taken. Give it or `redeemPoints`, not both;
 * - `giftAmountMinor`: certificate money to pay with, or `"max"`;
 * - `couponCode`: a coupon to apply;
 * - `addStamps`: stamps set by hand, replacing the computed count (stamp cards, e.g. per-visit
 *   cards at a till without line data).
 *
 * @example { "redeemPoints": "max", "couponCode": "SUMMER-7KQ2M9XD" }
 */
export const checkoutRequestSchema = z
  .strictObject({
    redeemPoints: z.union([pointsAmount, z.literal('max')]).optional(),
    redeemValueMinor: moneyMinor.optional(),
    giftAmountMinor: z.union([moneyMinor, z.literal('max')]).optional(),
    couponCode: couponCode.optional(),
    addStamps: z.number().int('Stamps are whole numbers').min(0).max(1000).optional(),
  })
  .superRefine(oneWayToRedeem);
export type CheckoutRequest = z.infer<typeof checkoutRequestSchema>;

/** Points are asked for either as points or as money, never both (which one would win is a guess). */
export function oneWayToRedeem(v: { redeemPoints?: unknown; redeemValueMinor?: unknown }, ctx: z.RefinementCtx): void {
  if (v.redeemPoints !== undefined && v.redeemValueMinor !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['redeemValueMinor'], message: 'Give redeemPoints or redeemValueMinor, not both' });
  }
}
