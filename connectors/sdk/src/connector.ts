import type { AxiosInstance } from 'axios';
import type { Router } from 'express';
import { z } from 'zod';
import { CONTRACT_VERSION, type Envelope } from './contracts/envelope';
import { eventSchemas, type EventData, type EventType } from './contracts/events';
import type { CommandReply, CommandRequest, CommandType } from './contracts/commands';
import type { ConnectorStorage, ConnectorStore } from './storage';
import { unsealedSecretProblem } from './secret';

// ------------------------------------------------------------------ manifest

/** What kind of system a connector links the hub to (the console groups its catalog by it). */
export const CONNECTOR_CATEGORIES = ['pos', 'payment', 'crm', 'webhook'] as const;
export type ConnectorCategory = (typeof CONNECTOR_CATEGORIES)[number];

export const manifestSchema = z.strictObject({
  /** Stable id: lower-case, digits and dashes; names the bus consumer `connector.<id>` and the URL `/connectors/<id>/…`. */
  id: z.string().regex(/^[a-z][a-z0-9-]{1,38}[a-z0-9]$/, 'lower-case letters, digits and dashes, 3–40 characters'),
  /** Display name in the console catalog. */
  name: z.string().min(1).max(80),
  category: z.enum(CONNECTOR_CATEGORIES),
  /** The connector's own version (semver). */
  version: z.string().regex(/^\d+\.\d+\.\d+(?:[-+].*)?$/, 'semver, e.g. 1.0.0'),
  /** Version of the message contracts the connector was written against (see `CONTRACT_VERSION`). */
  contractVersion: z.string().regex(/^\d+\.\d+$/),
  /** Event types the connector handles; its bus queue is bound to exactly these. */
  consumes: z.array(z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/)).readonly(),
  /** Commands the connector sends to the hub through `ctx.hub.request` (documentation). */
  sends: z.array(z.string()).readonly().optional(),
  /** One or two sentences for the catalog. */
  description: z.string().min(1).max(500),
  /**
   * The routes the connector's `inbound` router serves (vendor -> hub), below `/connectors/<id>`.
   * The hub lists them in its OpenAPI document and shows each business its full URL (PUBLIC_URL,
   * with `:businessId` filled in) to paste into the vendor's settings.
   */
  inbound: z
    .array(
      z.strictObject({
        method: z.enum(['get', 'post', 'put', 'patch', 'delete']),
        /** Express-style path below `/connectors/<id>`, e.g. `/:businessId/hooks`; `:businessId` is the installing business. */
        path: z.string().regex(/^\/[A-Za-z0-9_:./-]*$/, 'a path such as /:businessId/hooks'),
        /** What the vendor sends there, one line (OpenAPI summary, console hint). */
        summary: z.string().min(1).max(200),
      }),
    )
    .readonly()
    .optional(),
});

/** One declared inbound route of a connector (see `manifest.inbound`). */
export type InboundRouteSpec = NonNullable<z.infer<typeof manifestSchema>['inbound']>[number];

/**
 * The full URL of a declared inbound route for one business, e.g.
 * `https://loyalty.example.com/connectors/acme-crm/<businessId>/hooks`.
 */
export function inboundUrl(publicUrl: string, connectorId: string, route: Pick<InboundRouteSpec, 'path'>, businessId: string): string {
  return `${publicUrl.replace(/\/$/, '')}/connectors/${connectorId}${route.path.replace(/:businessId\b/g, businessId)}`;
}

/**
 * The connector's identity card, shown in the console catalog.
 *
 * @example
 * { id: 'acme-crm', name: 'Acme CRM', category: 'crm', version: '1.0.0', contractVersion: '1.0',
 *   consumes: ['guest.registered'], description: 'Creates a contact in Acme CRM for every new guest.' }
 */
export type ConnectorManifest = z.infer<typeof manifestSchema>;

// ------------------------------------------------------------------ what the runtime gives a connector

/** Structured logger (pino-compatible subset). Secret config values are scrubbed from everything logged through it. */
export interface ConnectorLogger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** How a value is written to the {@link KeyValueStore}. */
export interface KvWriteOptions {
  /** The value disappears after this many seconds. */
  ttlSeconds?: number;
  /**
   * Encrypt the value at rest with the host's secret box (AES-256-GCM under HUB_SECRET in the hub):
   * for access and refresh tokens, which must never sit in clear in the database. `get` and `update`
   * open it transparently; logs and the console never see it.
   */
  sealed?: boolean;
}

