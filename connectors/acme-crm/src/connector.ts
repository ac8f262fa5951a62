import { CommandError, defineConnector, PermanentError, rawBody, type HandlerContext } from '@loyalty/sdk';
import { Router, type Request, type Response } from 'express';
import { configSchema, type AcmeConfig } from './config.schema';
import { manifest } from './manifest';
import { acmeOrder, orderBasket, orderCommit, parseAcmeWebhook, refundKey, type AcmeOrder } from './translate/inbound';
import { toAcmeContact, toAcmeDeal } from './translate/outbound';
import { verifyAcmeSignature } from './translate/signature';
import { AcmeClient } from './transport/acme-client';

const client = (ctx: HandlerContext<AcmeConfig>) => new AcmeClient(ctx.http, ctx.config.baseUrl, ctx.config.apiKey);
const orderStoreKey = (orderId: string) => `order:${orderId}`;

/** What Acme reads in our answer. 4xx: Acme must not retry; 503: retry later (nothing was written). */
function answerError(res: Response, e: unknown): void {
  if (e instanceof CommandError && e.status < 500) {
    res.status(e.status === 404 ? 404 : 422).json({ error: e.code, message: e.message });
    return;
  }
  res.status(503).json({ error: 'try_again', message: 'The loyalty hub is not answering; retry later' });
}

/** The card a paid order goes on: the phone's card, or a new one of the configured program. */
async function cardFor(ctx: HandlerContext<AcmeConfig>, order: AcmeOrder): Promise<string | null> {
  try {
    return (await ctx.hub.request('card.lookup', { phone: order.customer.phone, ...(ctx.config.programId ? { programId: ctx.config.programId } : {}) })).card
      .id;
  } catch (e) {
    if (!(e instanceof CommandError) || e.status !== 404 || !ctx.config.programId) throw e;
  }
  const { cardId } = await ctx.hub.request('guest.upsert', {
    phone: order.customer.phone,
    ...(order.customer.name ? { name: order.customer.name } : {}),
    ...(order.customer.email ? { email: order.customer.email } : {}),
    source: 'acme-crm',
    programId: ctx.config.programId,
  });
  return cardId;
}

/** A paid order: the points the shopper paid with are taken, the rest accrues; one sale per order. */
async function orderPaid(ctx: HandlerContext<AcmeConfig>, order: AcmeOrder) {
  const cardId = await cardFor(ctx, order);
  if (!cardId) return { ignored: 'the customer has no loyalty card' };
  try {
    const sale = await ctx.hub.request('checkout.commit', orderCommit(order, cardId, order.payWithPointsMinor));
    await ctx.store.set(orderStoreKey(order.id), sale.id);
    return {
      checkoutId: sale.id,
      replayed: sale.replayed === true,
      pointsAccrued: sale.pointsAccrued,
      pointsRedeemed: sale.pointsRedeemed,
      redeemValueMinor: sale.redeemValueMinor,
    };
  } catch (e) {
    // The same receipt arrived by another path (a till, an earlier call): already counted.
    if (e instanceof CommandError && e.code === 'receipt_already_recorded') return { alreadyCounted: true, checkoutId: e.details?.checkoutId ?? null };
    throw e;
  }
}

