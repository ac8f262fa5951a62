import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import supertest from 'supertest';
import { scaffoldConnector } from '../../../connectors/create-connector/src/scaffold';
import { installDeps, packSdk, REPO, tsc } from '../../../connectors/create-connector/test/outside';
import { loadConfig } from '../../src/config';
import { Db } from '../../src/db/db';
import { Hub } from '../../src/hub';
import { DEFAULT_RETRY_DELAYS_MS } from '../../src/bus/bus';
import { consumerQueues } from '../../src/bus/rabbit-bus';
import { BusKit, amqpUrl } from '../bus/bus-test-kit';
import { dbBackends, freshMariaDb, type DbBackend } from '../harness';
import { waitFor } from './kit';

/**
 * Done when (issue 13): a connector package made by the scaffold outside the repository, loaded by
 * the CONNECTOR_PATHS setting, installed and configured through the console API with its secrets
 * sealed, awards points when its vendor sends a signed webhook, through `ctx.hub.request` — in the
 * hub's process (memory bus) and as a `loyalty-connector` worker in its own process (RabbitMQ),
 * whose inbound route the hub also serves on its own port.
 */
const ID = 'demo-crm';
const HUB_SECRET = 'outside-connector-secret-'.padEnd(48, 'o');
const PUBLIC_URL = 'https://loyalty.example.com';
const API_KEY = 'ak_live_0123456789abcdefOUTSIDE';
const WEBHOOK_SECRET = 'whsec_outside_0123456789abcdef';
const silent = pino({ level: 'silent' });

const sign = (body: string, secret = WEBHOOK_SECRET) => {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex')}`;
};
const order = (id: string, card: string, totalMinor: number) => JSON.stringify({ type: 'order.paid', order: { id, card, totalMinor } });

let root: string;
/** The vendor's API (contacts for new guests), on this machine: no test reaches the internet. */
let vendor: http.Server;
let vendorUrl: string;
const contacts: string[] = [];
/** The package as an integrator builds it: its own node_modules with the packed SDK and its own zod. */
let packaged: string;
/** The same build beside the workspace SDK (jest resolves the repo's sources, not a published dist/). */
let linked: string;

beforeAll(async () => {
  vendor = http.createServer((req, res) => {
    contacts.push(`${req.method} ${req.url}`);
    req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"account":"demo"}'));
  });
  await new Promise<void>((r) => vendor.listen(0, '127.0.0.1', () => r()));
  vendorUrl = `http://127.0.0.1:${(vendor.address() as AddressInfo).port}`;
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'outside-connector-'));
  const tarball = packSdk();
  packaged = path.join(root, 'packaged', `loyalty-connector-${ID}`);
  scaffoldConnector({ id: ID, dir: packaged, sdk: `file:${tarball}` });
  installDeps(packaged, { tarball });
  tsc(path.join(packaged, 'tsconfig.build.json'));
  linked = path.join(root, 'linked', `loyalty-connector-${ID}`);
  fs.mkdirSync(linked, { recursive: true });
  fs.cpSync(path.join(packaged, 'package.json'), path.join(linked, 'package.json'));
  fs.cpSync(path.join(packaged, 'dist'), path.join(linked, 'dist'), { recursive: true });
  installDeps(linked, 'workspace');
});
afterAll(async () => {
  await new Promise((r) => vendor.close(r));
  fs.rmSync(root, { recursive: true, force: true });
});

