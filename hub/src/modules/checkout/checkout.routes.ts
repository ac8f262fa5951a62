import type { Request } from 'express';
import { z } from 'zod';
import type { Api } from '../../http/api';
import { exactLookupForCashier, ROLE_SETS } from '../../http/auth';
import { idParam } from '../tenants/tenants.schemas';
import type { CheckoutService } from './checkout.service';
import { saleFilter, saleFilterFields, type SalesHistory } from './sales.service';
import { checkoutOut, checkoutView, commitBody, idempotencyHeaders, quoteBody, quoteView, refundBody, refundOut, refundView } from './checkout.api-schemas';

/** Names shown beside a sale in the console, loaded for a whole page at once. */
const saleNames = z.object({ cardNumber: z.string().nullable(), programName: z.string().nullable(), guestName: z.string().nullable(), guestPhone: z.string().nullable() });

/** Who made a sale: the terminal and the actor (`staff` with the cashier's id through the web scanner, `terminal` from a POS). */
const saleActor = z.object({ terminalId: z.string().nullable(), actorType: z.string(), actorId: z.string() });

export function checkoutRoutes(api: Api, checkout: CheckoutService, currencyOf: (req: Request) => Promise<string>, history: SalesHistory): void {
  const tags = ['POS'];
  api.route(
    {
      method: 'post',
      path: '/v1/pos/checkouts/quote',
      summary: 'Compute discount, points and stamps for a basket without writing anything',
      tags,
      auth: 'terminal',
      scope: 'pos',
      body: quoteBody,
      response: quoteView,
      errors: [404, 409, 422],
    },
    async (req) => checkout.quote(req.ctx, req.valid.body),
  );
  api.route(
    {
      method: 'post',
      path: '/v1/pos/checkouts',
      summary: 'Commit (or hold) a sale; safe to retry with the same Idempotency-Key',
      description:
        'Same key + same body returns the stored checkout (`replayed: true`); same key + another body is 409. A receipt (number, date, till) is recorded once per business, whichever path it arrives by.',
      tags,
      auth: 'terminal',
      scope: 'pos',
      headers: idempotencyHeaders,
      body: commitBody,
      response: checkoutView,
      status: 201,
      errors: [404, 409, 422, 429],
    },
    async (req, res) => {
      const { checkout: c, replayed } = await checkout.commit(req.ctx, req.valid.headers['idempotency-key'], req.valid.body);
      if (replayed) res.status(200).setHeader('Idempotent-Replayed', 'true');
      const out = checkoutOut(c, await currencyOf(req), replayed);
      if (replayed) {
        res.json(out);
        return;
      }
      return out;
    },
  );
  api.route(
    { method: 'get', path: '/v1/pos/checkouts/:id', summary: 'One checkout', tags, auth: 'terminal', scope: 'pos', params: idParam, response: checkoutView, errors: [404] },
    async (req) => checkoutOut(await checkout.get(req.ctx, req.valid.params.id), await currencyOf(req)),
  );
  api.route(
    { method: 'post', path: '/v1/pos/checkouts/:id/capture', summary: 'Capture a held sale (idempotent)', tags, auth: 'terminal', scope: 'pos', params: idParam, response: checkoutView, errors: [404, 409] },
    async (req) => checkoutOut(await checkout.capture(req.ctx, req.valid.params.id), await currencyOf(req)),
  );
  api.route(
    {
      method: 'post',
      path: '/v1/pos/checkouts/:id/cancel',
      summary: 'Cancel a held sale: reserved points go back (idempotent)',
      tags,
      auth: 'terminal',
      scope: 'pos',
      params: idParam,
      response: checkoutView,
      errors: [404, 409],
    },
    async (req) => checkoutOut(await checkout.cancel(req.ctx, req.valid.params.id), await currencyOf(req)),
  );
  api.route(
    {
      method: 'post',
      path: '/v1/pos/checkouts/:id/refunds',
      summary: 'Refund a sale wholly or partly (idempotent on Idempotency-Key)',
      tags,
      auth: 'terminal',
      scope: 'pos:refund',
      params: idParam,
      headers: idempotencyHeaders,
      body: refundBody,
      response: refundView,
      status: 201,
      errors: [404, 409, 422],
    },
    async (req, res) => {
      const { refund, replayed } = await checkout.refund(req.ctx, req.valid.params.id, req.valid.headers['idempotency-key'], req.valid.body);
      if (replayed) {
        res.status(200).setHeader('Idempotent-Replayed', 'true').json(refundOut(refund, true));
        return;
      }
      return refundOut(refund);
    },
  );
  api.route(
    {
      method: 'post',
      path: '/v1/pos/checkouts/:id/refunds/:refundId/void',
      summary: 'Void a refund (return rollback): undo it exactly, or refuse (idempotent on Idempotency-Key)',
      description: [
        'For tills that roll a return back (r_keeper chmode 4). Every effect of the refund is reversed exactly: the points it gave back to the guest are taken again,',
        'the accrued points it took back are credited again (into the lots they came from), certificate money and stamps likewise, and the sale’s refunded sums',
        'lose the refund’s figures, so the sale can be refunded again. Each ledger entry of the void is linked to the refund’s entry it undoes, and',
        '`checkout.refund_voided` is published.',
        '\n\nWhen the reversal cannot be exact nothing moves and the void is refused: 422 `refund_void_insufficient_points` when the guest has already spent',
        'the points the refund gave back, 422 `refund_void_insufficient_gift` for spent certificate money. 404 `refund_not_found` when the refund is not one',
        'of this sale’s. 409 `refund_already_voided` when it was voided under another Idempotency-Key; the same key answers the stored result again',
        '(`replayed: true`, header `Idempotent-Replayed`).',
      ].join(' '),
      tags,
      auth: 'terminal',
      scope: 'pos:refund',
      params: idParam.extend({ refundId: z.uuid() }),
      headers: idempotencyHeaders,
      response: refundView,
      errors: [404, 409, 422],
    },
    async (req, res) => {
      const { refund, replayed } = await checkout.voidRefund(req.ctx, req.valid.params.id, req.valid.params.refundId, req.valid.headers['idempotency-key']);
      if (replayed) res.setHeader('Idempotent-Replayed', 'true');
      return refundOut(refund, replayed);
    },
  );

  // Console views of sales (History).
  api.route(
    {
      method: 'get',
      path: '/v1/admin/checkouts',
      summary: 'Sales (newest first), filtered by period, status, location, terminal, cashier, guest or card',
      tags: ['History'],
      auth: { roles: ROLE_SETS.staff },
      query: z.strictObject({
        limit: z.coerce.number().int().min(1).max(200).default(50),
        cursor: z.uuid().optional(),
        ...saleFilterFields,
      }),
      response: z.object({ items: z.array(checkoutView.extend(saleNames.shape).extend(saleActor.shape)), nextCursor: z.string().nullable() }),
    },
    async (req) => {
      const q = req.valid.query;
      exactLookupForCashier(req, ['guestId', 'cardId']);
      const r = await history.list(req.ctx, q);
      const currency = await currencyOf(req);
      const names = await checkout.names(req.ctx, r.items);
      return {
        items: r.items.map((c) => ({ ...checkoutOut(c, currency), ...names(c), terminalId: c.terminalId, actorType: c.actorType, actorId: c.actorId })),
        nextCursor: r.nextCursor,
      };
    },
  );
  api.route(
    {
      method: 'get',
      path: '/v1/admin/checkouts/totals',
      summary: 'The totals row of the sales history: sums over every sale of the filter, computed by the database',
      description: 'Canceled sales are left out unless `status=canceled` asks for them. `pointsValueMinor` values the points paid with at each program’s point value.',
      tags: ['History'],
      auth: { roles: ROLE_SETS.marketing },
      query: saleFilter,
      response: z.object({
        currency: z.string(),
        sales: z.number().int(),
        totalMinor: z.number().int(),
        discountMinor: z.number().int(),
        pointsRedeemed: z.number().int(),
        pointsValueMinor: z.number().int(),
        pointsAccrued: z.number().int(),
        refundedMinor: z.number().int(),
      }),
    },
    async (req) => ({ currency: await currencyOf(req), ...(await history.totals(req.ctx, req.valid.query)) }),
  );
  api.route(
    {
      method: 'get',
      path: '/v1/admin/checkouts/:id',
      summary: 'One sale with its refunds',
      tags: ['History'],
      auth: { roles: ROLE_SETS.staff },
      params: idParam,
      response: checkoutView.extend({ refunds: z.array(refundView) }),
      errors: [404],
    },
    async (req) => {
      const c = await checkout.get(req.ctx, req.valid.params.id);
      return { ...checkoutOut(c, await currencyOf(req)), refunds: (await checkout.refundsOf(req.ctx, c.id)).map((r) => refundOut(r)) };
    },
  );
}
