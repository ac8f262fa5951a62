import { z } from 'zod';
import { ROLES } from '../../shared/context';

const currencies = new Set(Intl.supportedValuesOf('currency'));
const timeZones = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);

export const idParam = z.strictObject({ id: z.uuid() });
export const currency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'ISO 4217 code in capitals, e.g. RUB')
  .refine((c) => currencies.has(c), 'Unknown ISO 4217 currency');
export const timezone = z.string().refine((t) => timeZones.has(t), 'Unknown IANA time zone, e.g. Europe/Moscow');
export const locale = z.enum(['ru', 'en']);
export const email = z
  .email()
  .max(254)
  .transform((e) => e.toLowerCase());
/** A new staff password: its shape here; the policy (length, common and breached lists) answers 422 from the service. */
export const password = z.string().min(1, 'Required').max(200);
export const role = z.enum(ROLES);
export const SCOPES = ['pos', 'pos:refund', 'scanner'] as const;

/** Limits against abuse at the till; null = no limit. */
export const fraudLimits = z.strictObject({
  opsPerCardPerHour: z.number().int().min(1).max(10000).nullable().default(20),
  redemptionsPerCardPerDay: z.number().int().min(1).max(10000).nullable().default(10),
  adjustmentsPerStaffPerDay: z.number().int().min(1).max(100000).nullable().default(50),
  scannerOpsPerStaffPerHour: z.number().int().min(1).max(100000).nullable().default(120),
});
export type FraudLimits = z.infer<typeof fraudLimits>;

export const businessSettings = z.strictObject({
  fraudLimits: fraudLimits.default(fraudLimits.parse({})),
  /** Minutes an uncaptured hold keeps points reserved. */
  holdTtlMinutes: z.number().int().min(1).max(10080).default(30),
  /** Owners and admins must sign in with a second factor (TOTP); on by default for businesses created in production. */
  requireMfaForAdmins: z.boolean().default(false),
  /** The business's privacy policy (152-ФЗ): linked from the consent on its registration pages. */
  privacyPolicyUrl: z.url({ protocol: /^https?$/ }).max(500).nullable().default(null),
});
export type BusinessSettings = z.infer<typeof businessSettings>;

export const businessView = z.object({
  id: z.string(),
  name: z.string(),
  currency: z.string(),
  timezone: z.string(),
  locale: z.string(),
  settings: businessSettings,
  createdAt: z.date(),
});

export const updateBusinessBody = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  timezone: timezone.optional(),
  locale: locale.optional(),
  settings: z
    .strictObject({
      fraudLimits: fraudLimits.partial().optional(),
      holdTtlMinutes: z.number().int().min(1).max(10080).optional(),
      requireMfaForAdmins: z.boolean().optional(),
      privacyPolicyUrl: z.url({ protocol: /^https?$/ }).max(500).nullable().optional(),
    })
    .optional(),
});

export const createBusinessInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  currency,
  timezone,
  locale: locale.default('ru'),
  owner: z.strictObject({ email, name: z.string().trim().min(1).max(200), password }),
  /** Default: on when the hub runs with NODE_ENV=production; the embedded demo turns it off. */
  requireMfaForAdmins: z.boolean().optional(),
});
export type CreateBusinessInput = z.input<typeof createBusinessInput>;

const coordinate = (max: number) => z.number().min(-max).max(max);
export const locationBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  address: z.string().trim().max(500).nullable().optional(),
  latitude: coordinate(90).nullable().optional(),
  longitude: coordinate(180).nullable().optional(),
  active: z.boolean().optional(),
});
export const locationView = z.object({
  id: z.string(),
  name: z.string(),
  address: z.string().nullable(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  active: z.boolean(),
});

export const terminalBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  locationId: z.uuid().nullable().optional(),
  scopes: z.array(z.enum(SCOPES)).min(1).default(['pos', 'pos:refund']),
});
export const terminalView = z.object({
  id: z.string(),
  name: z.string(),
  locationId: z.string().nullable(),
  keyPrefix: z.string(),
  scopes: z.array(z.string()),
  revokedAt: z.date().nullable(),
  lastUsedAt: z.date().nullable(),
  createdAt: z.date(),
});
export const terminalCreated = terminalView.extend({ key: z.string().describe('The API key; shown only once') });

export const staffBody = z.strictObject({ email, name: z.string().trim().min(1).max(200), role, password });
export const staffPatch = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  role: role.optional(),
  active: z.boolean().optional(),
  password: password.optional(),
});
export const staffView = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: role,
  active: z.boolean(),
  mfaEnabled: z.boolean().describe('Signs in with a second factor (TOTP)'),
  lastLoginAt: z.date().nullable(),
  createdAt: z.date(),
});

export const loginBody = z.strictObject({ email, password: z.string().min(1).max(200) });
export const meView = z.object({ staff: staffView, business: businessView });

/** The password step's answer when the member has a second factor: no session yet, a challenge for step two. */
export const mfaChallengeView = z.object({
  mfaRequired: z.literal(true),
  challenge: z.string().describe('Send it with the code to POST /v1/admin/session/mfa; good for 5 minutes'),
  expiresAt: z.date(),
});
export const loginAnswer = z.union([meView, mfaChallengeView]);
export const mfaLoginBody = z.strictObject({
  challenge: z.string().min(1).max(1000),
  code: z.string().trim().min(6).max(20).describe('Six digits from the authenticator app, or a recovery code xxxx-xxxx-xxxx'),
});

export const changePasswordBody = z.strictObject({ currentPassword: z.string().min(1).max(200), newPassword: password });
export const passwordChangedView = z.object({ sessionsEnded: z.number().int().describe('Other sessions of this member that were signed out') });
export const securityView = z.object({
  mfaEnabled: z.boolean(),
  mfaRequired: z.boolean().describe('The business requires a second factor for this member’s role'),
  recoveryCodesLeft: z.number().int(),
});
export const mfaEnrolmentView = z.object({
  secret: z.string().describe('Base32 secret, shown once'),
  otpauthUri: z.string(),
  qrDataUrl: z.string().describe('The otpauth URI as a QR code (SVG data URL)'),
});
export const mfaCodeBody = z.strictObject({ code: z.string().trim().min(6).max(20) });
export const mfaDisableBody = z.strictObject({ password: z.string().min(1).max(200), code: z.string().trim().min(6).max(20) });
export const recoveryCodesView = z.object({ recoveryCodes: z.array(z.string()).describe('One-time codes, shown once') });
