import { randomBytes, randomUUID } from 'node:crypto';
import net from 'node:net';
import { connect, type Channel } from 'amqplib';
import pino from 'pino';
import type { Envelope } from '@loyalty/sdk';
import type { Bus } from '../../src/bus/bus';
import { DEFAULT_RETRY_DELAYS_MS } from '../../src/bus/bus';
import { MemoryBus } from '../../src/bus/memory-bus';
import { consumerQueues, RabbitBus, rabbitNames, type RabbitBusOptions } from '../../src/bus/rabbit-bus';
import type { BusBackend } from '../harness';

export const testLog = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export function amqpUrl(): string {
  const url = process.env.TEST_AMQP_URL;
  if (!url) throw new Error('TEST_AMQP_URL is not set');
  return url;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until cond holds; fails with `what` after timeoutMs (generous: this is not a timing assertion). */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await sleep(20);
  }
}

export function envelope<T>(type: string, data: T, businessId = 'biz-test'): Envelope<T> {
  return { id: randomUUID(), type, businessId, occurredAt: new Date().toISOString(), data };
}

/**
 * Builds buses of one backend under a namespace unique to this test run (so parallel runs on the
 * shared broker never see each other's messages) and deletes every exchange and queue at the end.
 */
export class BusKit {
  readonly namespace = `test.${process.pid}.${randomBytes(4).toString('hex')}`;
  private readonly buses: Bus[] = [];
  private readonly consumers = new Map<string, number[]>();
  private readonly extraQueues = new Set<string>();

  constructor(readonly backend: BusBackend) {}

  bus(opts: RabbitBusOptions & { url?: string } = {}): Bus {
    const { url, ...rest } = opts;
    const b = this.backend === 'memory' ? new MemoryBus() : new RabbitBus(url ?? amqpUrl(), testLog, { namespace: this.namespace, ...rest });
    this.buses.push(b);
    return b;
  }

  /** subscribe() that remembers the consumer's queues for clean-up. */
  async subscribe(
    bus: Bus,
    consumer: string,
    patterns: string[],
    handler: (m: Envelope) => Promise<void>,
    opts: { retryDelaysMs?: number[]; prefetch?: number } = {},
  ): Promise<void> {
    this.consumers.set(consumer, opts.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS);
    await bus.subscribe(consumer, patterns, handler, opts);
  }

  names() {
    return rabbitNames(this.namespace);
  }

  queueOf(consumer: string): string {
    return this.names().consumer(consumer);
  }

  /** A raw broker connection for assertions the Bus port does not expose. */
  async raw<T>(fn: (ch: Channel) => Promise<T>): Promise<T> {
    const conn = await connect(amqpUrl());
    try {
      const ch = await conn.createChannel();
      return await fn(ch);
    } finally {
      await conn.close().catch(() => undefined);
    }
  }

  /** A plain queue bound to the events exchange (no consumer), deleted in cleanup(). */
  async probeQueue(pattern: string): Promise<string> {
    const q = `${this.namespace}.probe.${randomBytes(3).toString('hex')}`;
    this.extraQueues.add(q);
    await this.raw(async (ch) => {
      await ch.assertQueue(q, { durable: false });
      await ch.bindQueue(q, this.names().exchange, pattern);
    });
    return q;
  }

  async cleanup(): Promise<void> {
    await Promise.allSettled(this.buses.map((b) => b.close()));
    if (this.backend !== 'rabbitmq') return;
    const n = this.names();
    const queues = [n.commands, ...this.extraQueues, ...[...this.consumers].flatMap(([c, d]) => consumerQueues(c, d, this.namespace))];
    await this.raw(async (ch) => {
      for (const q of queues) await ch.deleteQueue(q);
      await ch.deleteExchange(n.exchange);
    });
  }
}

/**
 * A TCP proxy between the bus and the broker that can cut the link: cut() resets every open
 * connection and refuses new ones until restore().
 */
export class TcpProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private up = true;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  async listen(): Promise<number> {
    this.server = net.createServer((client) => {
      if (!this.up) return void client.destroy();
      const upstream = net.connect(this.port, this.host);
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.sockets.add(a);
        a.on('error', () => b.destroy());
        a.on('close', () => {
          this.sockets.delete(a);
          b.destroy();
        });
        a.pipe(b);
      }
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    return (this.server.address() as net.AddressInfo).port;
  }

  cut(): void {
    this.up = false;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.up = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((r) => this.server?.close(r) ?? r(undefined));
  }
}
