import path from 'node:path';
import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * Every setting of the hub, read once at start from the environment.
 * Defaults give embedded mode: SQLite in DATA_DIR, in-memory bus, port 8080.
 */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  PUBLIC_URL: z.url().optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^(mysql|mariadb):\/\//, 'must start with mysql:// or mariadb://')
    .optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(20),
  AMQP_URL: z
    .string()
    .regex(/^amqps?:\/\//, 'must start with amqp:// or amqps://')
    .optional(),
  HUB_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Seed the demo business on an empty database; default on, except in production (there only when set to true). */
  SEED_DEMO: bool.optional(),
  /** The demo business's language: `ru` (a Moscow café in Russian) or `en` (the same café in English). */
  DEMO_LOCALE: z.enum(['ru', 'en']).default('ru'),
  SESSION_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(12),
  /** Console sessions end after this many minutes without a request (besides SESSION_TTL_HOURS). */
  SESSION_IDLE_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(60),
  COOKIE_SECURE: bool.optional(),
  /**
   * How many proxies in front of the hub append to `X-Forwarded-For` (0 = none). A hop count, not a
   * boolean: trusting every hop would let a client pick its own address by sending the header.
   */
  TRUST_PROXY: z
    .string()
    .trim()
    .refine(
      (v) => v !== 'true' && v !== 'yes',
      'a number of proxy hops (e.g. 1 behind one load balancer), not true: trusting every hop lets clients forge their address',
    )
    .transform((v) => (v === 'false' || v === 'no' ? 0 : Number(v)))
    .pipe(z.number().int('a whole number of proxy hops').min(0).max(10))
    .default(0),
  OUTBOX_POLL_MS: z.coerce.number().int().min(10).max(60000).default(200),
  HOLD_TTL_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(30),
  JOBS_ENABLED: bool.default(true),
  /** Connector packages the hub loads (`@loyalty/connector-<id>`), comma-separated. */
  CONNECTORS: z
    .string()
    .regex(/^([a-z][a-z0-9-]{1,38}[a-z0-9])?(,[a-z][a-z0-9-]{1,38}[a-z0-9])*$/, 'comma-separated connector ids, e.g. webhooks')
    .default('webhooks,rkeeper'),
  /** Connectors run by their own `loyalty-connector <id>` workers: the hub serves their console routes but does not consume for them. */
  CONNECTORS_EXTERNAL: z
    .string()
    .regex(/^([a-z][a-z0-9-]{1,38}[a-z0-9])?(,[a-z][a-z0-9-]{1,38}[a-z0-9])*$/, 'comma-separated connector ids')
    .default(''),
  /**
   * Connector packages outside this repository, comma-separated directories: each a package (its
   * package.json has `loyalty.connectorId`, or is named `@loyalty/connector-<id>` or
   * `[@scope/]loyalty-connector-<id>`), or a folder of such packages. Loaded besides CONNECTORS, by
   * the hub and by `loyalty-connector <id>`; their `@loyalty/sdk`, `zod` and `typeorm` are the hub's.
   */
  CONNECTOR_PATHS: z.string().default(''),
  /** Lets connectors' outbound calls (webhook endpoints included) reach private, loopback and link-local addresses (tests, on-premise systems). */
  CONNECTORS_ALLOW_PRIVATE: bool.default(false),
  /** The older name of CONNECTORS_ALLOW_PRIVATE; either one set to true allows private targets. */
  WEBHOOKS_ALLOW_PRIVATE: bool.default(false),
  // ---- wallet (Apple Wallet, Google Wallet) ----
  /** Apple WWDR intermediate certificate (PEM file) that Pass Type ID certificates chain to; a business may upload its own. */
  APPLE_WWDR_CERT_FILE: z.string().min(1).optional(),
  /** APNs endpoint for pass update pushes (Wallet uses the production host). */
  APNS_HOST: z.url().default('https://api.push.apple.com'),
  /** Extra CA (PEM file) trusted for the APNs TLS connection: a local fake in tests, a TLS-inspecting proxy. */
  APNS_CA_FILE: z.string().min(1).optional(),
  /** Hub-wide APNs token-auth key (.p8) and its ids, used for businesses that did not upload their own. */
  APNS_KEY_FILE: z.string().min(1).optional(),
  APNS_KEY_ID: z
    .string()
    .regex(/^[A-Z0-9]{10}$/, 'a 10-character key id')
    .optional(),
  APNS_TEAM_ID: z
    .string()
    .regex(/^[A-Z0-9]{10}$/, 'a 10-character team id')
    .optional(),
  /** Most pushes in flight on the one HTTP/2 connection (also capped by the server's SETTINGS). */
  APNS_CONCURRENCY: z.coerce.number().int().min(1).max(5000).default(500),
  /** Google Wallet REST API base URL. */
  GOOGLE_WALLET_API_URL: z.url().default('https://walletobjects.googleapis.com/walletobjects/v1'),
  /** Hub-wide Google Wallet issuer and service account (JSON key file), for businesses without their own. */
  GOOGLE_WALLET_ISSUER_ID: z
    .string()
    .regex(/^[0-9]{6,25}$/, 'the numeric issuer id')
    .optional(),
  GOOGLE_WALLET_SERVICE_ACCOUNT_FILE: z.string().min(1).optional(),
  // ---- engagement (registration pages, SMS) ----
  /** SMS provider for verification codes: `console` logs the code (development), `smsru` sends through SMS.ru. */
  SMS_PROVIDER: z.enum(['console', 'smsru']).default('console'),
  SMSRU_API_ID: z.string().min(8).optional(),
  SMSRU_URL: z.url().default('https://sms.ru'),
  /** Approved sender name at SMS.ru (optional). */
  SMSRU_FROM: z.string().min(1).max(11).optional(),
  /** SMS.ru test mode: accepted and billed as free, not delivered. */
  SMSRU_TEST: bool.default(false),
  /** Let a production hub run with SMS_PROVIDER=console (codes in clear text in the log): a staging box, never a real one. */
  SMS_CONSOLE_ALLOWED: bool.default(false),
  // ---- metrics ----
  /** Bearer token Prometheus must send for /metrics (24+ characters). Production needs this or METRICS_PORT. */
  METRICS_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  /** Serve /metrics on its own listener (this port) instead of the public one; production needs this or METRICS_TOKEN. */
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Listen address of the METRICS_PORT listener (default: HOST). */
  METRICS_HOST: z.string().min(1).optional(),
  // ---- operations (docs/production.md) ----
  /**
   * Run pending migrations when the hub starts. Default: on for embedded mode (SQLite) and outside
   * production; off for a production hub on a shared database, where `loyalty-hub migrate` is its
   * own step and a hub refuses to serve against a schema it does not know.
   */
  MIGRATE_ON_START: bool.optional(),
  /** HTTP worker processes (node:cluster) sharing the port: a number, or `auto` for one per core. */
  HUB_WORKERS: z
    .string()
    .trim()
    .regex(/^(auto|[1-9][0-9]?)$/, 'a number of processes (1-99) or auto')
    .default('1'),
  /** On SIGTERM, how long in-flight requests and the outbox batch may take before the process exits anyway. */
  SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(600).default(25),
});

