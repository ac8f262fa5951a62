import type { Logger } from 'pino';
import { LessThan } from 'typeorm';
import {
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

/** The runtime's dedupe on (connector, business, message id), in the hub database. */
export class SqlProcessedStore implements ProcessedStore {
  constructor(private readonly db: Db) {}
  async seen(connectorId: string, businessId: string, messageId: string): Promise<boolean> {
    return (await this.db.manager.getRepository(ProcessedMessage).countBy({ connectorId, businessId, messageId })) > 0;
  }
  async mark(connectorId: string, businessId: string, messageId: string): Promise<void> {
    try {
      await this.db.manager.getRepository(ProcessedMessage).insert({ connectorId, businessId, messageId, processedAt: new Date() });
    } catch (e) {
      if (!isUniqueViolation(e)) throw e; // a concurrent redelivery marked it first
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
    await this.db.transaction((tx) => tx.getRepository(ConnectorKv).upsert({ connectorId: this.connectorId, businessId: this.businessId, key, value: value as any, expiresAt }, ['connectorId', 'businessId', 'key']));
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
        this.d.bus.request<T>({ id: newId(), type, businessId, occurredAt: new Date().toISOString(), ...(correlationId ? { correlationId } : {}), data }, opts.timeoutMs ?? 10_000),
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
      outcome: async (businessId: string, r: { ok: true } | { ok: false; error: string }) => {
        await this.d.integrations.recordOutcome(businessId, id, r).catch((e) => log.warn({ err: (e as Error).message }, 'could not record the connector outcome'));
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
        def.retryDelaysMs ? { retryDelaysMs: def.retryDelaysMs } : {},
      );
      if (def.start) this.tasks.push(await def.start(this.d.services));
    }
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.allSettled(this.tasks.splice(0).map((t) => t.stop()));
  }
}
