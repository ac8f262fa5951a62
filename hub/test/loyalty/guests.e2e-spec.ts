import { randomUUID } from 'node:crypto';
import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { assertLedgerInvariants, loyalty } from './fixtures';
import { AuditEntry } from '../../src/modules/audit/audit.entity';
import { Checkout } from '../../src/modules/checkout/checkout.entity';
import { LedgerEntry } from '../../src/modules/ledger/ledger.entity';

describeEachDb('guests, programs and admin API', (backend) => {
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;
  let bonus: { id: string };

  beforeAll(async () => {
    t = await createTestHub({ db: backend });
    b = await t.business('Salon');
    l = loyalty(t, b);
    bonus = await l.program({ name: 'Points', rules: { kind: 'bonus', accrualPercent: 10 }, welcomeBonusPoints: 50, referral: { referrerPoints: 300, refereePoints: 100 } });
  });
  afterAll(async () => {
    await assertLedgerInvariants(t);
    await t.close();
  });

  it('validates program rules per kind and names the fields', async () => {
    const res = await l
      .admin('post', '/v1/admin/programs')
      .send({
        name: 'Bad',
        rules: { kind: 'bonus', accrualPercent: 150, pointValueMinor: 0 },
        levels: [
          { code: 'a', name: 'A', threshold: 10 },
          { code: 'a', name: 'B', threshold: 5 },
        ],
      })
      .expect(400);
    const fields = res.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['rules.accrualPercent', 'rules.pointValueMinor', 'levels[0].threshold', 'levels[1].code', 'levels[1].threshold']));
    await l.admin('post', '/v1/admin/programs').send({ name: 'x', rules: { kind: 'lottery' } }).expect(400);
    const p = await l.program({ name: 'Good', rules: { kind: 'discount', discountPercent: 5 } });
    await l.admin('patch', `/v1/admin/programs/${p.id}`).send({ rules: { kind: 'bonus', accrualPercent: 5 } }).expect(400);
    const upd = await l.admin('patch', `/v1/admin/programs/${p.id}`).send({ name: 'Good club', rules: { kind: 'discount', discountPercent: 6 } }).expect(200);
    expect(upd.body).toMatchObject({ name: 'Good club', rules: { discountPercent: 6 } });
  });

  it('normalizes phones to E.164, keeps them unique per business, and refuses bad ones', async () => {
    const r = await l.admin('post', '/v1/admin/guests').send({ phone: '8 (912) 345-67-89', name: 'Anna', birthday: '1990-05-17', email: 'Anna@Example.com' }).expect(201);
    expect(r.body.guest).toMatchObject({ phone: '+79123456789', email: 'anna@example.com', source: 'console' });
    const dup = await l.admin('post', '/v1/admin/guests').send({ phone: '+7 912 345 67 89' }).expect(409);
    expect(dup.body).toMatchObject({ code: 'guest_exists', guestId: r.body.guest.id });
    const bad = await l.admin('post', '/v1/admin/guests').send({ phone: '12345' }).expect(400);
    expect(bad.body.errors[0].field).toBe('phone');
    const found = await l.admin('get', '/v1/admin/guests').query({ q: '89123456789' }).expect(200);
    expect(found.body.items.map((g: { id: string }) => g.id)).toEqual([r.body.guest.id]);
    const byName = await l.admin('get', '/v1/admin/guests').query({ q: 'Ann' }).expect(200);
    expect(byName.body.items.map((g: { id: string }) => g.id)).toContain(r.body.guest.id);
    // Another business may register the same phone.
    const other = await t.business('Elsewhere');
    await t.http.post('/v1/admin/guests').set('Cookie', other.ownerCookie).send({ phone: '+79123456789' }).expect(201);
  });

  it('a blacklisted phone cannot register or get a card, and blacklisting blocks existing cards', async () => {
    await l.admin('post', '/v1/admin/blacklist').send({ phone: '+7 (900) 000-00-01', reason: 'fraud' }).expect(201);
    const res = await l.admin('post', '/v1/admin/guests').send({ phone: '89000000001', programId: bonus.id }).expect(403);
    expect(res.body.code).toBe('phone_blacklisted');
    const { card, guest } = await l.guestWithCard(bonus.id);
    await l.admin('post', '/v1/admin/blacklist').send({ phone: guest.phone }).expect(201);
    expect((await l.card(card.id)).status).toBe('blocked');
    const issue = await l.admin('post', '/v1/admin/cards').send({ programId: bonus.id, guestId: guest.id }).expect(403);
    expect(issue.body.code).toBe('phone_blacklisted');
    await l.admin('post', '/v1/admin/blacklist').send({ phone: guest.phone }).expect(409);
  });

  it('gives the welcome bonus at issue and rewards both sides after the referee’s first purchase, once', async () => {
    const { card: refCard, guest: referrer } = await l.guestWithCard(bonus.id);
    expect((await l.card(refCard.id)).pointsBalance).toBe(50);
    const self = await l.admin('post', '/v1/admin/guests').send({ phone: referrer.phone, referralCode: referrer.referralCode }).expect(409);
    expect(self.body.code).toBe('guest_exists');
    await l.admin('post', '/v1/admin/guests').send({ phone: l.nextPhone(), referralCode: 'NOSUCHCODE' }).expect(400);
    const { card } = await l.guestWithCard(bonus.id, { referralCode: referrer.referralCode.toLowerCase() });
    await l.commit({ card: { number: card.number }, basket: l.basket(10000) }).expect(201);
    await l.commit({ card: { number: card.number }, basket: l.basket(10000) }).expect(201);
    expect((await l.card(card.id)).pointsBalance).toBe(50 + 100 + 10 + 10);
    expect((await l.card(refCard.id)).pointsBalance).toBe(50 + 300);
  });

  it('manual adjustments need a reason, are audited, cannot overdraw, and are limited per staff per day', async () => {
    const { card } = await l.guestWithCard(bonus.id);
    const noReason = await l.admin('post', `/v1/admin/cards/${card.id}/adjustments`).send({ unit: 'points', amount: 10 }).expect(400);
    expect(noReason.body.errors[0].field).toBe('reason');
    const up = await l.admin('post', `/v1/admin/cards/${card.id}/adjustments`).send({ unit: 'points', amount: 25, reason: 'complaint #12' }).expect(200);
    expect(up.body.pointsBalance).toBe(75);
    const over = await l.admin('post', `/v1/admin/cards/${card.id}/adjustments`).send({ unit: 'points', amount: -1000, reason: 'mistake' }).expect(422);
    expect(over.body.code).toBe('insufficient_points');
    await l.admin('post', `/v1/admin/cards/${card.id}/adjustments`).send({ unit: 'minor', amount: 10, reason: 'wrong unit' }).expect(400);
    const audit = await l.admin('get', '/v1/admin/audit').query({ targetId: card.id, action: 'card.balance_adjusted' }).expect(200);
    expect(audit.body.items[0]).toMatchObject({ actorLabel: b.ownerEmail, before: { pointsBalance: 50 }, after: { pointsBalance: 75, reason: 'complaint #12' } });

    await l.admin('patch', '/v1/admin/business').send({ settings: { fraudLimits: { adjustmentsPerStaffPerDay: 2 } } }).expect(200);
    await l.admin('post', `/v1/admin/cards/${card.id}/adjustments`).send({ unit: 'points', amount: 1, reason: 'second' }).expect(200);
    const refused = await l.admin('post', `/v1/admin/cards/${card.id}/adjustments`).send({ unit: 'points', amount: 1, reason: 'third' }).expect(429);
    expect(refused.body.code).toBe('fraud_limit_exceeded');
    expect(await t.hub.db.manager.getRepository(AuditEntry).countBy({ businessId: b.businessId, action: 'fraud.limit_exceeded' })).toBe(1);
    await l.admin('patch', '/v1/admin/business').send({ settings: { fraudLimits: { adjustmentsPerStaffPerDay: 50 } } }).expect(200);
  });

  it('limits operations per card per hour and redemptions per card per day, with an audit entry', async () => {
    await l.admin('patch', '/v1/admin/business').send({ settings: { fraudLimits: { opsPerCardPerHour: 3, redemptionsPerCardPerDay: 1 } } }).expect(200);
    const { card } = await l.guestWithCard(bonus.id);
    await l.commit({ card: { number: card.number }, basket: l.basket(10000), redeemPoints: 10 }).expect(201);
    const r2 = await l.commit({ card: { number: card.number }, basket: l.basket(10000), redeemPoints: 10 }).expect(429);
    expect(r2.body).toMatchObject({ code: 'fraud_limit_exceeded', limit: 'redemptionsPerCardPerDay' });
    await l.commit({ card: { number: card.number }, basket: l.basket(10000) }).expect(201);
    await l.commit({ card: { number: card.number }, basket: l.basket(10000) }).expect(201);
    const r5 = await l.commit({ card: { number: card.number }, basket: l.basket(10000) }).expect(429);
    expect(r5.body.limit).toBe('opsPerCardPerHour');
    const audits = await t.hub.db.manager.getRepository(AuditEntry).findBy({ businessId: b.businessId, action: 'fraud.limit_exceeded', targetId: card.id });
    expect(audits).toHaveLength(2);
    await l.admin('patch', '/v1/admin/business').send({ settings: { fraudLimits: { opsPerCardPerHour: 1000, redemptionsPerCardPerDay: 1000 } } }).expect(200);
  });

  it('a manual level change is audited and emits an event', async () => {
    const p = await l.program({ name: 'Tiers', rules: { kind: 'discount', discountPercent: 2 }, levels: [{ code: 'base', name: 'Base', threshold: 0 }, { code: 'vip', name: 'VIP', threshold: 1000000, discountPercent: 15 }] });
    const { card } = await l.guestWithCard(p.id);
    await l.admin('post', `/v1/admin/cards/${card.id}/level`).send({ levelCode: 'gold', reason: 'friend' }).expect(400);
    const r = await l.admin('post', `/v1/admin/cards/${card.id}/level`).send({ levelCode: 'vip', reason: 'owner’s friend' }).expect(200);
    expect(r.body).toMatchObject({ levelCode: 'vip', levelName: 'VIP' });
    const s = await l.commit({ card: { number: card.number }, basket: l.basket(10000) }).expect(201);
    expect(s.body.discountMinor).toBe(1500);
    const audit = await l.admin('get', '/v1/admin/audit').query({ targetId: card.id }).expect(200);
    expect(audit.body.items[0]).toMatchObject({ action: 'card.level_changed', before: { levelCode: 'base' }, after: { levelCode: 'vip' } });
  });

  it('erasure anonymizes the guest, deletes the cards, and keeps ledger and sales', async () => {
    const { card, guest } = await l.guestWithCard(bonus.id, { name: 'Ivan Petrov', email: 'ivan@example.com' });
    await l.commit({ card: { number: card.number }, basket: l.basket(10000) }).expect(201);
    const r = await l.admin('post', `/v1/admin/guests/${guest.id}/erase`).expect(200);
    expect(r.body).toMatchObject({ status: 'erased', phone: null, name: null, email: null });
    const g = await l.admin('get', `/v1/admin/guests/${guest.id}`).expect(200);
    expect(g.body.cards[0].status).toBe('deleted');
    expect(await t.hub.db.manager.getRepository(LedgerEntry).countBy({ cardId: card.id })).toBeGreaterThan(0);
    expect(await t.hub.db.manager.getRepository(Checkout).countBy({ cardId: card.id })).toBe(1);
    await l.admin('patch', `/v1/admin/guests/${guest.id}`).send({ name: 'Back' }).expect(409);
    // The phone is free again.
    await l.admin('post', '/v1/admin/guests').send({ phone: guest.phone }).expect(201);
  });

  it('a cashier can register guests and read cards but cannot adjust balances or edit programs', async () => {
    await l.admin('post', '/v1/admin/staff').send({ email: `cashier.${randomUUID().slice(0, 6)}@example.com`, name: 'C', role: 'cashier', password: 'cashier-pass-1' }).expect(201);
    const staff = await l.admin('get', '/v1/admin/staff').expect(200);
    const cashier = staff.body.items.find((s: { role: string }) => s.role === 'cashier');
    const cookie = await t.login(cashier.email, 'cashier-pass-1');
    const { card } = await l.guestWithCard(bonus.id);
    await t.http.get(`/v1/admin/cards/${card.id}`).set('Cookie', cookie).expect(200);
    await t.http.post('/v1/admin/guests').set('Cookie', cookie).send({ phone: l.nextPhone() }).expect(201);
    await t.http.post(`/v1/admin/cards/${card.id}/adjustments`).set('Cookie', cookie).send({ unit: 'points', amount: 5, reason: 'nope' }).expect(403);
    await t.http.patch(`/v1/admin/programs/${bonus.id}`).set('Cookie', cookie).send({ name: 'x' }).expect(403);
  });
});
