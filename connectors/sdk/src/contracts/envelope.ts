import { z } from 'zod';

/** Version of the message contracts in this SDK; connectors declare which one they support. */
export const CONTRACT_VERSION = '1.1';

/**
 * The envelope of every bus message (events and commands).
 *
 * @example
 * { "id": "0192f…", "type": "checkout.committed", "businessId": "0192e…",
 *   "occurredAt": "2026-11-25T10:00:00.000Z", "data": { … } }
 */
export const envelopeSchema = z.object({
  /** Unique message id; consumers are idempotent on it (delivery is at-least-once). */
  id: z.string().min(1).max(64),
  /** Message type, also the routing key, e.g. `checkout.committed`. */
  type: z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/),
  /** The business (tenant) the message belongs to. */
  businessId: z.string().min(1).max(64),
  /** ISO-8601 time the fact happened. */
  occurredAt: z.iso.datetime({ offset: true }),
  /** Ties a reply or follow-up to the request that caused it. */
  correlationId: z.string().max(128).optional(),
  /**
   * The connector that sent the message (commands: required; the hub serves a command only when
   * this connector is installed and enabled for `businessId`). Absent on events the hub publishes.
   * @since contract 1.1
   */
  sender: z.string().max(64).optional(),
  /** Type-specific payload, validated by the schema of `type`. */
  data: z.unknown(),
});

export type Envelope<T = unknown> = Omit<z.infer<typeof envelopeSchema>, 'data'> & { data: T };
