import { z } from 'zod';
import { guestFields, phoneInput } from '../guests/guests.schemas';

/** How a form asks a standard field. */
export const fieldMode = z.enum(['required', 'optional', 'hidden']);
export type FieldMode = z.infer<typeof fieldMode>;

/** Phone first: every question is optional (asked after the card exists) unless the owner marks it required. */
export const formFieldsSchema = z
  .strictObject({
    name: fieldMode.default('optional'),
    birthday: fieldMode.default('optional'),
    email: fieldMode.default('hidden'),
    gender: fieldMode.default('hidden'),
  })
  .default({ name: 'optional', birthday: 'optional', email: 'hidden', gender: 'hidden' });
export type FormFields = z.infer<typeof formFieldsSchema>;

/**
 * A question of the business's own, stored on the guest as an attribute under `key`.
 * @example { "key": "favourite_drink", "label": "Favourite drink", "type": "select", "options": ["Latte", "Espresso"] }
 */
export const formVariableSchema = z
  .strictObject({
    key: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'Lower-case letters, digits and _, starting with a letter'),
    label: z.string().trim().min(1).max(100),
    type: z.enum(['text', 'number', 'date', 'select', 'checkbox']),
    required: z.boolean().default(false),
    options: z.array(z.string().trim().min(1).max(100)).max(30).optional(),
  })
  .refine((v) => v.type !== 'select' || (v.options?.length ?? 0) > 0, { message: 'A select needs options', path: ['options'] });
export type FormVariable = z.infer<typeof formVariableSchema>;

/** The consent text when a form gives none, in the business's language. */
export const defaultConsent = (locale: string) =>
  locale.toLowerCase().startsWith('ru')
    ? 'Даю согласие на обработку персональных данных для участия в программе лояльности.'
    : 'I agree to the processing of my personal data for the loyalty programme.';

const formShape = {
  programId: z.uuid(),
  /** The page address: `/join/<slug>`. */
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/, 'Lower-case letters, digits and -, 3 to 64 characters'),
  title: z.string().trim().min(1).max(200),
  description: z.string().trim().max(2000).nullable().optional(),
  fields: formFieldsSchema,
  variables: z
    .array(formVariableSchema)
    .max(20)
    .refine((vs) => new Set(vs.map((v) => v.key)).size === vs.length, 'Each variable key may appear once')
    .default([]),
  /** Defaults to a standard text in the business's language. */
  consentText: z.string().trim().min(10).max(4000).optional(),
  marketingConsentText: z.string().trim().min(3).max(2000).nullable().optional(),
  /** Ask for an SMS code before registering (recommended: proves the phone is the guest's). */
  smsVerification: z.boolean().default(true),
  active: z.boolean().default(true),
};

/**
 * Body of `POST /v1/admin/engagement/forms`.
 * @example { "programId": "…", "slug": "coffee-club", "title": "Join the Coffee Club",
 *            "fields": { "name": "required", "birthday": "optional" },
 *            "variables": [{ "key": "favourite_drink", "label": "Favourite drink", "type": "text" }] }
 */
export const formBody = z.strictObject(formShape);
export const formPatch = z.strictObject({
  slug: formShape.slug.optional(),
  title: formShape.title.optional(),
  description: formShape.description,
  fields: z.strictObject({ name: fieldMode.optional(), birthday: fieldMode.optional(), email: fieldMode.optional(), gender: fieldMode.optional() }).optional(),
  variables: formShape.variables.optional(),
  consentText: z.string().trim().min(10).max(4000).optional(),
  marketingConsentText: formShape.marketingConsentText,
  smsVerification: z.boolean().optional(),
  active: z.boolean().optional(),
});

export const formView = z.object({
  id: z.string(),
  programId: z.string(),
  slug: z.string(),
  url: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  fields: z.record(z.string(), fieldMode),
  variables: z.array(z.any()),
  consentText: z.string(),
  marketingConsentText: z.string().nullable(),
  smsVerification: z.boolean(),
  active: z.boolean(),
  createdAt: z.date(),
});

export const slugParam = z.strictObject({ slug: z.string().min(3).max(64) });

export const smsCodeBody = z.strictObject({ phone: phoneInput });
export const smsCodeView = z.object({
  requestId: z.string(),
  expiresInSeconds: z.number().int(),
  codeLength: z.number().int(),
  /** No second code for this phone before this many seconds (429 sms_cooldown, with the seconds left). */
  resendAfterSeconds: z.number().int(),
});

