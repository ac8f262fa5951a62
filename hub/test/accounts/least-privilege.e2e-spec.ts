/**
 * Least privilege (issue 19): the role × route table over every route of the OpenAPI document,
 * cashiers limited to exact look-ups, and a terminal bound to its own location.
 */
import { randomUUID } from 'node:crypto';
import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { loyalty } from '../loyalty/fixtures';
import { Checkout } from '../../src/modules/checkout/checkout.entity';
import { probeRoleMatrix } from './role-matrix';

describeEachDb('least privilege', (backend) => {
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;
  const cookies = {} as Record<'owner' | 'admin' | 'marketer' | 'cashier', string>;
  beforeAll(async () => {
    t = await createTestHub({ db: backend });
    b = await t.business('Least privilege');
    l = loyalty(t, b);
    cookies.owner = b.ownerCookie;
    for (const role of ['admin', 'marketer', 'cashier'] as const) {
      await l
        .admin('post', '/v1/admin/staff')
        .send({ email: `${role}.lp@example.com`, name: role, role, password: `${role}-secret-pass-1` })
        .expect(201);
      cookies[role] = await t.login(`${role}.lp@example.com`, `${role}-secret-pass-1`);
    }
  });
  afterAll(() => t.close());

  it('every route × role (owner, admin, marketer, cashier, terminal) answers as the role table says', async () => {
    const r = await probeRoleMatrix(t, b, cookies);
    expect(r.wrong).toEqual([]);
    expect(r.routes).toBeGreaterThan(80);
    expect(r.probes).toBeGreaterThan(300);
  });

  it('a cashier finds one guest exactly (phone, card number) but never pages through the guest base', async () => {
    const p = await l.program({ name: 'LP bonus', rules: { kind: 'bonus', accrualPercent: 5 } });
    const { guest, card } = await l.guestWithCard(p.id, { email: 'guest.lp@example.com', birthday: '1990-05-01' });
    await l.commit({ card: { number: card.number }, basket: l.basket(10000) }).expect(201);
    const as = (path: string, query: Record<string, string> = {}) => t.http.get(path).query(query).set('Cookie', cookies.cashier);
    for (const [path, query] of [
      ['/v1/admin/guests', {}],
      ['/v1/admin/guests', { q: guest.phone }],
      ['/v1/admin/guests/count', {}],
      ['/v1/admin/cards', {}],
      ['/v1/admin/blacklist', {}],
      ['/v1/admin/checkouts', {}],
    ] as const) {
      const r = await as(path, query);
      expect([path, r.status, JSON.stringify(r.body).includes(guest.phone)]).toEqual([path, 403, false]);
    }
    expect((await as('/v1/admin/checkouts')).body.code).toBe('exact_lookup_only');
    const byPhone = await as('/v1/scanner/cards/lookup', { phone: guest.phone }).expect(200);
    expect(byPhone.body.guest.id).toBe(guest.id);
    expect((await as('/v1/scanner/cards/lookup', { number: card.number }).expect(200)).body.card.id).toBe(card.id);
    await as(`/v1/admin/guests/${guest.id}`).expect(200);
    const sales = await as('/v1/admin/checkouts', { guestId: guest.id }).expect(200);
    expect(sales.body.items).toHaveLength(1);
    // The manager still has the lists.
    expect((await t.http.get('/v1/admin/guests').set('Cookie', cookies.marketer).expect(200)).body.items.length).toBeGreaterThan(0);
  });

  it('a terminal bound to location A cannot book a sale at location B', async () => {
    const p = await l.program({ name: 'LP loc', rules: { kind: 'bonus', accrualPercent: 5 } });
    const { card } = await l.guestWithCard(p.id);
    const other = await l.admin('post', '/v1/admin/locations').send({ name: 'Shop B' }).expect(201);
    const key = randomUUID();
    const r = await l.commit({ card: { number: card.number }, basket: l.basket(5000), locationId: other.body.id }, key);
    expect([r.status, r.body.code]).toEqual([403, 'location_mismatch']);
    expect(await t.hub.db.manager.getRepository(Checkout).countBy({ businessId: b.businessId, idempotencyKey: key })).toBe(0);
    const here = await l.commit({ card: { number: card.number }, basket: l.basket(5000), locationId: b.locationId }).expect(201);
    expect(here.body.locationId).toBe(b.locationId);
    const implicit = await l.commit({ card: { number: card.number }, basket: l.basket(5000) }).expect(201);
    expect(implicit.body.locationId).toBe(b.locationId);
    // A key with no location (an integration for the whole business) may name any location.
    const free = await l.admin('post', '/v1/admin/terminals').send({ name: 'HQ integration' }).expect(201);
    await l
      .pos('post', '/v1/pos/checkouts', free.body.key)
      .set('Idempotency-Key', randomUUID())
      .send({ card: { number: card.number }, basket: l.basket(5000), locationId: other.body.id })
      .expect(201);
  });
});

describe('role table without a hub', () => {
  it('names only the five roles or public', async () => {
    const { ROLE_TABLE } = await import('./role-matrix');
    const bad = Object.entries(ROLE_TABLE).filter(([, v]) => !/^(public|terminal|(owner|admin|marketer|cashier)( (owner|admin|marketer|cashier))*)$/.test(v));
    expect(bad).toEqual([]);
  });
});
