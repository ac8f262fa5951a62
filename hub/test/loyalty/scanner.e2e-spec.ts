import { randomUUID } from 'node:crypto';
import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { assertLedgerInvariants, loyalty } from './fixtures';
import { AuditEntry } from '../../src/modules/audit/audit.entity';

describeEachDb('web scanner API', (backend) => {
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;
  let cashier: string;
  let card: { id: string; number: string; qr: string };

  beforeAll(async () => {
    t = await createTestHub({ db: backend });
    b = await t.business('Scanner café');
    l = loyalty(t, b);
    const p = await l.program({ name: 'Points', rules: { kind: 'bonus', accrualPercent: 10, maxRedeemPercent: 50 }, welcomeBonusPoints: 100 });
    ({ card } = await l.guestWithCard(p.id));
    await l.admin('post', '/v1/admin/staff').send({ email: 'scan.cashier@example.com', name: 'Kate', role: 'cashier', password: 'cashier-pass-1' }).expect(201);
    cashier = await t.login('scan.cashier@example.com', 'cashier-pass-1');
  });
  afterAll(async () => {
    await assertLedgerInvariants(t);
    await t.close();
  });

  const op = (body: Record<string, unknown>, tap = randomUUID(), cookie = cashier) => t.http.post('/v1/scanner/operations').set('Cookie', cookie).set('Idempotency-Key', tap).send(body);

  it('a cashier scans the QR, types the amount, accrues; a double tap counts once', async () => {
    const found = await t.http.get('/v1/scanner/cards/lookup').query({ qr: card.qr }).set('Cookie', cashier).expect(200);
    expect(found.body.card.pointsAvailable).toBe(100);
    const tap = randomUUID();
    const first = await op({ card: { qr: card.qr }, locationId: b.locationId, amountMinor: 50000 }, tap).expect(201);
    expect(first.body).toMatchObject({ pointsAccrued: 50, totalMinor: 50000 });
    const again = await op({ card: { qr: card.qr }, locationId: b.locationId, amountMinor: 50000 }, tap).expect(200);
    expect(again.body.id).toBe(first.body.id);
    expect((await l.card(card.id)).pointsBalance).toBe(150);
    const red = await op({ card: { number: card.number }, locationId: b.locationId, amountMinor: 10000, redeemPoints: 'max' }).expect(201);
    expect(red.body).toMatchObject({ pointsRedeemed: 50, payableMinor: 5000 });
    const recent = await t.http.get('/v1/scanner/operations').query({ locationId: b.locationId }).set('Cookie', cashier).expect(200);
    expect(recent.body.items.map((i: { id: string }) => i.id)).toEqual([red.body.id, first.body.id]);
  });

  it('refuses bad amounts and unknown locations with field problems', async () => {
    const bad = await op({ card: { number: card.number }, locationId: b.locationId, amountMinor: 12.5 }).expect(400);
    expect(bad.body.errors[0].field).toBe('amountMinor');
    await op({ card: { number: card.number }, locationId: '00000000-0000-7000-8000-000000000000', amountMinor: 100 }).expect(404);
  });

  it('only a manager can reverse an operation, once', async () => {
    const sale = await op({ card: { number: card.number }, locationId: b.locationId, amountMinor: 20000 }).expect(201);
    await t.http.post(`/v1/scanner/operations/${sale.body.id}/reverse`).set('Cookie', cashier).send({ reason: 'typo' }).expect(403);
    const before = (await l.card(card.id)).pointsBalance;
    const rev = await t.http.post(`/v1/scanner/operations/${sale.body.id}/reverse`).set('Cookie', b.ownerCookie).send({ reason: 'cashier typed 200 instead of 20' }).expect(200);
    expect(rev.body).toMatchObject({ full: true, pointsReversed: 20 });
    await t.http.post(`/v1/scanner/operations/${sale.body.id}/reverse`).set('Cookie', b.ownerCookie).send({ reason: 'again' }).expect(200);
    expect((await l.card(card.id)).pointsBalance).toBe(before - 20);
    expect(await t.hub.db.manager.getRepository(AuditEntry).countBy({ businessId: b.businessId, action: 'scanner.operation_reversed' })).toBe(1);
  });

  it('limits operations per cashier per hour; over the limit -> 429 and an audit entry', async () => {
    await l.admin('patch', '/v1/admin/business').send({ settings: { fraudLimits: { scannerOpsPerStaffPerHour: 4, opsPerCardPerHour: 1000 } } }).expect(200);
    const tap = randomUUID();
    const ok = await op({ card: { number: card.number }, locationId: b.locationId, amountMinor: 100 }, tap).expect(201);
    const over = await op({ card: { number: card.number }, locationId: b.locationId, amountMinor: 100 }).expect(429);
    expect(over.body).toMatchObject({ code: 'fraud_limit_exceeded', limit: 'scannerOpsPerStaffPerHour' });
    // A replay of an accepted tap is still answered.
    const replay = await op({ card: { number: card.number }, locationId: b.locationId, amountMinor: 100 }, tap).expect(200);
    expect(replay.body.id).toBe(ok.body.id);
    expect(await t.hub.db.manager.getRepository(AuditEntry).countBy({ businessId: b.businessId, action: 'fraud.limit_exceeded' })).toBe(1);
  });
});
