import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { connect, type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type Message, type Options } from 'amqplib';
import type { Logger } from 'pino';
import { isPermanentError, type Envelope } from '@loyalty/sdk';
import { Bus, BusHealth, BusTimeoutError, CommandError, NoCommandServerError, CommandHandler, DEFAULT_RETRY_DELAYS_MS, Handler, ParkedMessage, SubscribeOptions } from './bus';

/** Headers the bus puts on consumer, retry and dead-letter messages. */
export const BUS_HEADERS = {
  /** 1-based number of the delivery attempt this message is (absent = 1); on a parked message, the attempts made. */
  attempt: 'x-attempt',
  /** Error text of the last failed attempt. */
  error: 'x-error',
  /** ISO time the message was parked. */
  parkedAt: 'x-parked-at',
  /** Consumer whose handler gave up on the message. */
  consumer: 'x-consumer',
} as const;

export interface RabbitBusOptions {
  /** Prefix of every exchange and queue (default `loyalty`); tests use a unique one per run. */
  namespace?: string;
  /** How long publish()/parked()/replayParked() wait for a lost connection to come back before failing. */
  unavailableWaitMs?: number;
  /** How long publish() waits for the broker's confirm. */
  confirmTimeoutMs?: number;
  /** Reconnect backoff: first delay and cap (ms). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** How long start() keeps trying to reach the broker before it fails. */
  startTimeoutMs?: number;
  /** AMQP heartbeat (s) unless the URL sets one; detects half-open links. */
  heartbeatS?: number;
  /** Unacked commands per hub instance. */
  commandPrefetch?: number;
}

/** Exchange and queue names of one namespace (DESIGN §6). */
export function rabbitNames(namespace = 'loyalty') {
  return {
    exchange: `${namespace}.events`,
    commands: `${namespace}.commands`,
    consumer: (c: string) => `${namespace}.c.${c}`,
    retry: (c: string, ms: number) => `${namespace}.c.${c}.retry.${ms}`,
    dlq: (c: string) => `${namespace}.c.${c}.dlq`,
  };
}

/** Every queue a subscription declares (for admins and for test clean-up). */
export function consumerQueues(consumer: string, retryDelaysMs: number[] = DEFAULT_RETRY_DELAYS_MS, namespace = 'loyalty'): string[] {
  const n = rabbitNames(namespace);
  return [n.consumer(consumer), n.dlq(consumer), ...[...new Set(retryDelaysMs)].map((ms) => n.retry(consumer, ms))];
}

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

interface PendingRequest {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  type: string;
  timeoutMs: number;
}

interface WireError {
  name?: string;
  code?: string;
  message?: string;
  details?: Record<string, unknown>;
  status?: number;
}

type State = 'idle' | 'connecting' | 'up' | 'down' | 'closed';

const REPLY_TO = 'amq.rabbitmq.reply-to';
const JSON_TYPE = 'application/json';
const MAX_BROWSE = 10_000;
const MAX_ERROR_LEN = 2000;
/** Broker-added headers that must not travel on when a message is re-published. */
const BROKER_HEADERS = /^x-(death|first-death-|last-death-|delivery-count)/;
const quorum = { durable: true, arguments: { 'x-queue-type': 'quorum' } };
const noop = (): void => undefined;

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, MAX_ERROR_LEN);
}

/** Same mapping as MemoryBus.request: CommandError and BusTimeoutError keep their identity, anything else becomes a 500. */
function toWireError(e: unknown): WireError {
  if (e instanceof BusTimeoutError) return { name: 'BusTimeoutError', message: e.message };
  if (e instanceof CommandError) return { name: 'CommandError', code: e.code, message: e.message, status: e.status, details: e.details };
  const err = (e ?? {}) as WireError;
  return { name: 'CommandError', code: err.code ?? 'command_failed', message: err.message ?? 'Command failed', status: err.status ?? 500, details: err.details };
}

