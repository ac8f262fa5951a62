import { z } from 'zod';

/**
 * Commands: connector -> hub, request/reply over the bus (queue `loyalty.commands`, replies through
 * RabbitMQ direct reply-to with the request's correlation id and a deadline).
 *
 * Every command is served by the hub only for a business where the sending connector is installed
 * and enabled, as actor `{ type: 'connector', id: <connector id> }`, through the same service
 * methods as the HTTP POS API (`/v1/pos/…`): the request bodies below mirror those of the HTTP API
 * and the replies are the same views. A refusal arrives as a `CommandError` carrying exactly the
 * `code` and `status` the HTTP API would answer (409 `receipt_already_recorded`, 422
 * `insufficient_points`, 429 `fraud_limit_exceeded` …).
 *
 * Retries are safe: `checkout.commit`, `checkout.refund` and `checkout.refund_void` are keyed by
 * their `idempotencyKey` (same key + same body = the stored reply with `replayed: true`; same key +
 * another body = 409 `idempotency_key_reused`), `guest.upsert` by the phone; the rest do not write
 * or are idempotent by nature (capture and cancel of a hold).
 *
 * Connectors never import hub code: these schemas are the whole contract.
 */

const id = z.string().min(1).max(64);
const int = z.number().int();
/** Money in minor units (kopecks, cents): a non-negative safe integer. */
const moneyMinor = z.number().int('Money is a whole number of minor units (kopecks, cents)').min(0, 'Money cannot be negative');
/** A number of points: a non-negative safe integer. */
const points = z.number().int('Points are whole numbers').min(0, 'Points cannot be negative');
const isoDate = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);
/** Dates travel as ISO-8601 strings on the bus (JSON). */
const isoTime = z.string();

// ------------------------------------------------------------------ shared shapes

/**
 * How the till identifies the card: exactly one of id, number (digits; spaces and dashes are
 * ignored), QR payload or phone (any format a cashier types; normalised to E.164 by the hub).
 */
export const cardRefSchema = z
  .strictObject({
    id: z.string().min(1).max(64).optional(),
    number: z
      .string()
      .trim()
      .regex(/^[\d\s-]{6,24}$/, 'Digits only')
      .optional(),
    qr: z.string().trim().min(1).max(200).optional(),
    phone: z.string().trim().min(3).max(40).optional(),
  })
  .refine((c) => [c.id, c.number, c.qr, c.phone].filter(Boolean).length === 1, { message: 'Give exactly one of id, number, qr, phone', path: ['number'] });
export type CardRef = z.infer<typeof cardRefSchema>;

/**
 * One basket line as the POS rang it up; `amountMinor` is the line total after the POS's own
 * discounts.
 * @example { "sku": "LATTE-03", "name": "Latte 0.3", "category": "coffee", "qty": 2, "unitPriceMinor": 25000, "amountMinor": 50000 }
 */
export const basketItemSchema = z.strictObject({
  sku: z.string().trim().min(1).max(64),
  name: z.string().trim().max(200).optional(),
  category: z.string().trim().min(1).max(64).optional(),
  qty: z.number().int('Quantity is a whole number').min(1, 'Quantity is at least 1').max(1_000_000),
  unitPriceMinor: moneyMinor,
  amountMinor: moneyMinor,
});

/** The basket; `totalMinor`, when given, must equal the sum of the lines (the hub checks it). */
export const basketSchema = z.strictObject({
  totalMinor: moneyMinor.optional(),
  items: z.array(basketItemSchema).min(1, 'A basket has at least one line').max(500),
});
export type Basket = z.infer<typeof basketSchema>;

/**
 * The receipt as the POS knows it. With the location and till it forms the receipt fingerprint:
 * the same sale arriving by two paths (this connector and a plugin, an agent replay) counts once;
 * the second path gets 409 `receipt_already_recorded` with the first checkout's id in `details`.
 */
export const receiptSchema = z.strictObject({
  number: z.string().trim().min(1).max(64),
  /** Date (YYYY-MM-DD) or date-time of the receipt. */
  date: isoDate,
  till: z.string().trim().min(1).max(64).optional(),
});

/**
 * What the cashier asks for on top of the basket. Tills that think in money (r_keeper kopecks,
 * iiko and 1C roubles) send `redeemValueMinor`; the hub converts it to whole points
 * (`floor(value / pointValueMinor)`, capped by the balance and the program's maximum share) and
 * answers with the value actually taken. `redeemPoints` and `redeemValueMinor` are exclusive; for
 * "as much as allowed" send `redeemPoints: "max"` (the reply's `redeemValueMinor` is its money).
 */
