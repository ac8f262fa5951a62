import type { Channel, ChannelModel, ConsumeMessage, Message } from 'amqplib';
import { isPermanentError, type Envelope } from '@loyalty/sdk';
import { DEFAULT_RETRY_DELAYS_MS, type Handler, type ParkedMessage, type SubscribeOptions } from './bus';
import type { RabbitConnection } from './rabbit-connection';
import type { RabbitPublisher } from './rabbit-publisher';
import { BUS_HEADERS, declareConsumer } from './rabbit-topology';
import { errorText, idOf, isBusHeader, noop, republishOptions, settle, toParked } from './rabbit-wire';

const MAX_BROWSE = 10_000;

interface Subscription {
  name: string;
  patterns: string[];
  /** Patterns of a previous subscribe() of the same consumer that must be unbound. */
  unbind: string[];
  handler: Handler;
  delays: number[];
  prefetch: number;
  ch?: Channel;
  tag?: string;
  inflight: Set<Promise<void>>;
}

/**
 * Event consumers: one queue per consumer, retries through TTL queues, then the parking queue
 * (dead letters), which admins list and replay.
 */
export class RabbitConsumers {
  private readonly subs = new Map<string, Subscription>();
  private adminTail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly core: RabbitConnection,
    private readonly publisher: RabbitPublisher,
  ) {}

  async subscribe(consumer: string, patterns: string[], handler: Handler, opts: SubscribeOptions = {}): Promise<void> {
    const core = this.core;
    if (core.closing) throw new Error('Bus is closed');
    const delays = opts.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    if (delays.some((d) => !Number.isInteger(d) || d < 0)) throw new Error('retryDelaysMs must be non-negative integers');
    const prev = this.subs.get(consumer);
    const sub: Subscription = {
      name: consumer,
      patterns: [...patterns],
      unbind: prev ? prev.patterns.filter((p) => !patterns.includes(p)) : [],
      handler,
      delays: [...delays],
      prefetch: opts.prefetch ?? 50,
      inflight: new Set(),
    };
    this.subs.set(consumer, sub);
    if (prev) await this.stopConsumer(prev);
    const conn = core.conn;
    if (core.state !== 'up' || !conn) return; // applied by the next (re)connect
    try {
      await this.startConsumer(conn, sub);
    } catch (e) {
      if (core.conn !== conn || core.state !== 'up') return; // connection lost meanwhile: the reconnect applies it
      this.subs.delete(consumer);
      throw e;
    }
  }

  /** (Re)starts every consumer on a new connection. */
  async resume(conn: ChannelModel): Promise<void> {
    for (const sub of this.subs.values()) await this.startConsumer(conn, sub);
  }

  /** The connection is gone, and every consumer channel with it. */
  drop(): void {
    for (const s of this.subs.values()) {
      s.ch = undefined;
      s.tag = undefined;
    }
  }

  /** close(): stop every consumer (running handlers still finish and ack). */
  cancelAll(): Promise<unknown>[] {
    const cancels: Promise<unknown>[] = [];
    for (const s of this.subs.values()) if (s.ch && s.tag) cancels.push(s.ch.cancel(s.tag));
    return cancels;
  }

  /** The consumer channels still open. */
  channels(): Channel[] {
    return [...this.subs.values()].map((s) => s.ch).filter((c): c is Channel => !!c);
  }

  /** Resolves once no admin operation (list, replay) runs. */
  adminIdle(): Promise<unknown> {
    return this.adminTail;
  }

  private async startConsumer(conn: ChannelModel, sub: Subscription): Promise<void> {
    const core = this.core;
    const main = core.names.consumer(sub.name);
    await core.withTempChannel(conn, (ch) => declareConsumer(ch, core.names, sub));
    const ch = await conn.createChannel();
    core.watch(conn, ch, `consumer ${sub.name}`);
    await ch.prefetch(sub.prefetch);
    const { consumerTag } = await ch.consume(main, (m) => {
      if (!m) return core.onServerCancel(conn, sub.name);
      // Once close() began, new deliveries stay unacked: closing the channel hands them back to the broker.
      if (core.closing) return;
      core.track(this.handleDelivery(sub, ch, m), sub.inflight);
    });
    sub.ch = ch;
    sub.tag = consumerTag;
  }

  /** Stops a consumer: no new deliveries, wait for the running ones (they still ack), then close its channel. */
  private async stopConsumer(sub: Subscription): Promise<void> {
    const { ch, tag } = sub;
    sub.ch = undefined;
    sub.tag = undefined;
    if (ch) this.core.retire(ch);
    if (ch && tag) await ch.cancel(tag).catch(noop);
    await Promise.allSettled([...sub.inflight]);
    if (ch) await ch.close().catch(noop);
  }

  private async handleDelivery(sub: Subscription, ch: Channel, m: ConsumeMessage): Promise<void> {
    const n = this.core.names;
    const attempt = Number(m.properties.headers?.[BUS_HEADERS.attempt] ?? 1) || 1;
    let env: Envelope;
    try {
      env = JSON.parse(m.content.toString('utf8')) as Envelope;
    } catch (e) {
      // Not even JSON: retrying cannot help.
      return this.forward(sub, ch, m, n.dlq(sub.name), this.parkHeaders(sub, attempt, `Unparseable message: ${errorText(e)}`));
    }
    try {
      await sub.handler(env);
    } catch (e) {
      // A PermanentError (SDK) skips the remaining retries: parked at once.
      const delay = isPermanentError(e) ? undefined : sub.delays[attempt - 1];
      if (delay === undefined) return this.forward(sub, ch, m, n.dlq(sub.name), this.parkHeaders(sub, attempt, errorText(e)));
      return this.forward(sub, ch, m, n.retry(sub.name, delay), { [BUS_HEADERS.attempt]: attempt + 1, [BUS_HEADERS.error]: errorText(e) });
    }
    settle(ch, m, true);
  }

  private parkHeaders(sub: Subscription, attempts: number, error: string): Record<string, unknown> {
    return { [BUS_HEADERS.attempt]: attempts, [BUS_HEADERS.error]: error, [BUS_HEADERS.parkedAt]: new Date().toISOString(), [BUS_HEADERS.consumer]: sub.name };
  }

  /**
   * Moves a delivery to a retry or parking queue: the copy is confirmed before the original is acked,
   * so a crash in between only duplicates (at-least-once), never loses.
   */
  private async forward(sub: Subscription, ch: Channel, m: Message, queue: string, headers: Record<string, unknown>): Promise<void> {
    try {
      // No waiting for a reconnect: the original's channel is gone then, and the broker redelivers it anyway.
      await this.publisher.send('', queue, m.content, republishOptions(m, headers), 0);
      settle(ch, m, true);
    } catch (e) {
      this.core.log.warn({ err: errorText(e), consumer: sub.name, queue }, 'bus could not move a failed message, requeueing it');
      settle(ch, m, false);
    }
  }

  // ---------------------------------------------------------------- parked messages

  /**
   * Lists parked messages by taking them unacked with basic.get and then closing the channel, which
   * puts them all back in place. Without a consumer name it covers the consumers subscribed here
   * (AMQP cannot enumerate queues).
   */
  async parked(consumer?: string): Promise<ParkedMessage[]> {
    const names = consumer ? [consumer] : [...this.subs.keys()];
    return this.admin(async (conn) => {
      const out: ParkedMessage[] = [];
      for (const c of names) await this.browse(conn, c, async (m) => void out.push(toParked(c, m)));
      return out;
    });
  }

  async replayParked(consumer: string, messageId: string): Promise<boolean> {
    return this.admin(async (conn) => {
      const main = this.core.names.consumer(consumer);
      const exists = await this.core.withTempChannel(conn, (ch) => ch.checkQueue(main)).then(
        () => true,
        () => false,
      );
      if (!exists) return false;
      let found = false;
      await this.browse(conn, consumer, async (m, ch) => {
        if (found || idOf(m) !== messageId) return;
        // Fresh start: attempt 1, no error or parking marks.
        const headers = Object.fromEntries(Object.entries(m.properties.headers ?? {}).filter(([k]) => !isBusHeader(k)));
        await this.publisher.send('', main, m.content, republishOptions(m, headers, true), 0);
        ch.ack(m);
        found = true;
      });
      return found;
    });
  }

  /** Runs admin operations one at a time (concurrent browses would hide each other's messages). */
  private admin<T>(fn: (conn: ChannelModel) => Promise<T>): Promise<T> {
    const core = this.core;
    const run = this.adminTail.then(async () => {
      if (core.closing) throw new Error('Bus is closed');
      if (!(await core.waitUp(core.opts.unavailableWaitMs)) || !core.conn) throw core.unavailable();
      return fn(core.conn);
    });
    this.adminTail = run.catch(noop);
    return run;
  }

  private async browse(conn: ChannelModel, consumer: string, visit: (m: Message, ch: Channel) => Promise<void>): Promise<void> {
    const ch = await conn.createChannel();
    ch.on('error', noop);
    try {
      for (let i = 0; i < MAX_BROWSE; i++) {
        let m: Message | false;
        try {
          m = await ch.get(this.core.names.dlq(consumer), { noAck: false });
        } catch (e) {
          if ((e as { code?: number }).code === 404) return; // consumer never subscribed: nothing parked
          throw e;
        }
        if (!m) return;
        await visit(m, ch);
      }
    } finally {
      // Closing the channel requeues every message we held, in their original order.
      await ch.close().catch(noop);
    }
  }
}
