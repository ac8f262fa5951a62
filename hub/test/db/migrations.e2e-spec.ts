import pino from 'pino';
import { describeEachDb, openTestDb } from '../harness';
import type { Db } from '../../src/db/db';
import { loadConfig } from '../../src/config';
import { Hub } from '../../src/hub';

/** The tables of the connectors a default hub loads (webhooks): their migrations must match their entities too. */
const connectorTables = () =>
  Hub.loadConnectors({ config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }), hubSecret: 'x'.repeat(48), log: pino({ level: 'silent' }) }).storage;

describeEachDb('migrations', (backend) => {
  let db: Db;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ db, drop } = await openTestDb(backend, connectorTables()));
  });
  afterAll(async () => {
    await db.close();
    await drop();
  });

  it('create every table and column the entities map (the hub’s and the loaded connectors’), with the same nullability and indexes', async () => {
    const qr = db.ds.createQueryRunner();
    try {
      const problems: string[] = [];
      for (const meta of db.ds.entityMetadatas) {
        const table = await qr.getTable(meta.tableName);
        if (!table) {
          problems.push(`missing table ${meta.tableName}`);
          continue;
        }
        for (const c of meta.columns) {
          const col = table.findColumnByName(c.databaseName);
          if (!col) problems.push(`missing column ${meta.tableName}.${c.databaseName}`);
          else if (!c.isPrimary && col.isNullable !== c.isNullable) problems.push(`nullability of ${meta.tableName}.${c.databaseName}`);
        }
        for (const idx of meta.indices) {
          if (!idx.name) continue;
          const found = table.indices.find((i) => i.name === idx.name);
          if (!found) problems.push(`missing index ${idx.name}`);
          else if (!!found.isUnique !== !!idx.isUnique) problems.push(`uniqueness of ${idx.name}`);
        }
      }
      expect(problems).toEqual([]);
    } finally {
      await qr.release();
    }
  });

  it('are recorded once and a second run does nothing', async () => {
    const again = await db.ds.runMigrations();
    expect(again).toEqual([]);
    const rows = await db.ds.query('SELECT name FROM schema_migrations ORDER BY id');
    expect(rows.map((r: { name: string }) => r.name)).toEqual(db.ds.migrations.map((m) => m.name));
  });
});