const checkoutRequestFields = {
  redeemPoints: z.union([points, z.literal('max')]).optional(),
  redeemValueMinor: moneyMinor.optional(),
  giftAmountMinor: z.union([moneyMinor, z.literal('max')]).optional(),
  couponCode: z.string().trim().min(1).max(64).optional(),
  addStamps: z.number().int().min(0).max(1000).optional(),
};

/** Idempotency key of a write: 1 to 128 printable ASCII characters, unique per business. */
export const idempotencyKeySchema = z
  .string()
  .trim()
  .regex(/^[\x21-\x7e]{1,128}$/, '1 to 128 printable ASCII characters');

// ------------------------------------------------------------------ replies

/** The card as the till sees it (the POS lookup view). */
export const cardViewSchema = z.object({
  id,
  number: z.string(),
  qr: z.string(),
  status: z.enum(['active', 'blocked', 'deleted']),
  programId: id,
  programName: z.string(),
  kind: z.string(),
  guestId: id.nullable(),
  levelCode: z.string().nullable(),
  levelName: z.string().nullable(),
  pointsBalance: int,
  pointsAvailable: int,
  pointsPending: int,
  pointsHeld: int,
  /** Minor units one point is worth when redeemed (bonus programs; 0 for other kinds). */
  pointValueMinor: int.optional(),
  /** Money the usable points are worth now (`pointsAvailable × pointValueMinor`). */
  maxRedeemValueMinor: int.optional(),
  giftBalanceMinor: int,
  giftExpiresAt: isoTime.nullable(),
  stamps: int,
  stampsGoal: int.nullable(),
  spendMinor: int,
  visits: int,
  createdAt: isoTime,
  lastOperationAt: isoTime.nullable(),
});

/** A guest profile. */
export const guestViewSchema = z.object({
  id,
  phone: z.string().nullable(),
  name: z.string().nullable(),
  birthday: z.string().nullable(),
  email: z.string().nullable(),
  gender: z.string().nullable(),
  marketingConsent: z.boolean(),
  source: z.string().nullable(),
  utm: z.record(z.string(), z.string()).nullable(),
  attributes: z.record(z.string(), z.unknown()).nullable(),
  referralCode: z.string(),
  referrerGuestId: z.string().nullable(),
  status: z.string(),
  visits: int,
  spendMinor: int,
  firstPurchaseAt: isoTime.nullable(),
  lastPurchaseAt: isoTime.nullable(),
  createdAt: isoTime,
});

const line = z.record(z.string(), z.unknown());

/** A computed checkout without writes. */
export const quoteViewSchema = z.object({
  currency: z.string(),
  cardId: id.nullable(),
  totalMinor: int,
  discountMinor: int,
  couponDiscountMinor: int,
  pointsRedeemed: int,
  maxRedeemablePoints: int,
  /** Money the redeemed points are worth (what the till books as paid by points). */
  redeemValueMinor: int,
  /** Minor units one point is worth for this card's program. */
  pointValueMinor: int.optional(),
  /** The most this basket may be paid by points, in money. */
  maxRedeemValueMinor: int.optional(),
  giftSpentMinor: int,
  payableMinor: int,
  pointsAccrued: int,
  stampsAdded: int,
  lines: z.array(line),
});

/** A checkout (sale) as stored. */
export const checkoutViewSchema = z.object({
  id,
  status: z.enum(['held', 'committed', 'canceled']),
  /** True when this reply is the stored result of an earlier identical request. */
  replayed: z.boolean().optional(),
  cardId: id.nullable(),
  guestId: id.nullable(),
  currency: z.string(),
  totalMinor: int,
  discountMinor: int,
  couponDiscountMinor: int,
  pointsRedeemed: int,
  redeemValueMinor: int,
  giftSpentMinor: int,
  payableMinor: int,
  pointsAccrued: int,
  pointsAvailableAt: isoTime.nullable(),
  stampsAdded: int,
  stampRewards: int,
  couponCode: z.string().nullable(),
  lines: z.array(line),
  balanceAfter: z.object({ points: int, giftMinor: int, stamps: int, levelCode: z.string().nullable() }).nullable(),
  holdExpiresAt: isoTime.nullable(),
  refunded: z.object({ amountMinor: int, payableMinor: int, pointsReturned: int, pointsReversed: int, giftMinor: int }),
  receipt: z.record(z.string(), z.unknown()).nullable(),
  locationId: id.nullable(),
  /** Where the sale came from: pos, web_scanner, console, connector:<id>, system. */
  source: z.string(),
  createdAt: isoTime,
});

