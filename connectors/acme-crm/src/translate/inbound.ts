import type { CommandRequest } from '@loyalty/sdk';
import { z } from 'zod';
import { ignored, ok, rejected, type Translation } from './translation';

const money = z.number().int().min(0);

/** A customer as Acme sends it. */
const customer = z.object({
  phone: z.string().min(3).max(40),
  name: z.string().max(200).nullish(),
  email: z.email().max(254).nullish(),
  marketingConsent: z.boolean().optional(),
});

/** An order line: quantity and money in minor units. */
const orderLine = z.object({
  sku: z.string().min(1).max(64),
  title: z.string().max(200).nullish(),
  category: z.string().min(1).max(64).nullish(),
  quantity: z.number().int().min(1),
  priceMinor: money,
  totalMinor: money,
});

export const acmeOrder = z.object({
  id: z.string().min(1).max(64),
  number: z.string().min(1).max(64).optional(),
  paidAt: z.iso.datetime({ offset: true }),
  customer,
  lines: z.array(orderLine).min(1).max(500),
  /** Money the shopper chose to pay with loyalty points (our quote told them the most they can). */
  payWithPointsMinor: money.default(0),
});
export type AcmeOrder = z.infer<typeof acmeOrder>;

const envelope = z.object({ id: z.string().min(1).max(64), type: z.string().min(1).max(64), data: z.unknown() });

const contactUpdated = z.object({ contact: z.object({ id: z.string().min(1).max(64) }).extend(customer.shape) });
const orderPaid = z.object({ order: acmeOrder });
const orderRefunded = z.object({
  order: z.object({ id: z.string().min(1).max(64) }),
  refund: z
    .object({ id: z.string().min(1).max(64), amountMinor: z.number().int().min(1).optional(), full: z.boolean().optional() })
    .refine((r) => (r.full === true) !== (r.amountMinor !== undefined), 'a refund has either amountMinor or full: true'),
});

/** What an Acme webhook asks of the hub. */
export type AcmeEvent =
  | { type: 'contact.updated'; eventId: string; upsert: CommandRequest<'guest.upsert'> }
  | { type: 'order.paid'; eventId: string; order: AcmeOrder }
  | { type: 'order.refunded'; eventId: string; orderId: string; refund: { id: string; amountMinor?: number; full?: boolean } };

const why = (e: z.ZodError) => e.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');

/** Reads an Acme webhook body (already verified). Unknown event types are ignored, not refused. */
export function parseAcmeWebhook(body: unknown): Translation<AcmeEvent> {
  const env = envelope.safeParse(body);
  if (!env.success) return rejected(why(env.error));
  const { id, type, data } = env.data;
  switch (type) {
    case 'contact.updated': {
      const d = contactUpdated.safeParse(data);
      if (!d.success) return rejected(why(d.error));
      const c = d.data.contact;
      return ok({
        type,
        eventId: id,
        upsert: {
          phone: c.phone,
          ...(c.name !== undefined ? { name: c.name } : {}),
          ...(c.email !== undefined ? { email: c.email } : {}),
          ...(c.marketingConsent !== undefined ? { marketingConsent: c.marketingConsent } : {}),
          source: 'acme-crm',
        },
      });
    }
    case 'order.paid': {
      const d = orderPaid.safeParse(data);
      return d.success ? ok({ type, eventId: id, order: d.data.order }) : rejected(why(d.error));
    }
    case 'order.refunded': {
      const d = orderRefunded.safeParse(data);
      return d.success ? ok({ type, eventId: id, orderId: d.data.order.id, refund: d.data.refund }) : rejected(why(d.error));
    }
    default:
      return ignored(`event type ${type} is not handled`);
  }
}

/** The basket of an Acme order in the contract's shape. */
export function orderBasket(order: AcmeOrder): CommandRequest<'checkout.quote'>['basket'] {
  return {
    items: order.lines.map((l) => ({
      sku: l.sku,
      ...(l.title ? { name: l.title } : {}),
      ...(l.category ? { category: l.category } : {}),
      qty: l.quantity,
      unitPriceMinor: l.priceMinor,
      amountMinor: l.totalMinor,
    })),
  };
}

/** Idempotency keys: one sale per Acme order, one refund per Acme refund, whatever the retries. */
export const orderKey = (orderId: string) => `acme-order:${orderId}`;
export const refundKey = (refundId: string) => `acme-refund:${refundId}`;

/** The commit for a paid order: the receipt fingerprint makes it count once on any path. */
export function orderCommit(order: AcmeOrder, cardId: string, redeemValueMinor: number): CommandRequest<'checkout.commit'> {
  return {
    idempotencyKey: orderKey(order.id),
    card: { id: cardId },
    basket: orderBasket(order),
    ...(redeemValueMinor > 0 ? { redeemValueMinor } : {}),
    receipt: { number: order.number ?? order.id, date: order.paidAt, till: 'acme' },
  };
}