const utm = z.strictObject({
  source: z.string().max(100).optional(),
  medium: z.string().max(100).optional(),
  campaign: z.string().max(100).optional(),
  term: z.string().max(100).optional(),
  content: z.string().max(100).optional(),
});

/**
 * Body of `POST /v1/public/forms/{slug}/registrations`.
 * @example { "phone": "+7 999 123-45-67", "requestId": "…", "code": "123456", "name": "Anna",
 *            "consent": true, "marketingConsent": true, "variables": { "favourite_drink": "Latte" },
 *            "utm": { "source": "instagram", "campaign": "spring" }, "referralCode": "K7M2Q9PX" }
 */
export const publicRegistrationBody = z.strictObject({
  phone: phoneInput,
  requestId: z.uuid().optional(),
  code: z
    .string()
    .trim()
    .regex(/^\d{4,8}$/, 'The code from the SMS')
    .optional(),
  name: guestFields.name,
  birthday: guestFields.birthday,
  email: guestFields.email,
  gender: guestFields.gender,
  /** Consent to personal data processing: required. */
  consent: z.literal(true, { message: 'Consent is required to register' }),
  marketingConsent: z.boolean().optional(),
  variables: z.record(z.string().max(32), z.union([z.string().max(500), z.number(), z.boolean(), z.null()])).optional(),
  utm: utm.optional(),
  referralCode: z.string().trim().max(16).optional(),
});
export type PublicRegistration = z.infer<typeof publicRegistrationBody>;

export const registrationResult = z.object({
  guestId: z.string(),
  cardId: z.string(),
  cardUrl: z.string(),
  existing: z.boolean(),
  /** The link's invite code was unknown (or the guest's own): the card was issued without it. */
  referralIgnored: z.boolean().optional(),
});

/** Body of `POST /v1/public/forms/{slug}/card-links`: «Уже есть карта?» — the phone, and the SMS code on pages with codes. */
export const cardLinkBody = z.strictObject({
  phone: phoneInput,
  requestId: z.uuid().optional(),
  code: z
    .string()
    .trim()
    .regex(/^\d{4,8}$/, 'The code from the SMS')
    .optional(),
});
export const cardLinkResult = z.object({ cardUrl: z.string() });

export const registrationsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100), cursor: z.uuid().optional() });
export const registrationView = z.object({
  id: z.string(),
  guestId: z.string(),
  cardId: z.string().nullable(),
  existingGuest: z.boolean(),
  utm: z.record(z.string(), z.string()).nullable(),
  referralCode: z.string().nullable(),
  consentAt: z.date(),
  createdAt: z.date(),
});

/** What a registration on a page without SMS verification answers, whoever the phone belongs to. */
export const linkSentResult = z.object({ status: z.literal('link_sent'), detail: z.string() });

const prefix = z.string().regex(/^\+[1-9]\d{0,3}$/, 'A country calling code such as +7 or +375');

/**
 * Body of `PATCH /v1/admin/engagement/sms-policy`.
 * @example { "dailyBudget": 300, "allowedPrefixes": ["+7", "+375"] }
 */
export const smsPolicyPatch = z.strictObject({
  /** SMS per day (the business's time zone) before codes are refused until midnight. */
  dailyBudget: z.number().int().min(0).max(1_000_000).optional(),
  codesPerIpPerHour: z.number().int().min(1).max(10_000).optional(),
  codesPerFormPerHour: z.number().int().min(1).max(100_000).optional(),
  /** Country calling codes SMS may go to; null = the business's own country (from its currency). */
  allowedPrefixes: z
    .array(prefix)
    .min(1)
    .max(50)
    .refine((a) => new Set(a).size === a.length, 'Each prefix once')
    .nullable()
    .optional(),
});

export const smsPolicyView = z.object({
  dailyBudget: z.number().int(),
  codesPerIpPerHour: z.number().int(),
  codesPerFormPerHour: z.number().int(),
  allowedPrefixes: z.array(z.string()).nullable(),
  /** The prefixes in force: the list, or the business's country when the list is null (null = any). */
  effectivePrefixes: z.array(z.string()).nullable(),
  today: z.object({ day: z.string(), sent: z.number().int(), exhaustedAt: z.date().nullable() }),
});

/** Things the console shows on its home page until they are dealt with. */
export const engagementNotice = z.object({
  code: z.enum(['sms_budget_exhausted', 'sms_verification_off', 'sms_provider_missing', 'sms_dev_outbox']),
  severity: z.enum(['error', 'warning']),
  detail: z.string(),
  formId: z.string().optional(),
  slug: z.string().optional(),
});
