import fs from 'node:fs';
import path from 'node:path';
import { DataSource, DataSourceOptions, EntityManager } from 'typeorm';
import { allEntities, allMigrations } from './registry';
import { checkConnectorTables, checkOwners, pendingConnectorMigrations, type ConnectorStorageSpec } from './connector-migrations';
import { migrateLocked, schemaStatus, type SchemaStatus } from './schema-status';

export type DbKind = 'sqlite' | 'mysql';

export interface DbOptions {
  /** mysql://user:pass@host:port/db — unset means SQLite. */
  url?: string;
  /** SQLite file (":memory:" for tests). */
  sqlitePath?: string;
  poolSize?: number;
  logging?: boolean;
  /**
   * Tables of the loaded connectors: mapped beside the hub's entities, their migrations run after
   * the hub's and recorded per connector (see `connector-migrations.ts`). Known before the
   * DataSource initializes, so the hub loads its connectors first.
   */
  connectors?: ConnectorStorageSpec[];
}

export function dataSourceOptions(o: DbOptions): DataSourceOptions {
  const entities = [...allEntities, ...(o.connectors ?? []).flatMap((c) => c.entities)];
  const common = { entities, migrations: allMigrations, migrationsTableName: 'schema_migrations', logging: o.logging ?? false };
  if (o.url) {
    const url = o.url.replace(/^mariadb:/, 'mysql:');
    return {
      ...common,
      type: 'mysql',
      url,
      timezone: 'Z',
      charset: 'utf8mb4_unicode_ci',
      supportBigNumbers: true,
      bigNumberStrings: false,
      dateStrings: false,
      poolSize: o.poolSize ?? 20,
      // trace: false — mysql2 would otherwise capture a stack trace for every query (measurable CPU).
      extra: { connectionLimit: o.poolSize ?? 20, waitForConnections: true, queueLimit: 0, enableKeepAlive: true, trace: false },
    };
  }
  const file = o.sqlitePath ?? ':memory:';
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: file,
    prepareDatabase: (db: { pragma: (s: string) => unknown }) => {
      if (file !== ':memory:') db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
    },
  } as DataSourceOptions;
}

/** A tiny FIFO mutex: SQLite has one connection here, so write transactions take turns. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  async run<T>(fn: () => Promise<T>): Promise<T> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const prev = this.tail;
    this.tail = prev.then(() => next);
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

const RETRYABLE_MYSQL = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

interface TxScope {
  hooks: (() => Promise<void>)[];
  locals: Map<object, unknown>;
}
const scopes = new WeakMap<EntityManager, TxScope>();

/**
 * Runs `hook` inside the transaction of `em`, after its work and right before COMMIT (hooks run in
 * the order added; a failing hook rolls the transaction back). False when `em` is not the manager
 * of a {@link Db.transaction} (then the caller writes at once). The outbox uses it to write a
 * transaction's events with one multi-row INSERT instead of one statement per event.
 */
export function beforeCommit(em: EntityManager, hook: () => Promise<void>): boolean {
  const scope = scopes.get(em);
  if (!scope) return false;
  scope.hooks.push(hook);
  return true;
}

/**
 * A value that lives as long as one run of a {@link Db.transaction} (a retried run starts afresh),
 * made by `init` on first use; undefined when `em` is not such a transaction's manager.
 */
export function transactionLocal<T>(em: EntityManager, key: object, init: () => T): T | undefined {
  const scope = scopes.get(em);
  if (!scope) return undefined;
  if (!scope.locals.has(key)) scope.locals.set(key, init());
  return scope.locals.get(key) as T;
}

function withCommitHooks<T>(fn: (em: EntityManager) => Promise<T>): (em: EntityManager) => Promise<T> {
  return async (em) => {
    const scope: TxScope = { hooks: [], locals: new Map() };
    scopes.set(em, scope);
    try {
      const out = await fn(em);
      for (let k = 0; k < scope.hooks.length; k++) await scope.hooks[k]!();
      return out;
    } finally {
      scopes.delete(em);
    }
  };
}

/** The hub's handle on its database: the DataSource plus transactions that behave the same on both backends. */
export class Db {
  readonly kind: DbKind;
  private readonly mutex = new Mutex();

  constructor(
    readonly ds: DataSource,
    /** Connectors whose tables this database maps (given to `Db.open`). */
    readonly connectors: readonly ConnectorStorageSpec[] = [],
  ) {
    this.kind = ds.options.type === 'mysql' || ds.options.type === 'mariadb' ? 'mysql' : 'sqlite';
    if (this.kind === 'mysql') skipDeadConnections(ds, SESSION_SETTINGS);
  }

  /**
   * Opens the database; with `runMigrations` (the hub; a worker only checks) runs the hub's
   * migrations, then each connector's own.
   */
  static async open(o: DbOptions, runMigrations = true): Promise<Db> {
    const connectors = o.connectors ?? [];
    checkConnectorTables(allEntities, connectors);
    const ds = new DataSource(dataSourceOptions(o));
    await ds.initialize();
    try {
      checkOwners(ds, connectors);
      // Under a MySQL named lock: hubs started together take turns (see schema-status.ts).
      if (runMigrations) await migrateLocked(ds, connectors);
    } catch (e) {
      await ds.destroy();
      throw e;
    }
    return new Db(ds, connectors);
  }

  /** Migrations of the hub and of the mapped connectors not yet run here (a worker refuses to start on a stale schema). */
  async pendingMigrations(): Promise<string[]> {
    const hub = (await this.ds.showMigrations()) ? ['hub'] : [];
    const connectors = await pendingConnectorMigrations(this.ds, this.connectors);
    return [...hub, ...connectors.map((m) => `${m.connectorId}:${m.name}`)];
  }

