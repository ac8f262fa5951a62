import type { DataSource } from 'typeorm';
import { migrationName } from '@loyalty/sdk';
import { CONNECTOR_MIGRATIONS_TABLE, pendingConnectorMigrations, runConnectorMigrations, type ConnectorStorageSpec } from './connector-migrations';

const isMysql = (ds: DataSource) => ds.options.type === 'mysql' || ds.options.type === 'mariadb';

/** The MySQL named lock every migrating process takes: two hubs (or `loyalty-hub migrate` and a hub) never migrate at once. */
export const MIGRATION_LOCK = 'loyalty_schema_migrations';

/** How this database's schema compares to the code of this process. */
export interface SchemaStatus {
  /** Migrations this code has and the database has not run (hub, then `connector:name`). */
  pending: string[];
  /** Migrations the database has run that this code does not know: a newer hub migrated it. */
  unknown: string[];
}

/** Compares the recorded migrations (the hub's and the loaded connectors') with the ones this code ships. */
export async function schemaStatus(ds: DataSource, connectors: readonly ConnectorStorageSpec[]): Promise<SchemaStatus> {
  const known = new Set(ds.migrations.map((m) => m.name ?? m.constructor.name));
  const qr = ds.createQueryRunner();
  let executed: string[] = [];
  let recordedConnectors: { connectorId: string; name: string }[] = [];
  try {
    if (await qr.hasTable('schema_migrations')) executed = (await qr.query('SELECT name FROM schema_migrations')).map((r: { name: string }) => r.name);
    if (await qr.hasTable(CONNECTOR_MIGRATIONS_TABLE)) recordedConnectors = await qr.query(`SELECT connectorId, name FROM ${CONNECTOR_MIGRATIONS_TABLE}`);
  } finally {
    await qr.release();
  }
  const done = new Set(executed);
  const pending = [...known].filter((n) => !done.has(n));
  const unknown = executed.filter((n) => !known.has(n));
  for (const c of connectors) {
    const names = new Set(c.migrations.map(migrationName));
    // Only loaded connectors count: a connector this hub does not run keeps its own history.
    for (const r of recordedConnectors) if (r.connectorId === c.id && !names.has(r.name)) unknown.push(`${c.id}:${r.name}`);
  }
  pending.push(...(await pendingConnectorMigrations(ds, connectors)).map((m) => `${m.connectorId}:${m.name}`));
  return { pending, unknown };
}

/** One line an operator can act on, or undefined when the schema is exactly what this code expects. */
export function schemaProblem(s: SchemaStatus): string | undefined {
  if (s.unknown.length)
    return `The database schema is newer than this hub: it has run migrations this version does not know (${s.unknown.slice(0, 5).join(', ')}${s.unknown.length > 5 ? ', …' : ''}). Upgrade the hub, or restore the backup taken before the upgrade.`;
  if (s.pending.length)
    return `The database schema is behind this hub: ${s.pending.length} migration(s) pending (${s.pending.slice(0, 5).join(', ')}${s.pending.length > 5 ? ', …' : ''}). Run \`loyalty-hub migrate\` first (or set MIGRATE_ON_START=true).`;
  return undefined;
}

/**
 * Runs the hub's pending migrations, then the loaded connectors', holding a MySQL named lock so
 * that two processes starting together take turns (the second finds nothing left to run). Refuses
 * a database a newer hub already migrated. Returns the names it ran.
 */
export async function migrateLocked(ds: DataSource, connectors: readonly ConnectorStorageSpec[], waitSeconds = 300): Promise<string[]> {
  const lock = isMysql(ds) ? ds.createQueryRunner() : undefined;
  try {
    if (lock) {
      const [row] = await lock.query(`SELECT GET_LOCK(?, ?) AS got`, [MIGRATION_LOCK, waitSeconds]);
      if (Number(row?.got) !== 1) throw new Error(`Another process held the migration lock for ${waitSeconds} s; is a migration still running?`);
    }
    const before = await schemaStatus(ds, connectors);
    if (before.unknown.length) throw new Error(schemaProblem(before));
    const hub = await ds.runMigrations({ transaction: 'each' });
    const conn = await runConnectorMigrations(ds, connectors);
    return [...hub.map((m) => m.name), ...conn.map((m) => `${m.connectorId}:${m.name}`)];
  } finally {
    if (lock) {
      await lock.query(`SELECT RELEASE_LOCK(?)`, [MIGRATION_LOCK]).catch(() => undefined);
      await lock.release();
    }
  }
}
