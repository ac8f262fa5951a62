import type { Channel, ChannelModel } from 'amqplib';
import type { Logger } from 'pino';
import type { Envelope } from '@loyalty/sdk';
import type { Bus, BusHealth, CommandHandler, Handler, ParkedMessage, SubscribeOptions } from './bus';
import { RabbitCommands } from './rabbit-commands';
import { RabbitConnection } from './rabbit-connection';
import { RabbitConsumers } from './rabbit-consumers';
import { RabbitPublisher } from './rabbit-publisher';
import { declareShared, rabbitNames, rabbitSettings, type RabbitBusOptions } from './rabbit-topology';

export { BUS_HEADERS, consumerQueues, rabbitNames, type RabbitBusOptions } from './rabbit-topology';

/**
 * The bus on RabbitMQ (DESIGN §6), assembled from its parts:
 * - rabbit-topology.ts: exchange and queue names, bus headers, declarations;
 * - rabbit-connection.ts: the connection, reconnect with backoff, channel watchdog, health;
 * - rabbit-publisher.ts: publishing with publisher confirms;
 * - rabbit-consumers.ts: consumers, retries through TTL queues, the parking queue and its replay;
 * - rabbit-commands.ts: command RPC (direct reply-to, deadlines, "nothing serves commands");
 * - rabbit-wire.ts: error and message helpers they share.
 */
export class RabbitBus implements Bus {
  readonly kind = 'rabbitmq' as const;
  private readonly core: RabbitConnection;
  private readonly publisher: RabbitPublisher;
  private readonly consumers: RabbitConsumers;
  private readonly commands: RabbitCommands;

  constructor(url: string, log: Logger, options: RabbitBusOptions = {}) {
    this.core = new RabbitConnection(url, log, rabbitNames(options.namespace ?? 'loyalty'), rabbitSettings(options), {
      setup: (conn) => this.setup(conn),
      lost: () => {
        this.publisher.ch = undefined;
        this.commands.drop();
        this.consumers.drop();
      },
    });
    this.publisher = new RabbitPublisher(this.core);
    this.consumers = new RabbitConsumers(this.core, this.publisher);
    this.commands = new RabbitCommands(this.core);
  }

  /** Connects (retrying with backoff for up to startTimeoutMs) and declares the topology; idempotent. */
  start(): Promise<void> {
    return this.core.start();
  }

  /** (Re)declares the topology and (re)starts every consumer this instance has. */
  private async setup(conn: ChannelModel): Promise<void> {
    await this.core.withTempChannel(conn, (ch) => declareShared(ch, this.core.names));
    const pub = await this.publisher.open(conn);
    const rpc = await this.commands.openReplies(conn);
    this.publisher.ch = pub;
    this.commands.useReplies(rpc);
    await this.consumers.resume(conn);
    await this.commands.resume(conn);
  }

  publish(msg: Envelope): Promise<void> {
    return this.publisher.publish(msg);
  }

  subscribe(consumer: string, patterns: string[], handler: Handler, opts: SubscribeOptions = {}): Promise<void> {
    return this.consumers.subscribe(consumer, patterns, handler, opts);
  }

  request<T = unknown>(msg: Envelope, timeoutMs = 5000): Promise<T> {
    return this.commands.request<T>(msg, timeoutMs);
  }

  serveCommands(handler: CommandHandler): Promise<void> {
    return this.commands.serve(handler);
  }

  parked(consumer?: string): Promise<ParkedMessage[]> {
    return this.consumers.parked(consumer);
  }

  replayParked(consumer: string, messageId: string): Promise<boolean> {
    return this.consumers.replayParked(consumer, messageId);
  }

  health(): BusHealth {
    return this.core.health();
  }

  close(): Promise<void> {
    this.core.closing ??= this.shutdown();
    return this.core.closing;
  }

  private async shutdown(): Promise<void> {
    this.core.stop();
    // Stop consuming first so no new work starts, then let running handlers finish and ack.
    await Promise.allSettled([...this.consumers.cancelAll(), ...this.commands.cancelServer()]);
    while (this.core.inflight.size) await Promise.allSettled([...this.core.inflight]);
    await this.consumers.adminIdle();
    this.commands.rejectPending();
    // Close channels before the connection: amqplib may put connection.close on the wire ahead of
    // acks still buffered in a channel, and the broker would then requeue messages we handled.
    const channels: Channel[] = [...this.consumers.channels(), ...this.commands.channels(), ...(this.publisher.ch ? [this.publisher.ch] : [])];
    await Promise.allSettled(channels.map((c) => c.close()));
    this.publisher.ch = undefined;
    this.commands.drop();
    await this.core.disconnect();
  }
}