/** Options of {@link KeyValueStore.update}. */
export interface KvUpdateOptions extends KvWriteOptions {
  /** Tries before giving up with a conflict error when other writers keep winning (default 50). */
  maxAttempts?: number;
}

/**
 * Small per-connector, per-business key/value persistence provided by the runtime (a table of the
 * hub's database, or memory in the testkit): cursors, vendor ids, tokens with their expiry.
 * Values are JSON. Every write bumps the entry's version, which {@link KeyValueStore.update} compares.
 *
 * @example
 * // A rotating OAuth token shared by every hub and worker of the business: one refresh wins.
 * const token = await ctx.store.update<Token>('oauth', async (cur) =>
 *   cur && cur.expiresAt > Date.now() + 60_000 ? cur : await refresh(cur?.refreshToken), { sealed: true });
 */
export interface KeyValueStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Writes the value (last writer wins). */
  set(key: string, value: unknown, opts?: KvWriteOptions): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Compare-and-set: reads the value (undefined when absent or expired), calls `fn` with it and
   * writes what `fn` returns only if nobody wrote the key in between; otherwise reads again and calls
   * `fn` again (so `fn` may run more than once: keep vendor calls in it idempotent, or accept that a
   * losing refresh is thrown away). Atomic across processes sharing one database.
   * - return the value `fn` was given (the same reference): nothing is written;
   * - return `undefined`: the key is deleted;
   * - otherwise the returned value is written (with `opts.ttlSeconds`/`opts.sealed`).
   * Resolves to the value now stored.
   */
  update<T = unknown>(key: string, fn: (current: T | undefined) => T | undefined | Promise<T | undefined>, opts?: KvUpdateOptions): Promise<T | undefined>;
}

/**
 * Sends commands to the hub over the bus (request/reply with a deadline) on behalf of the business
 * of the current message or inbound call: `card.lookup`, `checkout.quote`, `checkout.commit`,
 * `guest.upsert`… (the catalog is `commandSchemas` in `contracts/commands.ts`; request and reply
 * are typed from it). Rejects with a `CommandError` carrying the code and status the HTTP API
 * would give (422 `insufficient_points`, 409 `receipt_already_recorded`…), 503
 * `no_command_server` when nothing serves commands, or 504 `command_timeout` after the deadline.
 *
 * @example
 * const { card } = await ctx.hub.request('card.lookup', { number: '1010000012345' });
 * const sale = await ctx.hub.request('checkout.commit', { idempotencyKey: `acme:${order.id}`, card: { id: card.id },
 *   basket: { items: [{ sku: 'ORDER', qty: 1, unitPriceMinor: 150000, amountMinor: 150000 }] } });
 */
export interface HubClient {
  request<K extends CommandType>(type: K, data: CommandRequest<K>, opts?: { timeoutMs?: number }): Promise<CommandReply<K>>;
}

/** Everything a handler may use. The runtime builds one per message. */
export interface HandlerContext<C> {
  /** The business's installation config, parsed by the connector's schema, secrets decrypted. */
  config: C;
  businessId: string;
  log: ConnectorLogger;
  /** An axios instance (15 s timeout) for the vendor API; in the testkit every request is captured. */
  http: AxiosInstance;
  store: KeyValueStore;
  hub: HubClient;
}

/**
 * One handler per event type. It receives the envelope (data already validated against the
 * contract) and must be idempotent: delivery is at-least-once. The runtime already skips a message
 * id the connector processed successfully for that business.
 * - return normally: done (acked);
 * - throw: retried by the bus with a growing delay, parked after the last retry;
 * - throw {@link PermanentError}: parked at once.
 */
export type EventHandler<C, T extends EventType = EventType> = (envelope: Envelope<EventData<T>>, ctx: HandlerContext<C>) => Promise<void>;

export type HandlerMap<C> = { [T in EventType]?: EventHandler<C, T> };

/** What an inbound router may use (vendor -> hub). */
export interface InboundContext<C> {
  log: ConnectorLogger;
  /** The handler context for a business, or undefined when the business has not installed (or disabled) the connector. */
  forBusiness(businessId: string): Promise<HandlerContext<C> | undefined>;
}

