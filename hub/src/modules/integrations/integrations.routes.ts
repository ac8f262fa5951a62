import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { captureRawBody, ConnectorProblem, handlerContext, inboundUrl } from '@loyalty/sdk';
import type { Api } from '../../http/api';
import { ROLE_SETS } from '../../http/auth';
import { conflict, Problem } from '../../shared/errors';
import type { AuditService } from '../audit/audit.service';
import type { ConnectorHost } from './integrations.runtime';
import type { IntegrationInstallation } from './integrations.entity';
import type { IntegrationsService } from './integrations.service';
import { catalogEntryView, checkView, configureBody, connectorIdParam, installBody, installationView, parkedView, testBody } from './integrations.schemas';

const tags = ['Integrations'];
const admins = { roles: ROLE_SETS.admins };

/** A connector's expected refusal becomes the hub's problem+json. */
function asProblem(e: unknown): unknown {
  return e instanceof ConnectorProblem ? new Problem(e.status, e.code, e.message) : e;
}

/**
 * @param publicUrl the hub's PUBLIC_URL, which the inbound URLs shown to a business start with.
 */
export function integrationsRoutes(api: Api, integrations: IntegrationsService, host: ConnectorHost, audit: AuditService, publicUrl = ''): void {
  const defs = new Map(host.definitions.map((d) => [d.manifest.id, d]));
  /** An installation as the console sees it, with the URLs its vendor calls (declared in the manifest). */
  const show = (i: IntegrationInstallation) => ({
    ...integrations.view(i),
    inbound: (defs.get(i.connectorId)?.manifest.inbound ?? []).map((r) => ({
      method: r.method,
      path: r.path,
      summary: r.summary,
      url: inboundUrl(publicUrl, i.connectorId, r, i.businessId),
    })),
  });
  api.route(
    {
      method: 'get',
      path: '/v1/admin/integrations/catalog',
      summary: 'Connectors this hub can run, with their config schemas',
      tags,
      auth: admins,
      response: z.object({ items: z.array(catalogEntryView) }),
    },
    async (req) => ({ items: await integrations.catalog(req.ctx) }),
  );
  api.route(
    {
      method: 'get',
      path: '/v1/admin/integrations',
      summary: 'Installed connectors',
      tags,
      auth: admins,
      response: z.object({ items: z.array(installationView) }),
    },
    async (req) => ({ items: (await integrations.list(req.ctx)).map(show) }),
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/integrations',
      summary: 'Install a connector (settings validated by its schema; secrets encrypted, never shown again)',
      tags,
      auth: admins,
      body: installBody,
      response: installationView,
      status: 201,
      errors: [404, 409],
    },
    async (req) => show(await integrations.install(req.ctx, req.valid.body)),
  );

  // Connector-contributed console routes first, so their literal paths win over `/:connectorId/…`.
  for (const def of host.definitions) {
    const id = def.manifest.id;
    for (const r of def.admin ?? []) {
      api.route(
        {
          method: r.method,
          path: `/v1/admin/integrations/${id}${r.path}`,
          summary: r.summary,
          tags: [`Integrations: ${def.manifest.name}`],
          auth: admins,
          body: r.body,
          query: r.query,
          params: r.params,
          response: r.response,
          status: r.status,
          errors: [...new Set([409, ...(r.errors ?? [])])],
        },
        async (req) => {
          const installed = (await integrations.list(req.ctx)).some((i) => i.connectorId === id);
          if (!installed) throw conflict('integration_not_installed', `Install ${def.manifest.name} first`);
          try {
            return await r.handler({
              businessId: req.ctx.businessId,
              actor: { type: req.ctx.actor.type, id: req.ctx.actor.id, label: req.ctx.actor.label },
              body: req.valid.body,
              query: req.valid.query,
              params: req.valid.params,
              audit: (entry) => audit.recordAlone(req.ctx, entry),
            });
          } catch (e) {
            throw asProblem(e);
          }
        },
      );
    }
  }

  api.route(
    {
      method: 'get',
      path: '/v1/admin/integrations/:connectorId',
      summary: 'One installed connector',
      tags,
      auth: admins,
      params: connectorIdParam,
      response: installationView,
      errors: [404],
    },
    async (req) => show(await integrations.get(req.ctx, req.valid.params.connectorId)),
  );
  api.route(
    {
      method: 'patch',
      path: '/v1/admin/integrations/:connectorId',
      summary: 'Change a connector’s settings or switch it on/off',
      tags,
      auth: admins,
      params: connectorIdParam,
      body: configureBody,
      response: installationView,
      errors: [404],
    },
    async (req) => show(await integrations.configure(req.ctx, req.valid.params.connectorId, req.valid.body)),
  );
  api.route(
    {
      method: 'delete',
      path: '/v1/admin/integrations/:connectorId',
      summary: 'Uninstall a connector',
      tags,
      auth: admins,
      params: connectorIdParam,
      errors: [404],
    },
    async (req) => {
      await integrations.uninstall(req.ctx, req.valid.params.connectorId);
      return undefined;
    },
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/integrations/:connectorId/test',
      summary: 'Test connection: one cheap authenticated call to the vendor',
      tags,
      auth: admins,
      params: connectorIdParam,
      body: testBody.optional(),
      response: checkView,
      errors: [404],
    },
    async (req) => integrations.testConnection(req.ctx, req.valid.params.connectorId, req.valid.body?.config),
  );
  api.route(
    {
      method: 'get',
      path: '/v1/admin/integrations/:connectorId/parked',
      summary: 'Messages the connector gave up on (dead-lettered), waiting for a replay',
      tags,
      auth: admins,
      params: connectorIdParam,
      response: z.object({ items: z.array(parkedView) }),
      errors: [404],
    },
    async (req) => ({
      items: (await integrations.parked(req.ctx, req.valid.params.connectorId)).map((p) => ({
        messageId: p.envelope.id,
        type: p.envelope.type,
        occurredAt: p.envelope.occurredAt,
        error: p.error,
        attempts: p.attempts,
        parkedAt: p.parkedAt,
        data: p.envelope.data,
      })),
    }),
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/integrations/:connectorId/parked/:messageId/replay',
      summary: 'Send a parked message to the connector again',
      tags,
      auth: admins,
      params: connectorIdParam.extend({ messageId: z.string().min(1).max(64) }),
      status: 202,
      response: z.object({ replayed: z.literal(true) }),
      errors: [404],
    },
    async (req) => {
      await integrations.replayParked(req.ctx, req.valid.params.connectorId, req.valid.params.messageId);
      return { replayed: true as const };
    },
  );

  // Inbound routers (vendor -> hub) at /connectors/<id>/… on the hub's port, for every connector in
  // the catalog: also those run by a `loyalty-connector` worker (CONNECTORS_EXTERNAL), so a vendor
  // needs one public address. The hub builds the router from the definition it loaded for the
  // catalog; the router's `ctx.hub.request` goes over the bus to the command server like a worker's.
  for (const def of host.definitions) {
    if (!def.inbound) continue;
    for (const r of def.manifest.inbound ?? []) {
      api.document({
        method: r.method,
        path: `/connectors/${def.manifest.id}${r.path}`,
        summary: r.summary,
        description: `Called by ${def.manifest.name}, not by a console or a till: the connector checks the vendor's signature over the raw body. Answers 404 for a business that has not installed (or has disabled) the connector.`,
        tags: [`Connector: ${def.manifest.name}`],
        auth: 'public',
        params: pathParams(r.path),
        errors: [401, 404],
      });
    }
    const deps = host.deps(def);
    const router = def.inbound({
      log: deps.log,
      forBusiness: async (businessId) => {
        const config = await deps.installation(businessId);
        return config ? handlerContext(def, deps, businessId, config) : undefined;
      },
    });
    api.router.use(`/connectors/${def.manifest.id}`, captureRawBody(), router, (err: unknown, _req: Request, _res: Response, next: NextFunction) =>
      next(asProblem(err)),
    );
  }
}

/** Path parameters of an express-style path, for the OpenAPI document (`:businessId` explained). */
function pathParams(path: string): z.ZodObject | undefined {
  const names = [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  if (!names.length) return undefined;
  return z.object(
    Object.fromEntries(names.map((n) => [n, n === 'businessId' ? z.string().describe('The business that installed the connector') : z.string()])),
  );
}