function fromWireError(w: WireError, type: string, timeoutMs: number): Error {
  if (w.name === 'BusTimeoutError') {
    const e = new BusTimeoutError(type, timeoutMs);
    e.message = w.message ?? e.message;
    return e;
  }
  return new CommandError(w.code ?? 'command_failed', w.message ?? 'Command failed', w.status ?? 500, w.details);
}

/**
 * The bus on RabbitMQ (DESIGN §6).
 *
 * Topology (all durable, declared idempotently on every (re)connect):
 * - topic exchange `<ns>.events`, routing key = envelope type;
 * - quorum queue `<ns>.commands` for request/reply commands (reply via direct reply-to);
 * - per consumer: quorum queue `<ns>.c.<consumer>` bound to its patterns, one classic TTL queue
 *   `<ns>.c.<consumer>.retry.<ms>` per retry delay that dead-letters back into the main queue through
 *   the default exchange, and the classic parking queue `<ns>.c.<consumer>.dlq`.
 * Retry and parking queues are classic on purpose: a per-queue TTL expires strictly at the head, and
 * browsing the parking queue by get + requeue keeps order and is never counted against a quorum
 * queue's delivery limit.
 */
export class RabbitBus implements Bus {
  readonly kind = 'rabbitmq' as const;
  private readonly names: ReturnType<typeof rabbitNames>;
  private readonly opts: Required<Omit<RabbitBusOptions, 'namespace'>>;
  private readonly url: string;
  private readonly where: string;

  private state: State = 'idle';
  private lastError = '';
  private conn?: ChannelModel;
  private generation = 0;
  private pubCh?: ConfirmChannel;
  private rpcCh?: Channel;
  private serverSeenUntil = 0;
  private cmdCh?: Channel;
  private cmdTag?: string;
  private commandHandler?: CommandHandler;
  private readonly subs = new Map<string, Subscription>();
  private readonly pending = new Map<string, PendingRequest>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly waiters = new Set<() => void>();
  /** Channels we close ourselves, so their 'close' is not taken for a failure. */
  private readonly retiring = new WeakSet<Channel>();
  private reconnecting = false;
  private reconnectTimer?: NodeJS.Timeout;
  private wakeReconnect?: () => void;
  private closing?: Promise<void>;
  private starting?: Promise<void>;
  private adminTail: Promise<unknown> = Promise.resolve();

