import { KvConflictError } from '@loyalty/sdk';
import { Db, type DbOptions } from '../../src/db/db';
import { purgeExpiredKeyValues, SqlKeyValueStore } from '../../src/modules/integrations/integrations.runtime';
import { SecretBox } from '../../src/shared/crypto';
import { describeEachDb, freshMariaDb, type DbBackend } from '../harness';

/**
 * MariaDB: one database opened twice, as two hubs (or a hub and a worker) share it. SQLite is the
 * embedded single-process mode: one hub, so both handles are the same.
 */
async function twoHubs(backend: DbBackend): Promise<{ a: Db; b: Db; close: () => Promise<void> }> {
  if (backend === 'sqlite') {
    const db = await Db.open({ sqlitePath: ':memory:' });
    return { a: db, b: db, close: () => db.close() };
  }
  const fresh = await freshMariaDb();
  const options: DbOptions = { url: fresh.url, poolSize: 10 };
  const a = await Db.open(options);
  const b = await Db.open(options, false);
  return {
    a,
    b,
    close: async () => {
      await a.close();
      await b.close();
      await fresh.drop();
    },
  };
}

const box = new SecretBox('kv-test-secret-'.padEnd(48, 'k'));

describeEachDb('connector key/value store', (backend) => {
  let hubs: Awaited<ReturnType<typeof twoHubs>>;
  beforeAll(async () => {
    hubs = await twoHubs(backend);
  });
  afterAll(async () => {
    await hubs.close();
  });
  const store = (db: Db, businessId = 'biz-1', connectorId = 'acme-crm') => new SqlKeyValueStore(db, connectorId, businessId, box);

  it('applies 20 parallel updates from two hubs exactly once each', async () => {
    const bump = async (n: number | undefined) => (n ?? 0) + 1;
    await Promise.all(Array.from({ length: 20 }, (_, i) => store(i % 2 ? hubs.a : hubs.b).update<number>('counter', bump)));
    expect(await store(hubs.a).get('counter')).toBe(20);
    const [row] = await hubs.a.ds.query("SELECT version FROM connector_kv WHERE `key` = 'counter'");
    expect(Number(row.version)).toBe(20);
  });

  it('keeps a rotating token sealed in the database; either hub opens it', async () => {
    await store(hubs.a).set('oauth', { accessToken: 'at_clear_0001', refreshToken: 'rt_clear_0001' }, { sealed: true });
    const next = await store(hubs.b).update<{ accessToken: string; refreshToken: string }>(
      'oauth',
      (cur) => ({ accessToken: 'at_clear_0002', refreshToken: `${cur!.refreshToken}-rotated` }),
      { sealed: true },
    );
    expect(next).toEqual({ accessToken: 'at_clear_0002', refreshToken: 'rt_clear_0001-rotated' });
    const rows: { value: string; sealed: unknown }[] = await hubs.a.ds.query("SELECT value, sealed FROM connector_kv WHERE `key` = 'oauth'");
    expect(rows).toHaveLength(1);
    expect(rows[0]!.value).not.toMatch(/at_clear|rt_clear/);
    expect(Number(rows[0]!.sealed)).toBe(1);
    expect(await store(hubs.a).get('oauth')).toEqual(next);
    // Another HUB_SECRET cannot read it.
    const stranger = new SqlKeyValueStore(hubs.a, 'acme-crm', 'biz-1', new SecretBox('another-secret-'.padEnd(48, 'z')));
    await expect(stranger.get('oauth')).rejects.toThrow();
  });

  it('scopes keys to the connector and the business', async () => {
    await store(hubs.a, 'biz-1', 'acme-crm').set('cursor', 'c-1');
    await store(hubs.a, 'biz-2', 'acme-crm').set('cursor', 'c-2');
    expect(await store(hubs.b, 'biz-1', 'other-crm').get('cursor')).toBeUndefined();
    expect(await store(hubs.b, 'biz-2', 'acme-crm').get('cursor')).toBe('c-2');
    expect(await store(hubs.b, 'biz-1', 'acme-crm').get('cursor')).toBe('c-1');
  });

  it('writes nothing when fn returns the value it was given; a set in between makes update retry', async () => {
    const s = store(hubs.a);
    await s.set('flag', { on: true });
    const [before] = await hubs.a.ds.query("SELECT version FROM connector_kv WHERE `key` = 'flag' AND businessId = 'biz-1'");
    await s.update('flag', (cur) => cur);
    const [after] = await hubs.a.ds.query("SELECT version FROM connector_kv WHERE `key` = 'flag' AND businessId = 'biz-1'");
    expect(Number(after.version)).toBe(Number(before.version));

    const seen: unknown[] = [];
    let interfered = false;
    const out = await s.update<{ on: boolean; n?: number }>('flag', async (cur) => {
      seen.push(cur);
      if (!interfered) {
        interfered = true;
        await store(hubs.b).set('flag', { on: false, n: 7 });
      }
      return { ...cur!, on: !cur!.on };
    });
    expect(seen).toEqual([{ on: true }, { on: false, n: 7 }]);
    expect(out).toEqual({ on: true, n: 7 });
  });

  it('gives up with KvConflictError after maxAttempts', async () => {
    let n = 0;
    await expect(
      store(hubs.a).update(
        'busy',
        async () => {
          await store(hubs.b).set('busy', ++n);
          return 'mine';
        },
        { maxAttempts: 2 },
      ),
    ).rejects.toBeInstanceOf(KvConflictError);
    expect(await store(hubs.a).get('busy')).toBe(2);
  });

  it('purges expired entries (the hourly job), keeping live ones and ones rewritten since', async () => {
    const t0 = Date.now();
    let now = t0;
    const s = new SqlKeyValueStore(hubs.a, 'acme-crm', 'biz-purge', box, () => now);
    await s.set('old-token', 'at_1', { ttlSeconds: 60, sealed: true });
    await s.set('cursor', 'c-9');
    now = t0 + 120_000;
    expect(await purgeExpiredKeyValues(hubs.a, new Date(now))).toBeGreaterThanOrEqual(1);
    const rows: { key: string }[] = await hubs.a.ds.query("SELECT `key` FROM connector_kv WHERE businessId = 'biz-purge' ORDER BY `key`");
    expect(rows.map((r) => r.key)).toEqual(['cursor']);
  });

  it('forgets an expired value', async () => {
    let now = Date.now();
    const s = new SqlKeyValueStore(hubs.a, 'acme-crm', 'biz-9', box, () => now);
    await s.set('short', 'lived', { ttlSeconds: 60 });
    expect(await s.get('short')).toBe('lived');
    now += 61_000;
    expect(await s.get('short')).toBeUndefined();
    expect(await s.update<string>('short', (cur) => (cur === undefined ? 'again' : `${cur}!`))).toBe('again');
  });
});
