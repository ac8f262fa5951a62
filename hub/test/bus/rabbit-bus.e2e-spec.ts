import type { Envelope } from '@loyalty/sdk';
import { Bus, BusTimeoutError, CommandError } from '../../src/bus/bus';
import { busBackends } from '../harness';
import { BusKit, envelope, sleep, waitFor } from './bus-test-kit';

// One behavioural suite for both Bus implementations: whatever passes on the memory bus must
// pass on RabbitMQ too. Test names carry [memory] / [rabbitmq] for the backends reporter.
for (const backend of busBackends()) {
  describe(`bus semantics [${backend}]`, () => {
    const kit = new BusKit(backend);
    let bus: Bus;

    beforeAll(async () => {
      bus = kit.bus();
      await bus.start();
      await bus.serveCommands(async (msg) => {
        switch (msg.type) {
          case 'test.echo':
            return { echo: msg.data, id: msg.id };
          case 'test.nothing':
            return undefined;
          case 'test.refuse':
            throw new CommandError('card_not_found', 'No such card', 404);
          case 'test.crash':
            throw new Error('boom');
          case 'test.coded':
            throw Object.assign(new Error('Card is busy'), { code: 'card_busy', status: 409 });
          case 'test.slow':
            await sleep(1000);
            return 'late';
          default:
            throw new CommandError('unknown_command', msg.type, 400);
        }
      });
    });
    afterAll(() => kit.cleanup());

    it('reports its health', () => {
      expect(bus.health()).toMatchObject({ ok: true, kind: backend });
    });

    it('routes events by topic patterns (* one word, # any)', async () => {
      const got: Record<string, string[]> = { checkout: [], card: [], all: [], issued: [] };
      const rec = (k: string) => async (m: Envelope) => void got[k]!.push(m.type);
      // Every consumer also binds test.sentinel; one queue is FIFO, so the sentinel arriving means all earlier events did.
      await kit.subscribe(bus, 'routing-checkout', ['checkout.*', 'test.sentinel'], rec('checkout'));
      await kit.subscribe(bus, 'routing-card', ['card.#', 'test.sentinel'], rec('card'));
      await kit.subscribe(bus, 'routing-all', ['#'], rec('all'));
      await kit.subscribe(bus, 'routing-issued', ['*.issued', 'test.sentinel'], rec('issued'));
      for (const t of ['checkout.committed', 'card.balance_changed', 'card.level.up', 'guest.registered', 'card.issued', 'checkout.x.y', 'test.sentinel']) {
        await bus.publish(envelope(t, {}));
      }
      await waitFor(() => Object.values(got).every((l) => l.includes('test.sentinel')), 'the sentinel at every consumer');
      expect(got.checkout).toEqual(['checkout.committed', 'test.sentinel']);
      expect(got.card).toEqual(['card.balance_changed', 'card.level.up', 'card.issued', 'test.sentinel']);
      expect(got.issued).toEqual(['card.issued', 'test.sentinel']);
      expect(got.all).toEqual([
        'checkout.committed',
        'card.balance_changed',
        'card.level.up',
        'guest.registered',
        'card.issued',
        'checkout.x.y',
        'test.sentinel',
      ]);
    });

    it('delivers the envelope intact', async () => {
      const got: Envelope[] = [];
      await kit.subscribe(bus, 'intact', ['checkout.committed'], async (m) => void got.push(m));
      const msg = { ...envelope('checkout.committed', { totalMinor: 12345, nested: { ok: true }, text: 'Кофе ☕' }), correlationId: 'corr-1' };
      await bus.publish(msg);
      await waitFor(() => got.length === 1, 'the delivery');
      expect(got[0]).toEqual(msg);
    });

    it('retries a failing handler with growing delays until it succeeds (at-least-once)', async () => {
      const calls = new Map<string, number>();
      const done: string[] = [];
      await kit.subscribe(
        bus,
        'retry',
        ['card.issued'],
        async (m) => {
          const n = (calls.get(m.id) ?? 0) + 1;
          calls.set(m.id, n);
          // Message i fails its first i attempts.
          if (n <= (m.data as { failures: number }).failures) throw new Error(`attempt ${n} failed`);
          done.push(m.id);
        },
        { retryDelaysMs: [20, 40, 80] },
      );
      const msgs = [0, 1, 2, 3].map((failures) => envelope('card.issued', { failures }));
      for (const m of msgs) await bus.publish(m);
      await waitFor(() => done.length === msgs.length, 'all messages handled');
      expect(new Set(done)).toEqual(new Set(msgs.map((m) => m.id)));
      expect(msgs.map((m) => calls.get(m.id))).toEqual([1, 2, 3, 4]);
      expect(await bus.parked('retry')).toEqual([]);
    });

    it('parks a poison message after the last retry, lists it (and keeps it), then replays it', async () => {
      const broken = new Set<string>();
      const calls = new Map<string, number>();
      const handled: string[] = [];
      await kit.subscribe(
        bus,
        'poison',
        ['guest.registered'],
        async (m) => {
          calls.set(m.id, (calls.get(m.id) ?? 0) + 1);
          if (broken.has(m.id)) throw new Error(`cannot handle ${m.id}`);
          handled.push(m.id);
        },
        { retryDelaysMs: [20, 40] },
      );
      const good = envelope('guest.registered', { guestId: 'g1' });
      const poison = envelope('guest.registered', { guestId: 'g2' });
      broken.add(poison.id);
      await bus.publish(poison);
      await bus.publish(good);

      await waitFor(() => handled.includes(good.id), 'the good message handled');
      await waitFor(async () => (await bus.parked('poison')).length === 1, 'the poison message parked');
      expect(handled).toEqual([good.id]);
      expect(calls.get(poison.id)).toBe(3); // first delivery + one per retry delay
      const [p] = await bus.parked('poison');
      expect(p).toMatchObject({ consumer: 'poison', envelope: poison, error: `cannot handle ${poison.id}`, attempts: 3 });
      expect(new Date(p!.parkedAt).toISOString()).toBe(p!.parkedAt);

      // Listing does not consume: it is still there, also in the list over all consumers.
      expect(await bus.parked('poison')).toHaveLength(1);
      expect((await bus.parked()).filter((x) => x.envelope.id === poison.id)).toHaveLength(1);
      expect(await bus.parked('no-such-consumer')).toEqual([]);

      expect(await bus.replayParked('poison', 'no-such-id')).toBe(false);
      broken.delete(poison.id);
      expect(await bus.replayParked('poison', poison.id)).toBe(true);
      await waitFor(() => handled.includes(poison.id), 'the replayed message handled');
      expect(calls.get(poison.id)).toBe(4);
      expect(await bus.parked('poison')).toEqual([]);
      expect(await bus.replayParked('poison', poison.id)).toBe(false);
    });

    it('restarts the attempt count on replay', async () => {
      let failing = true;
      let calls = 0;
      await kit.subscribe(
        bus,
        'replay-reset',
        ['card.level_changed'],
        async () => {
          calls++;
          if (failing) throw new Error('still broken');
        },
        { retryDelaysMs: [10] },
      );
      const msg = envelope('card.level_changed', {});
      await bus.publish(msg);
      await waitFor(async () => (await bus.parked('replay-reset')).length === 1, 'first parking');
      expect(calls).toBe(2);
      // Replayed while still broken: it gets the full set of attempts again and is parked again.
      expect(await bus.replayParked('replay-reset', msg.id)).toBe(true);
      await waitFor(async () => (await bus.parked('replay-reset')).length === 1, 'second parking');
      expect(calls).toBe(4);
      expect((await bus.parked('replay-reset'))[0]).toMatchObject({ attempts: 2, error: 'still broken' });
      failing = false;
      expect(await bus.replayParked('replay-reset', msg.id)).toBe(true);
      await waitFor(() => calls === 5, 'the successful attempt');
      expect(await bus.parked('replay-reset')).toEqual([]);
    });

    it('answers a command through request/reply', async () => {
      const msg = envelope('test.echo', { cardNumber: '1234' });
      await expect(bus.request(msg, 5000)).resolves.toEqual({ echo: { cardNumber: '1234' }, id: msg.id });
      await expect(bus.request(envelope('test.nothing', {}), 5000)).resolves.toBeNull();
    });

    it('matches concurrent replies to their requests', async () => {
      const msgs = Array.from({ length: 20 }, (_, i) => envelope('test.echo', { i }));
      const replies = await Promise.all(msgs.map((m) => bus.request<{ echo: { i: number } }>(m, 5000)));
      expect(replies.map((r) => r.echo.i)).toEqual(msgs.map((_, i) => i));
    });

    it('rejects with BusTimeoutError when no reply comes before the deadline', async () => {
      const err = await bus.request(envelope('test.slow', {}), 200).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BusTimeoutError);
      expect((err as Error).message).toBe('Command test.slow got no reply within 200 ms');
    });

    it('maps handler errors to CommandError(code, message, status)', async () => {
      const refuse = await bus.request(envelope('test.refuse', {}), 5000).catch((e: unknown) => e);
      expect(refuse).toBeInstanceOf(CommandError);
      expect(refuse).toMatchObject({ code: 'card_not_found', message: 'No such card', status: 404 });
      await expect(bus.request(envelope('test.crash', {}), 5000)).rejects.toMatchObject({
        name: 'CommandError',
        code: 'command_failed',
        message: 'boom',
        status: 500,
      });
      await expect(bus.request(envelope('test.coded', {}), 5000)).rejects.toMatchObject({ code: 'card_busy', message: 'Card is busy', status: 409 });
    });

    if (backend === 'rabbitmq') {
      it('resolves publish() only once the broker holds the message, with its AMQP properties', async () => {
        const q = await kit.probeQueue('card.status_changed');
        const msgs = [1, 2, 3].map((i) => envelope('card.status_changed', { i }));
        for (const [i, m] of msgs.entries()) {
          await bus.publish(m);
          // Confirmed means enqueued: no waiting needed before the count is there.
          expect((await kit.raw((ch) => ch.checkQueue(q))).messageCount).toBe(i + 1);
        }
        const got = await kit.raw((ch) => ch.get(q, { noAck: true }));
        expect(got).not.toBe(false);
        const m = got as Exclude<typeof got, false>;
        expect(m.fields.routingKey).toBe('card.status_changed');
        expect(m.fields.exchange).toBe(kit.names().exchange);
        expect(m.properties).toMatchObject({ deliveryMode: 2, contentType: 'application/json', messageId: msgs[0]!.id, type: 'card.status_changed' });
        expect(JSON.parse(m.content.toString())).toEqual(msgs[0]);
      });

      it('never runs more handlers at once than the prefetch', async () => {
        let running = 0;
        let peak = 0;
        let done = 0;
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        await kit.subscribe(
          bus,
          'prefetch',
          ['checkout.held'],
          async () => {
            running++;
            peak = Math.max(peak, running);
            await gate;
            running--;
            done++;
          },
          { prefetch: 2 },
        );
        for (let i = 0; i < 6; i++) await bus.publish(envelope('checkout.held', { i }));
        await waitFor(() => running === 2, 'two handlers running');
        release();
        await waitFor(() => done === 6, 'all handled');
        expect(peak).toBe(2);
      });

      it('fails start() after its timeout when the broker is unreachable, and publish() does not hang', async () => {
        const b = kit.bus({ url: 'amqp://guest:secret@127.0.0.1:1', startTimeoutMs: 300, reconnectMinMs: 50, unavailableWaitMs: 100 });
        await expect(b.start()).rejects.toThrow(/unreachable/);
        expect(b.health()).toMatchObject({ ok: false, kind: 'rabbitmq' });
        expect(b.health().detail).not.toMatch(/secret/);
        await expect(b.publish(envelope('card.issued', {}))).rejects.toThrow(/unavailable/);
      });
    } else {
      it('resolves publish() once the message is accepted for delivery', async () => {
        const got: string[] = [];
        await kit.subscribe(bus, 'accepted', ['card.status_changed'], async (m) => void got.push(m.id));
        const m = envelope('card.status_changed', {});
        await bus.publish(m);
        await waitFor(() => got.includes(m.id), 'the delivery');
      });
    }

    it('applies subscriptions made before start(), and close() waits for running handlers', async () => {
      const b = kit.bus();
      let started = 0;
      let finished = 0;
      await kit.subscribe(b, 'closing', ['checkout.canceled'], async () => {
        started++;
        await sleep(300);
        finished++;
      });
      await b.start();
      await b.publish(envelope('checkout.canceled', {}));
      await waitFor(() => started === 1, 'the handler to start');
      await b.close();
      expect(finished).toBe(1);
      expect(b.health()).toMatchObject({ ok: false, kind: backend });
      await expect(b.publish(envelope('checkout.canceled', {}))).rejects.toThrow(/closed/);
      if (backend === 'rabbitmq') {
        // The handled message was acked before the connection closed, so nothing is left to redeliver.
        expect((await kit.raw((ch) => ch.checkQueue(kit.queueOf('closing')))).messageCount).toBe(0);
      }
    });
  });
}