/** A refund of a checkout. */
export const refundViewSchema = z.object({
  id,
  checkoutId: id,
  replayed: z.boolean().optional(),
  amountMinor: int,
  /** Money to hand back to the guest. */
  payableReturnedMinor: int,
  pointsReturned: int,
  pointsReversed: int,
  pointsShortfall: int,
  giftReturnedMinor: int,
  stampsReversed: int,
  /** Stamps the refund could not take back (already spent on a reward). */
  stampsShortfall: int.optional(),
  full: z.boolean(),
  /** Set when the refund was voided (rolled back). */
  voidedAt: isoTime.nullable().optional(),
  createdAt: isoTime,
});

// ------------------------------------------------------------------ the commands

/**
 * Find a card as the till does: by number, QR payload, phone or id.
 * @example request { "number": "1010000012345" }
 */
export const cardLookupRequest = z
  .strictObject({
    number: z
      .string()
      .trim()
      .regex(/^[\d\s-]{6,24}$/, 'Digits only')
      .optional(),
    qr: z.string().trim().min(1).max(200).optional(),
    phone: z.string().trim().min(3).max(40).optional(),
    /** With a phone: which program's card when the guest has several. */
    programId: id.optional(),
  })
  .refine((q) => [q.number, q.qr, q.phone].filter(Boolean).length === 1, { message: 'Give exactly one of number, qr, phone', path: ['number'] });
export const cardLookupReply = z.object({
  card: cardViewSchema,
  guest: guestViewSchema.nullable(),
  /** Minor units one point pays for (0: the card carries no points); also on `card`. */
  pointValueMinor: int,
  /** Value of the points usable now; a basket's own cap comes with its quote. Also on `card`. */
  maxRedeemValueMinor: int,
});

/**
 * Compute discount, points and stamps for a basket; writes nothing.
 * @example request { "card": { "number": "1010000012345" }, "basket": { "items": [ { "sku": "LATTE", "qty": 1, "unitPriceMinor": 25000, "amountMinor": 25000 } ] }, "redeemValueMinor": 10000 }
 */
export const checkoutQuoteRequest = z.strictObject({
  card: cardRefSchema.optional(),
  basket: basketSchema,
  ...checkoutRequestFields,
  locationId: id.optional(),
});

/**
 * Commit (or `hold`) a sale. Safe to repeat after a lost reply: the `idempotencyKey` makes it one
 * effect. A `receipt` makes the sale count once whichever path it arrives by.
 */
export const checkoutCommitRequest = checkoutQuoteRequest.extend({
  idempotencyKey: idempotencyKeySchema,
  receipt: receiptSchema.optional(),
  /** `hold`: reserve points (two-phase), then `checkout.capture` or `checkout.cancel`. */
  mode: z.enum(['commit', 'hold']).default('commit'),
});

/** One checkout by id. */
export const checkoutIdRequest = z.strictObject({ checkoutId: id });

/** Cancel a held sale: reserved points go back. Idempotent. */
export const checkoutCancelRequest = z.strictObject({ checkoutId: id, reason: z.string().trim().max(200).optional() });

/** Refund a sale wholly (`full: true`) or partly (`amountMinor` of its total). Idempotent on the key. */
export const checkoutRefundRequest = z
  .strictObject({
    checkoutId: id,
    idempotencyKey: idempotencyKeySchema,
    amountMinor: z.number().int().min(1).optional(),
    full: z.boolean().optional(),
    reason: z.string().trim().max(500).optional(),
  })
  .refine((b) => (b.full === true) !== (b.amountMinor !== undefined), { message: 'Give either amountMinor or full: true', path: ['amountMinor'] });

/**
 * Roll a refund back (r_keeper's "return rollback"): the refund's effects are reversed exactly, or
 * the command is refused with a stated code (e.g. 409 `refund_void_insufficient_points` when the
 * guest already spent the points the refund gave back). Idempotent on the key.
 */
export const checkoutRefundVoidRequest = z.strictObject({ checkoutId: id, refundId: id, idempotencyKey: idempotencyKeySchema });

/** One guest by id or by phone. */
export const guestGetRequest = z
  .strictObject({ guestId: id.optional(), phone: z.string().trim().min(3).max(40).optional() })
  .refine((q) => (q.guestId === undefined) !== (q.phone === undefined), { message: 'Give either guestId or phone', path: ['guestId'] });

/**
 * Create or update a guest found by phone (one effect when repeated). Fields left out are not
 * changed; `null` clears a field. `programId` issues a card of that program when the guest has none.
 */
