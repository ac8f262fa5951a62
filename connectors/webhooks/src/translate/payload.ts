import type { Envelope } from '@loyalty/sdk';
import { eventSchemas, topicMatches } from '@loyalty/sdk';

/** The thin payload an endpoint receives (Standard Webhooks): the event type, when it happened, its data. */
export interface WebhookPayload {
  type: string;
  timestamp: string;
  data: unknown;
}

/** Envelope -> webhook body (pure). The envelope id travels in the `webhook-id` header, not in the body. */
export function toPayload(env: Envelope): WebhookPayload {
  return { type: env.type, timestamp: env.occurredAt, data: env.data };
}

export const serializePayload = (p: WebhookPayload): string => JSON.stringify(p);

/** Does an endpoint's filter take this event type? An empty filter takes everything. */
export function wantsEvent(filter: readonly string[], type: string): boolean {
  return filter.length === 0 || filter.some((p) => topicMatches(p, type));
}

/** Why an event-type filter entry is not acceptable, or undefined when it is (known type, or a pattern with * / #). */
export function eventFilterProblem(entry: string): string | undefined {
  if (!/^[a-z0-9_*#]+(\.[a-z0-9_*#]+)*$/.test(entry)) return 'an event type such as checkout.committed, or a pattern such as checkout.*';
  if (!/[*#]/.test(entry) && !(entry in eventSchemas)) return `unknown event type ${entry}`;
  return undefined;
}
