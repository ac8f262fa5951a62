import { z } from 'zod';
import type { AdminRoute } from '@loyalty/sdk';
import { attemptView, endpointView, type WebhookEngine } from './engine';
import { eventFilterProblem } from './translate/payload';

const idParam = z.strictObject({ id: z.uuid() });
const eventTypes = z
  .array(
    z
      .string()
      .max(80)
      .superRefine((v, ctx) => {
        const why = eventFilterProblem(v);
        if (why) ctx.addIssue({ code: 'custom', message: why });
      }),
  )
  .max(50)
  .describe('Event types or patterns (checkout.*, card.#); empty = every event');

const endpointBody = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2000),
  description: z.string().trim().max(500).nullable().optional(),
  eventTypes: eventTypes.optional(),
  enabled: z.boolean().optional(),
  disableAfterDays: z.number().int().min(1).max(30).optional().describe('Disable the endpoint after this many days of continuous failure (default 5)'),
});

const endpointOut = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  eventTypes: z.array(z.string()),
  enabled: z.boolean(),
  disabledReason: z.string().nullable(),
  disabledAt: z.date().nullable(),
  disableAfterDays: z.number(),
  failingSince: z.date().nullable(),
  lastSuccessAt: z.date().nullable(),
  lastFailureAt: z.date().nullable(),
  secret: z.object({ set: z.literal(true), previousValidUntil: z.date().nullable() }),
  createdAt: z.date(),
  updatedAt: z.date(),
});

const withSecret = endpointOut.extend({
  signingSecret: z.string().describe('The whsec_… signing secret: shown this once, store it now'),
});

const attemptOut = z.object({
  attempt: z.number(),
  status: z.string(),
  responseCode: z.number().nullable(),
  durationMs: z.number(),
  error: z.string().nullable(),
  at: z.date(),
});

const deliveryOut = z.object({
  id: z.string(),
  messageId: z.string().describe('The webhook-id header'),
  eventType: z.string(),
  status: z.enum(['pending', 'sending', 'succeeded', 'failed', 'canceled']),
  attempts: z.number(),
  nextAttemptAt: z.date().nullable(),
  lastStatusCode: z.number().nullable(),
  lastError: z.string().nullable(),
  lastAttemptAt: z.date().nullable(),
  deliveredAt: z.date().nullable(),
  createdAt: z.date(),
  log: z.array(attemptOut),
});

/** The console routes of the webhooks connector, under `/v1/admin/integrations/webhooks`. */
export function adminRoutes(engine: WebhookEngine): AdminRoute[] {
  return [
    {
      method: 'get',
      path: '/endpoints',
      summary: 'List webhook endpoints',
      response: z.object({ items: z.array(endpointOut) }),
      handler: async (r) => ({ items: (await engine.listEndpoints(r.businessId)).map(endpointView) }),
    },
    {
      method: 'post',
      path: '/endpoints',
      summary: 'Add a webhook endpoint (its signing secret is shown once)',
      body: endpointBody,
      response: withSecret,
      status: 201,
      errors: [422],
      handler: async (r) => {
        const { endpoint, secret } = await engine.createEndpoint(r.businessId, r.body);
        const view = endpointView(endpoint);
        await r.audit({ action: 'webhook_endpoint.created', targetType: 'webhook_endpoint', targetId: endpoint.id, after: view });
        return { ...view, signingSecret: secret };
      },
    },
    {
      method: 'get',
      path: '/endpoints/:id',
      summary: 'One webhook endpoint',
      params: idParam,
      response: endpointOut,
      errors: [404],
      handler: async (r) => endpointView(await engine.getEndpoint(r.businessId, r.params.id)),
    },
    {
      method: 'patch',
      path: '/endpoints/:id',
      summary: 'Change a webhook endpoint (enable it again after it was disabled)',
      params: idParam,
      body: endpointBody.partial(),
      response: endpointOut,
      errors: [404, 422],
      handler: async (r) => {
        const { before, after } = await engine.updateEndpoint(r.businessId, r.params.id, r.body);
        await r.audit({
          action: 'webhook_endpoint.updated',
          targetType: 'webhook_endpoint',
          targetId: after.id,
          before: endpointView(before),
          after: endpointView(after),
        });
        return endpointView(after);
      },
    },
    {
      method: 'delete',
      path: '/endpoints/:id',
      summary: 'Delete a webhook endpoint and its delivery log',
      params: idParam,
      errors: [404],
      handler: async (r) => {
        const e = await engine.deleteEndpoint(r.businessId, r.params.id);
        await r.audit({ action: 'webhook_endpoint.deleted', targetType: 'webhook_endpoint', targetId: e.id, before: endpointView(e) });
        return undefined;
      },
    },
    {
      method: 'post',
      path: '/endpoints/:id/rotate-secret',
      summary: 'Rotate the signing secret (the old one keeps signing beside the new one for 24 h)',
      params: idParam,
      response: withSecret,
      errors: [404],
      handler: async (r) => {
        const { endpoint, secret } = await engine.rotateSecret(r.businessId, r.params.id);
        await r.audit({ action: 'webhook_endpoint.secret_rotated', targetType: 'webhook_endpoint', targetId: endpoint.id });
        return { ...endpointView(endpoint), signingSecret: secret };
      },
    },
    {
      method: 'get',
      path: '/endpoints/:id/deliveries',
      summary: 'Delivery log of an endpoint (newest first), with every attempt',
      params: idParam,
      query: z.strictObject({
        limit: z.coerce.number().int().min(1).max(200).default(50),
        status: z.enum(['pending', 'sending', 'succeeded', 'failed', 'canceled']).optional(),
        before: z.iso.datetime({ offset: true }).optional(),
      }),
      response: z.object({ items: z.array(deliveryOut) }),
      errors: [404],
      handler: async (r) => ({ items: await engine.listDeliveries(r.businessId, r.params.id, r.query) }),
    },
    {
      method: 'post',
      path: '/endpoints/:id/deliveries/:deliveryId/replay',
      summary: 'Send a delivery again now (same webhook-id)',
      params: z.strictObject({ id: z.uuid(), deliveryId: z.uuid() }),
      status: 202,
      response: z.object({ replayed: z.literal(true) }),
      errors: [404, 409],
      handler: async (r) => {
        await engine.replay(r.businessId, r.params.id, r.params.deliveryId);
        await r.audit({ action: 'webhook_delivery.replayed', targetType: 'webhook_delivery', targetId: r.params.deliveryId });
        return { replayed: true as const };
      },
    },
  ];
}

export { attemptView };
