import type { Logger as OrmLogger } from 'typeorm';
import { describeEachDb, openTestDb } from '../harness';
import type { Db } from '../../src/db/db';

/** Statements TypeORM sends while `fn` runs. */
async function statements(db: Db, fn: () => Promise<unknown>): Promise<string[]> {
  const ds = db.ds as unknown as { logger: OrmLogger };
  const prev = ds.logger;
  const out: string[] = [];
  ds.logger = { ...prev, logQuery: (sql: string) => void out.push(sql) } as OrmLogger;
  try {
    await fn();
  } finally {
    ds.logger = prev;
  }
  return out;
}

describeEachDb('database sessions', (backend) => {
  let db: Db;
  let drop: () => Promise<void>;
  // SQLite has one connection and no isolation level to set; MariaDB's pool (60 here) is shared.
  const level = (sql: string) => (backend === 'mariadb' ? sql : "SELECT 'READ-COMMITTED' AS level");
  beforeAll(async () => {
    ({ db, drop } = await openTestDb(backend));
  });
  afterAll(async () => {
    await db.close();
    await drop();
  });

  it('runs every transaction READ COMMITTED on every pooled connection, without a SET per transaction', async () => {
    // Many transactions at once: new pooled connections and reused ones.
    const levels: string[] = [];
    const sent = await statements(db, () =>
      Promise.all(
        Array.from({ length: 12 }, () =>
          db.transaction(async (em) => {
            const rows = (await em.query(level('SELECT @@tx_isolation AS level'))) as { level: string }[];
            levels.push(rows[0]!.level);
            await new Promise((r) => setTimeout(r, 20));
          }),
        ),
      ),
    );
    expect(levels).toHaveLength(12);
    expect(new Set(levels)).toEqual(new Set(['READ-COMMITTED']));
    expect(sent.filter((s) => /^SET\b/i.test(s))).toEqual([]);
    expect(sent.filter((s) => /^(START|BEGIN)/i.test(s))).toHaveLength(12);
  });

  it('plain queries outside a transaction run on a session with the same settings', async () => {
    const rows = (await db.ds.query(level('SELECT @@tx_isolation AS level'))) as { level: string }[];
    expect(rows[0]!.level).toBe('READ-COMMITTED');
  });
});
