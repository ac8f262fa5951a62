import type { EntitySchema, MigrationInterface, ObjectLiteral, Repository } from 'typeorm';

/**
 * A table a connector keeps in the host database: a TypeORM `EntitySchema` (preferred: no
 * decorators, no hub import) or a decorated entity class.
 */
export type ConnectorEntity = EntitySchema<any> | (new (...args: any[]) => any);

/** A TypeORM migration: an instance, or a class with a no-argument constructor. Its `name` (or class name) must be unique within the connector. */
export type ConnectorMigration = MigrationInterface | (new () => MigrationInterface);

/**
 * The tables a connector owns, declared on its definition (`storage`). The host loads every
 * connector before it opens its database, maps these entities beside its own, and runs these
 * migrations after its own, in order, each once per database. They are recorded per connector
 * (table `connector_migrations`, keyed by connector id and migration name), never in the hub's
 * migration history, so the hub's and a connector's migrations cannot collide.
 *
 * Rules, checked by the host at start:
 * - table names must not clash with the hub's or another connector's tables;
 * - migration names are unique within the connector; never edit a shipped one, add the next;
 * - a migration must run on SQLite and MySQL/MariaDB (use TypeORM's `Table` API, not raw DDL);
 * - a connector whose tables were created some other way before (e.g. by an older host) adopts
 *   them in its first migration: `if (!(await queryRunner.hasTable('acme_orders'))) …`.
 *
 * @example
 * export const AcmeOrder = new EntitySchema<{ id: string; businessId: string; vendorId: string }>({
 *   name: 'AcmeOrder', tableName: 'acme_orders',
 *   columns: { id: { type: 'varchar', length: 36, primary: true }, businessId: { type: 'varchar', length: 36 },
 *              vendorId: { type: 'varchar', length: 64 } },
 * });
 * class AcmeOrders1767000000001 implements MigrationInterface {
 *   name = 'AcmeOrders1767000000001';
 *   async up(qr: QueryRunner) {
 *     if (await qr.hasTable('acme_orders')) return;
 *     await qr.createTable(new Table({ name: 'acme_orders', columns: [
 *       { name: 'id', type: 'varchar', length: '36', isPrimary: true },
 *       { name: 'businessId', type: 'varchar', length: '36' },
 *       { name: 'vendorId', type: 'varchar', length: '64' }] }));
 *   }
 *   async down(qr: QueryRunner) { await qr.dropTable('acme_orders', true); }
 * }
 * defineConnector({ …, storage: { entities: [AcmeOrder], migrations: [AcmeOrders1767000000001] } });
 */
export interface ConnectorStorage {
  entities: readonly ConnectorEntity[];
  migrations: readonly ConnectorMigration[];
}

/** Repositories of the connector's own entities, and nothing else. */
export interface ConnectorRepositories {
  /**
   * The TypeORM repository of one of the entities the connector declared in `storage.entities`.
   * Throws for any other entity (the hub's tables are not the connector's to touch: send a command).
   */
  repository<E extends ObjectLiteral>(entity: EntitySchema<E> | (new (...args: any[]) => E)): Repository<E>;
}

/**
 * The connector's handle on its own tables, given by the host as `services.store` when the
 * connector declares `storage` (instead of the host's whole database).
 *
 * @example
 * await services.store!.transaction(async (tx) => {
 *   await tx.repository(AcmeOrder).insert({ id, businessId, vendorId });
 * });
 * const orders = await services.store!.repository(AcmeOrder).findBy({ businessId });
 */
export interface ConnectorStore extends ConnectorRepositories {
  /**
   * Runs `fn` in one write transaction of the host database: every repository taken from `tx` writes
   * in it. Serialized with the hub's writers on SQLite; on MySQL a deadlock retries `fn` (keep it
   * free of side effects other than the writes).
   */
  transaction<T>(fn: (tx: ConnectorRepositories) => Promise<T>): Promise<T>;
}

/** The name a migration is recorded under: its `name`, else its class name. */
export function migrationName(m: ConnectorMigration): string {
  if (typeof m === 'function') {
    const probe = new m();
    return probe.name ?? m.name;
  }
  return m.name ?? m.constructor.name;
}

/** The migration as an instance. */
export function migrationInstance(m: ConnectorMigration): MigrationInterface {
  return typeof m === 'function' ? new m() : m;
}

/** Minimal host database surface a store is built on: a TypeORM DataSource (or EntityManager) fits. */
export interface StoreHost {
  getRepository(entity: any): Repository<any>;
  transaction<T>(fn: (em: { getRepository(entity: any): Repository<any> }) => Promise<T>): Promise<T>;
}

/**
 * Builds a {@link ConnectorStore} limited to `entities` on a host database (the hub's, or a test's
 * DataSource).
 *
 * @example
 * const ds = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities, migrations });
 * await ds.initialize(); await ds.runMigrations();
 * const def = createConnector(testServices({ store: scopedStore('acme', entities, ds) }));
 */
export function scopedStore(connectorId: string, entities: readonly ConnectorEntity[], host: StoreHost): ConnectorStore {
  const allowed = new Set<unknown>(entities);
  const check = (e: unknown) => {
    if (!allowed.has(e))
      throw new Error(
        `Connector ${connectorId} can reach only its own entities (storage.entities); ${entityName(e as ConnectorEntity) || 'this one'} is not one of them`,
      );
  };
  const scoped = (em: { getRepository(entity: any): Repository<any> }): ConnectorRepositories => ({
    repository: (e) => {
      check(e);
      return em.getRepository(e);
    },
  });
  return {
    repository: (e) => {
      check(e);
      return host.getRepository(e);
    },
    transaction: (fn) => host.transaction((em) => fn(scoped(em))),
  };
}

function entityName(e: ConnectorEntity | undefined): string {
  if (!e) return '';
  if (typeof e === 'function') return e.name;
  return (e as { options?: { name?: string } }).options?.name ?? '';
}