export type Config = Omit<z.infer<typeof configSchema>, 'SEED_DEMO' | 'MIGRATE_ON_START'> & { SEED_DEMO: boolean; MIGRATE_ON_START: boolean; dataDir: string; publicUrl: string; secureCookies: boolean };

export class ConfigError extends Error {}

/** Parses the environment; throws ConfigError with one line naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`Invalid setting ${name}: ${issue.message}`);
  }
  const c = parsed.data;
  if (c.NODE_ENV === 'production' && !c.HUB_SECRET) {
    throw new ConfigError('Invalid setting HUB_SECRET: required in production (32+ characters)');
  }
  if (c.SMS_PROVIDER === 'smsru' && !c.SMSRU_API_ID) {
    throw new ConfigError('Invalid setting SMSRU_API_ID: required when SMS_PROVIDER=smsru');
  }
  const publicUrl = c.PUBLIC_URL ?? `http://localhost:${c.PORT}`;
  return {
    ...c,
    SEED_DEMO: c.SEED_DEMO ?? c.NODE_ENV !== 'production',
    MIGRATE_ON_START: c.MIGRATE_ON_START ?? !(c.NODE_ENV === 'production' && c.DATABASE_URL),
    dataDir: path.resolve(c.DATA_DIR),
    publicUrl: publicUrl.replace(/\/$/, ''),
    secureCookies: c.COOKIE_SECURE ?? publicUrl.startsWith('https://'),
  };
}

/**
 * What a production hub refuses to start with (checked by `npm start`, not by tools and benches
 * that load the same settings): verification codes written to the log, and Prometheus metrics
 * open to anyone who can reach the public port. Throws ConfigError naming the setting.
 */
export function assertSafeForProduction(c: Config): void {
  if (c.NODE_ENV !== 'production') return;
  if (c.SMS_PROVIDER === 'console' && !c.SMS_CONSOLE_ALLOWED) {
    throw new ConfigError(
      'Invalid setting SMS_PROVIDER: console writes verification codes to the log in clear text; use SMS_PROVIDER=smsru in production (or set SMS_CONSOLE_ALLOWED=true on a staging box)',
    );
  }
  if (!c.METRICS_TOKEN && c.METRICS_PORT === undefined) {
    throw new ConfigError(
      'Invalid setting METRICS_TOKEN: in production /metrics needs a bearer token (METRICS_TOKEN, 24+ characters) or its own listener (METRICS_PORT)',
    );
  }
  if (c.METRICS_PORT !== undefined && c.METRICS_PORT === c.PORT) {
    throw new ConfigError('Invalid setting METRICS_PORT: must differ from PORT');
  }
}
