import { z } from 'zod';

const id = z.string().min(1).max(64);
const int = z.number().int();

/** A guest registered (public form, POS, import or console). */
export const guestRegistered = z.object({
  guestId: id,
  phone: z.string().nullable(),
  name: z.string().nullable(),
  source: z.string().nullable(),
  referrerGuestId: id.nullable().optional(),
});

/**
 * A guest's profile changed (console, a connector's `guest.upsert`, the guest). `changed` names the
 * fields that changed; the contact fields carry their new values.
 * @since contract 1.1
 * @example { "guestId": "…", "changed": ["name", "email"], "phone": "+79991234567", "name": "Anna", "email": "anna@example.com", "birthday": null, "marketingConsent": true }
 */
export const guestUpdated = z.object({
  guestId: id,
  changed: z.array(z.string()),
  phone: z.string().nullable(),
  name: z.string().nullable(),
  email: z.string().nullable(),
  birthday: z.string().nullable(),
  marketingConsent: z.boolean(),
});

/**
 * A guest was erased (right to be forgotten): every consumer drops what it keeps about this guest
 * (CRM contacts, delivery logs). The payload carries no personal data.
 * @since contract 1.1
 */
export const guestErased = z.object({ guestId: id });

/** A card was issued to a guest. */
export const cardIssued = z.object({ cardId: id, guestId: id.nullable(), programId: id, programKind: z.string(), number: z.string() });

/** A card's balance changed (points for bonus cards, minor units for gift cards, stamps for stamp cards). */
export const cardBalanceChanged = z.object({
  cardId: id,
  guestId: id.nullable(),
  balance: int,
  delta: int,
  unit: z.enum(['points', 'minor', 'stamps']),
  reason: z.string(),
});

/** A card moved to another level. */
export const cardLevelChanged = z.object({
  cardId: id,
  guestId: id.nullable(),
  fromLevel: z.string().nullable(),
  toLevel: z.string().nullable(),
  reason: z.string(),
});

/** A card changed state (active, blocked, deleted). */
export const cardStatusChanged = z.object({ cardId: id, from: z.string(), to: z.string() });

/** One line of a sale's basket. */
export const saleItem = z.object({
  sku: z.string(),
  name: z.string().nullable().optional(),
  category: z.string().nullable().optional(),
  qty: int,
  unitPriceMinor: int,
  amountMinor: int,
});

/** How to reach the guest (CRMs match contacts by it). */
export const guestContact = z.object({ guestId: id, phone: z.string().nullable(), email: z.string().nullable(), name: z.string().nullable() });

/**
 * A sale was committed (or captured after a hold). Amounts in minor units of `currency`. Fields
 * marked 1.1 are optional in the schema so events written before an upgrade still validate.
 */
export const checkoutCommitted = z.object({
  checkoutId: id,
  cardId: id.nullable(),
  guestId: id.nullable(),
  locationId: id.nullable(),
  terminalId: id.nullable(),
  currency: z.string().length(3),
  totalMinor: int,
  discountMinor: int,
  pointsRedeemed: int,
  pointsAccrued: int,
  giftSpentMinor: int,
  stampsAdded: int,
  couponCode: z.string().nullable(),
  receipt: z.object({ number: z.string().nullable(), date: z.string().nullable() }).nullable(),
  /** The card's program. @since contract 1.1 (absent on events written by a 1.0 hub) */
  programId: id.nullable().optional(),
  /**
   * Where the sale came from: `pos`, `web_scanner`, `console`, `connector:<id>`, `system`. A
   * connector skips sales it booked itself (no echo back to the vendor). @since contract 1.1
   */
  source: z.string().optional(),
  /** The basket's lines as the POS sent them. @since contract 1.1 */
  items: z.array(saleItem).optional(),
  /** The guest's contact at the time of the sale (null for an anonymous sale). @since contract 1.1 */
  guest: guestContact.nullable().optional(),
});

/** A sale was refunded, wholly or partly. */
export const checkoutRefunded = z.object({
  checkoutId: id,
  refundId: id,
  cardId: id.nullable(),
  /** @since contract 1.1 */
  locationId: id.nullable().optional(),
  /** @since contract 1.1 */
  programId: id.nullable().optional(),
  amountMinor: int,
  pointsReturned: int,
  pointsReversed: int,
  full: z.boolean(),
});

/**
 * A refund was voided (r_keeper's "return rollback"): every effect of the refund was reversed —
 * the points it gave back were taken again (`pointsTaken`), the accrued points it took back were
 * credited again (`pointsRestored`), certificate money and stamps likewise — and the sale can be
 * refunded again.
 * @since contract 1.1
 * @example { "checkoutId": "…", "refundId": "…", "cardId": "…", "locationId": null, "programId": "…", "amountMinor": 50000, "pointsTaken": 100, "pointsRestored": 20, "giftTakenMinor": 0, "stampsRestored": 0 }
 */
export const checkoutRefundVoided = z.object({
  checkoutId: id,
  refundId: id,
  cardId: id.nullable(),
  locationId: id.nullable(),
  programId: id.nullable(),
  /** The paid amount the refund had given back, now counted as sold again. */
  amountMinor: int,
  pointsTaken: int,
  pointsRestored: int,
  giftTakenMinor: int,
  stampsRestored: int,
});

/** Two-phase sale events. */
export const checkoutHeld = z.object({ checkoutId: id, cardId: id.nullable(), pointsHeld: int, expiresAt: z.string() });
export const checkoutCanceled = z.object({ checkoutId: id, cardId: id.nullable(), reason: z.string() });

/**
 * A card's pass was added to a wallet: the first device registered it (Apple Wallet's web service
 * registration). `deviceCount` is how many devices hold it now.
 * @example { "cardId": "…", "guestId": "…", "programId": "…", "platform": "apple", "deviceCount": 1 }
 */
export const cardInstalled = z.object({
  cardId: id,
  guestId: id.nullable(),
  programId: id,
  platform: z.enum(['apple', 'google']),
  deviceCount: int,
});

/** A card's pass was removed from the last device that held it (`deviceCount` is then 0). */
export const cardUninstalled = cardInstalled;

/** Catalog of event types and their payload schemas. */
export const eventSchemas = {
  'guest.registered': guestRegistered,
  'guest.updated': guestUpdated,
  'guest.erased': guestErased,
  'card.issued': cardIssued,
  'card.balance_changed': cardBalanceChanged,
  'card.level_changed': cardLevelChanged,
  'card.status_changed': cardStatusChanged,
  'card.installed': cardInstalled,
  'card.uninstalled': cardUninstalled,
  'checkout.committed': checkoutCommitted,
  'checkout.refunded': checkoutRefunded,
  'checkout.refund_voided': checkoutRefundVoided,
  'checkout.held': checkoutHeld,
  'checkout.canceled': checkoutCanceled,
} as const;

export type EventType = keyof typeof eventSchemas;
export type EventData<T extends EventType> = z.infer<(typeof eventSchemas)[T]>;
