import type { Envelope } from '@loyalty/sdk';

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
  /** Sends a command and waits for its reply; rejects with BusTimeoutError after timeoutMs. */
  request<T = unknown>(msg: Envelope, timeoutMs?: number): Promise<T>;
  /** Serves commands from `loyalty.commands`. */
  serveCommands(handler: CommandHandler): Promise<void>;
  parked(consumer?: string): Promise<ParkedMessage[]>;
  replayParked(consumer: string, messageId: string): Promise<boolean>;
  health(): BusHealth;
  close(): Promise<void>;
}

export class BusTimeoutError extends Error {
  constructor(type: string, ms: number) {
    super(`Command ${type} got no reply within ${ms} ms`);
    this.name = 'BusTimeoutError';
  }
}

/** A command handler's refusal travels back to the caller as this error. */
export class CommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

export const DEFAULT_RETRY_DELAYS_MS = [1000, 5000, 30000, 120000, 600000];
