import type { Channel, Message, Options } from 'amqplib';
import type { Envelope } from '@loyalty/sdk';
import { BusTimeoutError, CommandError, type ParkedMessage } from './bus';
import { BUS_HEADERS, JSON_TYPE } from './rabbit-topology';

/* What travels on the wire besides the envelope: error texts, command errors, copies of messages, acks. */

const MAX_ERROR_LEN = 2000;
/** Broker-added headers that must not travel on when a message is re-published. */
const BROKER_HEADERS = /^x-(death|first-death-|last-death-|delivery-count)/;

export const noop = (): void => undefined;

export function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, MAX_ERROR_LEN);
}

export interface WireError {
  name?: string;
  code?: string;
  message?: string;
  details?: Record<string, unknown>;
  status?: number;
}

/** Same mapping as MemoryBus.request: CommandError and BusTimeoutError keep their identity, anything else becomes a 500. */
export function toWireError(e: unknown): WireError {
  if (e instanceof BusTimeoutError) return { name: 'BusTimeoutError', message: e.message };
  if (e instanceof CommandError) return { name: 'CommandError', code: e.code, message: e.message, status: e.status, details: e.details };
  const err = (e ?? {}) as WireError;
  return { name: 'CommandError', code: err.code ?? 'command_failed', message: err.message ?? 'Command failed', status: err.status ?? 500, details: err.details };
}

export function fromWireError(w: WireError, type: string, timeoutMs: number): Error {
  if (w.name === 'BusTimeoutError') {
    const e = new BusTimeoutError(type, timeoutMs);
    e.message = w.message ?? e.message;
    return e;
  }
  return new CommandError(w.code ?? 'command_failed', w.message ?? 'Command failed', w.status ?? 500, w.details);
}

/** Ack (or nack with requeue); a dead channel means the broker already requeued the message. */
export function settle(ch: Channel, m: Message, ack: boolean): void {
  try {
    if (ack) ch.ack(m);
    else ch.nack(m, false, true);
  } catch {
    // Channel closed: the broker redelivers the message on the next connection.
  }
}

export function isBusHeader(k: string): boolean {
  return BROKER_HEADERS.test(k) || (Object.values(BUS_HEADERS) as string[]).includes(k);
}

/** Properties for a copy of m (same id, type, payload) with new bus headers. */
export function republishOptions(m: Message, headers: Record<string, unknown>, replace = false): Options.Publish {
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

export function idOf(m: Message): string | undefined {
  if (m.properties.messageId) return String(m.properties.messageId);
  try {
    return (JSON.parse(m.content.toString('utf8')) as Envelope).id;
  } catch {
    return undefined;
  }
}

export function toParked(consumer: string, m: Message): ParkedMessage {
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
