import { Agent } from 'node:http';
import { Readable } from 'node:stream';
import { createTestHub, dbBackends, TestBusiness, TestHub } from '../harness';
import { send } from '../http-client';
import { loyalty } from '../loyalty/fixtures';
import { dbLabel, record } from './table';
import type { Role } from '../../src/shared/context';

const backend = dbBackends().includes('mariadb') ? 'mariadb' : 'sqlite';

/** Which of business B's resources a path's `{id}` names, by the path's prefix. A new route must be added here. */
const RESOURCE_BY_PATH: [RegExp, string][] = [
  [/^\/v1\/admin\/locations\/\{id\}/, 'location'],
  [/^\/v1\/admin\/terminals\/\{id\}/, 'terminal'],
  [/^\/v1\/admin\/staff\/\{id\}/, 'staff'],
  [/^\/v1\/admin\/programs\/\{id\}\/coupons/, 'couponProgram'],
  [/^\/v1\/admin\/programs\/\{id\}/, 'program'],
  [/^\/v1\/admin\/coupons\/\{id\}/, 'coupon'],
  [/^\/v1\/admin\/guests\/\{id\}/, 'guest'],
  [/^\/v1\/admin\/cards\/\{id\}/, 'card'],
  [/^\/v1\/admin\/blacklist\/\{id\}/, 'blacklist'],
  [/^\/v1\/admin\/checkouts\/\{id\}/, 'checkout'],
  [/^\/v1\/pos\/checkouts\/\{id\}/, 'checkout'],
  [/^\/v1\/admin\/imports\/\{id\}/, 'import'],
  [/^\/v1\/admin\/integrations\/webhooks\/endpoints\/\{id\}/, 'endpoint'],
  [/^\/v1\/admin\/engagement\/forms\/\{id\}/, 'form'],
  [/^\/v1\/admin\/utm-tags\/\{id\}/, 'utmTag'],
];

/** Minimal valid bodies so a probe passes validation and reaches the tenant check. */
const BODIES: Record<string, unknown> = {
  'patch /v1/admin/locations/{id}': { name: 'hijack' },
  'patch /v1/admin/staff/{id}': { name: 'hijack' },
  'patch /v1/admin/programs/{id}': { name: 'hijack' },
  'post /v1/admin/programs/{id}/coupons': { code: 'HIJACK1' },
  'post /v1/admin/programs/{id}/coupons/generate': { count: 1 },
  'post /v1/admin/coupons/{id}/status': { status: 'disabled' },
  'patch /v1/admin/guests/{id}': { name: 'hijack' },
  'post /v1/admin/cards/{id}/status': { status: 'blocked' },
  'post /v1/admin/cards/{id}/adjustments': { unit: 'points', amount: 1000, reason: 'hijack' },
  'post /v1/admin/cards/{id}/level': { levelCode: 'base', reason: 'hijack' },
  'post /v1/pos/checkouts/{id}/refunds': { full: true },
  'patch /v1/admin/integrations/webhooks/endpoints/{id}': { description: 'hijack' },
  'patch /v1/admin/engagement/forms/{id}': { title: 'hijack' },
};

