import { hostname } from 'node:os';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import type { Logger } from 'pino';
import type { BusHealth } from './bus';
import type { RabbitNames, RabbitSettings } from './rabbit-topology';
import { errorText, noop } from './rabbit-wire';

type State = 'idle' | 'connecting' | 'up' | 'down' | 'closed';

/** What the bus's parts do on each (re)connect and when the connection is gone. */
export interface ConnectionHooks {
  /** (Re)declares the topology and (re)opens every channel and consumer, in order. */
  setup(conn: ChannelModel): Promise<void>;
  /** Forgets every channel of the lost connection (they are dead). */
  lost(): void;
}

/**
 * One AMQP connection with reconnect (backoff with jitter), the channel watchdog and the shared
 * bookkeeping of the bus's parts: state, waiting for "up", work in flight, closing.
 */
export class RabbitConnection {
  state: State = 'idle';
  lastError = '';
  conn?: ChannelModel;
  /** Set once close() began; every part refuses new work from then on. */
  closing?: Promise<void>;
  /** Deliveries and commands being handled (close() waits for them). */
  readonly inflight = new Set<Promise<void>>();
  readonly where: string;
  private readonly url: string;
  private generation = 0;
  private readonly waiters = new Set<() => void>();
  /** Channels we close ourselves, so their 'close' is not taken for a failure. */
  private readonly retiring = new WeakSet<Channel>();
  private reconnecting = false;
  private reconnectTimer?: NodeJS.Timeout;
  private wakeReconnect?: () => void;
  private starting?: Promise<void>;

  constructor(
    url: string,
    readonly log: Logger,
    readonly names: RabbitNames,
    readonly opts: RabbitSettings,
    private readonly hooks: ConnectionHooks,
  ) {
    const u = new URL(url);
    if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(opts.heartbeatS));
    this.url = u.toString();
    // Never show credentials in health or logs.
    this.where = `${u.hostname}:${u.port || 5672}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  }

  /** Connects (retrying with backoff for up to startTimeoutMs) and sets everything up; idempotent. */
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
      await this.hooks.setup(conn);
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

  /** A long-lived channel that closes on its own (channel error, server cancel) takes the connection down for a clean re-setup. */
  watch(conn: ChannelModel, ch: Channel, what: string): void {
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

  /** Marks a channel we are about to close ourselves. */
  retire(ch: Channel): void {
    this.retiring.add(ch);
  }

  /** The broker cancelled a consumer (its queue was deleted): a fresh setup re-declares it. */
  onServerCancel(conn: ChannelModel, what: string): void {
    if (this.closing || this.conn !== conn) return;
    this.log.warn({ consumer: what }, 'bus consumer cancelled by the broker, reconnecting');
    conn.close().catch(noop);
  }

  private onConnectionLost(gen: number, e?: Error): void {
    if (gen !== this.generation) return;
    this.conn = undefined;
    this.hooks.lost();
    if (this.closing) return;
    if (e) this.lastError = errorText(e);
    else this.lastError ||= 'connection closed';
    // Pending RPCs lost their reply channel; they end at their own deadline as a BusTimeoutError.
    const wasUp = this.state === 'up';
    this.state = 'down';
    if (wasUp) this.log.warn({ err: this.lastError }, 'bus connection lost, reconnecting');
    if (!this.reconnecting) void this.connectLoop().catch(noop);
  }

  async withTempChannel<T>(conn: ChannelModel, fn: (ch: Channel) => Promise<T>): Promise<T> {
    const ch = await conn.createChannel();
    ch.on('error', noop);
    try {
      return await fn(ch);
    } finally {
      await ch.close().catch(noop);
    }
  }

  /** Resolves true once connected, false after ms (or when closed). */
  waitUp(ms: number): Promise<boolean> {
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

  unavailable(): Error {
    return new Error(`RabbitMQ at ${this.where} unavailable${this.lastError ? `: ${this.lastError}` : ''}`);
  }

  /** Keeps a handler's promise until it settles (close() waits for all of them; a subscription for its own). */
  track(p: Promise<void>, own?: Set<Promise<void>>): void {
    const q = p.catch((e) => this.log.error({ err: errorText(e) }, 'bus delivery failed'));
    this.inflight.add(q);
    own?.add(q);
    void q.finally(() => {
      this.inflight.delete(q);
      own?.delete(q);
    });
  }

  health(): BusHealth {
    if (this.closing) return { ok: false, kind: 'rabbitmq', detail: 'closed' };
    if (this.state === 'up') return { ok: true, kind: 'rabbitmq', detail: `connected to ${this.where}` };
    return { ok: false, kind: 'rabbitmq', detail: `${this.state === 'idle' ? 'not started' : this.state}${this.lastError ? `: ${this.lastError}` : ''}` };
  }

  /** First step of close(): no more reconnects, and whoever waits for "up" hears "no" now. */
  stop(): void {
    this.state = 'closed';
    clearTimeout(this.reconnectTimer);
    this.wakeReconnect?.();
    this.notify();
  }

  /** Last step of close(), after every channel is closed. */
  async disconnect(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    if (conn) await conn.close().catch(noop);
  }
}