/** The answer of a health check ("Test connection"). */
export type CheckResult = { ok: true; detail?: string } | { ok: false; error: string };

export interface CheckContext {
  log: ConnectorLogger;
  http: AxiosInstance;
  businessId: string;
}

/**
 * Host services a connector factory may receive (see {@link ConnectorModule}): the hub passes a
 * store scoped to the connector's own tables and its secret box, the testkit passes stand-ins.
 */
export interface ConnectorServices {
  /**
   * The connector's own tables (those it declares in {@link ConnectorDefinition.storage}), never the
   * host's whole database. The factory runs before the host opens its database, so use the store in
   * handlers, routes and `start()`, not in the factory itself.
   */
  store?: ConnectorStore;
  /** Encrypts/decrypts values at rest (AES-256-GCM under HUB_SECRET in the hub). */
  secrets: { seal(plain: string): string; open(sealed: string): string };
  /**
   * Host settings: `PUBLIC_URL` (the hub's external address, for URLs a vendor calls back, e.g.
   * `${PUBLIC_URL}/connectors/<id>/<businessId>/…`), `TRUST_PROXY` (proxy hops in front of the hub,
   * as a number; read a caller's address with it, never from the left-most X-Forwarded-For),
   * `CONNECTORS_ALLOW_PRIVATE` / `WEBHOOKS_ALLOW_PRIVATE` (the SSRF guard's switch).
   */
  settings: Record<string, string | undefined>;
  /** The clock; tests inject a fake one. */
  now: () => Date;
  log: ConnectorLogger;
}

/** Background work a connector runs beside its handlers (retry loops, polling); stopped on shutdown. */
export interface BackgroundTask {
  stop(): Promise<void>;
}

/** A console route a connector adds under `/v1/admin/integrations/<id>/…` (admins only). */
export interface AdminRoute {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** Path below the connector's prefix, e.g. `/endpoints/:id`. */
  path: string;
  summary: string;
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
  response?: z.ZodType;
  status?: number;
  errors?: number[];
  handler(req: AdminRequest): Promise<unknown>;
}

export interface AdminRequest {
  businessId: string;
  actor: { type: string; id: string; label?: string };
  body: any;
  query: any;
  params: any;
  /** Records an entry in the business's administrator history (never put secrets in before/after). */
  audit(entry: { action: string; targetType: string; targetId?: string; before?: unknown; after?: unknown }): Promise<void>;
}

/**
 * A connector: everything the hub needs to run it. Make one with {@link defineConnector}.
 *
 * @typeParam S the zod config schema (mark credentials with `secret()`).
 */
export interface ConnectorDefinition<S extends z.ZodObject = z.ZodObject> {
  manifest: ConnectorManifest;
  /** Validates a business's installation config in the console, on install and on every change. */
  configSchema: S;
  handlers: HandlerMap<z.output<S>>;
  /**
   * Vendor -> hub: an express Router mounted at `/connectors/<id>/` on the hub's port (also when the
   * connector runs as a worker; the worker serves it on its own PORT too). `rawBody(req)` gives the
   * exact bytes for signature checks. Declare its routes in `manifest.inbound` so the hub documents
   * them and shows each business its URL.
   */
  inbound?: (ctx: InboundContext<z.output<S>>) => Router;
  /** "Test connection": one cheap authenticated call with the given config. */
  check?: (config: z.output<S>, ctx: CheckContext) => Promise<CheckResult>;
  /** Started once per process that runs the connector (the hub in embedded mode, else its worker). */
  start?: (services: ConnectorServices) => Promise<BackgroundTask> | BackgroundTask;
  /** Extra console routes (e.g. webhook endpoints), served by the hub. */
  admin?: AdminRoute[];
  /** Called after a business uninstalls the connector, to drop its data. */
  uninstall?: (businessId: string) => Promise<void>;
  /**
   * Tables the connector keeps in the host database, with the migrations that create them (see
   * {@link ConnectorStorage}); reached through `services.store`.
   */
  storage?: ConnectorStorage;
  /** Redelivery delays (ms) after a failure; default: the bus's (1 s, 5 s, 30 s, 2 min, 10 min). */
  retryDelaysMs?: number[];
  /**
   * Messages handled at once per process (the consumer's prefetch; default 50). Raise it for handlers
   * that only write locally; keep it low for vendors with tight rate limits.
   */
  concurrency?: number;
}

