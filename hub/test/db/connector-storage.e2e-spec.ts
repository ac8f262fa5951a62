import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { DataSource, EntitySchema } from 'typeorm';
import { defineConnector, CONTRACT_VERSION } from '@loyalty/sdk';
import { z } from 'zod';
import { WebhookEndpointEntity, type WebhooksConnector } from '@loyalty/connector-webhooks';
import { loadConfig } from '../../src/config';
import { Db, dataSourceOptions, type DbOptions } from '../../src/db/db';
import { allMigrations } from '../../src/db/registry';
import { Hub } from '../../src/hub';
import { Business } from '../../src/modules/tenants/tenants.entity';
import { describeEachDb, freshMariaDb, type DbBackend } from '../harness';
import { Integrations1764057600003 as LandedIntegrations } from './landed/0003-integrations';

const silent = pino({ level: 'silent' });
const HUB_SECRET = 'storage-test-secret-'.padEnd(48, 's');
const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', SEED_DEMO: 'false' });

/** Where one test's database lives: a SQLite file (it must outlive a close) or a fresh MariaDB database. */
async function place(backend: DbBackend): Promise<{ options: DbOptions; drop: () => Promise<void> }> {
  if (backend === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lc-storage-'));
    return { options: { sqlitePath: path.join(dir, 'loyalty.sqlite') }, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const fresh = await freshMariaDb();
  return { options: { url: fresh.url, poolSize: 5 }, drop: fresh.drop };
}

/** The hub's migrations as they had landed when hub migration 0003 still created the webhook tables. */
const landedMigrations = allMigrations.slice(0, 5).map((m) => (m.name === 'Integrations1764057600003' ? LandedIntegrations : m));

const at = '2026-03-01 10:00:00.000';

describeEachDb('connector storage', (backend) => {
  let where: { options: DbOptions; drop: () => Promise<void> };
  beforeEach(async () => {
    where = await place(backend);
  });
  afterEach(async () => {
    await where.drop();
  });

  it('upgrades a database made by the landed migrations without losing a webhook row: the connector adopts its tables', async () => {
    const old = new DataSource({ ...dataSourceOptions(where.options), entities: [], migrations: landedMigrations } as never);
    await old.initialize();
    await old.runMigrations({ transaction: 'each' });
    expect(await old.createQueryRunner().hasTable('webhook_endpoints')).toBe(true);
    await old.query(
      'INSERT INTO webhook_endpoints (id, businessId, url, description, eventTypes, enabled, secret, disableAfterDays, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ['ep-1', 'biz-1', 'https://crm.example.com/hooks', 'CRM', '["checkout.*"]', 1, 'sealed-secret', 5, at, at],
    );
    await old.query(
      'INSERT INTO webhook_deliveries (id, businessId, endpointId, messageId, eventType, payload, status, attempts, roundAttempts, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ['d-1', 'biz-1', 'ep-1', 'msg-1', 'checkout.committed', '{"type":"checkout.committed"}', 'succeeded', 1, 1, at, at],
    );
    await old.query(
      'INSERT INTO webhook_attempts (id, businessId, endpointId, deliveryId, attempt, status, responseCode, durationMs, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ['a-1', 'biz-1', 'ep-1', 'd-1', 1, 'succeeded', 200, 42, at, at],
    );
    await old.destroy();

    // The new composition: connectors first, then the database with their tables.
    const hub = await Hub.open({ config, database: where.options, hubSecret: HUB_SECRET, log: silent });
    try {
      const webhooks = hub.services.integrations.defs.get('webhooks') as WebhooksConnector;
      const endpoints = await webhooks.engine.listEndpoints('biz-1');
      expect(endpoints.map((e) => ({ id: e.id, url: e.url, eventTypes: e.eventTypes }))).toEqual([
        { id: 'ep-1', url: 'https://crm.example.com/hooks', eventTypes: ['checkout.*'] },
      ]);
      const log = await webhooks.engine.listDeliveries('biz-1', 'ep-1', { limit: 10 });
      expect(log).toMatchObject([{ id: 'd-1', status: 'succeeded', log: [{ attempt: 1, responseCode: 200, durationMs: 42 }] }]);
      // Recorded as the connector's migration, apart from the hub's history.
      const rows = await hub.db.ds.query('SELECT connectorId, name FROM connector_migrations');
      expect(rows).toEqual([{ connectorId: 'webhooks', name: 'WebhookTables1764057600101' }]);
      const hubNames = (await hub.db.ds.query('SELECT name FROM schema_migrations')).map((r: { name: string }) => r.name);
      expect(hubNames).toEqual(allMigrations.map((m) => m.name));
      expect(await hub.db.pendingMigrations()).toEqual([]);
    } finally {
      await hub.stop();
    }
  });

  it('on a new database the hub creates no connector table; the connector loaded creates its own, once', async () => {
    const bare = await Db.open(where.options);
    const qr = bare.ds.createQueryRunner();
    expect(await qr.hasTable('webhook_endpoints')).toBe(false);
    await qr.release();
    await bare.close();

    const catalog = Hub.loadConnectors({ config, hubSecret: HUB_SECRET, log: silent });
    expect(catalog.storage.map((s) => s.id)).toEqual(['webhooks']);
    // A worker opens without migrating: it sees the connector's migration pending.
    const stale = await Db.open({ ...where.options, connectors: catalog.storage }, false);
    expect(await stale.pendingMigrations()).toEqual(['webhooks:WebhookTables1764057600101']);
    await stale.close();

    const db = await Db.open({ ...where.options, connectors: catalog.storage });
    try {
      const qr2 = db.ds.createQueryRunner();
      for (const t of ['webhook_endpoints', 'webhook_deliveries', 'webhook_attempts']) expect(await qr2.hasTable(t)).toBe(true);
      await qr2.release();
      expect(await db.pendingMigrations()).toEqual([]);
    } finally {
      await db.close();
    }
    const again = await Db.open({ ...where.options, connectors: catalog.storage });
    const rows = await again.ds.query('SELECT connectorId, name FROM connector_migrations');
    expect(rows).toHaveLength(1);
    await again.close();
  });

  it('gives a connector a store of its own tables only, never the hub’s', async () => {
    const hub = await Hub.open({ config, database: where.options, hubSecret: HUB_SECRET, log: silent });
    try {
      const store = hub.catalog.services('webhooks').store;
      expect(store).toBeDefined();
      expect(await store!.repository(WebhookEndpointEntity).count()).toBe(0);
      expect(() => store!.repository(Business)).toThrow(/only its own entities/);
      await expect(store!.transaction(async (tx) => tx.repository(Business).count())).rejects.toThrow(/only its own entities/);
    } finally {
      await hub.stop();
    }
  });

  it('refuses a connector that claims a hub table or repeats a migration name', async () => {
    const thief = new EntitySchema<{ id: string }>({ name: 'Thief', tableName: 'businesses', columns: { id: { type: 'varchar', length: 36, primary: true } } });
    const make = (storage: { entities: EntitySchema<any>[]; migrations: (new () => { name: string; up(): Promise<void>; down(): Promise<void> })[] }) =>
      defineConnector({
        manifest: { id: 'thief-crm', name: 'Thief', category: 'crm', version: '1.0.0', contractVersion: CONTRACT_VERSION, consumes: [], description: 'Test.' },
        configSchema: z.object({}),
        handlers: {},
        storage,
      });
    const t1 = Hub.loadConnectors({
      config: loadConfig({ NODE_ENV: 'test', CONNECTORS: '' }),
      hubSecret: HUB_SECRET,
      log: silent,
      connectors: [() => make({ entities: [thief], migrations: [] })],
    });
    await expect(Db.open({ ...where.options, connectors: t1.storage })).rejects.toThrow(/Table businesses is claimed by the hub and by connector thief-crm/);

    class Same {
      name = 'Same1';
      async up() {}
      async down() {}
    }
    const t2 = Hub.loadConnectors({
      config: loadConfig({ NODE_ENV: 'test', CONNECTORS: '' }),
      hubSecret: HUB_SECRET,
      log: silent,
      connectors: [() => make({ entities: [], migrations: [Same, Same] })],
    });
    await expect(Db.open({ ...where.options, connectors: t2.storage })).rejects.toThrow(/declares migration Same1 twice/);
  });

  it('refuses to compose a hub on a database that does not map a loaded connector’s tables', async () => {
    const db = await Db.open(where.options);
    try {
      expect(() => new Hub({ config, db, hubSecret: HUB_SECRET, log: silent })).toThrow(/Connector webhooks keeps its own tables/);
    } finally {
      await db.close();
    }
  });
});
