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
export const password = z.string().min(10, 'At least 10 characters').max(200);
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
    })
    .optional(),
});

export const createBusinessInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  currency,
  timezone,
  locale: locale.default('ru'),
  owner: z.strictObject({ email, name: z.string().trim().min(1).max(200), password }),
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
  lastLoginAt: z.date().nullable(),
  createdAt: z.date(),
});

export const loginBody = z.strictObject({ email, password: z.string().min(1).max(200) });
export const meView = z.object({ staff: staffView, business: businessView });
