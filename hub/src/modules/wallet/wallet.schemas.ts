import { z } from 'zod';

/** `#RRGGBB`. */
export const hexColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'A colour as #RRGGBB, e.g. #1E66F5');
const text = (max: number) => z.string().trim().min(1).max(max);
const httpsUrl = z.url({ protocol: /^https?$/ }).max(500);

/** Front-of-card fields a design may show (each appears only where the card kind has it). */
export const FRONT_FIELDS = ['balance', 'level', 'discount', 'stamps', 'expiry', 'number', 'name'] as const;
export type FrontField = (typeof FRONT_FIELDS)[number];

/**
 * The look of a program's card in Apple Wallet and Google Wallet.
 *
 * @example
 * { "colors": { "background": "#1E66F5", "foreground": "#FFFFFF", "label": "#DCE6FF" },
 *   "texts": { "logoText": "Coffee Club", "description": "Coffee Club card" },
 *   "front": ["balance", "level", "number"],
 *   "back": { "rules": "5 % back in points", "contacts": "+7 999 123-45-67",
 *             "buyPointsUrl": "https://example.com/points", "reviewUrl": "https://example.com/review" },
 *   "locationIds": [], "relevantText": "Coffee Club is nearby", "barcode": { "format": "QR", "showNumber": true } }
 */
export const walletDesignSchema = z.strictObject({
  colors: z
    .strictObject({
      background: hexColor.default('#1E1E2E'),
      foreground: hexColor.default('#FFFFFF'),
      label: hexColor.default('#BAC2DE'),
    })
    .default({ background: '#1E1E2E', foreground: '#FFFFFF', label: '#BAC2DE' }),
  texts: z
    .strictObject({
      /** Next to the logo on Apple passes; the program name on Google. */
      logoText: text(40).optional(),
      /** Accessibility description of the pass (Apple requires one); defaults to the program name. */
      description: text(120).optional(),
      /** Defaults to the business name. */
      organizationName: text(80).optional(),
      /** Label overrides, e.g. { "balance": "Бонусы" }. */
      labels: z.partialRecord(z.enum(FRONT_FIELDS), text(30)).default({}),
    })
    .default({ labels: {} }),
  /** Front fields in order; empty = the defaults of the card kind. */
  front: z
    .array(z.enum(FRONT_FIELDS))
    .max(5)
    .refine((xs) => new Set(xs).size === xs.length, 'Each field may appear once')
    .default([]),
  back: z
    .strictObject({
      rules: z.string().trim().max(2000).optional(),
      contacts: z.string().trim().max(500).optional(),
      website: httpsUrl.optional(),
      buyPointsUrl: httpsUrl.optional(),
      reviewUrl: httpsUrl.optional(),
      extra: z
        .array(z.strictObject({ label: text(40), value: text(500) }))
        .max(10)
        .default([]),
    })
    .default({ extra: [] }),
  /** Venues for lock-screen relevance (Apple allows 10); empty = the business's locations with coordinates. */
  locationIds: z.array(z.uuid()).max(10, 'At most 10 locations').default([]),
  relevantText: z.string().trim().max(120).optional(),
  barcode: z
    .strictObject({
      format: z.enum(['QR', 'PDF417', 'Aztec', 'Code128']).default('QR'),
      /** Print the card number under the barcode. */
      showNumber: z.boolean().default(true),
    })
    .default({ format: 'QR', showNumber: true }),
});
export type WalletDesign = z.infer<typeof walletDesignSchema>;
export type WalletDesignInput = z.input<typeof walletDesignSchema>;

export const IMAGE_SLOTS = ['icon', 'logo', 'strip'] as const;
export type ImageSlot = (typeof IMAGE_SLOTS)[number];

/** An image upload: the file as base64 (the API takes JSON only). */
export const imageUploadBody = z.strictObject({
  contentBase64: z
    .string()
    .min(8)
    .max(720_000, 'The image is too large (at most 512 KB)')
    .regex(/^[A-Za-z0-9+/=\s]+$/, 'Base64 of the file'),
});

export const imageView = z.object({
  slot: z.enum(IMAGE_SLOTS),
  mime: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  bytes: z.number().int(),
  sha1: z.string(),
  /** Apple Wallet takes PNG only; a JPEG is used on Google Wallet and the web pages. */
  usableInApplePass: z.boolean(),
  url: z.string(),
});

export const designView = z.object({
  programId: z.string(),
  design: z.any(),
  images: z.array(imageView),
  updatedAt: z.date().nullable(),
});

/**
 * Upload of the Pass Type ID certificate: PEM certificate + private key (optionally encrypted), or
 * the `.p12` Keychain export as base64 with its password. The APNs token-auth key is optional.
 */
