import type { Logger } from 'pino';
import { In, LessThan } from 'typeorm';
import {
  allowPrivateFrom,
  COMMAND_TIMEOUT_MS,
  createDispatcher,
  KvConflictError,
  kvBackoff,
  type BackgroundTask,
  type Envelope,
  type ConnectorDefinition,
  type ConnectorLogger,
  type ConnectorServices,
  type HubClient,
  type KeyValueStore,
  type KvUpdateOptions,
  type KvWriteOptions,
  type Sealer,
  type ProcessedStore,
} from '@loyalty/sdk';
import { BusTimeoutError, CommandError, type Bus } from '../../bus/bus';
import { Db, isUniqueViolation } from '../../db/db';
import { newId } from '../../shared/ids';
import { ConnectorKv, ProcessedMessage } from './integrations.entity';
import { consumerName, type IntegrationsService } from './integrations.service';

/** pino -> the SDK's logger interface. */
export function connectorLogger(log: Logger): ConnectorLogger {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (obj: object | string, msg?: string): void => {
      if (typeof obj === 'string') log[level](obj);
      else log[level](obj, msg);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * The runtime's dedupe on (connector, business, message id), in the hub database. Look-ups and
 * marks that arrive in the same tick (a consumer has up to `prefetch` messages in flight) are
 * batched into one query each, so the dedupe costs two statements per batch, not per message.
 */
export class SqlProcessedStore implements ProcessedStore {
  private seenQueue = new Map<string, { connectorId: string; businessId: string; ids: Map<string, ((v: boolean) => void)[]> }>();
  private markQueue: { row: { connectorId: string; businessId: string; messageId: string; processedAt: Date }; done: (e?: unknown) => void }[] = [];
  private seenScheduled = false;
  private markScheduled = false;

  constructor(private readonly db: Db) {}

  seen(connectorId: string, businessId: string, messageId: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const key = `${connectorId}\u0000${businessId}`;
      let group = this.seenQueue.get(key);
      if (!group) this.seenQueue.set(key, (group = { connectorId, businessId, ids: new Map() }));
      const waiting = group.ids.get(messageId) ?? [];
      waiting.push(resolve);
      group.ids.set(messageId, waiting);
      if (!this.seenScheduled) {
        this.seenScheduled = true;
        setImmediate(() => void this.flushSeen().catch(reject));
      }
    });
  }

  private async flushSeen(): Promise<void> {
    this.seenScheduled = false;
    const groups = [...this.seenQueue.values()];
    this.seenQueue.clear();
    for (const g of groups) {
      const ids = [...g.ids.keys()];
      try {
        const found = new Set<string>();
        for (let i = 0; i < ids.length; i += 500) {
          const rows = await this.db.manager
            .getRepository(ProcessedMessage)
            .find({ select: { messageId: true }, where: { connectorId: g.connectorId, businessId: g.businessId, messageId: In(ids.slice(i, i + 500)) } });
          for (const r of rows) found.add(r.messageId);
        }
        for (const [id, waiting] of g.ids) for (const w of waiting) w(found.has(id));
      } catch {
        // Cannot tell: treat as not processed (the handler is idempotent; at-least-once).
        for (const waiting of g.ids.values()) for (const w of waiting) w(false);
      }
    }
  }

  mark(connectorId: string, businessId: string, messageId: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.markQueue.push({ row: { connectorId, businessId, messageId, processedAt: new Date() }, done: (e) => (e ? reject(e) : resolve()) });
      if (!this.markScheduled) {
        this.markScheduled = true;
        setImmediate(() => void this.flushMarks());
      }
    });
  }

  private async flushMarks(): Promise<void> {
    this.markScheduled = false;
    const batch = this.markQueue.splice(0);
    try {
      for (let i = 0; i < batch.length; i += 200) {
        // A concurrent redelivery may have marked one first: ignored, not an error.
        await this.db.manager
          .createQueryBuilder()
          .insert()
          .into(ProcessedMessage)
          .values(batch.slice(i, i + 200).map((b) => b.row))
          .orIgnore()
          .execute();
      }
      for (const b of batch) b.done();
    } catch (e) {
      for (const b of batch) b.done(e);
    }
  }
}

/**
 * The SDK's key/value store for one (connector, business), in the hub database. Every write bumps
 * the row's version; `update` writes only where the version it read is still there, so concurrent
 * updates from any number of hubs and workers apply one after another. Sealed values are stored as
 * the secret box's ciphertext of their JSON.
 */
export class SqlKeyValueStore implements KeyValueStore {
  constructor(
    private readonly db: Db,
    private readonly connectorId: string,
    private readonly businessId: string,
    private readonly sealer: Sealer,
    private readonly now: () => number = Date.now,
  ) {}

