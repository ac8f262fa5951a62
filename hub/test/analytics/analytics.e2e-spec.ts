import { randomUUID } from 'node:crypto';
import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { loyalty } from '../loyalty/fixtures';
import { OutboxMessage } from '../../src/bus/outbox.entity';
import { toEnvelope } from '../../src/bus/outbox';
import { Guest } from '../../src/modules/guests/guests.entity';
import { WalletRegistration } from '../../src/modules/wallet/wallet.entity';
import { AnalyticsInbox } from '../../src/modules/analytics/analytics.entity';
import { systemActor } from '../../src/shared/context';

const TZ = 'Europe/Moscow';
const DAY = 86_400_000;
const localDay = (at: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
const COUNTED = new Set(['checkout.committed', 'checkout.refunded', 'checkout.refund_voided', 'guest.registered', 'card.issued']);

describeEachDb('analytics rollups, funnel and RFM', (backend) => {
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;
  let today: string;
  let l2Key: string;
  let l2: string;
  let programId: string;
  const ids: Record<string, string> = {};
  const saleIds: Record<string, string> = {};

  /** Waits until every event in the outbox that analytics counts is in its inbox. */
  const settle = async () => {
    for (let i = 0; i < 400; i++) {
      await t.hub.relay.runOnce();
      const rows = await t.hub.db.manager.getRepository(OutboxMessage).find();
      const wanted = rows.filter((r) => COUNTED.has(r.type) || (r.type === 'card.balance_changed' && (r.data as { unit: string }).unit === 'points'));
      const done = await t.hub.db.manager.getRepository(AnalyticsInbox).count();
      if (rows.every((r) => r.sentAt) && done >= wanted.length) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('analytics consumer did not catch up');
  };
  const dashboard = async (q: Record<string, string> = {}) =>
    (
      await l
        .admin('get', '/v1/admin/analytics/dashboard')
        .query({ from: today, to: today, ...q })
        .expect(200)
    ).body;
  const names = (list: { id: string }[]) =>
    list
      .map((g) => Object.keys(ids).find((k) => ids[k] === g.id) ?? `?${g.id}`)
      .sort()
      .join(',');
  const put = (path: string) => t.http.put(path).set('Cookie', b.ownerCookie);
  const rfmMembers = async (segment: string) => names((await l.admin('get', '/v1/admin/guests').query({ rfm: segment, limit: '100' }).expect(200)).body.items);

  beforeAll(async () => {
    t = await createTestHub({ db: backend });
    b = await t.business('Analytics café');
    l = loyalty(t, b);
    today = localDay(new Date());
    const ctx = { businessId: b.businessId, actor: systemActor('test') };
    const loc = await t.hub.services.tenants.createLocation(ctx, { name: 'Second' });
    l2 = loc.id;
    l2Key = (await t.hub.services.tenants.createTerminal(ctx, { name: 'Till 2', locationId: loc.id, scopes: ['pos', 'pos:refund'] })).key;
    programId = (await l.program({ name: 'Club', rules: { kind: 'bonus', accrualPercent: 10 } })).id;

    // Anna buys 1000.00 at the first location, then 400.00 paying 50 points; her card is in a wallet.
    const anna = await l.guestWithCard(programId, { name: 'anna' });
    ids.anna = anna.guest.id;
    saleIds.a1 = (await l.commit({ card: { number: anna.card.number }, basket: l.basket(100000) }).expect(201)).body.id;
    const a2 = await l.commit({ card: { number: anna.card.number }, basket: l.basket(40000), redeemPoints: 50 }).expect(201);
    saleIds.a2 = a2.body.id;
    const regs = t.hub.db.manager.getRepository(WalletRegistration);
    await regs.insert(
      regs.create({ businessId: b.businessId, cardId: anna.card.id, deviceLibraryId: 'd1', passTypeId: 'pass.test', serial: anna.card.id, pushToken: 'x' }),
    );
    // Boris buys 600.00 at the second location; 200.00 is refunded.
    const boris = await l.guestWithCard(programId, { name: 'boris' });
    ids.boris = boris.guest.id;
    saleIds.b1 = (
      await l
        .commit({ card: { number: boris.card.number }, basket: l.basket(60000) })
        .set('Authorization', `Bearer ${l2Key}`)
        .expect(201)
    ).body.id;
    await l.pos('post', `/v1/pos/checkouts/${saleIds.b1}/refunds`, l2Key).set('Idempotency-Key', randomUUID()).send({ amountMinor: 20000 }).expect(201);
    // Vera buys 300.00; it is refunded in full and the refund is voided (the sale stands).
    const vera = await l.guestWithCard(programId, { name: 'vera' });
    ids.vera = vera.guest.id;
    saleIds.v1 = (await l.commit({ card: { number: vera.card.number }, basket: l.basket(30000) }).expect(201)).body.id;
    const refund = await l.pos('post', `/v1/pos/checkouts/${saleIds.v1}/refunds`).set('Idempotency-Key', randomUUID()).send({ full: true }).expect(201);
    await l.pos('post', `/v1/pos/checkouts/${saleIds.v1}/refunds/${refund.body.id}/void`).set('Idempotency-Key', randomUUID()).send({}).expect(200);
    // An owner gives Vera 500 points by hand.
    await l.admin('post', `/v1/admin/cards/${vera.card.id}/adjustments`).send({ unit: 'points', amount: 500, reason: 'birthday gift' }).expect(200);
    await settle();
  });
  afterAll(() => t.close());

  it('counts sales, revenue after refunds, points, cards, first purchases and liability per day, location and program', async () => {
    // Anna's second sale: 400.00, of which 50 points pay 50.00 (revenue: points are a way to pay), 10% of the 350.00 paid in money = 35 points.
    const a2 = (await l.admin('get', `/v1/admin/checkouts/${saleIds.a2}`).expect(200)).body;
    expect(a2).toMatchObject({ discountMinor: 0, pointsRedeemed: 50, pointsAccrued: 35 });
    const d = await dashboard();
    expect(d.totals).toEqual({
      sales: 4,
      cardSales: 4,
      grossMinor: 100000 + 40000 + 60000 + 30000,
      discountMinor: 0,
      // 1000 + 400 + (600 − 200) + 300 (refunded, then the refund voided)
      revenueMinor: 100000 + 40000 + 40000 + 30000,
      cardRevenueMinor: 210000,
      refunds: 1,
      refundedMinor: 20000,
      pointsAccrued: 100 + 35 + 60 + 30,
      pointsRedeemed: 50,
      pointsReversed: 20,
      pointsReturned: 0,
      pointsExpired: 0,
      // Anna 100 − 50 + 35, Boris 60 − 20, Vera 30 + 500
      pointsNet: 85 + 40 + 530,
      newGuests: 3,
      cardsIssued: 3,
      firstPurchases: 3,
    });
    expect(d.kpis).toEqual({ averageCheckMinor: 52500, ltvMinor: 70000, frequencyX100: 133, liabilityPoints: 655, breakageBp: 0 });
    expect(d.series).toHaveLength(1);
    expect(d.series[0]).toMatchObject({ start: today, sales: 4, averageCheckMinor: 52500 });

    const second = await dashboard({ locationId: l2 });
    expect(second.totals).toMatchObject({
      sales: 1,
      revenueMinor: 40000,
      refunds: 1,
      refundedMinor: 20000,
      pointsAccrued: 60,
      pointsReversed: 20,
      firstPurchases: 1,
      newGuests: 0,
    });
    const first = await dashboard({ locationId: b.locationId, programId });
    expect(first.totals).toMatchObject({ sales: 3, revenueMinor: 170000, firstPurchases: 2 });
  });

  it('serves the home page summary from the rollups in its old shape', async () => {
    const s = (await l.admin('get', '/v1/admin/summary').expect(200)).body;
    expect(s.days).toHaveLength(7);
    expect(s.days[6]).toEqual({ date: today, sales: 4, revenueMinor: 210000, discountMinor: 0, pointsAccrued: 225, pointsRedeemed: 50, newGuests: 3 });
    expect(s.totals).toEqual({ sales: 4, revenueMinor: 210000, discountMinor: 0, pointsAccrued: 225, pointsRedeemed: 50, newGuests: 3 });
  });

  it('counts a re-delivered event once', async () => {
    const before = await dashboard();
    const events = await t.hub.db.manager.getRepository(OutboxMessage).find();
    const sale = events.find((e) => e.type === 'checkout.committed')!;
    const refund = events.find((e) => e.type === 'checkout.refunded')!;
    await t.hub.services.analytics.onEvent(toEnvelope(sale));
    await t.hub.services.analytics.onEvent(toEnvelope(refund));
    await t.hub.bus.publish(toEnvelope(sale));
    await new Promise((r) => setTimeout(r, 100));
    expect(await dashboard()).toEqual(before);
  });

  it('counts a batch in one go like one event at a time: duplicates once, first purchases once, a bad event alone', async () => {
    const before = await dashboard();
    const all = (await t.hub.db.manager.getRepository(OutboxMessage).find()).map(toEnvelope);
    // Everything here is counted already: a batch of it (with a duplicate inside) changes nothing.
    const again = await t.hub.services.analytics.countMany([...all, all[0]!]);
    expect(again.every((o) => o === undefined)).toBe(true);
    expect(await dashboard()).toEqual(before);

    const sale = all.find((e) => e.type === 'checkout.committed')!;
    const issued = all.find((e) => e.type === 'card.issued')!;
    const newBuyer = randomUUID();
    const saleOf = (guestId: string) => ({ ...sale, id: randomUUID(), data: { ...(sale.data as object), guestId } });
    const card = { ...issued, id: randomUUID() };
    const bad = { ...issued, id: randomUUID(), occurredAt: 'not a time' };
    const s1 = saleOf(newBuyer);
    const s2 = saleOf(newBuyer);
    const out = await t.hub.services.analytics.countMany([s1, card, bad, card, s2]);
    expect(out.map((o) => (o ? 'failed' : 'ok'))).toEqual(['ok', 'ok', 'failed', 'ok', 'ok']);
    const gross = (sale.data as { totalMinor: number }).totalMinor;
    const after = (await dashboard()).totals;
    expect(after.sales).toBe(before.totals.sales + 2);
    expect(after.cardsIssued).toBe(before.totals.cardsIssued + 1);
    expect(after.firstPurchases).toBe(before.totals.firstPurchases + 1);
    expect(gross).toBeGreaterThan(0);
    expect(after.grossMinor).toBe(before.totals.grossMinor + 2 * gross);

    // The same through the batch path alone (no failure, so no fallback): one new buyer, counted once.
    const s3 = saleOf(randomUUID());
    expect(await t.hub.services.analytics.countMany([s3, { ...card }, s3])).toEqual([undefined, undefined, undefined]);
    const last = (await dashboard()).totals;
    expect(last.sales).toBe(after.sales + 1);
    expect(last.firstPurchases).toBe(after.firstPurchases + 1);
    expect(last.cardsIssued).toBe(after.cardsIssued);
    // Leave the figures as the later tests expect them: rebuild from the raw rows.
    await l.admin('post', '/v1/admin/analytics/rebuild').expect(200);
    expect(await dashboard()).toEqual(before);
  });

  it('rebuilds from the raw rows to the same numbers, and keeps counting new events after', async () => {
    const before = await dashboard();
    const pre = await dashboard({ locationId: l2 });
    const r = await l.admin('post', '/v1/admin/analytics/rebuild').expect(200);
    expect(r.body.sales).toBe(4);
    expect(await dashboard()).toEqual(before);
    expect(await dashboard({ locationId: l2 })).toEqual(pre);
    // Re-delivering an event the rebuild counted changes nothing either.
    const events = await t.hub.db.manager.getRepository(OutboxMessage).find();
    await t.hub.services.analytics.onEvent({ ...toEnvelope(events.find((e) => e.type === 'checkout.committed')!), id: randomUUID() });
    expect(await dashboard()).toEqual(before);
    // An event after the rebuild's start is counted.
    const issued = { ...toEnvelope(events.find((e) => e.type === 'card.issued')!), id: randomUUID(), occurredAt: new Date(Date.now() + 1000).toISOString() };
    await t.hub.services.analytics.onEvent(issued);
    expect((await dashboard()).totals.cardsIssued).toBe(before.totals.cardsIssued + 1);
    await t.hub.services.analytics.onEvent(issued);
    expect((await dashboard()).totals.cardsIssued).toBe(before.totals.cardsIssued + 1);
  });

  it('shows the funnel of guests registered in the period', async () => {
    const f = (await l.admin('get', '/v1/admin/analytics/funnel').query({ from: today, to: today }).expect(200)).body;
    expect(f.steps).toEqual([
      { step: 'registered', guests: 3, rateBp: 10000 },
      { step: 'wallet_installed', guests: 1, rateBp: 3333 },
      { step: 'first_purchase', guests: 3, rateBp: 10000 },
      { step: 'repeat_purchase', guests: 1, rateBp: 3333 },
    ]);
    await l.admin('get', '/v1/admin/analytics/funnel').query({ from: today, to: '2020-01-01' }).expect(422);
  });

  it('puts each fixture guest in its RFM segment, with counts and revenue, and filters guests by it', async () => {
    const now = Date.now();
    const profile = async (key: string, daysAgo: number, visits: number, spendMinor: number) => {
      const res = await l.admin('post', '/v1/admin/guests').send({ phone: l.nextPhone(), name: key }).expect(201);
      ids[key] = res.body.guest.id;
      await t.hub.db.manager.getRepository(Guest).update({ id: ids[key] }, { visits, spendMinor, lastPurchaseAt: new Date(now - daysAgo * DAY) });
    };
    // Default bounds: R ≤14/30/90/180 days, F ≥2/3/5/10 visits, M ≥1000/3000/10000/30000 (×100 minor units).
    await profile('champion', 2, 12, 4_000_000); // R5 F5 M5
    await profile('loyal', 20, 5, 1_500_000); // R4 F4 M4
    await profile('potential', 5, 2, 100_000); // R5 F2 M2
    await profile('newbie', 1, 1, 50_000); // R5 F1 M1
    await profile('promising', 20, 1, 50_000); // R4 F1 M1
    await profile('attention', 60, 3, 300_000); // R3 F3 M3
    await profile('sleepy', 60, 1, 50_000); // R3 F1 M1
    await profile('risky', 120, 5, 200_000); // R2 F4 M2 -> FM 3
    await profile('cantlose', 400, 10, 5_000_000); // R1 F5 M5
    await profile('hibernating', 100, 1, 10_000); // R2 F1 M1
    await profile('lost', 400, 1, 10_000); // R1 F1 M1
    await profile('never', 0, 0, 0); // no purchase: no segment
    await t.hub.db.manager.getRepository(Guest).update({ id: ids.never }, { lastPurchaseAt: null });

    const rfm = (await l.admin('post', '/v1/admin/analytics/rfm/recompute').expect(200)).body;
    const seg = Object.fromEntries(rfm.segments.map((s: { segment: string; guests: number; revenueMinor: number }) => [s.segment, [s.guests, s.revenueMinor]]));
    // Anna (2 visits, 1350.00) is a potential loyalist; Boris and Vera (one recent purchase) are new.
    const spend = async (k: string) => (await t.hub.db.manager.getRepository(Guest).findOneByOrFail({ id: ids[k] })).spendMinor;
    expect(seg).toEqual({
      champions: [1, 4_000_000],
      loyal: [1, 1_500_000],
      potential_loyalists: [2, 100_000 + (await spend('anna'))],
      new: [3, 50_000 + (await spend('boris')) + (await spend('vera'))],
      promising: [1, 50_000],
      need_attention: [1, 300_000],
      about_to_sleep: [1, 50_000],
      at_risk: [1, 200_000],
      cant_lose: [1, 5_000_000],
      hibernating: [1, 10_000],
      lost: [1, 10_000],
    });
    expect(rfm.buyers).toBe(14);
    expect(rfm.grid).toHaveLength(25);
    expect(rfm.grid.find((c: { r: number; fm: number }) => c.r === 5 && c.fm === 5)).toMatchObject({ segment: 'champions', guests: 1 });

    expect(await rfmMembers('champions')).toBe('champion');
    expect(await rfmMembers('loyal')).toBe('loyal');
    expect(await rfmMembers('potential_loyalists')).toBe('anna,potential');
    expect(await rfmMembers('new')).toBe('boris,newbie,vera');
    expect(await rfmMembers('promising')).toBe('promising');
    expect(await rfmMembers('need_attention')).toBe('attention');
    expect(await rfmMembers('about_to_sleep')).toBe('sleepy');
    expect(await rfmMembers('at_risk')).toBe('risky');
    expect(await rfmMembers('cant_lose')).toBe('cantlose');
    expect(await rfmMembers('hibernating')).toBe('hibernating');
    expect(await rfmMembers('lost')).toBe('lost');
    expect(await rfmMembers('lost,cant_lose')).toBe('cantlose,lost');
    const count = await l.admin('get', '/v1/admin/guests/count').query({ rfm: 'new,champions' }).expect(200);
    expect(count.body.count).toBe(4);
    const bad = await l.admin('get', '/v1/admin/guests').query({ rfm: 'vip' }).expect(400);
    expect(JSON.stringify(bad.body.errors)).toContain('rfm');
  });

  it('uses the owner’s bounds or quintiles', async () => {
    const bad = await put('/v1/admin/analytics/rfm/settings').send({
      mode: 'bounds',
      recencyDays: [30, 14, 90, 180],
      frequency: [2, 3, 5, 10],
      monetaryMinor: [1, 2, 3, 4],
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([{ field: 'recencyDays', message: expect.any(String) }]);
    // Everyone within 500 days scores R5: champions are then anyone with FM 4–5.
    const wide = await put('/v1/admin/analytics/rfm/settings')
      .send({ mode: 'bounds', recencyDays: [500, 600, 700, 800], frequency: [2, 3, 5, 10], monetaryMinor: [100_000, 300_000, 1_000_000, 3_000_000] })
      .expect(200);
    expect(wide.body.segments.find((s: { segment: string }) => s.segment === 'champions').guests).toBe(3);
    expect(await rfmMembers('champions')).toBe('cantlose,champion,loyal');
    const q = await put('/v1/admin/analytics/rfm/settings')
      .send({ mode: 'quintiles', recencyDays: [14, 30, 90, 180], frequency: [2, 3, 5, 10], monetaryMinor: [100_000, 300_000, 1_000_000, 3_000_000] })
      .expect(200);
    expect(q.body.mode).toBe('quintiles');
    expect(q.body.buyers).toBe(14);
    // 14 buyers in fifths by recency: the 3 most recent score R5.
    expect(q.body.grid.filter((c: { r: number }) => c.r === 5).reduce((s: number, c: { guests: number }) => s + c.guests, 0)).toBe(3);
  });
});
