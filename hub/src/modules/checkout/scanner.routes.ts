import { z } from 'zod';
import type { Api } from '../../http/api';
import { ROLE_SETS } from '../../http/auth';
import { tooMany } from '../../shared/errors';
import { idParam } from '../tenants/tenants.schemas';
import type { TenantsService } from '../tenants/tenants.service';
import type { AuditService } from '../audit/audit.service';
import type { CardsService } from '../cards/cards.service';
import type { GuestsService } from '../guests/guests.service';
import { lookupQuery } from '../cards/cards.schemas';
import { moneyMinor, pointsAmount } from '../programs/programs.schemas';
import { couponCode } from './checkout.schemas';
import { cardLookupView, cardRef, checkoutOut, checkoutView, idempotencyHeaders, quoteView, refundOut, refundView } from './checkout.api-schemas';
import type { CheckoutService } from './checkout.service';

/**
 * The web scanner: a cashier with no POS integration scans the guest's QR (or finds them by phone),
 * types the amount and confirms. The typed amount cannot be verified, so every operation counts
 * against a per-staff hourly limit; each confirm tap carries its own request id (Idempotency-Key).
 */
export const scannerOperationBody = z.strictObject({
  card: cardRef,
  locationId: z.uuid(),
  /** The amount of the purchase as typed by the cashier, in minor units. */
  amountMinor: moneyMinor.refine((n) => n > 0, 'The amount must be above zero'),
  redeemPoints: z.union([pointsAmount, z.literal('max')]).optional(),
  giftAmountMinor: z.union([moneyMinor, z.literal('max')]).optional(),
  couponCode: couponCode.optional(),
  addStamps: z.number().int().min(0).max(100).optional(),
  note: z.string().trim().max(200).optional(),
});
export type ScannerOperation = z.infer<typeof scannerOperationBody>;

const toBasket = (amountMinor: number) => ({ items: [{ sku: 'SCANNER', name: 'Purchase (web scanner)', qty: 1, unitPriceMinor: amountMinor, amountMinor }] });

/** Who a recent operation was for, as the till shows it before a reversal: a name and the phone's last 4 digits. */
const recentGuest = z.object({ name: z.string().nullable(), phoneLast4: z.string().nullable() }).nullable();

export function scannerRoutes(api: Api, deps: { checkout: CheckoutService; cards: CardsService; tenants: TenantsService; audit: AuditService; guests: GuestsService }): void {
  const tags = ['Web scanner'];
  const { checkout, cards, tenants, audit, guests } = deps;

  api.route(
    {
      method: 'get',
      path: '/v1/scanner/cards/lookup',
      summary: 'Find a card by scanned QR, number or phone',
      tags,
      auth: { roles: ROLE_SETS.staff },
      query: lookupQuery,
      response: cardLookupView,
      errors: [404],
    },
    async (req) => cards.lookupView(req.ctx, req.valid.query),
  );

  api.route(
    {
      method: 'post',
      path: '/v1/scanner/quote',
      summary: 'What an operation would do (nothing is written)',
      tags,
      auth: { roles: ROLE_SETS.staff },
      body: scannerOperationBody.omit({ note: true }),
      response: quoteView,
      errors: [404, 409, 422],
    },
    async (req) => {
      const b = req.valid.body;
      return checkout.quote(req.ctx, { card: b.card, basket: toBasket(b.amountMinor), redeemPoints: b.redeemPoints, giftAmountMinor: b.giftAmountMinor, couponCode: b.couponCode, addStamps: b.addStamps });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/v1/scanner/operations',
      summary: 'Confirm an operation: accrue, redeem, stamp or apply a coupon (one request id per tap)',
      tags,
      auth: { roles: ROLE_SETS.staff },
      headers: idempotencyHeaders,
      body: scannerOperationBody,
      response: checkoutView,
      status: 201,
      errors: [404, 409, 422, 429],
    },
    async (req, res) => {
      const b = req.valid.body;
      const key = `scanner:${req.valid.headers['idempotency-key']}`;
      await tenants.getLocation(req.ctx, b.locationId);
      const limit = (await tenants.settings(req.ctx)).fraudLimits.scannerOpsPerStaffPerHour;
      if (limit !== null && !(await checkout.isReplay(req.ctx, key))) {
        const done = await checkout.countByActorSince(req.ctx, req.ctx.actor.id, new Date(Date.now() - 3_600_000));
        if (done >= limit) {
          await audit.recordAlone(req.ctx, { action: 'fraud.limit_exceeded', targetType: 'staff', targetId: req.ctx.actor.id, after: { limit: 'scannerOpsPerStaffPerHour', max: limit, amountMinor: b.amountMinor } });
          throw tooMany('fraud_limit_exceeded', `Limit reached: at most ${limit} scanner operations per hour for one cashier`, { limit: 'scannerOpsPerStaffPerHour' });
        }
      }
      const { checkout: c, replayed } = await checkout.commit({ ...req.ctx, actor: { ...req.ctx.actor, locationId: b.locationId } }, key, {
        card: b.card,
        basket: toBasket(b.amountMinor),
        redeemPoints: b.redeemPoints,
        giftAmountMinor: b.giftAmountMinor,
        couponCode: b.couponCode,
        addStamps: b.addStamps,
        mode: 'commit',
        locationId: b.locationId,
      });
      const out = checkoutOut(c, await tenants.currency(req.ctx), replayed);
      if (replayed) {
        res.status(200).setHeader('Idempotent-Replayed', 'true').json(out);
        return;
      }
      return out;
    },
  );

  api.route(
    {
      method: 'get',
      path: '/v1/scanner/operations',
      summary: 'Recent scanner operations at a location (newest first)',
      tags,
      auth: { roles: ROLE_SETS.staff },
      query: z.strictObject({ locationId: z.uuid().optional(), limit: z.coerce.number().int().min(1).max(100).default(20) }),
      response: z.object({ items: z.array(checkoutView.extend({ guest: recentGuest })) }),
    },
    async (req) => {
      const items = await checkout.recentByLocation(req.ctx, req.valid.query.locationId ?? null, req.valid.query.limit);
      const currency = await tenants.currency(req.ctx);
      const who = new Map((await guests.contacts(req.ctx, [...new Set(items.flatMap((c) => (c.guestId ? [c.guestId] : [])))])).map((g) => [g.id, g]));
      return {
        items: items.map((c) => {
          const g = c.guestId ? who.get(c.guestId) : undefined;
          const digits = (g?.phone ?? '').replace(/\D/g, '');
          return { ...checkoutOut(c, currency), guest: g ? { name: g.name, phoneLast4: digits.length >= 4 ? digits.slice(-4) : null } : null };
        }),
      };
    },
  );

  api.route(
    {
      method: 'post',
      path: '/v1/scanner/operations/:id/reverse',
      summary: 'Reverse an operation (a manager: owner or admin) — a full refund, once',
      tags,
      auth: { roles: ROLE_SETS.admins },
      params: idParam,
      body: z.strictObject({ reason: z.string().trim().min(3).max(500) }),
      response: refundView,
      errors: [404, 409, 422],
    },
    async (req) => {
      // One reversal per operation whatever the reason typed: the key is the operation's.
      const { refund, replayed } = await checkout.refund(req.ctx, req.valid.params.id, `reverse:${req.valid.params.id}`, { full: true });
      if (!replayed) await audit.recordAlone(req.ctx, { action: 'scanner.operation_reversed', targetType: 'checkout', targetId: req.valid.params.id, after: { reason: req.valid.body.reason, refundId: refund.id } });
      return refundOut(refund);
    },
  );
}