  private get repo() {
    return this.db.manager.getRepository(ConnectorKv);
  }

  private pk(key: string) {
    return { connectorId: this.connectorId, businessId: this.businessId, key };
  }

  private expired(row: ConnectorKv): boolean {
    return !!row.expiresAt && row.expiresAt.getTime() <= this.now();
  }

  private decode<T>(row: ConnectorKv): T {
    return (row.sealed ? JSON.parse(this.sealer.open(String(row.value))) : row.value) as T;
  }

  private encode(value: unknown, opts: KvWriteOptions): Pick<ConnectorKv, 'value' | 'sealed' | 'expiresAt'> {
    if (value === undefined) throw new Error('Store values must be JSON (undefined deletes: use delete())');
    return {
      value: opts.sealed ? this.sealer.seal(JSON.stringify(value)) : (JSON.parse(JSON.stringify(value)) as unknown),
      sealed: !!opts.sealed,
      expiresAt: opts.ttlSeconds ? new Date(this.now() + opts.ttlSeconds * 1000) : null,
    };
  }

  private checkKey(key: string): void {
    if (!key || key.length > 200) throw new Error('Store keys are 1 to 200 characters');
  }

  async get<T>(key: string): Promise<T | undefined> {
    const row = await this.repo.findOneBy(this.pk(key));
    if (!row) return undefined;
    if (this.expired(row)) {
      await this.db.transaction((tx) => tx.getRepository(ConnectorKv).delete({ ...this.pk(key), version: row.version }));
      return undefined;
    }
    return this.decode<T>(row);
  }

  async set(key: string, value: unknown, opts: KvWriteOptions = {}): Promise<void> {
    this.checkKey(key);
    const enc = this.encode(value, opts);
    for (;;) {
      const updated = await this.db.transaction((tx) =>
        tx
          .createQueryBuilder()
          .update(ConnectorKv)
          .set({ ...enc, version: () => 'version + 1' })
          .where(this.pk(key))
          .execute(),
      );
      if (updated.affected) return;
      if (await this.insert(key, enc)) return;
    }
  }

  /** Inserts the first version of a key; false when another writer inserted it first. */
  private async insert(key: string, enc: Pick<ConnectorKv, 'value' | 'sealed' | 'expiresAt'>): Promise<boolean> {
    try {
      await this.db.transaction((tx) => tx.getRepository(ConnectorKv).insert({ ...this.pk(key), ...enc, version: 1 }));
      return true;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    await this.db.transaction((tx) => tx.getRepository(ConnectorKv).delete(this.pk(key)));
  }

  async update<T>(key: string, fn: (current: T | undefined) => T | undefined | Promise<T | undefined>, opts: KvUpdateOptions = {}): Promise<T | undefined> {
    this.checkKey(key);
    const max = opts.maxAttempts ?? 50;
    for (let attempt = 1; attempt <= max; attempt++) {
      const row = await this.repo.findOneBy(this.pk(key));
      const live = row && !this.expired(row) ? row : undefined;
      const current = live ? this.decode<T>(live) : undefined;
      // fn runs outside any transaction: it may call a vendor without holding a lock.
      const next = await fn(current);
      if (live && next === current) return current;
      let won: boolean;
      if (!row) won = next === undefined ? true : await this.insert(key, this.encode(next, opts));
      else {
        // The compare: only the version this attempt read may be replaced.
        const where = { ...this.pk(key), version: row.version };
        const r = await this.db.transaction((tx) =>
          next === undefined
            ? tx.getRepository(ConnectorKv).delete(where)
            : tx.getRepository(ConnectorKv).update(where, { ...this.encode(next, opts), version: row.version + 1 }),
        );
        won = !!r.affected;
      }
      if (won) return next;
      await kvBackoff(attempt);
    }
    throw new KvConflictError(key, max);
  }
}

/** Deletes key/value entries past their expiry (they already read as absent); returns how many. */
export async function purgeExpiredKeyValues(db: Db, now = new Date()): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = await db.manager
      .getRepository(ConnectorKv)
      .find({ select: { connectorId: true, businessId: true, key: true, version: true }, where: { expiresAt: LessThan(now) }, take: 500 });
    if (!rows.length) return total;
    await db.transaction(async (tx) => {
      // Each by its version: an entry rewritten meanwhile (a fresh token) stays.
      for (const r of rows) total += (await tx.getRepository(ConnectorKv).delete({ connectorId: r.connectorId, businessId: r.businessId, key: r.key, version: r.version })).affected ?? 0;
    });
    if (rows.length < 500) return total;
  }
}