/**
 * What a connector package exports so that hosts load it by id (`@loyalty/connector-<id>`):
 * either a ready `connector`, or `createConnector(services)` when it needs host services.
 */
export interface ConnectorModule {
  connector?: ConnectorDefinition<any>;
  createConnector?: (services: ConnectorServices) => ConnectorDefinition<any>;
}

/**
 * Declares a connector. Checks the manifest, that the config schema is an object, and that every
 * handler is for an event type the manifest consumes (and the other way round), then freezes it.
 *
 * @example
 * export const connector = defineConnector({
 *   manifest: { id: 'acme-crm', name: 'Acme CRM', category: 'crm', version: '1.0.0',
 *               contractVersion: CONTRACT_VERSION, consumes: ['guest.registered'],
 *               description: 'Creates a contact in Acme CRM for every new guest.' },
 *   configSchema: z.object({ baseUrl: z.url(), apiKey: secret() }),
 *   handlers: {
 *     'guest.registered': async (msg, ctx) => {
 *       await ctx.http.put(`${ctx.config.baseUrl}/contacts/${msg.data.guestId}`, { phone: msg.data.phone },
 *         { headers: { authorization: `Bearer ${ctx.config.apiKey}` } });
 *     },
 *   },
 *   check: async (config, ctx) => {
 *     const r = await ctx.http.get(`${config.baseUrl}/me`, { headers: { authorization: `Bearer ${config.apiKey}` }, validateStatus: () => true });
 *     return r.status === 200 ? { ok: true } : { ok: false, error: `Acme answered ${r.status}` };
 *   },
 * });
 */
export function defineConnector<S extends z.ZodObject>(def: ConnectorDefinition<S>): ConnectorDefinition<S> {
  const manifest = manifestSchema.parse(def.manifest);
  if (!(def.configSchema instanceof z.ZodObject)) throw new Error(`Connector ${manifest.id}: configSchema must be a z.object(...)`);
  const unsealed = unsealedSecretProblem(def.configSchema);
  if (unsealed) throw new Error(`Connector ${manifest.id}: ${unsealed}`);
  if (manifest.inbound?.length && !def.inbound) throw new Error(`Connector ${manifest.id}: the manifest declares inbound routes but there is no inbound router`);
  const handled = Object.keys(def.handlers ?? {});
  for (const t of handled) {
    if (!manifest.consumes.includes(t)) throw new Error(`Connector ${manifest.id}: handler for ${t}, which the manifest does not consume`);
  }
  for (const t of manifest.consumes) {
    if (!handled.includes(t)) throw new Error(`Connector ${manifest.id}: the manifest consumes ${t} but there is no handler for it`);
    if (!(t in eventSchemas)) throw new Error(`Connector ${manifest.id}: unknown event type ${t} (contract ${CONTRACT_VERSION})`);
  }
  if (manifest.contractVersion.split('.')[0] !== CONTRACT_VERSION.split('.')[0]) {
    throw new Error(`Connector ${manifest.id}: written for contract ${manifest.contractVersion}, this SDK speaks ${CONTRACT_VERSION}`);
  }
  if (def.concurrency !== undefined && (!Number.isInteger(def.concurrency) || def.concurrency < 1 || def.concurrency > 1000)) {
    throw new Error(`Connector ${manifest.id}: concurrency must be an integer from 1 to 1000`);
  }
  for (const r of def.admin ?? []) {
    if (!r.path.startsWith('/')) throw new Error(`Connector ${manifest.id}: admin route path must start with /`);
  }
  return Object.freeze({ ...def, manifest });
}

/** Loads a connector package by id (`@loyalty/connector-<id>`), calling its factory with the host services. */
export function loadConnector(id: string, services: ConnectorServices, resolve: (name: string) => unknown = require): ConnectorDefinition {
  if (!/^[a-z][a-z0-9-]{1,38}[a-z0-9]$/.test(id)) throw new Error(`Not a connector id: ${id}`);
  const mod = resolve(`@loyalty/connector-${id}`) as ConnectorModule;
  const def = mod.createConnector ? mod.createConnector(services) : mod.connector;
  if (!def) throw new Error(`@loyalty/connector-${id} exports neither connector nor createConnector`);
  if (def.manifest.id !== id) throw new Error(`@loyalty/connector-${id} declares id ${def.manifest.id}`);
  return def;
}

export type { EventType };
