import { CommandError, type Envelope } from '@loyalty/sdk';

export { CommandError };

export type Handler = (msg: Envelope) => Promise<void>;
export type CommandHandler = (msg: Envelope) => Promise<unknown>;

export interface SubscribeOptions {
  /** Delays (ms) between redeliveries after a handler failure; after the last one the message is parked. */
  retryDelaysMs?: number[];
  prefetch?: number;
}

/** A message that failed every retry and waits in the dead-letter queue for an admin. */
export interface ParkedMessage {
  consumer: string;
  envelope: Envelope;
  error: string;
  attempts: number;
  parkedAt: string;
}

export interface BusHealth {
  ok: boolean;
  kind: 'memory' | 'rabbitmq';
  detail?: string;
}

/**
 * The hub's port to the message bus (DESIGN §6). Events go to the topic exchange `loyalty.events`
 * (routing key = type); commands are request/reply with a deadline. The memory and RabbitMQ
 * implementations have the same semantics: at-least-once, retry with growing delay, then park.
 */
export interface Bus {
  readonly kind: 'memory' | 'rabbitmq';
  start(): Promise<void>;
  /** Resolves once the broker has confirmed the message. */
  publish(msg: Envelope): Promise<void>;
  /** A named consumer with its own queue bound to the routing patterns. */
  subscribe(consumer: string, patterns: string[], handler: Handler, opts?: SubscribeOptions): Promise<void>;
  /**
   * Sends a command and waits for its reply; rejects with the handler's CommandError, with
   * NoCommandServerError at once when nothing serves commands, or BusTimeoutError after timeoutMs.
   */
  request<T = unknown>(msg: Envelope, timeoutMs?: number): Promise<T>;
  /** Serves commands from `loyalty.commands`. */
  serveCommands(handler: CommandHandler): Promise<void>;
  parked(consumer?: string): Promise<ParkedMessage[]>;
  replayParked(consumer: string, messageId: string): Promise<boolean>;
  health(): BusHealth;
  close(): Promise<void>;
}

/** No reply before the deadline (504 `command_timeout`): retry later with the same idempotency key. */
export class BusTimeoutError extends CommandError {
  constructor(type: string, ms: number) {
    super('command_timeout', `Command ${type} got no reply within ${ms} ms`, 504);
    this.name = 'BusTimeoutError';
  }
}

/** Nothing serves commands (no hub consumes `loyalty.commands`): said at once, not after the deadline. */
export class NoCommandServerError extends CommandError {
  constructor(type: string) {
    super('no_command_server', `Nothing serves commands right now (${type}): is a hub running on this bus?`, 503);
    this.name = 'NoCommandServerError';
  }
}

export const DEFAULT_RETRY_DELAYS_MS = [1000, 5000, 30000, 120000, 600000];
