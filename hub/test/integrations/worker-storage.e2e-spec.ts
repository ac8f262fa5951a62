import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import supertest from 'supertest';
import { loadConfig } from '../../src/config';
import { MemoryBus } from '../../src/bus/memory-bus';
import { Hub } from '../../src/hub';
import { startConnectorWorker } from '../../src/modules/integrations/worker';
import { createConnector, type WebhooksConnector } from '@loyalty/connector-webhooks';

const HUB_SECRET = 'worker-storage-secret-'.padEnd(48, 'w');
const silent = pino({ level: 'silent' });

/** Runs a hub once on the SQLite file of `dir` (migrations run, then it stops), as a deploy would. */
async function migrateWith(dir: string, env: Record<string, string>, then?: (hub: Hub) => Promise<void>): Promise<void> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', SEED_DEMO: 'false', DATA_DIR: dir, ...env });
  const hub = await Hub.open({ config, database: { sqlitePath: path.join(dir, 'loyalty.sqlite') }, log: silent, hubSecret: HUB_SECRET });
  try {
    await then?.(hub);
  } finally {
    await hub.stop();
  }
}

const workerEnv = (dir: string) => ({ DATA_DIR: dir, HUB_SECRET, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });

describe('loyalty-connector worker and the connector’s own tables [sqlite]', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lc-worker-storage-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses to start while the connector’s migrations have not run, naming them', async () => {
    // A hub that does not load the webhooks connector: the hub's schema is current, the connector's is not.
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', SEED_DEMO: 'false', DATA_DIR: dir });
    const bare = await Hub.open({
      config: { ...config, CONNECTORS: '' },
      database: { sqlitePath: path.join(dir, 'loyalty.sqlite') },
      log: silent,
      hubSecret: HUB_SECRET,
    });
    await bare.stop();
    await expect(startConnectorWorker({ id: 'webhooks', env: workerEnv(dir), bus: new MemoryBus(), log: silent })).rejects.toThrow(
      /pending: webhooks:WebhookTables1764057600101.*webhooks in CONNECTORS/,
    );
  });

  it('starts once the hub that lists it has run them, and serves from its own tables', async () => {
    await migrateWith(dir, { CONNECTORS: 'webhooks', CONNECTORS_EXTERNAL: 'webhooks', WEBHOOKS_ALLOW_PRIVATE: 'true' }, async (hub) => {
      // The hub serves the console routes of an external connector: an endpoint lands in the connector's table.
      const webhooks = hub.services.integrations.defs.get('webhooks') as WebhooksConnector;
      await webhooks.engine.createEndpoint('biz-w', { url: 'https://crm.example.com/hooks', eventTypes: ['checkout.*'] });
    });
    let def: WebhooksConnector | undefined;
    const worker = await startConnectorWorker({
      id: 'webhooks',
      env: workerEnv(dir),
      bus: new MemoryBus(),
      log: silent,
      connector: (services) => (def = createConnector(services)),
    });
    try {
      const res = await supertest(`http://127.0.0.1:${worker.port}`).get('/healthz');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ok', connector: 'webhooks' });
      // The worker's connector reads the same rows through the store scoped to its tables.
      expect((await def!.engine.listEndpoints('biz-w')).map((e) => e.url)).toEqual(['https://crm.example.com/hooks']);
    } finally {
      await worker.stop();
    }
  });
});
