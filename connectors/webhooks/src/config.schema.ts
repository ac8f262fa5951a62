import { z } from 'zod';

/**
 * The installation has no settings of its own: endpoints (URL, event filter, signing secret) are
 * managed under `/v1/admin/integrations/webhooks/endpoints`, each with its own `whsec_…` secret.
 */
export const configSchema = z.strictObject({});
export type WebhooksConfig = z.infer<typeof configSchema>;