export interface HostDeps {
  db: Db;
  bus: Bus;
  log: Logger;
  integrations: IntegrationsService;
  services: ConnectorServices;
  /** The services a connector was built with (its scoped store), handed to its `start()`. */
  servicesOf?: (id: string) => ConnectorServices;
  /** Connectors this process runs (consumes for, runs background tasks of, serves inbound routes of). */
  runsHere: (id: string) => boolean;
}

/**
 * Runs connectors in this process: one bus consumer `connector.<id>` per connector, dispatching
 * each message to the installation of its business; plus the connectors' background tasks.
 * The hub uses it in embedded mode; the `loyalty-connector` worker uses it for one connector.
 */
/** A command answered in this process with the semantics of a bus request (copies, deadline, CommandError). */
async function localRequest(handler: (msg: Envelope) => Promise<unknown>, msg: Envelope, timeoutMs: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BusTimeoutError(msg.type, timeoutMs)), timeoutMs);
  });
  try {
    const reply = await Promise.race([handler(JSON.parse(JSON.stringify(msg)) as Envelope), deadline]);
    return JSON.parse(JSON.stringify(reply ?? null));
  } catch (e) {
    if (e instanceof BusTimeoutError) throw e;
    const err = e as { code?: string; message?: string; status?: number; details?: Record<string, unknown> };
    throw new CommandError(err.code ?? 'command_failed', err.message ?? 'Command failed', err.status ?? 500, err.details && JSON.parse(JSON.stringify(err.details)));
  } finally {
    clearTimeout(timer);
  }
}

export class ConnectorHost {
  private readonly tasks: BackgroundTask[] = [];
  private started = false;
  readonly processed: SqlProcessedStore;

  constructor(private readonly d: HostDeps) {
    this.processed = new SqlProcessedStore(d.db);
  }

  get definitions(): ConnectorDefinition[] {
    return [...this.d.integrations.defs.values()];
  }

  runsHere(id: string): boolean {
    return this.d.runsHere(id);
  }

  private local?: (msg: Envelope) => Promise<unknown>;

  /**
   * Serves the commands of connectors running in this process with this hub's own command router,
   * without a broker round trip (a worker's commands still travel over the bus). The request and
   * the reply are copied through JSON as a broker would, so a connector sees the same values.
   */
  serveLocally(handler: (msg: Envelope) => Promise<unknown>): void {
    this.local = handler;
  }

  /** Hub command client of one connector (request/reply; the envelope names the sender). */
  hubClient(connectorId: string, businessId: string, correlationId?: string): HubClient {
    return {
      request: (type, data, opts = {}) => {
        const msg: Envelope = { id: newId(), type, businessId, occurredAt: new Date().toISOString(), sender: connectorId, ...(correlationId ? { correlationId } : {}), data };
        const timeoutMs = opts.timeoutMs ?? COMMAND_TIMEOUT_MS;
        return (this.local ? localRequest(this.local, msg, timeoutMs) : this.d.bus.request(msg, timeoutMs)) as never;
      },
    };
  }

  /** The runtime dependencies of one connector (also used by inbound routers). */
  deps(def: ConnectorDefinition) {
    const id = def.manifest.id;
    const log = this.d.log.child({ connector: id });
    return {
      installation: (businessId: string) => this.d.integrations.activeConfig(businessId, id),
      processed: this.processed,
      store: (businessId: string) => new SqlKeyValueStore(this.d.db, id, businessId, this.d.services.secrets),
      hub: (businessId: string, correlationId?: string) => this.hubClient(id, businessId, correlationId),
      log: connectorLogger(log),
      allowPrivate: allowPrivateFrom(this.d.services.settings),
      outcome: async (businessId: string, r: { ok: true } | { ok: false; error: string }) => {
        await this.d.integrations
          .recordOutcome(businessId, id, r)
          .catch((e) => log.warn({ err: (e as Error).message }, 'could not record the connector outcome'));
      },
    };
  }

  /** Subscribes each connector run here to the bus and starts its background task. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const def of this.definitions) {
      if (!this.d.runsHere(def.manifest.id)) continue;
      const dispatch = createDispatcher(def, this.deps(def));
      await this.d.bus.subscribe(
        consumerName(def.manifest.id),
        [...def.manifest.consumes],
        async (msg) => {
          await dispatch(msg);
        },
        { ...(def.concurrency ? { prefetch: def.concurrency } : {}), ...(def.retryDelaysMs ? { retryDelaysMs: def.retryDelaysMs } : {}) },
      );
      if (def.start) this.tasks.push(await def.start(this.d.servicesOf?.(def.manifest.id) ?? this.d.services));
    }
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.allSettled(this.tasks.splice(0).map((t) => t.stop()));
  }
}
