import { EntitySchema } from 'typeorm';

/**
 * The connector's tables, in the host database: declared to the hub as `storage` (with
 * `migrations/`), reached only through the store the hub scopes to them. Written as EntitySchemas so
 * the connector owns them without importing anything of the hub.
 */

const stamps = {
  createdAt: { type: 'datetime', precision: 3, createDate: true },
  updatedAt: { type: 'datetime', precision: 3, updateDate: true },
} as const;

export interface WebhookEndpoint {
  id: string;
  businessId: string;
  url: string;
  description: string | null;
  /** Event types or topic patterns (`checkout.*`); empty = every event. */
  eventTypes: string[];
  enabled: boolean;
  /** Why it was disabled: `gone` (410), `failing` (N days of failures) or `manual`. */
  disabledReason: string | null;
  disabledAt: Date | null;
  /** The `whsec_…` signing secret, sealed (AES-256-GCM). */
  secret: string;
  /** After a rotation, the old secret keeps signing (beside the new one) until previousSecretExpiresAt. */
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  /** Start of the current run of failures (null after a success). */
  failingSince: Date | null;
  disableAfterDays: number;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type DeliveryStatus = 'pending' | 'sending' | 'succeeded' | 'failed' | 'canceled';

export interface WebhookDelivery {
  id: string;
  businessId: string;
  endpointId: string;
  /** The event's envelope id: the `webhook-id` header, stable across retries and replays. */
  messageId: string;
  eventType: string;
  /** The exact JSON body sent (thin payload `{type, timestamp, data}`). */
  payload: string;
  status: DeliveryStatus;
  /** Attempts made in all (numbers the log). */
  attempts: number;
  /** Attempts made in the current round (a replay starts a new round); picks the next retry delay. */
  roundAttempts: number;
  nextAttemptAt: Date | null;
  lockedUntil: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookAttempt {
  id: string;
  businessId: string;
  endpointId: string;
  deliveryId: string;
  attempt: number;
  status: 'succeeded' | 'failed';
  responseCode: number | null;
  durationMs: number;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const ref = { type: 'varchar', length: 36 } as const;
const time = (nullable = true) => ({ type: 'datetime', precision: 3, nullable }) as const;

export const WebhookEndpointEntity = new EntitySchema<WebhookEndpoint>({
  name: 'WebhookEndpoint',
  tableName: 'webhook_endpoints',
  columns: {
    id: { ...ref, primary: true },
    businessId: ref,
    url: { type: 'varchar', length: 2000 },
    description: { type: 'varchar', length: 500, nullable: true },
    eventTypes: { type: 'simple-json' },
    enabled: { type: 'boolean', default: true },
    disabledReason: { type: 'varchar', length: 40, nullable: true },
    disabledAt: time(),
    secret: { type: 'text' },
    previousSecret: { type: 'text', nullable: true },
    previousSecretExpiresAt: time(),
    failingSince: time(),
    disableAfterDays: { type: 'int', default: 5 },
    lastSuccessAt: time(),
    lastFailureAt: time(),
    ...stamps,
  },
  indices: [{ name: 'ix_webhook_endpoints_business', columns: ['businessId'] }],
});

export const WebhookDeliveryEntity = new EntitySchema<WebhookDelivery>({
  name: 'WebhookDelivery',
  tableName: 'webhook_deliveries',
  columns: {
    id: { ...ref, primary: true },
    businessId: ref,
    endpointId: ref,
    messageId: { type: 'varchar', length: 64 },
    eventType: { type: 'varchar', length: 80 },
    payload: { type: 'text' },
    status: { type: 'varchar', length: 16 },
    attempts: { type: 'int', default: 0 },
    roundAttempts: { type: 'int', default: 0 },
    nextAttemptAt: time(),
    lockedUntil: time(),
    lastStatusCode: { type: 'int', nullable: true },
    lastError: { type: 'varchar', length: 500, nullable: true },
    lastAttemptAt: time(),
    deliveredAt: time(),
    ...stamps,
  },
  indices: [
    { name: 'ux_webhook_deliveries_message', columns: ['endpointId', 'messageId'], unique: true },
    { name: 'ix_webhook_deliveries_due', columns: ['status', 'nextAttemptAt'] },
    { name: 'ix_webhook_deliveries_endpoint', columns: ['businessId', 'endpointId', 'createdAt'] },
  ],
});

export const WebhookAttemptEntity = new EntitySchema<WebhookAttempt>({
  name: 'WebhookAttempt',
  tableName: 'webhook_attempts',
  columns: {
    id: { ...ref, primary: true },
    businessId: ref,
    endpointId: ref,
    deliveryId: ref,
    attempt: { type: 'int' },
    status: { type: 'varchar', length: 16 },
    responseCode: { type: 'int', nullable: true },
    durationMs: { type: 'int' },
    error: { type: 'varchar', length: 500, nullable: true },
    ...stamps,
  },
  indices: [
    { name: 'ix_webhook_attempts_delivery', columns: ['deliveryId'] },
    { name: 'ix_webhook_attempts_endpoint', columns: ['businessId', 'endpointId', 'createdAt'] },
  ],
});

export const webhookEntities = [WebhookEndpointEntity, WebhookDeliveryEntity, WebhookAttemptEntity];
