import { secret } from '@loyalty/sdk';
import { z } from 'zod';

/**
 * One installation per business. `apiKey` calls Acme's REST API; `webhookSecret` verifies Acme's
 * calls to our inbound route (both stored encrypted, never shown again).
 */
export const configSchema = z.object({
  baseUrl: z.url({ protocol: /^https?$/ }).default('https://api.acme-crm.example'),
  apiKey: secret(z.string().regex(/^ak_[A-Za-z0-9]{16,}$/, 'an Acme API key (ak_…)')),
  webhookSecret: secret(z.string().min(16, 'at least 16 characters')),
  /** Acme pipeline that receives deals for our sales. */
  pipelineId: z.string().min(1).max(64).default('default'),
  /** Program whose card a guest gets when an Acme order arrives for a phone without a card. */
  programId: z.string().min(1).max(64).optional(),
});
export type AcmeConfig = z.output<typeof configSchema>;
