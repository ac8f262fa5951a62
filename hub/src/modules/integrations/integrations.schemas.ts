import { z } from 'zod';

export const connectorIdParam = z.strictObject({ connectorId: z.string().regex(/^[a-z][a-z0-9-]{1,38}[a-z0-9]$/, 'a connector id, e.g. webhooks') });

export const installBody = z.strictObject({
  connectorId: z.string().regex(/^[a-z][a-z0-9-]{1,38}[a-z0-9]$/),
  /** The connector's config (its schema is in the catalog); secret fields are encrypted at rest and never shown again. */
  config: z.record(z.string(), z.unknown()).default({}),
  enabled: z.boolean().default(true),
});

export const configureBody = z.strictObject({
  /** The whole config; a secret field left out, empty, or equal to its mask keeps its stored value. */
  config: z.record(z.string(), z.unknown()).optional(),
  enabled: z.boolean().optional(),
});

export const testBody = z.strictObject({
  /** Test these settings before saving them (secrets left out or masked come from the stored config). */
  config: z.record(z.string(), z.unknown()).optional(),
});

export const catalogEntryView = z.object({
  id: z.string(),
  name: z.string(),
  category: z.enum(['pos', 'payment', 'crm', 'webhook']),
  version: z.string(),
  contractVersion: z.string(),
  consumes: z.array(z.string()),
  description: z.string(),
  /** JSON Schema of the config (secret fields carry `"secret": true, "writeOnly": true`). */
  configSchema: z.unknown(),
  secretFields: z.array(z.string()),
  hasCheck: z.boolean(),
  installed: z.boolean(),
  /** Runs in this hub process (embedded) or in its own `loyalty-connector` worker. */
  runsIn: z.enum(['hub', 'worker']),
});

export const installationView = z.object({
  connectorId: z.string(),
  name: z.string(),
  category: z.string(),
  enabled: z.boolean(),
  /** Secret fields show as a mask (`"••••1234"`), never the value. */
  config: z.record(z.string(), z.unknown()),
  lastSuccessAt: z.date().nullable(),
  lastErrorAt: z.date().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
  /** The connector's inbound routes (declared in its manifest) with the full URL to give the vendor for this business. */
  inbound: z.array(
    z.object({ method: z.string(), path: z.string(), summary: z.string(), url: z.string().describe('PUBLIC_URL + /connectors/<id> + the path, business id filled in') }),
  ),
});

export const checkView = z.object({ ok: z.boolean(), detail: z.string().optional(), error: z.string().optional() });

export const parkedView = z.object({
  messageId: z.string(),
  type: z.string(),
  occurredAt: z.string(),
  error: z.string(),
  attempts: z.number(),
  parkedAt: z.string(),
  data: z.unknown(),
});
