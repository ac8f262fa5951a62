/**
 * The console's Home (issue 18): one call answers "is it working?" — the last seven days against
 * the seven before, from the analytics rollups, plus the guests to act on.
 */
import { randomUUID } from 'node:crypto';
import { Checkout } from '../../src/modules/checkout/checkout.entity';
import { Guest } from '../../src/modules/guests/guests.entity';
import { LedgerEntry } from '../../src/modules/ledger/ledger.entity';
import { WalletRegistration } from '../../src/modules/wallet/wallet.entity';
import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { loyalty } from '../loyalty/fixtures';

const DAY = 86_400_000;
const md = (d: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Moscow', month: '2-digit', day: '2-digit' }).format(d);

describeEachDb('console home', (backend) => {
  let t: TestHub;
  let b: TestBusiness;
  beforeAll(async () => {
    t = await createTestHub({ db: backend });
    b = await t.business('Home café');
  });
  afterAll(() => t.close());

  it('compares this week with last week and counts birthdays and guests not back, in one call', async () => {
    const l = loyalty(t, b);
    const p = await l.program({ name: 'Home bonus', rules: { kind: 'bonus', accrualPercent: 5, pointValueMinor: 50 } });
    const a = await l.guestWithCard(p.id);
    const old = await l.guestWithCard(p.id);
    const away = await l.guestWithCard(p.id, { birthday: `1990-${md(new Date())}` });
    await l.commit({ card: { number: old.card.number }, basket: l.basket(40000) }).expect(201);
    await l.commit({ card: { number: a.card.number }, basket: l.basket(10000) }).expect(201);
    await l.commit({ card: { number: a.card.number }, basket: l.basket(20000) }).expect(201);
    // The old guest's sale (and its points) happened eight days ago; the away guest last bought 40 days ago.
    const em = t.hub.db.manager;
    const eightDaysAgo = new Date(Date.now() - 8 * DAY);
    await em
      .getRepository(Checkout)
      .update({ businessId: b.businessId, cardId: old.card.id }, { createdAt: eightDaysAgo, updatedAt: eightDaysAgo, capturedAt: eightDaysAgo });
    await em.getRepository(LedgerEntry).update({ businessId: b.businessId, cardId: old.card.id }, { createdAt: eightDaysAgo });
    await em
      .getRepository(Guest)
      .update(
        { id: away.guest.id },
        { visits: 1, spendMinor: 5000, lastPurchaseAt: new Date(Date.now() - 40 * DAY), firstPurchaseAt: new Date(Date.now() - 40 * DAY) },
      );
    await em.getRepository(WalletRegistration).insert({
      id: randomUUID(),
      businessId: b.businessId,
      cardId: a.card.id,
      deviceLibraryId: 'device-1',
      passTypeId: 'pass.test',
      serial: a.card.id,
      pushToken: 'token',
    });
    await l.admin('post', '/v1/admin/analytics/rebuild').expect(200);

    const r = await l.admin('get', '/v1/admin/home').expect(200);
    expect(r.body).toMatchObject({
      currency: 'RUB',
      sales: { value: 2, previous: 1, changeBp: 10000 },
      revenueMinor: { value: 30000, previous: 40000, changeBp: -2500 },
      averageCheckMinor: { value: 15000, previous: 40000 },
      cardRevenueMinor: { value: 30000, previous: 40000 },
      // Points: 5 % of 100, 200 and 400 roubles at 50 kopecks a point; a week ago only the old sale's 40 were on cards.
      outstandingPoints: { value: 70, previous: 40 },
      outstandingPointsMinor: { value: 70 * 50, previous: 40 * 50 },
      walletInstalls: { value: 1, previous: 0, changeBp: null },
      birthdaysThisWeek: 1,
      notBack30Days: 1,
    });
    // Of this week's two card sales one was by a guest who had bought before (the first was not).
    expect(r.body.returningShareBp.value).toBe(5000);
  });

  it('is for owners, admins and marketers: a cashier gets 403', async () => {
    const l = loyalty(t, b);
    await l
      .admin('post', '/v1/admin/staff')
      .send({ email: 'cashier.home@example.com', name: 'Cashier', role: 'cashier', password: 'cashier-secret-pass-1' })
      .expect(201);
    const cookie = await t.login('cashier.home@example.com', 'cashier-secret-pass-1');
    await t.http.get('/v1/admin/home').set('Cookie', cookie).expect(403);
    // The cashier's Home reads the day's figures from the summary instead.
    await t.http.get('/v1/admin/summary').set('Cookie', cookie).expect(200);
  });

  it('draws a QR code of an address as SVG or PNG, and refuses what is not an http(s) address', async () => {
    const l = loyalty(t, b);
    const svg = await l.admin('get', '/v1/admin/qr').query({ url: 'https://cafe.example/join/terrace?utm_source=table' }).expect(200);
    expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(String(svg.body ?? svg.text)).toContain('<svg');
    const png = await l.admin('get', '/v1/admin/qr').query({ url: 'https://cafe.example/scanner', format: 'png', size: '256' }).buffer(true).expect(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect((png.body as Buffer).subarray(1, 4).toString()).toBe('PNG');
    expect((png.body as Buffer).readUInt32BE(16)).toBe(256);
    const bad = await l.admin('get', '/v1/admin/qr').query({ url: 'javascript:alert(1)' }).expect(400);
    expect(bad.body.errors[0].field).toBe('url');
    await t.http.get('/v1/admin/qr').query({ url: 'https://cafe.example/' }).expect(401);
  });
});