  constructor(
    url: string,
    private readonly log: Logger,
    options: RabbitBusOptions = {},
  ) {
    this.names = rabbitNames(options.namespace ?? 'loyalty');
    this.opts = {
      unavailableWaitMs: options.unavailableWaitMs ?? 5000,
      confirmTimeoutMs: options.confirmTimeoutMs ?? 10_000,
      reconnectMinMs: options.reconnectMinMs ?? 200,
      reconnectMaxMs: options.reconnectMaxMs ?? 15_000,
      startTimeoutMs: options.startTimeoutMs ?? 30_000,
      heartbeatS: options.heartbeatS ?? 15,
      commandPrefetch: options.commandPrefetch ?? 20,
    };
    const u = new URL(url);
    if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(this.opts.heartbeatS));
    this.url = u.toString();
    // Never show credentials in health or logs.
    this.where = `${u.hostname}:${u.port || 5672}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  }

  // ---------------------------------------------------------------- connection

  /** Connects (retrying with backoff for up to startTimeoutMs) and declares the topology; idempotent. */
  start(): Promise<void> {
    if (this.closing) return Promise.reject(new Error('Bus is closed'));
    this.starting ??= (async () => {
      this.state = 'connecting';
      await this.connectLoop(Date.now() + this.opts.startTimeoutMs);
    })().catch((e) => {
      this.starting = undefined; // a later start() tries again
      throw e;
    });
    return this.starting;
  }

  /** Connects and sets everything up, retrying with backoff until it works (or the deadline passes). */
  private async connectLoop(deadline?: number): Promise<void> {
    this.reconnecting = true;
    try {
      for (let attempt = 0; ; attempt++) {
        if (this.closing) return;
        try {
          await this.connectOnce();
          return;
        } catch (e) {
          this.lastError = errorText(e);
          if (this.closing) return;
          const delay = Math.min(this.opts.reconnectMaxMs, this.opts.reconnectMinMs * 2 ** Math.min(attempt, 20)) * (0.8 + Math.random() * 0.4);
          if (deadline !== undefined && Date.now() + delay > deadline) {
            this.state = 'idle'; // start() may be called again
            throw new Error(`RabbitMQ at ${this.where} unreachable: ${this.lastError}`, { cause: e });
          }
          this.log.warn({ err: this.lastError, attempt: attempt + 1, delayMs: Math.round(delay) }, 'bus connect failed, retrying');
          await new Promise<void>((r) => {
            this.wakeReconnect = r;
            this.reconnectTimer = setTimeout(r, delay);
          });
          this.wakeReconnect = undefined;
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }

  private async connectOnce(): Promise<void> {
    // noDelay: a publish is several small frames; with Nagle each confirm waits for a delayed ACK (~40 ms).
    const conn = await connect(this.url, { timeout: 5000, noDelay: true, clientProperties: { connection_name: `loyalty-hub ${hostname()}:${process.pid}` } });
    if (this.closing) {
      await conn.close().catch(noop);
      return;
    }
    const gen = ++this.generation;
    let alive = true;
    conn.on('error', (e: Error) => this.log.warn({ err: e.message }, 'bus connection error'));
    conn.on('close', (e?: Error) => {
      alive = false;
      this.onConnectionLost(gen, e);
    });
    conn.on('blocked', (reason: string) => this.log.warn({ reason }, 'bus connection blocked by the broker'));
    this.conn = conn;
    this.state = 'connecting';
    try {
      await this.setup(conn);
      if (!alive) throw new Error('Connection lost during setup');
    } catch (e) {
      await conn.close().catch(noop);
      throw e;
    }
    this.state = 'up';
    this.lastError = '';
    this.log.info({ broker: this.where }, 'bus connected');
    this.notify();
  }

  /** (Re)declares the topology and (re)starts every consumer this instance has. */
  private async setup(conn: ChannelModel): Promise<void> {
    await this.withTempChannel(conn, async (ch) => {
      await ch.assertExchange(this.names.exchange, 'topic', { durable: true });
      await ch.assertQueue(this.names.commands, quorum);
    });
    const pub = await conn.createConfirmChannel();
    this.watch(conn, pub, 'publish');
    const rpc = await conn.createChannel();
    this.watch(conn, rpc, 'rpc');
    // Direct reply-to: the consumer must exist on the channel before any request is published on it.
    await rpc.consume(REPLY_TO, (m) => this.onReply(m), { noAck: true });
    this.pubCh = pub;
    this.rpcCh = rpc;
    for (const sub of this.subs.values()) await this.startConsumer(conn, sub);
    if (this.commandHandler) await this.startCommandServer(conn);
  }

  /** A long-lived channel that closes on its own (channel error, server cancel) takes the connection down for a clean re-setup. */
  private watch(conn: ChannelModel, ch: Channel, what: string): void {
    ch.on('error', (e: Error) => this.log.warn({ err: e.message, channel: what }, 'bus channel error'));
    ch.on('close', () => {
      // Deferred: when the whole connection drops, channels report 'close' just before the connection does.
      setImmediate(() => {
        if (this.retiring.has(ch) || this.closing || this.conn !== conn) return;
        this.log.warn({ channel: what }, 'bus channel closed unexpectedly, reconnecting');
        conn.close().catch(noop);
      });
    });
  }

  private onConnectionLost(gen: number, e?: Error): void {
    if (gen !== this.generation) return;
    this.conn = undefined;
    this.pubCh = undefined;
    this.rpcCh = undefined;
    this.cmdCh = undefined;
    this.cmdTag = undefined;
    for (const s of this.subs.values()) {
      s.ch = undefined;
      s.tag = undefined;
    }
    if (this.closing) return;
    if (e) this.lastError = errorText(e);
    else this.lastError ||= 'connection closed';
    // Pending RPCs lost their reply channel; they end at their own deadline as a BusTimeoutError.
    const wasUp = this.state === 'up';
    this.state = 'down';
    if (wasUp) this.log.warn({ err: this.lastError }, 'bus connection lost, reconnecting');
    if (!this.reconnecting) void this.connectLoop().catch(noop);
  }

  private async withTempChannel<T>(conn: ChannelModel, fn: (ch: Channel) => Promise<T>): Promise<T> {
    const ch = await conn.createChannel();
    ch.on('error', noop);
    try {
      return await fn(ch);
    } finally {
      await ch.close().catch(noop);
    }
  }

  /** Resolves true once connected, false after ms (or when closed). */
  private waitUp(ms: number): Promise<boolean> {
    if (this.state === 'up') return Promise.resolve(true);
    if (this.closing || ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.waiters.delete(done);
        resolve(this.state === 'up');
      };
      const t = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  private unavailable(): Error {
    return new Error(`RabbitMQ at ${this.where} unavailable${this.lastError ? `: ${this.lastError}` : ''}`);
  }

  /** Publishes and waits for the broker's confirm (bounded), waiting up to waitMs for a connection first. */
  private async send(exchange: string, routingKey: string, content: Buffer, options: Options.Publish, waitMs: number): Promise<void> {
    if (!this.pubCh && !(await this.waitUp(waitMs))) throw this.unavailable();
    const ch = this.pubCh;
    if (!ch) throw this.unavailable();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`RabbitMQ did not confirm within ${this.opts.confirmTimeoutMs} ms`)), this.opts.confirmTimeoutMs);
      try {
        ch.publish(exchange, routingKey, content, options, (err) => {
          clearTimeout(timer);
          if (err) reject(err instanceof Error ? err : new Error(`Message not confirmed by the broker: ${String(err)}`));
          else resolve();
        });
      } catch (e) {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  private track(p: Promise<void>, sub?: Subscription): void {
    const q = p.catch((e) => this.log.error({ err: errorText(e) }, 'bus delivery failed'));
    this.inflight.add(q);
    sub?.inflight.add(q);
    void q.finally(() => {
      this.inflight.delete(q);
      sub?.inflight.delete(q);
    });
  }

  // ---------------------------------------------------------------- events

  async publish(msg: Envelope): Promise<void> {
    if (this.closing) throw new Error('Bus is closed');
    const body = Buffer.from(JSON.stringify(msg));
    await this.send(
      this.names.exchange,
      msg.type,
      body,
      { persistent: true, contentType: JSON_TYPE, messageId: msg.id, type: msg.type, timestamp: Math.floor(Date.now() / 1000) },
      this.opts.unavailableWaitMs,
    );
  }

  async subscribe(consumer: string, patterns: string[], handler: Handler, opts: SubscribeOptions = {}): Promise<void> {
    if (this.closing) throw new Error('Bus is closed');
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
    const conn = this.conn;
    if (this.state !== 'up' || !conn) return; // applied by the next (re)connect
    try {
      await this.startConsumer(conn, sub);
    } catch (e) {
      if (this.conn !== conn || this.state !== 'up') return; // connection lost meanwhile: the reconnect applies it
      this.subs.delete(consumer);
      throw e;
    }
  }

  private async startConsumer(conn: ChannelModel, sub: Subscription): Promise<void> {
    const n = this.names;
    const main = n.consumer(sub.name);
    await this.withTempChannel(conn, async (ch) => {
      await ch.assertQueue(main, quorum);
      await ch.assertQueue(n.dlq(sub.name), { durable: true });
      for (const ms of new Set(sub.delays)) {
        await ch.assertQueue(n.retry(sub.name, ms), {
          durable: true,
          arguments: { 'x-message-ttl': ms, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': main },
        });
      }
      for (const p of sub.patterns) await ch.bindQueue(main, n.exchange, p);
      for (const p of sub.unbind) await ch.unbindQueue(main, n.exchange, p);
    });
    const ch = await conn.createChannel();
    this.watch(conn, ch, `consumer ${sub.name}`);
    await ch.prefetch(sub.prefetch);
    const { consumerTag } = await ch.consume(main, (m) => {
      if (!m) return this.onServerCancel(conn, sub.name);
      // Once close() began, new deliveries stay unacked: closing the channel hands them back to the broker.
      if (this.closing) return;
      this.track(this.handleDelivery(sub, ch, m), sub);
    });
    sub.ch = ch;
    sub.tag = consumerTag;
  }

  /** Stops a consumer: no new deliveries, wait for the running ones (they still ack), then close its channel. */
  private async stopConsumer(sub: Subscription): Promise<void> {
    const { ch, tag } = sub;
    sub.ch = undefined;
    sub.tag = undefined;
    if (ch) this.retiring.add(ch);
    if (ch && tag) await ch.cancel(tag).catch(noop);
    await Promise.allSettled([...sub.inflight]);
    if (ch) await ch.close().catch(noop);
  }

  private onServerCancel(conn: ChannelModel, what: string): void {
    // The broker cancels a consumer when its queue is deleted; a fresh setup re-declares it.
    if (this.closing || this.conn !== conn) return;
    this.log.warn({ consumer: what }, 'bus consumer cancelled by the broker, reconnecting');
    conn.close().catch(noop);
  }

  private async handleDelivery(sub: Subscription, ch: Channel, m: ConsumeMessage): Promise<void> {
    const attempt = Number(m.properties.headers?.[BUS_HEADERS.attempt] ?? 1) || 1;
    let env: Envelope;
    try {
      env = JSON.parse(m.content.toString('utf8')) as Envelope;
    } catch (e) {
      // Not even JSON: retrying cannot help.
      return this.forward(sub, ch, m, this.names.dlq(sub.name), this.parkHeaders(sub, attempt, `Unparseable message: ${errorText(e)}`));
    }
    try {
      await sub.handler(env);
    } catch (e) {
      // A PermanentError (SDK) skips the remaining retries: parked at once.
      const delay = isPermanentError(e) ? undefined : sub.delays[attempt - 1];
      if (delay === undefined) return this.forward(sub, ch, m, this.names.dlq(sub.name), this.parkHeaders(sub, attempt, errorText(e)));
      return this.forward(sub, ch, m, this.names.retry(sub.name, delay), { [BUS_HEADERS.attempt]: attempt + 1, [BUS_HEADERS.error]: errorText(e) });
    }
    this.settle(ch, m, true);
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
      await this.send('', queue, m.content, republishOptions(m, headers), 0);
      this.settle(ch, m, true);
    } catch (e) {
      this.log.warn({ err: errorText(e), consumer: sub.name, queue }, 'bus could not move a failed message, requeueing it');
      this.settle(ch, m, false);
    }
  }

  /** Ack (or nack with requeue); a dead channel means the broker already requeued the message. */
  private settle(ch: Channel, m: Message, ack: boolean): void {
    try {
      if (ack) ch.ack(m);
      else ch.nack(m, false, true);
    } catch {
      // Channel closed: the broker redelivers the message on the next connection.
    }
  }

  // ---------------------------------------------------------------- commands

  async request<T = unknown>(msg: Envelope, timeoutMs = 5000): Promise<T> {
    if (this.closing) throw new Error('Bus is closed');
    const correlationId = randomUUID();
    const deadline = Date.now() + timeoutMs;
    const result = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new BusTimeoutError(msg.type, timeoutMs));
      }, timeoutMs);
      this.pending.set(correlationId, { resolve, reject, timer, type: msg.type, timeoutMs });
    });
    void (async () => {
      // During an outage, wait for the connection within the deadline; if it never comes, the timer answers.
      if (!this.rpcCh && !(await this.waitUp(deadline - Date.now()))) return;
      if (!(await this.commandServerSeen())) {
        const p = this.pending.get(correlationId);
        if (!p) return;
        this.pending.delete(correlationId);
        clearTimeout(p.timer);
        return p.reject(new NoCommandServerError(msg.type));
      }
      const remaining = deadline - Date.now();
      if (!this.rpcCh || remaining <= 0 || !this.pending.has(correlationId)) return;
      this.rpcCh.publish('', this.names.commands, Buffer.from(JSON.stringify(msg)), {
        correlationId,
        replyTo: REPLY_TO,
        // A command nobody picked up before the caller gave up is dropped, not executed late.
        expiration: String(Math.max(1, Math.ceil(remaining))),
        contentType: JSON_TYPE,
        messageId: msg.id,
        type: msg.type,
      });
    })().catch((e) => this.log.warn({ err: errorText(e), type: msg.type }, 'bus could not send a command'));
    return (await result) as T;
  }

  /**
   * Whether some process consumes the commands queue: a caller is told at once that nothing serves
   * commands instead of waiting for its deadline. A positive answer is trusted for a few seconds.
   */
  private async commandServerSeen(): Promise<boolean> {
    if (this.commandHandler && this.cmdCh) return true;
    if (Date.now() < this.serverSeenUntil) return true;
    const ch = this.rpcCh;
    if (!ch) return true; // the deadline answers
    try {
      const q = await ch.checkQueue(this.names.commands);
      if (q.consumerCount > 0) this.serverSeenUntil = Date.now() + 5_000;
      return q.consumerCount > 0;
    } catch {
      return true; // unknown: let the deadline answer
    }
  }

  private onReply(m: ConsumeMessage | null): void {
    if (!m) return;
    const id = m.properties.correlationId as string | undefined;
    const p = id ? this.pending.get(id) : undefined;
    if (!p || !id) return; // late reply after the deadline
    this.pending.delete(id);
    clearTimeout(p.timer);
    let body: { ok?: boolean; result?: unknown; error?: WireError };
    try {
      body = JSON.parse(m.content.toString('utf8'));
    } catch {
      return p.reject(new CommandError('command_failed', 'Unreadable command reply', 500));
    }
    if (body.ok) p.resolve(body.result ?? null);
    else p.reject(fromWireError(body.error ?? {}, p.type, p.timeoutMs));
  }

  async serveCommands(handler: CommandHandler): Promise<void> {
    if (this.closing) throw new Error('Bus is closed');
    const first = !this.commandHandler;
    this.commandHandler = handler; // a later call just swaps the handler
    const conn = this.conn;
    if (!first || this.state !== 'up' || !conn || this.cmdCh) return;
    await this.startCommandServer(conn).catch((e) => {
      if (this.conn === conn && this.state === 'up') throw e;
    });
  }

  private async startCommandServer(conn: ChannelModel): Promise<void> {
    const ch = await conn.createChannel();
    this.watch(conn, ch, 'commands');
    await ch.prefetch(this.opts.commandPrefetch);
    const { consumerTag } = await ch.consume(this.names.commands, (m) => {
      if (!m) return this.onServerCancel(conn, 'commands');
      if (this.closing) return;
      this.track(this.handleCommand(ch, m));
    });
    this.cmdCh = ch;
    this.cmdTag = consumerTag;
  }

  private async handleCommand(ch: Channel, m: ConsumeMessage): Promise<void> {
    let reply: string;
    try {
      const env = JSON.parse(m.content.toString('utf8')) as Envelope;
      const result = await this.commandHandler!(env);
      reply = JSON.stringify({ ok: true, result: result ?? null });
    } catch (e) {
      reply = JSON.stringify({ ok: false, error: toWireError(e) });
    }
    const { replyTo, correlationId } = m.properties;
    if (replyTo) {
      try {
        ch.sendToQueue(replyTo as string, Buffer.from(reply), { correlationId, contentType: JSON_TYPE });
      } catch {
        // Channel gone: the caller times out; the command is redelivered unless it expired.
      }
    }
    this.settle(ch, m, true);
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
      const main = this.names.consumer(consumer);
      const exists = await this.withTempChannel(conn, (ch) => ch.checkQueue(main)).then(
        () => true,
        () => false,
      );
      if (!exists) return false;
      let found = false;
      await this.browse(conn, consumer, async (m, ch) => {
        if (found || idOf(m) !== messageId) return;
        // Fresh start: attempt 1, no error or parking marks.
        const headers = Object.fromEntries(Object.entries(m.properties.headers ?? {}).filter(([k]) => !isBusHeader(k)));
        await this.send('', main, m.content, republishOptions(m, headers, true), 0);
        ch.ack(m);
        found = true;
      });
      return found;
    });
  }

  /** Runs admin operations one at a time (concurrent browses would hide each other's messages). */
  private admin<T>(fn: (conn: ChannelModel) => Promise<T>): Promise<T> {
    const run = this.adminTail.then(async () => {
      if (this.closing) throw new Error('Bus is closed');
      if (!(await this.waitUp(this.opts.unavailableWaitMs)) || !this.conn) throw this.unavailable();
      return fn(this.conn);
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
          m = await ch.get(this.names.dlq(consumer), { noAck: false });
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

  // ---------------------------------------------------------------- health and shutdown

  health(): BusHealth {
    if (this.closing) return { ok: false, kind: 'rabbitmq', detail: 'closed' };
    if (this.state === 'up') return { ok: true, kind: 'rabbitmq', detail: `connected to ${this.where}` };
    return { ok: false, kind: 'rabbitmq', detail: `${this.state === 'idle' ? 'not started' : this.state}${this.lastError ? `: ${this.lastError}` : ''}` };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.state = 'closed';
    clearTimeout(this.reconnectTimer);
    this.wakeReconnect?.();
    this.notify();
    // Stop consuming first so no new work starts, then let running handlers finish and ack.
    const cancels: Promise<unknown>[] = [];
    for (const s of this.subs.values()) if (s.ch && s.tag) cancels.push(s.ch.cancel(s.tag));
    if (this.cmdCh && this.cmdTag) cancels.push(this.cmdCh.cancel(this.cmdTag));
    await Promise.allSettled(cancels);
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
    await this.adminTail;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error('Bus is closed'));
      this.pending.delete(id);
    }
    // Close channels before the connection: amqplib may put connection.close on the wire ahead of
    // acks still buffered in a channel, and the broker would then requeue messages we handled.
    const channels = [...[...this.subs.values()].map((s) => s.ch), this.cmdCh, this.rpcCh, this.pubCh].filter((c): c is Channel => !!c);
    await Promise.allSettled(channels.map((c) => c.close()));
    const conn = this.conn;
    this.conn = undefined;
    this.pubCh = this.rpcCh = this.cmdCh = undefined;
    if (conn) await conn.close().catch(noop);
  }
}

function isBusHeader(k: string): boolean {
  return BROKER_HEADERS.test(k) || (Object.values(BUS_HEADERS) as string[]).includes(k);
}

/** Properties for a copy of m (same id, type, payload) with new bus headers. */
function republishOptions(m: Message, headers: Record<string, unknown>, replace = false): Options.Publish {
  const p = m.properties;
  const kept = replace ? {} : Object.fromEntries(Object.entries(p.headers ?? {}).filter(([k]) => !BROKER_HEADERS.test(k)));
  return {
    persistent: true,
    contentType: p.contentType ?? JSON_TYPE,
    messageId: p.messageId,
    type: p.type,
    timestamp: p.timestamp,
    headers: { ...kept, ...headers },
  };
}

function idOf(m: Message): string | undefined {
  if (m.properties.messageId) return String(m.properties.messageId);
  try {
    return (JSON.parse(m.content.toString('utf8')) as Envelope).id;
  } catch {
    return undefined;
  }
}

function toParked(consumer: string, m: Message): ParkedMessage {
  const h = m.properties.headers ?? {};
  const parkedAt = String(h[BUS_HEADERS.parkedAt] ?? new Date(0).toISOString());
  let envelope: Envelope;
  try {
    envelope = JSON.parse(m.content.toString('utf8')) as Envelope;
  } catch {
    // Keep an unreadable message visible to the admin rather than hiding it.
    envelope = { id: idOf(m) ?? '', type: String(m.properties.type ?? 'unknown'), businessId: '', occurredAt: parkedAt, data: m.content.toString('utf8') };
  }
  return { consumer, envelope, error: String(h[BUS_HEADERS.error] ?? ''), attempts: Number(h[BUS_HEADERS.attempt] ?? 1), parkedAt };
}
