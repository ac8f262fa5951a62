import { z } from 'zod';
import { CONTRACT_VERSION, defineConnector } from '@loyalty/sdk';
import type { ConnectorFactory } from '../../src/modules/integrations/integrations.module';
import { describeEachDb } from '../harness';
import { integrationHub, waitFor, type IntegrationHub } from '../integrations/kit';
import { internalServer } from './local-server';

/** A connector whose handler and connection check call a URL from its settings with ctx.http. */
const probeConnector: ConnectorFactory = () =>
  defineConnector({
    manifest: {
      id: 'probe-crm',
      name: 'Probe CRM',
      category: 'crm',
      version: '1.0.0',
      contractVersion: CONTRACT_VERSION,
      consumes: ['guest.registered'],
      description: 'Test connector.',
    },
    configSchema: z.object({ baseUrl: z.string() }),
    handlers: {
      'guest.registered': async (msg, ctx) => {
        await ctx.http.post(`${ctx.config.baseUrl}/contacts`, { id: msg.data.guestId });
      },
    },
    check: async (config, ctx) => {
      const r = await ctx.http.get(`${config.baseUrl}/me`, { validateStatus: () => true });
      return r.status === 200 ? { ok: true, detail: 'Connected' } : { ok: false, error: `answered ${r.status}` };
    },
    retryDelaysMs: [20, 20],
  });

/*
 * Issue 19: a connector's ctx.http (handlers and "Test connection") is the SDK's guarded client, so
 * a tenant cannot point an installed connector at the hub's own network; CONNECTORS_ALLOW_PRIVATE
 * opens it for on-premise systems.
 */
describeEachDb('SSRF: connectors’ ctx.http', (backend) => {
  let internal: Awaited<ReturnType<typeof internalServer>>;
  beforeAll(async () => {
    internal = await internalServer();
  });
  afterAll(() => internal.close());

  const setUp = async (t: IntegrationHub) => {
    const b = await t.business();
    const admin = (m: 'post', p: string) => t.http[m](p).set('Cookie', b.ownerCookie);
    await admin('post', '/v1/admin/integrations')
      .send({ connectorId: 'probe-crm', config: { baseUrl: internal.url } })
      .expect(201);
    return { b, admin };
  };

  it('refuses private targets from handlers and the connection check while the guard is on', async () => {
    const t = await integrationHub({ db: backend, env: { WEBHOOKS_ALLOW_PRIVATE: 'false' }, connectors: [probeConnector] });
    try {
      const { b, admin } = await setUp(t);
      const check = await admin('post', '/v1/admin/integrations/probe-crm/test');
      expect(check.body).toMatchObject({ ok: false, error: expect.stringMatching(/Refused to connect to 127\.0\.0\.1/) });
      await t.event(b.businessId, 'guest.registered', { guestId: 'g-ssrf', phone: null, name: 'Ann', source: null });
      await waitFor(
        async () => (await t.http.get('/v1/admin/integrations/probe-crm').set('Cookie', b.ownerCookie)).body.lastError !== null,
        'the refusal to be recorded',
      );
      expect((await t.http.get('/v1/admin/integrations/probe-crm').set('Cookie', b.ownerCookie)).body.lastError).toMatch(/Refused to connect/);
      expect(internal.hits).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('reaches them with CONNECTORS_ALLOW_PRIVATE=true', async () => {
    const t = await integrationHub({ db: backend, env: { WEBHOOKS_ALLOW_PRIVATE: 'false', CONNECTORS_ALLOW_PRIVATE: 'true' }, connectors: [probeConnector] });
    try {
      const { b, admin } = await setUp(t);
      expect((await admin('post', '/v1/admin/integrations/probe-crm/test')).body).toEqual({ ok: true, detail: 'Connected' });
      await t.event(b.businessId, 'guest.registered', { guestId: 'g-open', phone: null, name: 'Bob', source: null });
      await waitFor(() => internal.hits.includes('POST /contacts'), 'the handler’s call');
    } finally {
      await t.close();
      internal.hits.length = 0;
    }
  });
});