export const guestUpsertRequest = z.strictObject({
  phone: z.string().trim().min(3).max(40),
  name: z.string().trim().min(1).max(200).nullable().optional(),
  birthday: z.iso.date().nullable().optional(),
  email: z.email().max(254).nullable().optional(),
  gender: z.enum(['male', 'female']).nullable().optional(),
  marketingConsent: z.boolean().optional(),
  attributes: z.record(z.string().max(64), z.union([z.string().max(500), z.number(), z.boolean(), z.null()])).optional(),
  /** Where the guest came from, e.g. `amocrm` (set on creation only). */
  source: z.string().max(40).optional(),
  programId: id.optional(),
});
export const guestUpsertReply = z.object({ guest: guestViewSchema, created: z.boolean(), cardId: id.nullable() });

/**
 * Page through the business's guests (CRM backfills), oldest first. Pass the reply's `nextCursor`
 * until it is null. `updatedSince` limits the page to guests changed since then.
 */
export const guestsPageRequest = z.strictObject({
  cursor: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(500).default(100),
  updatedSince: z.iso.datetime({ offset: true }).optional(),
});
export const guestsPageReply = z.object({ items: z.array(guestViewSchema), nextCursor: z.string().nullable() });

/**
 * Catalog of commands: request and reply schema per type. `HubClient.request<K>()` is typed from it,
 * the hub validates requests against it, and the testkit refuses a type not in it.
 */
export const commandSchemas = {
  'card.lookup': {
    request: cardLookupRequest,
    reply: cardLookupReply,
    summary: 'Find a card by number, QR payload or phone; the card, its balances and the guest.',
  },
  'checkout.quote': {
    request: checkoutQuoteRequest,
    reply: quoteViewSchema,
    summary: 'Compute discount, points and stamps for a basket without writing anything.',
  },
  'checkout.commit': {
    request: checkoutCommitRequest,
    reply: checkoutViewSchema,
    summary: 'Commit or hold a sale; one effect per idempotencyKey and per receipt.',
  },
  'checkout.get': { request: checkoutIdRequest, reply: checkoutViewSchema, summary: 'One checkout by id.' },
  'checkout.capture': { request: checkoutIdRequest, reply: checkoutViewSchema, summary: 'Capture a held sale (points accrue now). Idempotent.' },
  'checkout.cancel': { request: checkoutCancelRequest, reply: checkoutViewSchema, summary: 'Cancel a held sale; reserved points go back. Idempotent.' },
  'checkout.refund': { request: checkoutRefundRequest, reply: refundViewSchema, summary: 'Refund a sale wholly or partly; one effect per idempotencyKey.' },
  'checkout.refund_void': { request: checkoutRefundVoidRequest, reply: refundViewSchema, summary: 'Roll a refund back exactly, or refuse with a stated code.' },
  'guest.get': { request: guestGetRequest, reply: guestViewSchema, summary: 'One guest by id or phone.' },
  'guest.upsert': { request: guestUpsertRequest, reply: guestUpsertReply, summary: 'Create or update a guest found by phone; one effect when repeated.' },
  'guests.page': { request: guestsPageRequest, reply: guestsPageReply, summary: 'Page through guests (oldest first) for CRM backfills.' },
} as const;

export type CommandType = keyof typeof commandSchemas;
/** What a caller passes (defaults may be left out). */
export type CommandRequest<K extends CommandType> = z.input<(typeof commandSchemas)[K]['request']>;
/** What the hub sees after validation. */
export type CommandInput<K extends CommandType> = z.output<(typeof commandSchemas)[K]['request']>;
export type CommandReply<K extends CommandType> = z.infer<(typeof commandSchemas)[K]['reply']>;

export const isCommandType = (t: string): t is CommandType => Object.prototype.hasOwnProperty.call(commandSchemas, t);

/** Default deadline of a command (ms). */
export const COMMAND_TIMEOUT_MS = 10_000;

/**
 * A command's refusal or failure, as the caller receives it: `code` and `status` are those the
 * HTTP API would answer for the same request (`status` < 500: the request was refused and retrying
 * it unchanged will be refused again; 503 `no_command_server` / 504 `command_timeout`: nothing
 * answered, retry later with the same idempotency key).
 */
export class CommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'CommandError';
  }

  /** True for a CommandError of any copy of the SDK (a connector package may bring its own node_modules). */
  static override [Symbol.hasInstance](x: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(this, x) || (this === CommandError && isBranded(x, COMMAND_ERROR));
  }
}
const COMMAND_ERROR = Symbol.for('@loyalty/sdk.CommandError');
Object.defineProperty(CommandError.prototype, COMMAND_ERROR, { value: true });
const isBranded = (x: unknown, brand: symbol) => typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[brand] === true;
