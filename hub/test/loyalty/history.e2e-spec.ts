import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { loyalty } from './fixtures';

describeEachDb('sales history and daily summary', (backend) => {
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;

  beforeAll(async () => {
    t = await createTestHub({ db: backend });
    b = await t.business('Summary café');
    l = loyalty(t, b);
  });
  afterAll(() => t.close());

  it('lists sales with card, program, guest names and product names, filtered by date', async () => {
    const p = await l.program({ name: 'Cups', rules: { kind: 'bonus', accrualPercent: 10 } });
    const { card } = await l.guestWithCard(p.id, { name: 'Olga' });
    await l.commit({ card: { number: card.number }, basket: { items: [{ sku: 'LATTE', name: 'Латте', qty: 1, unitPriceMinor: 25000, amountMinor: 25000 }] } }).expect(201);
    const list = await l.admin('get', '/v1/admin/checkouts').expect(200);
    expect(list.body.items[0]).toMatchObject({ cardNumber: card.number, programName: 'Cups', guestName: 'Olga', source: 'pos', lines: [{ sku: 'LATTE', name: 'Латте' }] });
    const future = await l.admin('get', '/v1/admin/checkouts').query({ from: new Date(Date.now() + 60_000).toISOString() }).expect(200);
    expect(future.body.items).toEqual([]);
  });

  it('sums today’s sales, revenue after refunds, points and new guests per day in the business time zone', async () => {
    const p = await l.program({ name: 'Sum', rules: { kind: 'bonus', accrualPercent: 10 } });
    const { card } = await l.guestWithCard(p.id);
    const s1 = await l.commit({ card: { number: card.number }, basket: l.basket(30000) }).expect(201);
    await l.pos('post', `/v1/pos/checkouts/${s1.body.id}/refunds`).set('Idempotency-Key', `r-${s1.body.id}`).send({ amountMinor: 10000 }).expect(201);
    // The summary reads the analytics rollups, kept from the events the outbox publishes.
    let r = await l.admin('get', '/v1/admin/summary').expect(200);
    for (let i = 0; i < 200 && (r.body.totals.sales < 2 || r.body.totals.revenueMinor !== 45000); i++) {
      await t.hub.relay.runOnce();
      await new Promise((done) => setTimeout(done, 25));
      r = await l.admin('get', '/v1/admin/summary').expect(200);
    }
    expect(r.body).toMatchObject({ currency: 'RUB', timezone: 'Europe/Moscow' });
    expect(r.body.days).toHaveLength(7);
    const today = r.body.days[r.body.days.length - 1];
    expect(today).toMatchObject({ sales: 2, revenueMinor: 25000 + 20000, newGuests: 2, pointsAccrued: 25 + 30 });
    expect(r.body.totals.sales).toBe(2);
    await l.admin('get', '/v1/admin/summary').query({ from: '2026-01-01T00:00:00Z', to: '2026-12-31T00:00:00Z' }).expect(400);
  });
});
