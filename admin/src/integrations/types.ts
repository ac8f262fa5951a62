export interface JsonSchemaProp {
  type?: string | string[];
  enum?: unknown[];
  default?: unknown;
  description?: string;
  title?: string;
  secret?: boolean;
  writeOnly?: boolean;
  format?: string;
  minimum?: number;
  maximum?: number;
}

export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchemaProp>;
  required?: string[];
}

export interface CatalogEntry {
  id: string;
  name: string;
  category: 'pos' | 'payment' | 'crm' | 'webhook';
  version: string;
  contractVersion: string;
  consumes: string[];
  description: string;
  configSchema: JsonSchema;
  secretFields: string[];
  hasCheck: boolean;
  installed: boolean;
  runsIn: 'hub' | 'worker';
}

export interface Installation {
  connectorId: string;
  name: string;
  category: string;
  enabled: boolean;
  config: Record<string, unknown>;
  lastSuccessAt: string | null;
  lastErrorAt: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  /** The connector's inbound routes, with the full URL to give the vendor for this business. */
  inbound?: InboundRoute[];
}

export interface InboundRoute {
  method: string;
  path: string;
  summary: string;
  url: string;
}

export interface Parked {
  messageId: string;
  type: string;
  occurredAt: string;
  error: string;
  attempts: number;
  parkedAt: string;
  data: unknown;
}

export interface Endpoint {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
  disableAfterDays: number;
  failingSince: string | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  createdAt: string;
  updatedAt: string;
  signingSecret?: string;
}

export interface Delivery {
  id: string;
  messageId: string;
  eventType: string;
  status: 'pending' | 'sending' | 'succeeded' | 'failed' | 'canceled';
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
  log: { attempt: number; status: string; responseCode: number | null; durationMs: number; error: string | null; at: string }[];
}
