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

/** A sale was committed (or captured after a hold). Amounts in minor units of `currency`. */
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
});

/** A sale was refunded, wholly or partly. */
export const checkoutRefunded = z.object({
  checkoutId: id,
  refundId: id,
  cardId: id.nullable(),
  amountMinor: int,
  pointsReturned: int,
  pointsReversed: int,
  full: z.boolean(),
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
  'card.issued': cardIssued,
  'card.balance_changed': cardBalanceChanged,
  'card.level_changed': cardLevelChanged,
  'card.status_changed': cardStatusChanged,
  'card.installed': cardInstalled,
  'card.uninstalled': cardUninstalled,
  'checkout.committed': checkoutCommitted,
  'checkout.refunded': checkoutRefunded,
  'checkout.held': checkoutHeld,
  'checkout.canceled': checkoutCanceled,
} as const;

export type EventType = keyof typeof eventSchemas;
export type EventData<T extends EventType> = z.infer<(typeof eventSchemas)[T]>;
