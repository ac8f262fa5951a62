import type { Channel } from 'amqplib';
import { DEFAULT_RETRY_DELAYS_MS } from './bus';

/*
 * The RabbitMQ topology (DESIGN §6): names, the headers the bus adds, and the declarations.
 * All durable and declared idempotently on every (re)connect:
 * - topic exchange `<ns>.events`, routing key = envelope type;
 * - quorum queue `<ns>.commands` for request/reply commands (reply via direct reply-to);
 * - per consumer: quorum queue `<ns>.c.<consumer>` bound to its patterns, one classic TTL queue
 *   `<ns>.c.<consumer>.retry.<ms>` per retry delay that dead-letters back into the main queue through
 *   the default exchange, and the classic parking queue `<ns>.c.<consumer>.dlq`.
 * Retry and parking queues are classic on purpose: a per-queue TTL expires strictly at the head, and
 * browsing the parking queue by get + requeue keeps order and is never counted against a quorum
 * queue's delivery limit.
 */

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

/** The options with their defaults (the namespace goes into the names). */
export type RabbitSettings = Required<Omit<RabbitBusOptions, 'namespace'>>;

export function rabbitSettings(options: RabbitBusOptions): RabbitSettings {
  return {
    unavailableWaitMs: options.unavailableWaitMs ?? 5000,
    confirmTimeoutMs: options.confirmTimeoutMs ?? 10_000,
    reconnectMinMs: options.reconnectMinMs ?? 200,
    reconnectMaxMs: options.reconnectMaxMs ?? 15_000,
    startTimeoutMs: options.startTimeoutMs ?? 30_000,
    heartbeatS: options.heartbeatS ?? 15,
    commandPrefetch: options.commandPrefetch ?? 20,
  };
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

export type RabbitNames = ReturnType<typeof rabbitNames>;

/** Every queue a subscription declares (for admins and for test clean-up). */
export function consumerQueues(consumer: string, retryDelaysMs: number[] = DEFAULT_RETRY_DELAYS_MS, namespace = 'loyalty'): string[] {
  const n = rabbitNames(namespace);
  return [n.consumer(consumer), n.dlq(consumer), ...[...new Set(retryDelaysMs)].map((ms) => n.retry(consumer, ms))];
}

export const REPLY_TO = 'amq.rabbitmq.reply-to';
export const JSON_TYPE = 'application/json';
const quorum = { durable: true, arguments: { 'x-queue-type': 'quorum' } };

/** The events exchange and the commands queue. */
export async function declareShared(ch: Channel, n: RabbitNames): Promise<void> {
  await ch.assertExchange(n.exchange, 'topic', { durable: true });
  await ch.assertQueue(n.commands, quorum);
}

/** A consumer's main, parking and retry queues, and its bindings (old patterns unbound). */
export async function declareConsumer(ch: Channel, n: RabbitNames, sub: { name: string; patterns: string[]; unbind: string[]; delays: number[] }): Promise<void> {
  const main = n.consumer(sub.name);
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
}
