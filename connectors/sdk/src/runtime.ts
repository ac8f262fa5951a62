import type { AxiosInstance } from 'axios';
import type { NextFunction, Request, Response } from 'express';
import { envelopeSchema, type Envelope } from './contracts/envelope';
import { eventSchemas } from './contracts/events';
import type { ConnectorDefinition, ConnectorLogger, HandlerContext, HubClient, KeyValueStore, KvUpdateOptions, KvWriteOptions } from './connector';
import { PermanentError, isPermanentError } from './errors';
import { guardedHttp } from './http';
import { scrubSecrets, secretValues } from './secret';

/** Remembers which messages a connector already handled for a business (the runtime's dedupe). */
export interface ProcessedStore {
  seen(connectorId: string, businessId: string, messageId: string): Promise<boolean>;
  mark(connectorId: string, businessId: string, messageId: string): Promise<void>;
}

/** What the runtime needs from its host (the hub, a worker, or the testkit) to run one connector. */
export interface RuntimeDeps {
  /** The parsed, decrypted config of the business's installation; undefined when not installed or disabled. */
  installation(businessId: string): Promise<Record<string, unknown> | undefined>;
  processed: ProcessedStore;
  store(businessId: string): KeyValueStore;
  hub(businessId: string, correlationId?: string): HubClient;
  log: ConnectorLogger;
  /** Builds the axios instance handed to handlers (default: {@link defaultHttp}). */
  http?: () => AxiosInstance;
  /** Let the default `ctx.http` reach private and loopback addresses (`CONNECTORS_ALLOW_PRIVATE`). Default false. */
  allowPrivate?: boolean;
  /** Told the outcome of every handled message (last success / last error in the console). */
  outcome?(businessId: string, result: { ok: true } | { ok: false; error: string; permanent: boolean }): Promise<void> | void;
}

export type DispatchResult = 'handled' | 'duplicate' | 'not_installed' | 'no_handler';

/** The `ctx.http` of handlers and checks: the SSRF-guarded client (15 s deadline, no redirects, private targets refused unless allowed). */
export const defaultHttp = (opts: { allowPrivate?: boolean } = {}): AxiosInstance => guardedHttp({ allowPrivate: opts.allowPrivate, timeoutMs: 15_000 });

/** A logger whose output never contains the given secret values. */
export function redactingLogger(log: ConnectorLogger, secrets: string[]): ConnectorLogger {
  if (!secrets.length) return log;
  const wrap =
    (level: keyof ConnectorLogger) =>
    (obj: object | string, msg?: string): void => {
      const o = scrubSecrets(obj, secrets);
      if (msg === undefined) log[level](o as never);
      else log[level](o as object, scrubSecrets(msg, secrets));
    };
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}

/** The handler context for one business (shared by handlers and inbound routers). */
export function handlerContext<C>(
  def: ConnectorDefinition,
  deps: RuntimeDeps,
  businessId: string,
  config: Record<string, unknown>,
  correlationId?: string,
): HandlerContext<C> {
  const secrets = secretValues(def.configSchema, config);
  // Built on first use: most handlers of a busy consumer never touch some of them.
  let http: AxiosInstance | undefined;
  let store: KeyValueStore | undefined;
  let hub: HubClient | undefined;
  return {
    config: config as C,
    businessId,
    log: redactingLogger(deps.log, secrets),
    get http() {
      return (http ??= deps.http ? deps.http() : defaultHttp({ allowPrivate: deps.allowPrivate }));
    },
    get store() {
      return (store ??= deps.store(businessId));
    },
    get hub() {
      return (hub ??= deps.hub(businessId, correlationId));
    },
  };
}

/**
 * The runtime's message handler for one connector: the same code serves the hub's embedded mode,
 * the `loyalty-connector` worker and the testkit. Per message it
 * 1. finds the handler for the type (none: acknowledged and ignored);
 * 2. loads the installation of the message's business (not installed or disabled: ignored);
 * 3. skips a message id already processed for this (connector, business);
 * 4. validates `data` against the contract (invalid: parked at once — retrying cannot fix it);
 * 5. runs the handler, then marks the id processed and reports the outcome.
 * A thrown error propagates to the bus (retry, or park for {@link PermanentError}).
 */
