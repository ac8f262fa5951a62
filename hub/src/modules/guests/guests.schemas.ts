import { z } from 'zod';
import { segmentFields } from './guests.segments';

/** A phone as a cashier or guest types it; normalized to E.164 by the service. */
export const phoneInput = z.string().trim().min(3).max(40);
const birthday = z.iso.date().refine((d) => d >= '1900-01-01' && d <= new Date().toISOString().slice(0, 10), 'Birthday must be a past date after 1900');
const utm = z.strictObject({
  source: z.string().max(100).optional(),
  medium: z.string().max(100).optional(),
  campaign: z.string().max(100).optional(),
  term: z.string().max(100).optional(),
  content: z.string().max(100).optional(),
});

export const guestFields = {
  name: z.string().trim().min(1).max(200).nullable().optional(),
  birthday: birthday.nullable().optional(),
  email: z.email().max(254).nullable().optional(),
  gender: z.enum(['male', 'female']).nullable().optional(),
  marketingConsent: z.boolean().optional(),
  attributes: z.record(z.string().max(64), z.union([z.string().max(500), z.number(), z.boolean(), z.null()])).optional(),
};

export const registerGuestBody = z.strictObject({
  phone: phoneInput,
  ...guestFields,
  source: z.string().max(40).optional(),
  utm: utm.optional(),
  /** Referral code of the guest who invited this one. */
  referralCode: z.string().trim().max(16).optional(),
  /** Issue a card of this program right away. */
  programId: z.uuid().optional(),
});
export type RegisterGuestInput = z.infer<typeof registerGuestBody>;

export const updateGuestBody = z.strictObject({ phone: phoneInput.optional(), ...guestFields });

const guestSearch = {
  q: z.string().trim().max(100).optional().describe('Phone, name, e-mail or card number; exactly 4 digits: the last four digits of a phone or a card number'),
  status: z.enum(['active', 'erased']).optional(),
  ...segmentFields,
};

/** Columns the guest list sorts by on the server (each read from an index). */
export const GUEST_SORTS = ['created', 'lastVisit', 'spend', 'visits', 'balance'] as const;
export type GuestSort = (typeof GUEST_SORTS)[number];

/** The guest list: a search, a status and the segment filter (see guests.segments.ts), sorted, paged by cursor. */
export const guestListQuery = z.strictObject({
  ...guestSearch,
  sort: z
    .enum(GUEST_SORTS)
    .default('created')
    .describe(
      'created (registration), lastVisit, spend (total spend), visits, or balance (points on the card; a guest with cards in two programs is listed once per card, guests without a card come last)',
    ),
  order: z.enum(['asc', 'desc']).default('desc'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .max(300)
    .regex(/^[A-Za-z0-9_-]+$/, 'Not a cursor of this list')
    .optional()
    .describe('nextCursor of the previous page (with the same sort and filter)'),
});

/** The same search and filter as the list, for "how many". */
export const guestCountQuery = z.strictObject(guestSearch);

export const guestView = z.object({
  id: z.string(),
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
  visits: z.number().int(),
  spendMinor: z.number().int(),
  firstPurchaseAt: z.date().nullable(),
  lastPurchaseAt: z.date().nullable(),
  createdAt: z.date(),
  /** In the list: the guest's card the row shows (the sorted one when sorting by balance). */
  card: z
    .object({ id: z.string(), number: z.string(), programId: z.string(), pointsBalance: z.number().int(), levelCode: z.string().nullable() })
    .nullable()
    .optional(),
});

export const blacklistBody = z.strictObject({ phone: phoneInput, reason: z.string().trim().max(500).optional() });
export const blacklistView = z.object({ id: z.string(), phone: z.string(), reason: z.string().nullable(), createdAt: z.date() });
