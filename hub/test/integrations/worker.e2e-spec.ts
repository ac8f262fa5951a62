import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import nock from 'nock';
import pino from 'pino';
import supertest from 'supertest';
import { Webhook } from 'standardwebhooks';
import { connector as acme, signAcme } from '@loyalty/connector-acme-crm';
import { loadConfig } from '../../src/config';
import { Hub } from '../../src/hub';
import type { Bus } from '../../src/bus/bus';
import { MemoryBus } from '../../src/bus/memory-bus';
import { emit } from '../../src/bus/outbox';
import { consumerQueues } from '../../src/bus/rabbit-bus';
import { DEFAULT_RETRY_DELAYS_MS } from '../../src/bus/bus';
import { systemActor } from '../../src/shared/context';
import { startConnectorWorker } from '../../src/modules/integrations/worker';
import { amqpUrl, BusKit } from '../bus/bus-test-kit';
import { waitFor } from './kit';

const HUB_SECRET = 'worker-test-secret-'.padEnd(48, 'w');
const silent = pino({ level: 'silent' });

/** A hub on a SQLite file that a worker opens too (as a worker shares the hub's MySQL in production). */
async function fileHub(dir: string, bus: Bus, env: Record<string, string>, connectors: Hub['opts']['connectors'] = []) {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', SEED_DEMO: 'false', DATA_DIR: dir, WEBHOOKS_ALLOW_PRIVATE: 'true', ...env });
  const hub = await Hub.open({ config, database: { sqlitePath: path.join(dir, 'loyalty.sqlite') }, bus, log: silent, hubSecret: HUB_SECRET, connectors });
  const db = hub.db;
  await bus.start();
  await hub.connectors.start();
  const { business, owner } = await hub.services.tenants.createBusiness({
    name: 'Worker test',
    currency: 'RUB',
    timezone: 'Europe/Moscow',
    locale: 'ru',
    owner: { email: `w${Date.now()}@example.com`, name: 'O', password: 'owner-password-1' },
  });
  const ctx = { businessId: business.id, actor: { type: 'staff' as const, id: owner.id, role: 'owner' as const } };
  return { hub, db, ctx, sys: { businessId: business.id, actor: systemActor('test') } };
}

const workerEnv = (dir: string, extra: Record<string, string> = {}) => ({
  DATA_DIR: dir,
  HUB_SECRET,
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  WEBHOOKS_ALLOW_PRIVATE: 'true',
  ...extra,
});