export function createDispatcher(def: ConnectorDefinition, deps: RuntimeDeps): (msg: Envelope) => Promise<DispatchResult> {
  const id = def.manifest.id;
  return async (msg) => {
    const env = envelopeSchema.safeParse(msg);
    if (!env.success)
      throw new PermanentError(`Malformed envelope: ${env.error.issues.map((i) => `${i.path.join('.') || 'envelope'}: ${i.message}`).join('; ')}`);
    const handler = (def.handlers as Record<string, ((m: Envelope, c: HandlerContext<unknown>) => Promise<void>) | undefined>)[msg.type];
    if (!handler) return 'no_handler';
    const config = await deps.installation(msg.businessId);
    if (!config) return 'not_installed';
    if (await deps.processed.seen(id, msg.businessId, msg.id)) return 'duplicate';
    const schema = (
      eventSchemas as Record<
        string,
        { safeParse(d: unknown): { success: boolean; data?: unknown; error?: { issues: { path: PropertyKey[]; message: string }[] } } }
      >
    )[msg.type];
    let data = msg.data;
    if (schema) {
      const parsed = schema.safeParse(msg.data);
      if (!parsed.success) {
        const why = parsed.error!.issues.map((i) => `${i.path.map(String).join('.') || 'data'}: ${i.message}`).join('; ');
        await deps.outcome?.(msg.businessId, { ok: false, error: `Invalid ${msg.type}: ${why}`, permanent: true });
        throw new PermanentError(`Invalid ${msg.type} data: ${why}`);
      }
      data = parsed.data;
    }
    const ctx = handlerContext(def, deps, msg.businessId, config, msg.correlationId ?? msg.id);
    try {
      await handler({ ...msg, data }, ctx);
    } catch (e) {
      const error = scrubSecrets(e instanceof Error ? e.message : String(e), secretValues(def.configSchema, config)).slice(0, 500);
      await Promise.resolve(deps.outcome?.(msg.businessId, { ok: false, error, permanent: isPermanentError(e) })).catch(() => undefined);
      if (e instanceof Error && error !== e.message) {
        // Never let a secret travel into the parking queue or the logs through an error message.
        const clean = isPermanentError(e) ? new PermanentError(error) : new Error(error);
        throw clean;
      }
      throw e;
    }
    await deps.processed.mark(id, msg.businessId, msg.id);
    await Promise.resolve(deps.outcome?.(msg.businessId, { ok: true })).catch(() => undefined);
    return 'handled';
  };
}

// ------------------------------------------------------------------ memory implementations

/** A value sealer (the hub's secret box; a reversible stand-in in the testkit). */
export interface Sealer {
  seal(plain: string): string;
  open(sealed: string): string;
}

/** The testkit's stand-in sealer: reversible and NOT secret, but never the clear text either. */
export const testSealer: Sealer = {
  seal: (s) => `test:${Buffer.from(s).toString('base64')}`,
  open: (s) => Buffer.from(s.replace(/^test:/, ''), 'base64').toString('utf8'),
};

/** Thrown by `update` when other writers kept winning for `maxAttempts` tries. */
export class KvConflictError extends Error {
  constructor(key: string, attempts: number) {
    super(`The value of ${key} kept changing under update() (${attempts} tries)`);
    this.name = 'KvConflictError';
  }
}

/** A short random pause between compare-and-set tries, growing with the attempt (spreads contenders). */
export function kvBackoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(2 * attempt, 50);
  return new Promise((r) => setTimeout(r, ms));
}

interface MemoryEntry {
  /** JSON text, or the sealed JSON text when `sealed`. */
  value: string;
  sealed: boolean;
  version: number;
  expiresAt?: number;
}

/**
 * Key/value store in memory (testkit, tests), with the same semantics as the hub's: versions for
 * `update`, sealed values stored only in sealed form (see `data`).
 */