/** The real hub on a database a worker process can open too (a SQLite file, or a fresh MariaDB database). */
async function bootHub(backend: DbBackend, dir: string, env: Record<string, string>, kit: BusKit) {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', SEED_DEMO: 'false', DATA_DIR: dir, PUBLIC_URL, CONNECTORS_ALLOW_PRIVATE: 'true', ...env });
  const catalog = Hub.loadConnectors({ config, hubSecret: HUB_SECRET, log: silent, connectors: [] });
  const maria = backend === 'mariadb' ? await freshMariaDb() : undefined;
  const db = await Db.open(
    maria ? { url: maria.url, connectors: catalog.storage } : { sqlitePath: path.join(dir, 'loyalty.sqlite'), connectors: catalog.storage },
  );
  const hub = new Hub({ config, db, bus: kit.bus(), log: silent, hubSecret: HUB_SECRET, catalog });
  await hub.bus.start();
  await hub.bus.serveCommands(hub.commands.handle);
  await hub.connectors.start();
  const http = supertest(hub.app);
  const email = `owner.${Date.now()}@example.com`;
  const { business } = await hub.services.tenants.createBusiness({
    name: 'Outside connector',
    currency: 'RUB',
    timezone: 'Europe/Moscow',
    locale: 'ru',
    owner: { email, name: 'Owner', password: 'owner-password-1' },
  });
  const session = await http.post('/v1/admin/session').send({ email, password: 'owner-password-1' }).expect(200);
  const cookie = (session.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
  const admin = (method: 'get' | 'post' | 'patch', p: string) => http[method](p).set('Cookie', cookie);
  const program = await admin('post', '/v1/admin/programs')
    .send({ name: 'Points', rules: { kind: 'bonus', accrualPercent: 5, maxRedeemPercent: 50, pointValueMinor: 100 } })
    .expect(201);
  const reg = await admin('post', '/v1/admin/guests').send({ phone: '+79990001122', name: 'Anna', programId: program.body.id }).expect(201);
  const card = { body: reg.body.card as { id: string; number: string } };
  return {
    hub,
    http,
    admin,
    businessId: business.id as string,
    card: { id: card.body.id as string, number: card.body.number as string },
    databaseUrl: maria?.url,
    async close() {
      await hub.stop();
      await maria?.drop();
    },
  };
}
type Booted = Awaited<ReturnType<typeof bootHub>>;

/** Installs and configures the connector through the console API; checks that its secrets are sealed. */
async function installThroughConsole(h: Booted) {
  const catalog = await h.admin('get', '/v1/admin/integrations/catalog').expect(200);
  const entry = catalog.body.items.find((c: { id: string }) => c.id === ID);
  expect(entry).toMatchObject({ name: 'Demo Crm', secretFields: ['apiKey', 'webhookSecret'] });
  expect(entry.configSchema.properties.apiKey).toMatchObject({ title: 'API key', writeOnly: true });

  const installed = await h
    .admin('post', '/v1/admin/integrations')
    .send({ connectorId: ID, config: { baseUrl: vendorUrl, apiKey: API_KEY, webhookSecret: WEBHOOK_SECRET } })
    .expect(201);
  const url = `${PUBLIC_URL}/connectors/${ID}/${h.businessId}/hooks`;
  expect(installed.body.inbound).toEqual([{ method: 'post', path: '/:businessId/hooks', summary: expect.stringContaining('paid order'), url }]);
  // Changed in the console with the masks sent back: the stored secrets stay.
  const changed = await h
    .admin('patch', `/v1/admin/integrations/${ID}`)
    .send({ config: { ...installed.body.config, baseUrl: `${vendorUrl}/v2` } })
    .expect(200);
  expect(changed.body.config).toEqual({ baseUrl: `${vendorUrl}/v2`, apiKey: '••••SIDE', webhookSecret: '••••cdef' });
  const shown = await h.admin('get', `/v1/admin/integrations/${ID}`).expect(200);
  for (const body of [installed.body, changed.body, shown.body, (await h.admin('get', '/v1/admin/integrations').expect(200)).body]) {
    expect(JSON.stringify(body)).not.toContain(API_KEY);
    expect(JSON.stringify(body)).not.toContain(WEBHOOK_SECRET);
  }
  const rows: unknown[] = await h.hub.db.manager.query('SELECT * FROM integration_installations WHERE connectorId = ?', [ID]);
  expect(rows).toHaveLength(1);
  expect(JSON.stringify(rows)).not.toContain(API_KEY);
  expect(JSON.stringify(rows)).not.toContain(WEBHOOK_SECRET);
  expect(JSON.stringify(rows)).toContain(`${vendorUrl}/v2`);
  // "Test connection" runs the package's check with the stored (sealed) key.
  expect((await h.admin('post', `/v1/admin/integrations/${ID}/test`).expect(200)).body).toEqual({ ok: true, detail: 'Connected as demo' });
  expect(contacts).toContain('GET /v2/v1/me');

  const openapi = await h.http.get('/v1/openapi.json').expect(200);
  expect(openapi.body.paths[`/connectors/${ID}/{businessId}/hooks`].post).toMatchObject({ summary: expect.stringContaining('paid order'), security: [] });
}

/** A signed order webhook to `http` awards points on the card, once per order. */
async function awardsPoints(h: Booted, http: ReturnType<typeof supertest>, orderId: string) {
  const before = (await h.admin('get', `/v1/admin/cards/${h.card.id}`).expect(200)).body.pointsBalance as number;
  const body = order(orderId, h.card.number, 150000);
  const post = (sig: string) =>
    http.post(`/connectors/${ID}/${h.businessId}/hooks`).set('content-type', 'application/json').set(`x-${ID}-signature`, sig).send(body);
  expect((await post(sign(body, 'not-the-webhook-secret-at-all'))).status).toBe(401);
  const first = await post(sign(body));
  expect(first.status).toBe(200);
  expect(first.body).toMatchObject({ replayed: false });
  expect(first.body.pointsAccrued).toBeGreaterThan(0);
  const again = await post(sign(body));
  expect(again.body).toEqual({ ...first.body, replayed: true });
  const after = (await h.admin('get', `/v1/admin/cards/${h.card.id}`).expect(200)).body.pointsBalance as number;
  expect(after - before).toBe(first.body.pointsAccrued);
  const sales = (await h.admin('get', '/v1/admin/checkouts?limit=50').expect(200)).body.items as { id: string; source: string }[];
  expect(sales.find((s) => s.id === first.body.checkoutId)?.source).toBe(`connector:${ID}`);
}

/** A guest registered in the console reaches the vendor as a contact (the package's event handler). */
async function sendsContacts(h: Booted, phone: string) {
  const reg = await h.admin('post', '/v1/admin/guests').send({ phone, name: 'Boris' }).expect(201);
  const id = reg.body.guest.id as string;
  await h.hub.relay.runOnce(); // the outbox's pass (this test hub does not run the relay's loop)
  await waitFor(() => contacts.includes(`PUT /v2/v1/contacts/${id}`), `the contact of guest ${id} at the vendor`);
}

for (const backend of dbBackends()) {
  describe(`a connector package from outside the repository, in the hub's process [${backend}] [memory]`, () => {
    let kit: BusKit;
    let h: Booted;
    let dir: string;
    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(root, 'hub-'));
      kit = new BusKit('memory');
      h = await bootHub(backend, dir, { CONNECTOR_PATHS: path.dirname(linked) }, kit);
    });
    afterAll(async () => {
      await h?.close();
      await kit.cleanup();
    });

    it('is installed and configured in the console with its secrets sealed', async () => {
      await installThroughConsole(h);
    });

    it('awards points on a signed webhook through ctx.hub.request', async () => {
      await awardsPoints(h, h.http, 'A-1001');
    });

    it('sends new guests to the vendor through its event handler', async () => {
      await sendsContacts(h, '+79990003344');
    });
  });
}

