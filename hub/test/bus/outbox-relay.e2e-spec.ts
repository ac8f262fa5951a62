import { OutboxRelay, emit } from '../../src/bus/outbox';
import { OutboxMessage } from '../../src/bus/outbox.entity';
import { busBackends, openTestDb } from '../harness';
import { BusTimeoutError } from '../../src/bus/bus';
import { amqpUrl, BusKit, envelope, sleep, TcpProxy, testLog, waitFor } from './bus-test-kit';

const BUSINESS = 'biz-outbox-relay-test';

// The outbox relay publishes through the bus; on RabbitMQ the link is cut mid-stream by a TCP proxy.
// Whatever happens, every event written to the outbox must reach the consumer, and (deduplicated by
// envelope id, as every consumer is) each must take effect exactly once with the payload it was written with.
for (const backend of busBackends()) {
  describe(`outbox relay over the bus [${backend}]`, () => {
    it('delivers every outbox event across a broken broker link, none lost, each effect once', async () => {
      const kit = new BusKit(backend);
      const { db, drop } = await openTestDb('sqlite');
      let proxy: TcpProxy | undefined;
      let url: string | undefined;
      if (backend === 'rabbitmq') {
        const u = new URL(amqpUrl());
        proxy = new TcpProxy(u.hostname, Number(u.port || 5672));
        u.hostname = '127.0.0.1';
        u.port = String(await proxy.listen());
        url = u.toString();
      }
      const bus = kit.bus({ url, unavailableWaitMs: 300, confirmTimeoutMs: 3000, reconnectMinMs: 100, reconnectMaxMs: 500, heartbeatS: 5 });
      const relay = new OutboxRelay(db, bus, testLog, { pollMs: 50, batch: 10 });
      let producing = true;
      let producer: Promise<void> = Promise.resolve();
      try {
        await bus.start();
        await bus.serveCommands(async (m) => ({ pong: m.id }));

        // The consumer's effect: a ledger entry per event id. Duplicates are expected (at-least-once)
        // and skipped, but must carry the very same payload.
        const ledger = new Map<string, number>();
        const firstPayload = new Map<string, string>();
        let duplicates = 0;
        const conflicts: string[] = [];
        await kit.subscribe(
          bus,
          'outbox-consumer',
          ['card.#'],
          async (m) => {
            const payload = JSON.stringify(m.data);
            const seen = firstPayload.get(m.id);
            if (seen !== undefined) {
              duplicates++;
              if (seen !== payload) conflicts.push(m.id);
              return;
            }
            firstPayload.set(m.id, payload);
            await sleep(2); // keeps deliveries in flight when the link drops
            if (ledger.has(m.id)) conflicts.push(m.id);
            ledger.set(m.id, (m.data as { balance: number }).balance);
          },
          { retryDelaysMs: [50, 100, 200] },
        );
        relay.start();

        let produced = 0;
        const emitOne = async (): Promise<void> => {
          const k = ++produced;
          await db.transaction((tx) =>
            emit(tx, BUSINESS, 'card.balance_changed', { cardId: `card-${k % 7}`, guestId: null, balance: k, delta: 1, unit: 'points', reason: 'outbox-test' }),
          );
          relay.kick();
        };
        producer = (async () => {
          while (producing) {
            await emitOne();
            await sleep(15);
          }
        })();
        const rows = () => db.manager.getRepository(OutboxMessage).find();

        await waitFor(() => ledger.size >= 15, 'deliveries before the outage');
        if (proxy) {
          proxy.cut();
          await waitFor(() => !bus.health().ok, 'the bus to notice the cut');
          expect(bus.health()).toMatchObject({ ok: false, kind: 'rabbitmq' });
          // A command during the outage ends at its deadline instead of hanging.
          await expect(bus.request(envelope('test.ping', {}), 300)).rejects.toBeInstanceOf(BusTimeoutError);
          const atCut = produced;
          // publish() must fail (bounded wait), leaving the row unsent for the relay's next pass.
          await waitFor(
            async () => (await rows()).some((r) => r.sentAt === null && r.attempts > 0 && /unavailable/.test(r.lastError ?? '')),
            'a publish to fail during the outage',
          );
          await waitFor(() => produced >= atCut + 20, 'events written during the outage');
          await sleep(1500); // keep the broker away a little longer; the reconnect loop keeps backing off
          proxy.restore();
          await waitFor(() => bus.health().ok, 'the bus to reconnect');
        }
        // Commands are served again (after a reconnect: re-consumed and a new reply-to consumer).
        const ping = envelope('test.ping', {});
        await expect(bus.request(ping, 5000)).resolves.toEqual({ pong: ping.id });
        const afterOutage = produced;
        await waitFor(() => produced >= afterOutage + 15, 'events written after the outage');
        producing = false;
        await producer;

        await waitFor(async () => (await rows()).every((r) => r.sentAt !== null), 'the relay to send every row', 30_000);
        const all = await rows();
        await waitFor(() => ledger.size >= all.length, 'every event at the consumer', 30_000);

        expect(all.length).toBe(produced);
        expect(new Set(ledger.keys())).toEqual(new Set(all.map((r) => r.eventId)));
        for (const r of all) expect(ledger.get(r.eventId)).toBe((r.data as { balance: number }).balance);
        expect(conflicts).toEqual([]);
        expect(await bus.parked('outbox-consumer')).toEqual([]);
        testLog.info({ events: all.length, duplicates }, 'outbox relay test done');
      } finally {
        producing = false;
        await producer.catch(() => undefined);
        await relay.stop();
        await kit.cleanup();
        await proxy?.close();
        await db.close();
        await drop();
      }
    }, 60_000);
  });
}