export const appleAccountBody = z
  .strictObject({
    certificatePem: z.string().trim().max(20_000).optional(),
    privateKeyPem: z.string().trim().max(20_000).optional(),
    privateKeyPassphrase: z.string().max(200).optional(),
    p12Base64: z.string().max(40_000).optional(),
    p12Password: z.string().max(200).optional(),
    /** The Apple WWDR intermediate (PEM), when the hub has none configured. */
    wwdrPem: z.string().trim().max(20_000).optional(),
    apnsKeyPem: z.string().trim().max(5_000).optional(),
    apnsKeyId: z
      .string()
      .regex(/^[A-Z0-9]{10}$/, 'The 10-character key id of the APNs key')
      .optional(),
    /** As typed in the console: refused (422) when the certificate is for another team. */
    teamId: z
      .string()
      .regex(/^[A-Z0-9]{10}$/, 'The 10-character Team ID from the Apple Developer account')
      .optional(),
    /** As typed in the console: refused (422) when the certificate is for another pass type. */
    passTypeId: z
      .string()
      .regex(/^pass\.[A-Za-z0-9.-]{1,120}$/, 'A Pass Type ID such as pass.com.example.loyalty')
      .optional(),
  })
  .refine((b) => (b.certificatePem && b.privateKeyPem) || b.p12Base64, {
    message: 'Give certificatePem and privateKeyPem, or p12Base64',
    path: ['certificatePem'],
  })
  .refine((b) => !b.apnsKeyPem === !b.apnsKeyId, { message: 'apnsKeyPem and apnsKeyId go together', path: ['apnsKeyId'] });

export const appleAccountView = z.object({
  configured: z.boolean(),
  passTypeId: z.string().nullable(),
  teamId: z.string().nullable(),
  subject: z.string().nullable(),
  notAfter: z.date().nullable(),
  /** Whole days until notAfter (0 once expired). */
  daysLeft: z.number().int().nullable(),
  /** Fewer than 30 days left: the console warns. */
  expiresSoon: z.boolean(),
  expired: z.boolean(),
  /** SHA-256 of the certificate (never the key). */
  fingerprint: z.string().nullable(),
  apnsKeyId: z.string().nullable(),
  pushConfigured: z.boolean(),
  /** The Apple WWDR intermediate is on file or set for the hub (APPLE_WWDR_CERT_FILE). */
  wwdrConfigured: z.boolean(),
  updatedAt: z.date().nullable(),
});

/** A Google Cloud service account key file, as downloaded (JSON). */
export const serviceAccountKey = z.looseObject({
  type: z.literal('service_account').optional(),
  client_email: z.email(),
  private_key: z.string().includes('PRIVATE KEY'),
  private_key_id: z.string().max(100).optional(),
  token_uri: z.url().optional(),
});
export type ServiceAccountKey = z.infer<typeof serviceAccountKey>;

export const googleAccountBody = z.strictObject({
  issuerId: z.string().regex(/^[0-9]{6,25}$/, 'The numeric issuer id from the Google Wallet console'),
  /** The key file as JSON or as its text; a real one is about 2.3 KB, more than 10 KB is refused. */
  serviceAccount: z
    .union([serviceAccountKey, z.string().max(10_000, 'The key file is too large (at most 10 KB)')])
    .refine((v) => typeof v === 'string' || JSON.stringify(v).length <= 10_000, 'The key file is too large (at most 10 KB)'),
});

export const googleAccountView = z.object({
  configured: z.boolean(),
  issuerId: z.string().nullable(),
  clientEmail: z.string().nullable(),
  source: z.enum(['business', 'hub', 'none']),
  /** SHA-256 of the service account's public key (never the key). */
  keyFingerprint: z.string().nullable(),
  privateKeyId: z.string().nullable(),
  updatedAt: z.date().nullable(),
});

/** Both wallets' settings, for the console (Settings › Wallet, the card designer's warning). */
export const walletStatusView = z.object({
  apple: appleAccountView,
  google: googleAccountView,
  /** At least one wallet can issue passes. */
  configured: z.boolean(),
  /** A real SMS provider is configured: the console offers to text a guest the card link. */
  smsAvailable: z.boolean(),
});

/** The result of a test pass: issued with the credentials on file and verified locally. */
export const testPassView = z.object({
  platform: z.enum(['apple', 'google']),
  ok: z.boolean(),
  /** What a wallet would refuse the pass for; empty when it verifies. */
  problems: z.array(z.string()),
  details: z.object({
    serial: z.string(),
    bytes: z.number().int(),
    files: z.array(z.string()),
    signedBy: z.string().nullable(),
  }),
});

/** Where the cards are installed (`cardIds`: up to 100, comma-separated). */
export const installsQuery = z.object({
  cardIds: z
    .string()
    .max(3700)
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(z.uuid()).min(1).max(100)),
});
export const installsView = z.object({
  items: z.array(z.object({ cardId: z.string(), apple: z.number().int(), google: z.boolean() })),
});

export const sendLinkView = z.object({ sent: z.literal(true), to: z.string() });

export const cardLinksView = z.object({
  cardPageUrl: z.string(),
  applePassUrl: z.string().nullable(),
  googleSaveUrl: z.string().nullable(),
});

// ---------------------------------------------------------------------------------------------
// Apple PassKit web service (verbatim paths and bodies)
// ---------------------------------------------------------------------------------------------

const identifier = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._-]+$/, 'Letters, digits, . _ -');

export const deviceRegistrationParams = z.strictObject({
  deviceLibraryIdentifier: identifier,
  passTypeIdentifier: identifier,
  serialNumber: identifier,
});
export const deviceParams = z.strictObject({ deviceLibraryIdentifier: identifier, passTypeIdentifier: identifier });
export const passParams = z.strictObject({ passTypeIdentifier: identifier, serialNumber: identifier });
export const registrationBody = z.object({
  pushToken: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9]+$/, 'A hex push token'),
});
export const serialsQuery = z.object({ passesUpdatedSince: z.string().max(40).optional() });
export const serialsView = z.object({ serialNumbers: z.array(z.string()), lastUpdated: z.string() });
export const logBody = z.object({ logs: z.array(z.string().max(1000)).max(20) });
