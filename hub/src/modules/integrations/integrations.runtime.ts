import type { Logger } from 'pino';
import { In, LessThan } from 'typeorm';
import {
  allowPrivateFrom,
  createDispatcher,
  type BackgroundTask,
  type ConnectorDefinition,
  type ConnectorLogger,
  type ConnectorServices,
  type HubClient,
  type KeyValueStore,
  type ProcessedStore,
} from '@loyalty/sdk';
import type { Bus } from '../../bus/bus';
import { Db } from '../../db/db';
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

/** The SDK's key/value store for one (connector, business), in the hub database. */
export class SqlKeyValueStore implements KeyValueStore {
  constructor(
    private readonly db: Db,
    private readonly connectorId: string,
    private readonly businessId: string,
  ) {}
  private get repo() {
    return this.db.manager.getRepository(ConnectorKv);
  }
  async get<T>(key: string): Promise<T | undefined> {
    const row = await this.repo.findOneBy({ connectorId: this.connectorId, businessId: this.businessId, key });
    if (!row) return undefined;
    if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) {
      await this.repo.delete({ connectorId: this.connectorId, businessId: this.businessId, key, expiresAt: LessThan(new Date()) });
      return undefined;
    }
    return row.value as T;
  }
  async set(key: string, value: unknown, opts: { ttlSeconds?: number } = {}): Promise<void> {
    if (key.length > 200) throw new Error('Store keys are at most 200 characters');
    const expiresAt = opts.ttlSeconds ? new Date(Date.now() + opts.ttlSeconds * 1000) : null;
    await this.db.transaction((tx) =>
      tx
        .getRepository(ConnectorKv)
        .upsert({ connectorId: this.connectorId, businessId: this.businessId, key, value: value as any, expiresAt }, ['connectorId', 'businessId', 'key']),
    );
  }
  async delete(key: string): Promise<void> {
    await this.repo.delete({ connectorId: this.connectorId, businessId: this.businessId, key });
  }
}

export interface HostDeps {
  db: Db;
  bus: Bus;
  log: Logger;
  integrations: IntegrationsService;
  services: ConnectorServices;
  /** Connectors this process runs (consumes for, runs background tasks of, serves inbound routes of). */
  runsHere: (id: string) => boolean;
}

/**
 * Runs connectors in this process: one bus consumer `connector.<id>` per connector, dispatching
 * each message to the installation of its business; plus the connectors' background tasks.
 * The hub uses it in embedded mode; the `loyalty-connector` worker uses it for one connector.
 */
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

  /** Hub command client for connectors (request/reply over the bus). */
  hubClient(businessId: string, correlationId?: string): HubClient {
    return {
      request: <T>(type: string, data: unknown, opts: { timeoutMs?: number } = {}) =>
        this.d.bus.request<T>(
          { id: newId(), type, businessId, occurredAt: new Date().toISOString(), ...(correlationId ? { correlationId } : {}), data },
          opts.timeoutMs ?? 10_000,
        ),
    };
  }

  /** The runtime dependencies of one connector (also used by inbound routers). */
  deps(def: ConnectorDefinition) {
    const id = def.manifest.id;
    const log = this.d.log.child({ connector: id });
    return {
      installation: (businessId: string) => this.d.integrations.activeConfig(businessId, id),
      processed: this.processed,
      store: (businessId: string) => new SqlKeyValueStore(this.d.db, id, businessId),
      hub: (businessId: string, correlationId?: string) => this.hubClient(businessId, correlationId),
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
      if (def.start) this.tasks.push(await def.start(this.d.services));
    }
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.allSettled(this.tasks.splice(0).map((t) => t.stop()));
  }
}