  /** Pending and unknown (newer) migrations, the hub's and the mapped connectors' ({@link schemaStatus}). */
  schemaStatus(): Promise<SchemaStatus> {
    return schemaStatus(this.ds, this.connectors);
  }

  /** True when the connector's tables are mapped here. */
  hasStorage(connectorId: string): boolean {
    return this.connectors.some((c) => c.id === connectorId);
  }

  get manager(): EntityManager {
    return this.ds.manager;
  }

  /**
   * Runs fn in one transaction. On SQLite transactions are serialized by a mutex (one writer);
   * on MySQL a deadlock or lock-wait timeout retries the whole transaction (up to 3 times).
   */
  async transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    const body = withCommitHooks(fn);
    if (this.kind === 'sqlite') return this.mutex.run(() => this.ds.transaction(body));
    for (let attempt = 1; ; attempt++) {
      try {
        // READ COMMITTED is the session's level, set once per pooled connection (SESSION_SETTINGS).
        return await this.ds.transaction(body);
      } catch (e) {
        const code = (e as { code?: string; driverError?: { code?: string } }).driverError?.code ?? (e as { code?: string }).code;
        if (attempt < 4 && code && RETRYABLE_MYSQL.has(code)) {
          await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 10));
          continue;
        }
        throw e;
      }
    }
  }

  /** `SELECT … FOR UPDATE` suffix: MySQL locks the row; SQLite's single writer already serializes. */
  get forUpdate(): string {
    return this.kind === 'mysql' ? ' FOR UPDATE' : '';
  }

  async ping(): Promise<boolean> {
    try {
      await this.ds.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}

interface PooledConnection {
  _closing?: boolean;
  _fatalError?: unknown;
  stream?: { destroyed?: boolean };
  /** Set once the session settings ran on this connection. */
  loyaltySession?: boolean;
  destroy(): void;
  query(sql: string, cb: (err: unknown) => void): void;
}

/**
 * Session settings of every pooled MySQL/MariaDB connection, run once when the pool first hands
 * the connection out instead of once per transaction (a `SET TRANSACTION …` before each one was a
 * round trip per sale). Every hub transaction runs READ COMMITTED.
 */
export const SESSION_SETTINGS = 'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED';

/**
 * After the database link drops (a restart, a network cut), idle pooled connections can be dead
 * without the pool knowing; handing them out would fail every request until the process restarts.
 * Each connection taken from the pool is checked first, and a dead one is destroyed and replaced.
 * A connection handed out for the first time runs `session` before its first use.
 */
function skipDeadConnections(ds: DataSource, session: string): void {
  const pool = (ds.driver as unknown as { pool?: { getConnection: (cb: (err: unknown, c?: PooledConnection) => void) => void } }).pool;
  if (!pool?.getConnection) return;
  const take = pool.getConnection.bind(pool);
  pool.getConnection = (cb) => {
    const attempt = (n: number) =>
      take((err, conn) => {
        if (err || !conn) return cb(err, conn);
        if ((conn._closing || conn._fatalError || conn.stream?.destroyed) && n < 50) {
          try {
            conn.destroy();
          } catch {
            /* already gone */
          }
          return attempt(n + 1);
        }
        if (conn.loyaltySession) return cb(null, conn);
        conn.query(session, (e) => {
          if (e) {
            // A connection without the session settings must not serve a transaction.
            try {
              conn.destroy();
            } catch {
              /* already gone */
            }
            return cb(e);
          }
          conn.loyaltySession = true;
          cachePromiseWrapper(conn);
          cb(null, conn);
        });
      });
    attempt(0);
  };
}

/**
 * mysql2's `PoolConnection#promise()` runs `require('./promise/pool_connection.js')` on every
 * call, and TypeORM calls it before every query: module resolution (and a package.json read) was
 * 2–3 % of the hub's CPU under the checkout bench. The wrapper class is taken once from the first
 * connection and reused; the behaviour is the library's own (same class, same constructor call).
 */
function cachePromiseWrapper(conn: PooledConnection): void {
  const proto = Object.getPrototypeOf(conn) as { promise?: (impl?: unknown) => unknown; loyaltyPromiseCached?: boolean };
  if (proto.loyaltyPromiseCached || typeof proto.promise !== 'function') return;
  const Wrapper = (proto.promise.call(conn) as { constructor: new (c: unknown, impl?: unknown) => unknown }).constructor;
  proto.promise = function (this: unknown, impl?: unknown) {
    return new Wrapper(this, impl);
  };
  proto.loyaltyPromiseCached = true;
}

/** True when an error is a unique-constraint violation on either backend. */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; driverError?: { code?: string }; message?: string };
  const code = err.driverError?.code ?? err.code;
  return (
    code === 'ER_DUP_ENTRY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    /UNIQUE constraint failed/.test(err.message ?? '')
  );
}

/** True when the database cannot be reached (connection refused, pool closed, server gone). */
export function isDbUnavailable(e: unknown): boolean {
  const err = e as { code?: string; driverError?: { code?: string }; message?: string };
  const code = err.driverError?.code ?? err.code;
  return (
    code === 'ECONNREFUSED' ||
    code === 'PROTOCOL_CONNECTION_LOST' ||
    code === 'ER_SERVER_SHUTDOWN' ||
    code === 'ETIMEDOUT' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ER_CON_COUNT_ERROR' ||
    /Pool is closed|connect ECONNREFUSED|Connection lost|connection is in closed state|read ECONNRESET|write EPIPE/i.test(err.message ?? '')
  );
}