describe('loyalty-connector worker as a function [memory]', () => {
  afterEach(() => nock.cleanAll());

  it('starts, consumes for its connector, serves its inbound routes with the raw body, and stops', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lc-worker-'));
    const bus = new MemoryBus();
    const { hub, ctx } = await fileHub(dir, bus, { CONNECTORS_EXTERNAL: 'acme-crm' }, [() => acme]);
    try {
      const config = { baseUrl: 'https://api.acme.test', apiKey: 'ak_0123456789abcdefXYZ', webhookSecret: 'acme-hook-secret-000111' };
      await hub.services.integrations.install(ctx, { connectorId: 'acme-crm', config, enabled: true });
      expect((await hub.services.integrations.catalog(ctx)).find((c) => c.id === 'acme-crm')!.runsIn).toBe('worker');
      const upserts: unknown[] = [];
      await bus.serveCommands(async (m) => (upserts.push({ sender: m.sender, data: m.data }), { guest: { id: 'g-9' }, created: true, cardId: null }));
      const worker = await startConnectorWorker({ id: 'acme-crm', env: workerEnv(dir), bus, connector: () => acme, log: silent });
      try {
        const http = supertest(`http://127.0.0.1:${worker.port}`);
        expect((await http.get('/healthz')).body).toMatchObject({ status: 'ok', connector: 'acme-crm' });
        const body = JSON.stringify({ id: 'evt_9', type: 'contact.updated', data: { contact: { id: 'c-9', phone: '+79990000009' } } });
        const sig = signAcme(config.webhookSecret, body, Math.floor(Date.now() / 1000));
        const res = await http
          .post(`/connectors/acme-crm/${ctx.businessId}/hooks`)
          .set('content-type', 'application/json')
          .set('x-acme-signature', sig)
          .send(body);
        expect(res.status).toBe(200);
        expect(upserts).toEqual([{ sender: 'acme-crm', data: { phone: '+79990000009', source: 'acme-crm' } }]);

        const scope = nock('https://api.acme.test').put('/v1/contacts/g-9').reply(200, { id: 'acme-9' });
        await hub.db.transaction((tx) => emit(tx, ctx.businessId, 'guest.registered', { guestId: 'g-9', phone: '+79990000009', name: 'N', source: null }));
        await hub.relay.runOnce();
        await waitFor(() => scope.isDone(), 'the worker to call Acme');
      } finally {
        await worker.stop();
      }
    } finally {
      await hub.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start without a broker or the hub secret', async () => {
    await expect(startConnectorWorker({ id: 'webhooks', env: { LOG_LEVEL: 'silent', HUB_SECRET } })).rejects.toThrow(/AMQP_URL is required/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lc-worker-'));
    await expect(startConnectorWorker({ id: 'webhooks', env: { LOG_LEVEL: 'silent', AMQP_URL: 'amqp://127.0.0.1:1', DATA_DIR: dir } })).rejects.toThrow(
      /HUB_SECRET is required/,
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

(process.env.TEST_AMQP_URL ? describe : describe.skip)('loyalty-connector webhooks worker against RabbitMQ [rabbitmq]', () => {
  it('consumes the hub’s events from RabbitMQ and delivers signed webhooks; stops cleanly', async () => {
    const kit = new BusKit('rabbitmq');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lc-worker-'));
    const got: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    const rx = http.createServer((req, res) => {
      const c: Buffer[] = [];
      req.on('data', (d: Buffer) => c.push(d));
      req.on('end', () => (got.push({ headers: req.headers, body: Buffer.concat(c).toString() }), res.writeHead(204).end()));
    });
    await new Promise<void>((r) => rx.listen(0, '127.0.0.1', () => r()));
    const { hub, ctx } = await fileHub(dir, kit.bus(), { CONNECTORS_EXTERNAL: 'webhooks', AMQP_URL: amqpUrl() });
    try {
      await hub.services.integrations.install(ctx, { connectorId: 'webhooks', config: {}, enabled: true });
      const wh = hub.services.integrations.defs.get('webhooks') as unknown as {
        engine: { createEndpoint(b: string, i: { url: string }): Promise<{ secret: string }> };
      };
      const { secret } = await wh.engine.createEndpoint(ctx.businessId, { url: `http://127.0.0.1:${(rx.address() as AddressInfo).port}/in` });
      const worker = await startConnectorWorker({
        id: 'webhooks',
        env: workerEnv(dir, { AMQP_URL: amqpUrl() }),
        busOptions: { namespace: kit.namespace },
        log: silent,
      });
      try {
        expect(worker.bus.kind).toBe('rabbitmq');
        const id = await hub.db.transaction((tx) =>
          emit(tx, ctx.businessId, 'card.issued', { cardId: 'c-1', guestId: null, programId: 'p', programKind: 'bonus', number: '100' }),
        );
        await hub.relay.runOnce();
        await waitFor(() => got.length === 1, 'the webhook from the worker');
        expect(got[0]!.headers['webhook-id']).toBe(id);
        expect(new Webhook(secret).verify(got[0]!.body, got[0]!.headers as Record<string, string>)).toMatchObject({
          type: 'card.issued',
          data: { cardId: 'c-1' },
        });
      } finally {
        await worker.stop();
      }
    } finally {
      await hub.stop();
      await new Promise((r) => rx.close(r));
      await kit.raw(async (ch) => {
        for (const q of consumerQueues('connector.webhooks', DEFAULT_RETRY_DELAYS_MS, kit.namespace)) await ch.deleteQueue(q);
      });
      await kit.cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
