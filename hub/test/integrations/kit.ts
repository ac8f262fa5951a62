import { randomBytes } from 'node:crypto';
import pino from 'pino';
import supertest from 'supertest';
import { z } from 'zod';
import { CONTRACT_VERSION, defineConnector, PermanentError, secret } from '@loyalty/sdk';
import { loadConfig } from '../../src/config';
import { Hub } from '../../src/hub';
import type { Bus } from '../../src/bus/bus';
import { MemoryBus } from '../../src/bus/memory-bus';
import { emit } from '../../src/bus/outbox';
import { systemActor } from '../../src/shared/context';
import type { ConnectorFactory } from '../../src/modules/integrations/integrations.module';
import { openTestDb, type DbBackend, type TestBusiness } from '../harness';

export const ECHO_API = 'https://api.echo-crm.test';
export const ECHO_KEY = 'ek_live_5ecret5ecret5ecretZZ9c';

/** Calls the test connector's handler made (what the "vendor" received). */
export const echoCalls: { businessId: string; guestId: string; name: string | null }[] = [];

/**
 * A connector for the hub tests: a secret API key, a connection check against a nock'ed API, and a
 * guest.registered handler that logs its whole config (the runtime must scrub the key), parks a
 * guest named "poison" at once, and fails (transiently) for "flaky" while `echoState.flaky` is set.
 */
export const echoState = { flaky: true };
export const echoConnector: ConnectorFactory = () =>
  defineConnector({
    manifest: {
      id: 'echo-crm',
      name: 'Echo CRM',
      category: 'crm',
      version: '1.0.0',
      contractVersion: CONTRACT_VERSION,
      consumes: ['guest.registered'],
      description: 'Test connector.',
    },
    configSchema: z.object({ apiKey: secret(z.string().startsWith('ek_')), region: z.enum(['eu', 'us']).default('eu') }),
    handlers: {
      'guest.registered': async (msg, ctx) => {
        ctx.log.info({ config: ctx.config, note: `using key ${ctx.config.apiKey}` }, `echo handling ${msg.id} with ${ctx.config.apiKey}`);
        if (msg.data.name === 'poison') throw new PermanentError(`Echo refuses guest ${msg.data.guestId} (key ${ctx.config.apiKey})`);
        if (msg.data.name === 'flaky' && echoState.flaky) throw new Error('Echo is down');
        echoCalls.push({ businessId: ctx.businessId, guestId: msg.data.guestId, name: msg.data.name });
      },
    },
    check: async (config, ctx) => {
      const r = await ctx.http.get(`${ECHO_API}/me`, { headers: { authorization: `Bearer ${config.apiKey}` }, validateStatus: () => true });
      return r.status === 200 ? { ok: true, detail: 'Connected' } : { ok: false, error: `Echo answered ${r.status} for key ${config.apiKey}` };
    },
    retryDelaysMs: [20, 20],
  });

export interface IntegrationHub {
  hub: Hub;
  http: ReturnType<typeof supertest>;
  /** Every log line the hub wrote (pino JSON), at debug level. */
  logs: string[];
  business(): Promise<TestBusiness>;
  login(email: string, password: string): Promise<string>;
  /** Writes an event into the outbox and publishes it (the relay's pass). */
  event(
    businessId: string,
    type: 'guest.registered',
    data: { guestId: string; phone: string | null; name: string | null; source: string | null },
  ): Promise<string>;
  close(): Promise<void>;
}

/** The real hub (like createTestHub) with the test connector, a captured log and a chosen bus. */
export async function integrationHub(
  opts: { db?: DbBackend; bus?: Bus; env?: Record<string, string>; connectors?: ConnectorFactory[]; now?: () => Date } = {},
): Promise<IntegrationHub> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'debug',
    SEED_DEMO: 'false',
    OUTBOX_POLL_MS: '50',
    WEBHOOKS_ALLOW_PRIVATE: 'true',
    ...(opts.env ?? {}),
  });
  const logs: string[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void logs.push(s) });
  const hubSecret = 'test-secret-'.padEnd(48, 'x');
  const catalog = Hub.loadConnectors({ config, hubSecret, log, connectors: opts.connectors ?? [echoConnector] });
  const { db, drop } = await openTestDb(opts.db ?? 'sqlite', catalog.storage);
  const hub = new Hub({ config, db, bus: opts.bus ?? new MemoryBus(), log, hubSecret, catalog });
  await hub.bus.start();
  await hub.bus.serveCommands(hub.commands.handle);
  await hub.connectors.start();
  const http = supertest(hub.app);
  let n = 0;
  const login = async (email: string, password: string) => {
    const res = await http.post('/v1/admin/session').send({ email, password });
    if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
    return (res.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
  };
  return {
    hub,
    http,
    logs,
    login,
    async business() {
      const ownerEmail = `owner${++n}.${randomBytes(4).toString('hex')}@example.com`;
      const ownerPassword = 'owner-password-1';
      const { business } = await hub.services.tenants.createBusiness({
        name: `Integrations ${n}`,
        currency: 'RUB',
        timezone: 'Europe/Moscow',
        locale: 'ru',
        owner: { email: ownerEmail, name: 'Owner', password: ownerPassword },
      });
      const ctx = { businessId: business.id, actor: systemActor('test') };
      const location = await hub.services.tenants.createLocation(ctx, { name: 'Main' });
      const { terminal, key } = await hub.services.tenants.createTerminal(ctx, { name: 'Till', locationId: location.id, scopes: ['pos'] });
      return {
        businessId: business.id,
        ownerEmail,
        ownerPassword,
        ownerCookie: await login(ownerEmail, ownerPassword),
        locationId: location.id,
        terminalId: terminal.id,
        terminalKey: key,
      };
    },
    async event(businessId, type, data) {
      const id = await hub.db.transaction((tx) => emit(tx, businessId, type, data));
      await hub.relay.runOnce();
      return id;
    },
    async close() {
      await hub.stop();
      await drop();
    },
  };
}

export const waitFor = async (cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> => {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
