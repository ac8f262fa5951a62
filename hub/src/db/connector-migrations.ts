import type { DataSource, QueryRunner } from 'typeorm';
import { Table } from 'typeorm';
import { migrationInstance, migrationName, type ConnectorEntity, type ConnectorMigration } from '@loyalty/sdk';

/** One loaded connector's tables: its id and what its definition declares in `storage`. */
export interface ConnectorStorageSpec {
  id: string;
  entities: readonly ConnectorEntity[];
  migrations: readonly ConnectorMigration[];
}

/** Where connector migrations are recorded: (connector id, migration name), apart from the hub's `schema_migrations`. */
export const CONNECTOR_MIGRATIONS_TABLE = 'connector_migrations';

const isMysql = (ds: DataSource) => ds.options.type === 'mysql' || ds.options.type === 'mariadb';

/**
 * Refuses connectors whose tables would clash with the hub's or another connector's, or whose
 * migrations repeat a name: either would corrupt someone else's data or history.
 */
export function checkConnectorTables(hubEntities: readonly unknown[], connectors: readonly ConnectorStorageSpec[]): void {
  const ids = new Set<string>();
  for (const c of connectors) {
    if (ids.has(c.id)) throw new Error(`Connector ${c.id} is loaded twice`);
    ids.add(c.id);
    const names = c.migrations.map(migrationName);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new Error(`Connector ${c.id} declares migration ${dup} twice`);
    for (const e of c.entities) if (hubEntities.includes(e)) throw new Error(`Connector ${c.id} declares one of the hub's entities`);
  }
}

/** After the DataSource initialized: every table has one owner (the hub or one connector). */
export function checkOwners(ds: DataSource, connectors: readonly ConnectorStorageSpec[]): void {
  const owner = new Map<string, string>();
  for (const meta of ds.entityMetadatas) {
    // An EntitySchema's metadata targets its name; a class entity targets the class.
    const c = connectors.find((x) =>
      typeof meta.target === 'string'
        ? x.entities.some((e) => typeof e !== 'function' && e.options.name === meta.target)
        : x.entities.includes(meta.target as ConnectorEntity),
    );
    const who = c ? `connector ${c.id}` : 'the hub';
    const prev = owner.get(meta.tableName);
    if (prev && prev !== who) throw new Error(`Table ${meta.tableName} is claimed by ${prev} and by ${who}`);
    if (c && meta.tableName === CONNECTOR_MIGRATIONS_TABLE) throw new Error(`Connector ${c.id} cannot use the table name ${meta.tableName}`);
    owner.set(meta.tableName, who);
  }
}

async function ensureTable(qr: QueryRunner): Promise<void> {
  await qr.createTable(
    new Table({
      name: CONNECTOR_MIGRATIONS_TABLE,
      columns: [
        { name: 'connectorId', type: 'varchar', length: '40', isPrimary: true },
        { name: 'name', type: 'varchar', length: '191', isPrimary: true },
        { name: 'runAt', type: 'datetime', precision: 3 },
      ],
    }),
    true,
  );
}

async function recorded(qr: QueryRunner): Promise<Set<string>> {
  if (!(await qr.hasTable(CONNECTOR_MIGRATIONS_TABLE))) return new Set();
  const rows: { connectorId: string; name: string }[] = await qr.query(`SELECT connectorId, name FROM ${CONNECTOR_MIGRATIONS_TABLE}`);
  return new Set(rows.map((r) => `${r.connectorId}\u0000${r.name}`));
}

/** Connector migrations not yet recorded in this database, in the order they would run. */
export async function pendingConnectorMigrations(
  ds: DataSource,
  connectors: readonly ConnectorStorageSpec[],
): Promise<{ connectorId: string; name: string }[]> {
  const qr = ds.createQueryRunner();
  try {
    const done = await recorded(qr);
    return connectors.flatMap((c) =>
      c.migrations.map((m) => ({ connectorId: c.id, name: migrationName(m) })).filter((m) => !done.has(`${m.connectorId}\u0000${m.name}`)),
    );
  } finally {
    await qr.release();
  }
}

/**
 * Runs each connector's migrations not yet recorded, in declared order, each in its own
 * transaction with its record. On MySQL a named lock keeps two hubs starting together from running
 * the same migration twice.
 */
export async function runConnectorMigrations(ds: DataSource, connectors: readonly ConnectorStorageSpec[]): Promise<{ connectorId: string; name: string }[]> {
  const ran: { connectorId: string; name: string }[] = [];
  if (!connectors.some((c) => c.migrations.length)) return ran;
  const qr = ds.createQueryRunner();
  const mysql = isMysql(ds);
  try {
    if (mysql) await qr.query(`SELECT GET_LOCK('loyalty_connector_migrations', 120)`);
    await ensureTable(qr);
    const done = await recorded(qr);
    for (const c of connectors) {
      for (const m of c.migrations) {
        const name = migrationName(m);
        if (done.has(`${c.id}\u0000${name}`)) continue;
        await qr.startTransaction();
        try {
          await migrationInstance(m).up(qr);
          await qr.query(`INSERT INTO ${CONNECTOR_MIGRATIONS_TABLE} (connectorId, name, runAt) VALUES (?, ?, ?)`, [
            c.id,
            name,
            new Date().toISOString().replace('T', ' ').replace('Z', ''),
          ]);
          await qr.commitTransaction();
        } catch (e) {
          if (qr.isTransactionActive) await qr.rollbackTransaction();
          throw new Error(`Migration ${name} of connector ${c.id} failed: ${(e as Error).message}`, { cause: e });
        }
        ran.push({ connectorId: c.id, name });
      }
    }
  } finally {
    if (mysql) await qr.query(`SELECT RELEASE_LOCK('loyalty_connector_migrations')`).catch(() => undefined);
    await qr.release();
  }
  return ran;
}
