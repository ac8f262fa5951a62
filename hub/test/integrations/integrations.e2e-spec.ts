import nock from 'nock';
import { AuditEntry } from '../../src/modules/audit/audit.entity';
import { IntegrationInstallation } from '../../src/modules/integrations/integrations.entity';
import { describeEachDb, type TestBusiness } from '../harness';
import { ECHO_API, ECHO_KEY, echoCalls, integrationHub, waitFor, type IntegrationHub } from './kit';

const NEW_KEY = 'ek_live_rotated0rotated0rotated77';

describeEachDb('integrations: install, configure, test connection, uninstall through the admin API', (backend) => {
  let t: IntegrationHub;
  let b: TestBusiness;
  const admin = (method: 'get' | 'post' | 'patch' | 'delete', path: string) => t.http[method](path).set('Cookie', b.ownerCookie);

  beforeAll(async () => {
    t = await integrationHub({ db: backend });
    b = await t.business();
  });
  afterAll(async () => {
    await t.close();
    nock.cleanAll();
  });

  it('lists the catalog with config schemas and secret fields', async () => {
    const res = await admin('get', '/v1/admin/integrations/catalog');
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(res.body.items.map((i: { id: string }) => [i.id, i]));
    expect(byId['webhooks']).toMatchObject({ category: 'webhook', installed: false, runsIn: 'hub', secretFields: [] });
    expect(byId['echo-crm']).toMatchObject({ name: 'Echo CRM', category: 'crm', secretFields: ['apiKey'], hasCheck: true, consumes: ['guest.registered'] });
    expect(byId['echo-crm'].configSchema.properties.apiKey).toMatchObject({ writeOnly: true });
  });

  it('refuses a config its schema rejects, naming the fields', async () => {
    const res = await admin('post', '/v1/admin/integrations').send({ connectorId: 'echo-crm', config: { apiKey: 'wrong', region: 'mars' } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_config');
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['config.apiKey', 'config.region']);
    expect((await admin('post', '/v1/admin/integrations').send({ connectorId: 'nope-nope', config: {} })).status).toBe(404);
  });

  it('installs with the secret encrypted at rest and only a mask shown', async () => {
    const res = await admin('post', '/v1/admin/integrations').send({ connectorId: 'echo-crm', config: { apiKey: ECHO_KEY } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ connectorId: 'echo-crm', enabled: true, config: { apiKey: '••••ZZ9c', region: 'eu' }, lastError: null });
    const row = await t.hub.db.manager.getRepository(IntegrationInstallation).findOneByOrFail({ businessId: b.businessId, connectorId: 'echo-crm' });
    expect(JSON.stringify(row.config)).not.toContain(ECHO_KEY);
    expect(row.config.apiKey.$sealed).toMatch(/^v1\./);
    expect((await admin('post', '/v1/admin/integrations').send({ connectorId: 'echo-crm', config: { apiKey: ECHO_KEY } })).status).toBe(409);
    const list = await admin('get', '/v1/admin/integrations');
    expect(list.body.items).toEqual([expect.objectContaining({ connectorId: 'echo-crm', config: { apiKey: '••••ZZ9c', region: 'eu' } })]);
  });

  it('runs the connector for installed businesses only, and records the last success', async () => {
    const other = await t.business();
    await t.event(b.businessId, 'guest.registered', { guestId: 'g-installed', phone: null, name: 'Ann', source: null });
    await t.event(other.businessId, 'guest.registered', { guestId: 'g-other', phone: null, name: 'Bob', source: null });
    await waitFor(() => echoCalls.some((c) => c.guestId === 'g-installed'), 'the handler');
    expect(echoCalls.find((c) => c.guestId === 'g-other')).toBeUndefined();
    await waitFor(async () => (await admin('get', '/v1/admin/integrations/echo-crm')).body.lastSuccessAt !== null, 'the last success to be recorded');
  });

  it('keeps the stored secret when the console sends the mask back, changes it when given a new one', async () => {
    const same = await admin('patch', '/v1/admin/integrations/echo-crm').send({ config: { apiKey: '••••ZZ9c', region: 'us' } });
    expect(same.status).toBe(200);
    expect(same.body.config).toEqual({ apiKey: '••••ZZ9c', region: 'us' });
    nock(ECHO_API, { reqheaders: { authorization: `Bearer ${ECHO_KEY}` } })
      .get('/me')
      .reply(200, {});
    expect((await admin('post', '/v1/admin/integrations/echo-crm/test')).body).toEqual({ ok: true, detail: 'Connected' });
    const changed = await admin('patch', '/v1/admin/integrations/echo-crm').send({ config: { apiKey: NEW_KEY, region: 'us' } });
    expect(changed.body.config.apiKey).toBe('••••ey77'.replace('ey77', NEW_KEY.slice(-4)));
  });

  it('tests the connection: a refusal is reported (without the key) and recorded as the last error', async () => {
    nock(ECHO_API, { reqheaders: { authorization: `Bearer ${NEW_KEY}` } })
      .get('/me')
      .reply(401);
    const res = await admin('post', '/v1/admin/integrations/echo-crm/test');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: false, error: 'Echo answered 401 for key [redacted]' });
    const one = await admin('get', '/v1/admin/integrations/echo-crm');
    expect(one.body.lastError).toBe('Connection test: Echo answered 401 for key [redacted]');
    // Proposed settings can be tested before saving them.
    nock(ECHO_API, { reqheaders: { authorization: 'Bearer ek_candidate_key_0000001' } })
      .get('/me')
      .reply(200, {});
    expect((await admin('post', '/v1/admin/integrations/echo-crm/test').send({ config: { apiKey: 'ek_candidate_key_0000001' } })).body.ok).toBe(true);
  });

  it('lets only admins manage integrations', async () => {
    const cashier = await admin('post', '/v1/admin/staff').send({
      email: `cashier.${backend}@example.com`,
      name: 'C',
      role: 'cashier',
      password: 'cashier-pass-1',
    });
    expect(cashier.status).toBe(201);
    const cookie = await t.login(`cashier.${backend}@example.com`, 'cashier-pass-1');
    expect((await t.http.get('/v1/admin/integrations').set('Cookie', cookie)).status).toBe(403);
    expect((await t.http.post('/v1/admin/integrations/echo-crm/test').set('Cookie', cookie)).status).toBe(403);
    expect((await t.http.get('/v1/admin/integrations')).status).toBe(401);
  });

  it('uninstalls: later events are ignored, the history has every step and no secret anywhere', async () => {
    expect((await admin('delete', '/v1/admin/integrations/echo-crm')).status).toBe(204);
    expect((await admin('get', '/v1/admin/integrations/echo-crm')).status).toBe(404);
    await t.event(b.businessId, 'guest.registered', { guestId: 'g-after-uninstall', phone: null, name: 'Cy', source: null });
    await t.hub.relay.runOnce();
    await new Promise((r) => setTimeout(r, 100));
    expect(echoCalls.find((c) => c.guestId === 'g-after-uninstall')).toBeUndefined();

    const audit = await t.hub.db.manager
      .getRepository(AuditEntry)
      .find({ where: { businessId: b.businessId, targetType: 'integration' }, order: { id: 'ASC' } });
    expect(audit.map((a) => a.action)).toEqual(['integration.installed', 'integration.configured', 'integration.configured', 'integration.uninstalled']);
    expect(audit[0]!.after).toEqual({ connectorId: 'echo-crm', enabled: true, config: { apiKey: '[redacted]', region: 'eu' } });
    const history = await admin('get', '/v1/admin/audit?targetType=integration');
    const everything = JSON.stringify([audit, history.body]);
    for (const s of [ECHO_KEY, NEW_KEY, 'ek_candidate_key_0000001']) expect(everything).not.toContain(s);
  });

  it('never wrote a secret to the log, although the handler logged its whole config', async () => {
    const all = t.logs.join('');
    expect(all).toContain('echo handling'); // the handler did log
    expect(all).toContain('[redacted]');
    for (const s of [ECHO_KEY, NEW_KEY, 'ek_candidate_key_0000001']) expect(all).not.toContain(s);
  });
});
