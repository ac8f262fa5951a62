import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { IsNull } from 'typeorm';
import type { Envelope } from '@loyalty/sdk';
import { createTestHub, dbBackends, TestBusiness, TestHub } from '../harness';
import { post } from '../http-client';
import { loyalty } from '../loyalty/fixtures';
import { amqpUrl, BusKit, sleep, TcpProxy, waitFor } from '../bus/bus-test-kit';
import { OutboxMessage } from '../../src/bus/outbox.entity';
import { dbLabel, record } from './table';

const hasRabbit = !!process.env.TEST_AMQP_URL;
const backend = dbBackends().includes('mariadb') ? 'mariadb' : 'sqlite';
const OUTAGE_MS = 30_000;

/** R3: the RabbitMQ link is cut for 30 s while sales commit; every event arrives, effects happen once. */
(hasRabbit ? describe : describe.skip)('R3 broker outage under load [rabbitmq]', () => {
  const kit = new BusKit('rabbitmq');
  let proxy: TcpProxy;
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });

  beforeAll(async () => {
    const url = new URL(amqpUrl());
    proxy = new TcpProxy(url.hostname, Number(url.port || 5672));
    url.port = String(await proxy.listen());
    url.hostname = '127.0.0.1';
    const bus = kit.bus({ url: url.toString(), unavailableWaitMs: 1000, reconnectMinMs: 200, reconnectMaxMs: 2000, heartbeatS: 2 });
    t = await createTestHub({ db: backend, bus });
    b = await t.business('Broker outage');
    l = loyalty(t, b);
    await l.admin('patch', '/v1/admin/business').send({ settings: { fraudLimits: { opsPerCardPerHour: null, redemptionsPerCardPerDay: null } } }).expect(200);
    await t.listen();
  });
  afterAll(async () => {
    agent.destroy();
    proxy.restore();
    await t.close();
    await kit.cleanup();
    await proxy.close();
  });

  it('R3: no event lost, no double effect', async () => {
    const effects = new Map<string, string>();
    let deliveries = 0;
    let conflicting = 0;
    await kit.subscribe(t.hub.bus, 'reliability-r3', ['checkout.#', 'card.#'], async (m: Envelope) => {
      deliveries++;
      const payload = JSON.stringify(m.data);
      const seen = effects.get(m.id);
      if (seen === undefined) effects.set(m.id, payload);
      else if (seen !== payload) conflicting++;
    });
    t.hub.relay.start();
    const p = await l.program({ name: 'R3', rules: { kind: 'bonus', accrualPercent: 5 } });
    const cards = await Promise.all(Array.from({ length: 6 }, () => l.guestWithCard(p.id)));
    let stop = false;
    let n = 0;
    let ok = 0;
    let failed = 0;
    const worker = async () => {
      while (!stop) {
        const i = n++;
        const r = await post(`${t.url}/v1/pos/checkouts`, agent, { authorization: `Bearer ${b.terminalKey}`, 'idempotency-key': randomUUID() }, { card: { number: cards[i % 6]!.card.number }, basket: l.basket(1000 + i) });
        if (r.status === 201) ok++;
        else failed++;
        await sleep(20);
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    await sleep(2000);
    proxy.cut();
    await sleep(1500);
    const healthDuring = t.hub.bus.health().ok;
    await sleep(OUTAGE_MS - 1500);
    proxy.restore();
    await sleep(2000);
    stop = true;
    await Promise.all(workers);

    const repo = t.hub.db.manager.getRepository(OutboxMessage);
    await waitFor(async () => (await repo.countBy({ sentAt: IsNull() })) === 0, 'outbox to drain', 60_000);
    const rows = await repo.find({ where: { businessId: b.businessId } });
    const wanted = rows.filter((r) => r.type.startsWith('checkout.') || r.type.startsWith('card.'));
    await waitFor(() => wanted.every((r) => effects.has(r.eventId)), 'every event to reach the consumer', 60_000);
    const parked = await t.hub.bus.parked('reliability-r3');
    const lost = wanted.filter((r) => !effects.has(r.eventId)).length;
    const held = ok > 0 && failed === 0 && lost === 0 && conflicting === 0 && parked.length === 0 && healthDuring === false;
    record({
      id: 'R3',
      check: 'RabbitMQ link cut 30 s while tills commit sales',
      figure: `${ok} sales committed (0 refused), ${wanted.length} events, ${lost} lost, ${deliveries - effects.size} redelivered and absorbed, ${conflicting} conflicting, ${parked.length} parked`,
      backend: `${dbLabel()} + RabbitMQ`,
      held,
    });
    expect(healthDuring).toBe(false);
    expect(failed).toBe(0);
    expect(lost).toBe(0);
    expect(conflicting).toBe(0);
    expect(parked).toHaveLength(0);
  });
});
