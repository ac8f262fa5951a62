import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nock from 'nock';
import pino from 'pino';
import supertest from 'supertest';
import { connector as acme, signAcme } from '@loyalty/connector-acme-crm';
import { loadConfig } from '../../src/config';
import { Hub } from '../../src/hub';
import { MemoryBus } from '../../src/bus/memory-bus';
import { consumerQueues } from '../../src/bus/rabbit-bus';
import { DEFAULT_RETRY_DELAYS_MS, type Bus } from '../../src/bus/bus';
import { startConnectorWorker } from '../../src/modules/integrations/worker';
import { amqpUrl, BusKit } from '../bus/bus-test-kit';
import { freshMariaDb } from '../harness';

const HUB_SECRET = 'commands-worker-secret-'.padEnd(48, 'c');
const SECRET = 'acme-hook-secret-000111';
const silent = pino({ level: 'silent' });
const sample = (name: string) => fs.readFileSync(path.join(__dirname, '../../../fixtures/src/acme/webhooks', `${name}.json`), 'utf8');

interface Setup {
  name: string;
  db: 'sqlite' | 'mariadb';
  bus: 'memory' | 'rabbitmq';
}
const setups: Setup[] = [{ name: 'sqlite, memory bus', db: 'sqlite', bus: 'memory' }];
if (process.env.TEST_DATABASE_URL && process.env.TEST_AMQP_URL) setups.push({ name: 'mariadb, rabbitmq', db: 'mariadb', bus: 'rabbitmq' });

/**
 * The Acme CRM connector as a `loyalty-connector acme-crm` worker: its inbound routes on the worker's
 * port, its commands over the bus to a hub that serves them — the same effects as in-process.
 */
describe.each(setups)('acme-crm as a worker: commands over the bus [$name]', (s) => {
  let dir: string;
  let kit: BusKit;
  let hub: Hub;
  let drop: () => Promise<void> = async () => undefined;
  let worker: Awaited<ReturnType<typeof startConnectorWorker>>;
  let http: ReturnType<typeof supertest>;
  let admin: (m: 'get' | 'post', p: string) => supertest.Test;
  let businessId: string;

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lc-cmd-worker-'));
    kit = new BusKit(s.bus);
    let dbUrl: string | undefined;
    if (s.db === 'mariadb') {
      const fresh = await freshMariaDb();
      dbUrl = fresh.url;
      drop = fresh.drop;
    }
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      SEED_DEMO: 'false',
      JOBS_ENABLED: 'false',
      DATA_DIR: dir,
      CONNECTORS: 'webhooks',
      CONNECTORS_EXTERNAL: 'acme-crm',
      ...(s.bus === 'rabbitmq' ? { AMQP_URL: amqpUrl() } : {}),
    };
    const bus: Bus = s.bus === 'memory' ? new MemoryBus() : kit.bus();
    hub = await Hub.open({
      config: loadConfig(env),
      database: dbUrl ? { url: dbUrl } : { sqlitePath: path.join(dir, 'loyalty.sqlite') },
      bus,
      log: silent,
      hubSecret: HUB_SECRET,
      connectors: [() => acme],
    });
    await hub.start(0, '127.0.0.1');
    const hubHttp = supertest(hub.app);
    const email = `wc${Date.now()}@example.com`;
    const { business } = await hub.services.tenants.createBusiness({
      name: 'Worker commands',
      currency: 'RUB',
      timezone: 'Europe/Moscow',
      locale: 'ru',
      owner: { email, name: 'O', password: 'owner-password-1' },
    });
    businessId = business.id;
    const login = await hubHttp.post('/v1/admin/session').send({ email, password: 'owner-password-1' });
    const cookie = (login.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
    admin = (m, p) => hubHttp[m](p).set('Cookie', cookie);
    const program = await admin('post', '/v1/admin/programs').send({
      name: 'Points',
      rules: { kind: 'bonus', accrualPercent: 5, maxRedeemPercent: 50, pointValueMinor: 100 },
    });
    expect(program.status).toBe(201);
    const install = await admin('post', '/v1/admin/integrations').send({
      connectorId: 'acme-crm',
      enabled: true,
      config: { baseUrl: 'https://api.acme.test', apiKey: 'ak_0123456789abcdefXYZ', webhookSecret: SECRET, programId: program.body.id },
    });
    expect(install.status).toBe(201);
    worker = await startConnectorWorker({
      id: 'acme-crm',
      env: { ...env, HUB_SECRET, PORT: '0', HOST: '127.0.0.1', ...(dbUrl ? { DATABASE_URL: dbUrl } : {}) },
      ...(s.bus === 'memory' ? { bus } : { busOptions: { namespace: kit.namespace } }),
      connector: () => acme,
      log: silent,
    });
    http = supertest(`http://127.0.0.1:${worker.port}`);
  });

  afterAll(async () => {
    await worker?.stop();
    await hub?.stop();
    if (s.bus === 'rabbitmq') {
      await kit.raw(async (ch) => {
        for (const q of consumerQueues('connector.acme-crm', DEFAULT_RETRY_DELAYS_MS, kit.namespace)) await ch.deleteQueue(q);
      });
    }
    await kit.cleanup();
    await drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const hook = (body: string) =>
    http
      .post(`/connectors/acme-crm/${businessId}/hooks`)
      .set('content-type', 'application/json')
      .set('x-acme-signature', signAcme(SECRET, body, Math.floor(Date.now() / 1000)))
      .send(body);

  it('upserts the guest, commits the paid order once, and refunds it once', async () => {
    const contact = await hook(sample('contact-updated'));
    expect(contact.status).toBe(200);
    expect(contact.body).toMatchObject({ created: true });
    expect((await hook(sample('contact-updated'))).body).toMatchObject({ guestId: contact.body.guestId, created: false });

    const paid = await hook(sample('order-paid'));
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ replayed: false, pointsAccrued: 34 });
    expect((await hook(sample('order-paid'))).body).toEqual({ ...paid.body, replayed: true });

    const refund = await hook(sample('order-refunded'));
    expect(refund.body).toMatchObject({ replayed: false, pointsReversed: 9 });
    expect((await hook(sample('order-refunded'))).body).toEqual({ ...refund.body, replayed: true });

    const sales = (await admin('get', '/v1/admin/checkouts')).body.items as { id: string; source: string; refunded: { amountMinor: number } }[];
    expect(sales).toEqual([
      expect.objectContaining({ id: paid.body.checkoutId, source: 'connector:acme-crm', refunded: expect.objectContaining({ amountMinor: 18000 }) }),
    ]);
    const { guest } = (await admin('get', `/v1/admin/guests/${contact.body.guestId}`)).body;
    expect(guest).toMatchObject({ phone: '+79990000002', source: 'acme-crm', visits: 1 });
  });
});