export class MemoryKeyValueStore implements KeyValueStore {
  readonly data = new Map<string, MemoryEntry>();
  constructor(
    private readonly now: () => number = Date.now,
    private readonly sealer: Sealer = testSealer,
  ) {}

  private live(key: string): MemoryEntry | undefined {
    const e = this.data.get(key);
    if (e && e.expiresAt !== undefined && e.expiresAt <= this.now()) {
      this.data.delete(key);
      return undefined;
    }
    return e;
  }

  private decode<T>(e: MemoryEntry): T {
    return JSON.parse(e.sealed ? this.sealer.open(e.value) : e.value) as T;
  }

  private encode(value: unknown, opts: KvWriteOptions, version: number): MemoryEntry {
    const json = JSON.stringify(value);
    return {
      value: opts.sealed ? this.sealer.seal(json) : json,
      sealed: !!opts.sealed,
      version,
      expiresAt: opts.ttlSeconds ? this.now() + opts.ttlSeconds * 1000 : undefined,
    };
  }

  async get<T>(key: string): Promise<T | undefined> {
    const e = this.live(key);
    return e ? this.decode<T>(e) : undefined;
  }

  async set(key: string, value: unknown, opts: KvWriteOptions = {}): Promise<void> {
    this.data.set(key, this.encode(value, opts, (this.data.get(key)?.version ?? 0) + 1));
  }

  async delete(key: string): Promise<void> {
    this.data.delete(key);
  }

  async update<T>(key: string, fn: (current: T | undefined) => T | undefined | Promise<T | undefined>, opts: KvUpdateOptions = {}): Promise<T | undefined> {
    const max = opts.maxAttempts ?? 50;
    for (let attempt = 1; attempt <= max; attempt++) {
      const e = this.live(key);
      const current = e ? this.decode<T>(e) : undefined;
      const next = await fn(current);
      if (e && next === current) return current;
      // The compare of compare-and-set: the entry must be the one fn saw (same version, still there).
      if (this.data.get(key) !== e) {
        await kvBackoff(attempt);
        continue;
      }
      if (next === undefined) this.data.delete(key);
      else this.data.set(key, this.encode(next, opts, (e?.version ?? 0) + 1));
      return next;
    }
    throw new KvConflictError(key, max);
  }
}

export class MemoryProcessedStore implements ProcessedStore {
  readonly ids = new Set<string>();
  async seen(c: string, b: string, m: string): Promise<boolean> {
    return this.ids.has(`${c}\u0000${b}\u0000${m}`);
  }
  async mark(c: string, b: string, m: string): Promise<void> {
    this.ids.add(`${c}\u0000${b}\u0000${m}`);
  }
}

// ------------------------------------------------------------------ inbound helpers

declare module 'express-serve-static-core' {
  interface Request {
    /** The request body exactly as received (set by the host before inbound routers run). */
    rawBody?: Buffer;
  }
}

/** The exact bytes of the request body, for signature checks; an empty buffer when there was none. */
export function rawBody(req: Request): Buffer {
  return req.rawBody ?? Buffer.alloc(0);
}

/**
 * Keeps the raw body of inbound requests: when an earlier JSON parser already kept it (the hub's),
 * nothing is read again; otherwise the stream is read (up to `limit` bytes) and JSON bodies are
 * parsed into `req.body` as usual.
 */
export function captureRawBody(limit = 1024 * 1024) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.rawBody || req.readableEnded || !['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method)) return next();
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit && !failed) {
        failed = true;
        res.status(413).json({ error: 'payload_too_large' });
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('error', (e) => {
      if (!failed) next(e);
    });
    req.on('end', () => {
      if (failed) return;
      req.rawBody = Buffer.concat(chunks);
      if (req.is(['application/json', 'application/*+json']) && req.rawBody.length) {
        try {
          req.body = JSON.parse(req.rawBody.toString('utf8'));
        } catch {
          res.status(400).json({ error: 'invalid_json' });
          return;
        }
      }
      next();
    });
  };
}
