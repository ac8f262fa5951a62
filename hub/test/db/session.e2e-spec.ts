import type { Logger as OrmLogger } from 'typeorm';
import { describeEachDb, openTestDb } from '../harness';
import type { Db } from '../../src/db/db';
import { emit, emitMany } from '../../src/bus/outbox';

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

  describe('outbox events', () => {
    const data = (n: number) => ({ cardId: `c${n}`, guestId: `g${n}`, balance: n, delta: n, unit: 'points' as const, reason: 'test' });
    const rowsOf = async (prefix: string) =>
      ((await db.ds.query('SELECT data FROM outbox WHERE correlationId LIKE ? ORDER BY seq', [`${prefix}%`])) as { data: string | object }[]).map(
        (r) => (typeof r.data === 'string' ? (JSON.parse(r.data) as { cardId: string }) : (r.data as { cardId: string })).cardId,
      );

    it('a transaction writes its events with one INSERT right before COMMIT, in the order emitted', async () => {
      const sent = await statements(db, () =>
        db.transaction(async (em) => {
          await emit(em, 'b1', 'card.balance_changed', data(1), 'tx-a');
          await em.query('SELECT 1');
          await emitMany(em, 'b1', [
            { type: 'card.balance_changed', data: data(2), correlationId: 'tx-a' },
            { type: 'card.balance_changed', data: data(3), correlationId: 'tx-a' },
          ]);
          await emit(em, 'b1', 'card.balance_changed', data(4), 'tx-a');
        }),
      );
      const inserts = sent.map((s, i) => ({ s, i })).filter((x) => /^INSERT INTO\W+outbox/i.test(x.s));
      expect(inserts).toHaveLength(1);
      expect(sent[inserts[0]!.i + 1]).toMatch(/^COMMIT/i);
      expect(await rowsOf('tx-a')).toEqual(['c1', 'c2', 'c3', 'c4']);
    });

    it('a rolled-back transaction writes none, and outside a transaction an event is written at once', async () => {
      await expect(
        db.transaction(async (em) => {
          await emit(em, 'b1', 'card.balance_changed', data(5), 'tx-b');
          throw new Error('refused');
        }),
      ).rejects.toThrow('refused');
      expect(await rowsOf('tx-b')).toEqual([]);
      await emit(db.manager, 'b1', 'card.balance_changed', data(6), 'tx-c');
      expect(await rowsOf('tx-c')).toEqual(['c6']);
    });
  });
});