(process.env.TEST_AMQP_URL ? describe : describe.skip).each(dbBackends())(
  'a connector package from outside the repository as a loyalty-connector worker [%s] [rabbitmq]',
  (backend) => {
    let kit: BusKit;
    let h: Booted;
    let dir: string;
    let worker: ChildProcess;
    let workerHttp: ReturnType<typeof supertest>;
    let workerReport: { port: number; ownCopiesLoaded: string[] };

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(root, 'worker-'));
      kit = new BusKit('rabbitmq');
      h = await bootHub(backend, dir, { CONNECTOR_PATHS: linked, CONNECTORS_EXTERNAL: ID, AMQP_URL: amqpUrl() }, kit);
      await installThroughConsole(h);
      // `loyalty-connector demo-crm` in its own process (plain node, as the bin runs it), loading the
      // package as the integrator built it: its own node_modules with the packed SDK and its own zod.
      const script = `
      const { startConnectorWorker } = require(${JSON.stringify(path.join(REPO, 'hub/src/modules/integrations/worker'))});
      startConnectorWorker({ id: ${JSON.stringify(ID)}, busOptions: { namespace: ${JSON.stringify(kit.namespace)} } }).then((w) => {
        const own = ${JSON.stringify(fs.realpathSync(packaged) + path.sep + 'node_modules' + path.sep)};
        process.stdout.write(JSON.stringify({ port: w.port, ownCopiesLoaded: Object.keys(require.cache).filter((f) => f.startsWith(own)) }) + '\\n');
        process.on('SIGTERM', () => w.stop().then(() => process.exit(0), () => process.exit(1)));
      }, (e) => { process.stderr.write(String(e && e.message)); process.exit(1); });`;
      worker = spawn(process.execPath, ['-r', path.join(REPO, 'hub/bin/register.js'), '-e', script], {
        env: {
          PATH: process.env.PATH,
          LOG_LEVEL: 'silent',
          HUB_SECRET,
          AMQP_URL: amqpUrl(),
          DATA_DIR: dir,
          ...(h.databaseUrl ? { DATABASE_URL: h.databaseUrl } : {}),
          CONNECTOR_PATHS: packaged,
          CONNECTORS_ALLOW_PRIVATE: 'true',
          PUBLIC_URL,
          HOST: '127.0.0.1',
          PORT: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      worker.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      workerReport = await new Promise((resolve, reject) => {
        let out = '';
        worker.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!));
        });
        worker.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${err}`)));
      });
      workerHttp = supertest(`http://127.0.0.1:${workerReport.port}`);
    });
    afterAll(async () => {
      if (worker && worker.exitCode === null) {
        const exited = new Promise((r) => worker.once('exit', r));
        worker.kill('SIGTERM');
        await exited;
      }
      await h?.close();
      await kit.raw(async (ch) => {
        for (const q of consumerQueues(`connector.${ID}`, DEFAULT_RETRY_DELAYS_MS, kit.namespace)) await ch.deleteQueue(q);
      });
      await kit.cleanup();
    });

    it('runs in its own process with the host’s SDK and zod, not the copies in its node_modules', async () => {
      expect((await workerHttp.get('/healthz').expect(200)).body).toMatchObject({ status: 'ok', connector: ID });
      expect(workerReport.ownCopiesLoaded).toEqual([]);
      expect((await h.admin('get', '/v1/admin/integrations/catalog').expect(200)).body.items.find((c: { id: string }) => c.id === ID).runsIn).toBe('worker');
    });

    it('awards points on a signed webhook to the hub’s port: the hub serves the route, its command goes over RabbitMQ', async () => {
      await awardsPoints(h, h.http, 'B-2001');
    });

    it('awards points on a signed webhook to the worker’s own port, through ctx.hub.request over RabbitMQ', async () => {
      await awardsPoints(h, workerHttp, 'B-2002');
    });

    it('consumes the hub’s events in the worker: new guests reach the vendor', async () => {
      await sendsContacts(h, '+79990005566');
    });
  },
);