describe(`S1 cross-tenant probes from the OpenAPI document [${backend}]`, () => {
  let t: TestHub;
  let a: TestBusiness;
  let b: TestBusiness;
  const ids: Record<string, string> = {};
  const cookies: Partial<Record<Role, string>> = {};
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  let snapshotB: string;

  const snapshot = async () => {
    const lb = loyalty(t, b);
    const parts = await Promise.all(
      [
        '/v1/admin/locations',
        '/v1/admin/terminals',
        '/v1/admin/staff',
        '/v1/admin/programs',
        '/v1/admin/guests',
        '/v1/admin/blacklist',
        `/v1/admin/cards/${ids.card}`,
        `/v1/admin/cards/${ids.card}/ledger`,
        `/v1/admin/checkouts/${ids.checkout}`,
        `/v1/admin/programs/${ids.couponProgram}/coupons`,
        `/v1/admin/imports/${ids.import}`,
        `/v1/admin/integrations/webhooks/endpoints/${ids.endpoint}`,
        `/v1/admin/engagement/forms/${ids.form}`,
      ].map(async (p) => (await lb.admin('get', p)).body),
    );
    return JSON.stringify(parts, (k, v) => (k === 'lastUsedAt' || k === 'lastLoginAt' ? undefined : v));
  };

  beforeAll(async () => {
    t = await createTestHub({ db: backend, env: { WEBHOOKS_ALLOW_PRIVATE: 'true' } });
    a = await t.business('Tenant A');
    b = await t.business('Tenant B');
    const la = loyalty(t, a);
    const lb = loyalty(t, b);
    // B's world: one of everything.
    ids.location = b.locationId;
    ids.terminal = b.terminalId;
    ids.staff = (await lb.admin('get', '/v1/admin/staff')).body.items[0].id;
    const prog = await lb.program({ name: 'B points', rules: { kind: 'bonus', accrualPercent: 5 }, levels: [{ code: 'base', name: 'Base', threshold: 0 }] });
    ids.program = prog.id;
    const cp = await lb.program({ name: 'B coupons', rules: { kind: 'coupon', discount: { type: 'percent', percent: 10 } } });
    ids.couponProgram = cp.id;
    ids.coupon = (await lb.admin('post', `/v1/admin/programs/${cp.id}/coupons`).send({ code: 'BONLY' })).body.id;
    const { card, guest } = await lb.guestWithCard(prog.id);
    ids.card = card.id;
    ids.guest = guest.id;
    ids.blacklist = (await lb.admin('post', '/v1/admin/blacklist').send({ phone: '+79995550000' })).body.id;
    ids.checkout = (await lb.commit({ card: { number: card.number }, basket: lb.basket(10000) })).body.id;
    ids.import = (
      await t.hub.services.imports.upload({ businessId: b.businessId, actor: { type: 'staff', id: 'test' } }, Readable.from(['phone\n+79995550001']), {
        dryRun: true,
      })
    ).id;
    await lb.admin('post', '/v1/admin/integrations').send({ connectorId: 'webhooks' }).expect(201);
    ids.endpoint = (
      await lb
        .admin('post', '/v1/admin/integrations/webhooks/endpoints')
        .send({ url: 'http://127.0.0.1:9/hook', eventTypes: ['checkout.*'] })
        .expect(201)
    ).body.id;
    ids.form = (
      await lb
        .admin('post', '/v1/admin/engagement/forms')
        .send({
          programId: prog.id,
          slug: 'b-join',
          title: 'Join B',
          fields: { name: 'optional', birthday: 'hidden', email: 'hidden' },
          consentText: 'I agree to the processing of my personal data.',
        })
        .expect(201)
    ).body.id;
    ids.utmTag = (await lb.admin('post', '/v1/admin/utm-tags').send({ name: 'B tents', source: 'tabletent', formSlug: 'b-join' }).expect(201)).body.id;
    // A has the same connector installed, so probes reach the tenant check, not "not installed".
    await la.admin('post', '/v1/admin/integrations').send({ connectorId: 'webhooks' }).expect(201);
    // A's staff in every role.
    cookies.owner = a.ownerCookie;
    for (const role of ['admin', 'marketer', 'cashier'] as const) {
      await la
        .admin('post', '/v1/admin/staff')
        .send({ email: `${role}.a@tenant.example`, name: role, role, password: `${role}-password-1` })
        .expect(201);
      cookies[role] = await t.login(`${role}.a@tenant.example`, `${role}-password-1`);
    }
    await t.listen();
    snapshotB = await snapshot();
  });
  afterAll(async () => {
    agent.destroy();
    await t.close();
  });

  it('S1: every resource route, every role and A’s terminal key, with B’s ids -> denied; lists never show B', async () => {
    const doc = (await t.http.get('/v1/openapi.json')).body as { paths: Record<string, Record<string, { security: unknown[] }>> };
    const failures: string[] = [];
    let probes = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const isPos = path.startsWith('/v1/pos/');
        const isAdmin = path.startsWith('/v1/admin/');
        if (!isPos && !isAdmin) continue;
        const creds = isPos
          ? [{ who: 'terminal', headers: { authorization: `Bearer ${a.terminalKey}` } }]
          : (Object.entries(cookies) as [Role, string][]).map(([role, c]) => ({ who: role, headers: { cookie: c } }));
        if (path.includes('{id}')) {
          const res = RESOURCE_BY_PATH.find(([re]) => re.test(path));
          if (!res) {
            failures.push(`no probe mapping for ${path}: add it to RESOURCE_BY_PATH`);
            continue;
          }
          const url = path.replace('{id}', ids[res[1]]!).replace(/\{[A-Za-z]+\}/g, '01a211f1-0000-7000-8000-000000000000');
          for (const c of creds) {
            const body = BODIES[`${method} ${path}`];
            const headers = { ...c.headers, 'idempotency-key': `s1-${Math.random()}` };
            const r = await send(`${t.url}${url}`, agent, method.toUpperCase(), headers, body ?? (method === 'get' || method === 'delete' ? undefined : {}));
            probes++;
            if (![403, 404].includes(r.status)) failures.push(`${c.who} ${method.toUpperCase()} ${url} -> ${r.status} ${r.text.slice(0, 120)}`);
          }
        } else if (method === 'get') {
          for (const c of creds) {
            const r = await send(`${t.url}${path}`, agent, 'GET', c.headers);
            probes++;
            const leaked = Object.values(ids)
              .filter((id) => r.text.includes(id))
              .concat(r.text.includes(b.businessId) ? [b.businessId] : []);
            if (r.status >= 500 || leaked.length) failures.push(`${c.who} GET ${path} -> ${r.status} leaks ${leaked.join(', ')}`);
          }
        }
        void op;
      }
    }
    // A's POS key on B's card number, QR and guest phone.
    const lb = loyalty(t, b);
    const card = (await lb.admin('get', `/v1/admin/cards/${ids.card}`)).body;
    const guest = (await lb.admin('get', `/v1/admin/guests/${ids.guest}`)).body.guest;
    for (const q of [`number=${card.number}`, `qr=${encodeURIComponent(card.qr)}`, `phone=${encodeURIComponent(guest.phone)}`]) {
      const r = await send(`${t.url}/v1/pos/cards/lookup?${q}`, agent, 'GET', { authorization: `Bearer ${a.terminalKey}` });
      probes++;
      if (r.status !== 404) failures.push(`terminal lookup ${q} -> ${r.status}`);
    }
    const spend = await send(
      `${t.url}/v1/pos/checkouts`,
      agent,
      'POST',
      { authorization: `Bearer ${a.terminalKey}`, 'idempotency-key': 's1-spend' },
      { card: { number: card.number }, basket: { items: [{ sku: 'X', qty: 1, unitPriceMinor: 100, amountMinor: 100 }] }, couponCode: 'BONLY' },
    );
    probes++;
    if (spend.status !== 404) failures.push(`terminal checkout on B's card -> ${spend.status}`);
    const unchanged = (await snapshot()) === snapshotB;
    record({
      id: 'S1',
      check: 'cross-tenant probes generated from the OpenAPI document (4 roles + terminal key)',
      figure: `${probes} probes, ${failures.length} accepted; B's data unchanged: ${unchanged}`,
      backend: dbLabel(),
      held: failures.length === 0 && unchanged,
    });
    expect(failures).toEqual([]);
    expect(unchanged).toBe(true);
  });
});
