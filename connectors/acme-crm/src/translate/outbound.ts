import type { EventData } from '@loyalty/sdk';
import { ignored, ok, rejected, type Translation } from './translation';

/** An Acme contact, keyed by our guest id (`externalId`): PUT is an idempotent upsert. */
export interface AcmeContact {
  externalId: string;
  phone: string;
  name: string | null;
  email: string | null;
  source: string;
}

/** An Acme deal for one sale. */
export interface AcmeDeal {
  contactExternalId: string;
  /** What the guest paid in money, minor units. */
  amountMinor: number;
  currency: string;
  pipelineId: string;
  title: string;
  lines: { sku: string; title: string | null; quantity: number; totalMinor: number }[];
}

/** The sale source of this connector's own sales: they came from Acme and are not sent back. */
export const OWN_SOURCE = 'connector:acme-crm';

export function toAcmeContact(g: EventData<'guest.registered'> | EventData<'guest.updated'>): Translation<AcmeContact> {
  if (!g.phone) return ignored('guest has no phone');
  const email = 'email' in g ? g.email : null;
  const source = 'source' in g ? (g.source ?? 'loyalty') : 'loyalty';
  return ok({ externalId: g.guestId, phone: g.phone, name: g.name, email, source });
}

export function toAcmeDeal(c: EventData<'checkout.committed'>, pipelineId: string): Translation<AcmeDeal> {
  if (c.source === OWN_SOURCE) return ignored('the sale came from Acme');
  if (!c.guestId) return ignored('anonymous sale');
  const amountMinor = c.totalMinor - c.discountMinor - c.giftSpentMinor;
  if (amountMinor < 0) return rejected('the sale pays less than nothing');
  const lines = (c.items ?? []).map((i) => ({ sku: i.sku, title: i.name ?? null, quantity: i.qty, totalMinor: i.amountMinor }));
  const title = c.receipt?.number ? `Receipt ${c.receipt.number}` : `Sale ${c.checkoutId}`;
  return ok({ contactExternalId: c.guestId, amountMinor, currency: c.currency, pipelineId, title, lines });
}