export const connector = defineConnector({
  manifest,
  configSchema,
  handlers: {
    'guest.registered': async (msg, ctx) => {
      const t = toAcmeContact(msg.data);
      if (t.kind === 'ignored') return ctx.log.debug({ reason: t.reason }, 'guest not sent to Acme');
      if (t.kind === 'rejected') throw new PermanentError(t.reason);
      await ctx.store.set(`contact:${msg.data.guestId}`, await client(ctx).putContact(t.value));
    },
    'guest.updated': async (msg, ctx) => {
      const t = toAcmeContact(msg.data);
      if (t.kind === 'ignored') return ctx.log.debug({ reason: t.reason }, 'guest not sent to Acme');
      if (t.kind === 'rejected') throw new PermanentError(t.reason);
      await ctx.store.set(`contact:${msg.data.guestId}`, await client(ctx).putContact(t.value));
    },
    'checkout.committed': async (msg, ctx) => {
      const t = toAcmeDeal(msg.data, ctx.config.pipelineId);
      if (t.kind === 'ignored') return ctx.log.debug({ reason: t.reason }, 'sale not sent to Acme');
      if (t.kind === 'rejected') throw new PermanentError(t.reason);
      // Events are not ordered across types: until the contact is in Acme, retry later.
      if (!(await ctx.store.get<string>(`contact:${t.value.contactExternalId}`))) throw new Error('contact not in Acme yet');
      await client(ctx).postDeal(t.value, msg.id);
    },
  },
  inbound: (inbound) => {
    const router = Router();
    /** Verifies Acme's signature over the raw body before anything is parsed; the business's context or an answer sent. */
    const verified = async (req: Request, res: Response): Promise<HandlerContext<AcmeConfig> | undefined> => {
      const ctx = await inbound.forBusiness(String(req.params.businessId));
      if (!ctx) return void res.status(404).json({ error: 'not_installed' });
      const check = verifyAcmeSignature(ctx.config.webhookSecret, req.header('x-acme-signature'), rawBody(req), Math.floor(Date.now() / 1000));
      if (!check.ok) return void res.status(401).json({ error: 'bad_signature', reason: check.reason });
      return ctx;
    };

    // Acme's checkout asks, before charging, how much the shopper may pay with points.
    router.post('/:businessId/quote', async (req, res) => {
      const ctx = await verified(req, res);
      if (!ctx) return;
      const order = acmeOrder.omit({ paidAt: true }).safeParse(req.body);
      if (!order.success) return void res.status(422).json({ error: 'invalid_order', message: order.error.issues.map((i) => i.path.join('.')).join(', ') });
      try {
        const { card } = await ctx.hub.request('card.lookup', {
          phone: order.data.customer.phone,
          ...(ctx.config.programId ? { programId: ctx.config.programId } : {}),
        });
        const q = await ctx.hub.request('checkout.quote', { card: { id: card.id }, basket: orderBasket({ ...order.data, paidAt: '' }), redeemPoints: 'max' });
        res.json({ cardNumber: card.number, maxPayWithPointsMinor: q.redeemValueMinor, pointsToAccrue: q.pointsAccrued, balancePoints: card.pointsAvailable });
      } catch (e) {
        answerError(res, e);
      }
    });

    router.post('/:businessId/hooks', async (req, res) => {
      const ctx = await verified(req, res);
      if (!ctx) return;
      const t = parseAcmeWebhook(req.body);
      if (t.kind === 'ignored') return void res.json({ ignored: t.reason });
      if (t.kind === 'rejected') return void res.status(422).json({ error: 'invalid_event', message: t.reason });
      const ev = t.value;
      try {
        switch (ev.type) {
          case 'contact.updated': {
            const r = await ctx.hub.request('guest.upsert', ev.upsert);
            return void res.json({ guestId: r.guest.id, created: r.created });
          }
          case 'order.paid':
            return void res.json(await orderPaid(ctx, ev.order));
          case 'order.refunded': {
            const checkoutId = await ctx.store.get<string>(orderStoreKey(ev.orderId));
            if (!checkoutId) return void res.json({ ignored: 'no sale recorded for this order' });
            const r = await ctx.hub.request('checkout.refund', {
              checkoutId,
              idempotencyKey: refundKey(ev.refund.id),
              ...(ev.refund.full ? { full: true } : { amountMinor: ev.refund.amountMinor! }),
              reason: `Acme refund ${ev.refund.id}`,
            });
            return void res.json({ refundId: r.id, replayed: r.replayed === true, pointsReturned: r.pointsReturned, pointsReversed: r.pointsReversed });
          }
        }
      } catch (e) {
        inbound.log.warn({ err: e instanceof Error ? e.message : String(e), event: ev.type }, 'Acme webhook not applied');
        answerError(res, e);
      }
    });
    return router;
  },
  check: async (config, ctx) => {
    const r = await new AcmeClient(ctx.http, config.baseUrl, config.apiKey).me();
    if (r.status === 200) return { ok: true, detail: `Connected as ${r.account ?? 'unknown'}` };
    return { ok: false, error: r.status === 401 ? 'Acme refused the API key' : `Acme answered ${r.status}` };
  },
});
