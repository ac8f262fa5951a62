import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { createTestHub, dbBackends, TestBusiness, TestHub } from '../harness';
import { post } from '../http-client';
import { assertLedgerInvariants, loyalty } from '../loyalty/fixtures';
import { Checkout } from '../../src/modules/checkout/checkout.entity';
import { systemActor } from '../../src/shared/context';
import { dbLabel, record } from './table';

/** R1 and R2 run on the strongest backend of the run: MariaDB when configured. */
const backend = dbBackends().includes('mariadb') ? 'mariadb' : 'sqlite';

describe(`R1/R2 ledger under concurrency [${backend}]`, () => {
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;
  const agent = new Agent({ keepAlive: true, maxSockets: 100 });

  beforeAll(async () => {
    t = await createTestHub({ db: backend });
    b = await t.business('Reliability');
    l = loyalty(t, b);
    await l.admin('patch', '/v1/admin/business').send({ settings: { fraudLimits: { opsPerCardPerHour: null, redemptionsPerCardPerDay: null } } }).expect(200);
    await t.listen();
  });
  afterAll(async () => {
    agent.destroy();
    await t.close();
  });

  it('R1: 1,000 concurrent replays of 100 sales -> exactly 100 checkouts, Σledger = balances', async () => {
    const p = await l.program({ name: 'Storm', rules: { kind: 'bonus', accrualPercent: 5, maxRedeemPercent: 50 }, welcomeBonusPoints: 1000 });
    const cards = await Promise.all(Array.from({ length: 20 }, () => l.guestWithCard(p.id)));
    const sales = Array.from({ length: 100 }, (_, i) => ({
      key: randomUUID(),
      body: { card: { number: cards[i % 20]!.card.number }, basket: l.basket(5000 + i * 37), redeemPoints: i % 3 === 0 ? 10 : undefined },
    }));
    const shots = Array.from({ length: 1000 }, (_, i) => sales[i % 100]!).sort(() => Math.random() - 0.5);
    const replies = await Promise.all(shots.map((s) => post(`${t.url}/v1/pos/checkouts`, agent, { authorization: `Bearer ${b.terminalKey}`, 'idempotency-key': s.key }, s.body)));
    const created = replies.filter((r) => r.status === 201).length;
    const replayed = replies.filter((r) => r.status === 200).length;
    const checkouts = await t.hub.db.manager.getRepository(Checkout).countBy({ businessId: b.businessId, programId: p.id });
    const cardsChecked = await assertLedgerInvariants(t);
    const held = checkouts === 100 && created === 100 && replayed === 900;
    record({ id: 'R1', check: 'idempotency storm: 1,000 concurrent replays of 100 sales', figure: `${checkouts} checkouts (${created} created, ${replayed} replayed); Σledger = balance on ${cardsChecked} cards`, backend: dbLabel(), held });
    expect({ checkouts, created, replayed }).toEqual({ checkouts: 100, created: 100, replayed: 900 });
  });

  it('R2: 50 terminals redeeming one card at once -> never negative, exact final balance', async () => {
    const p = await l.program({ name: 'Race', rules: { kind: 'bonus', accrualPercent: 0, maxRedeemPercent: 100 } });
    const { card } = await l.guestWithCard(p.id);
    await l.admin('post', `/v1/admin/cards/${card.id}/adjustments`).send({ unit: 'points', amount: 1000, reason: 'R2 stock' }).expect(200);
    const keys = await Promise.all(
      Array.from({ length: 50 }, (_, i) => t.hub.services.tenants.createTerminal({ businessId: b.businessId, actor: systemActor('R2') }, { name: `R2 till ${i}`, scopes: ['pos'] }).then((r) => r.key)),
    );
    const replies = await Promise.all(keys.map((key) => post(`${t.url}/v1/pos/checkouts`, agent, { authorization: `Bearer ${key}`, 'idempotency-key': randomUUID() }, { card: { number: card.number }, basket: l.basket(3000), redeemPoints: 30 })));
    const ok = replies.filter((r) => r.status === 201).length;
    const refused = replies.filter((r) => r.status === 422 && r.body?.code === 'insufficient_points').length;
    const after = await t.hub.services.cards.get({ businessId: b.businessId, actor: systemActor() }, card.id);
    await assertLedgerInvariants(t);
    const held = ok === 33 && refused === 17 && after.pointsBalance === 1000 - 33 * 30;
    record({ id: 'R2', check: '50 terminals redeem 30 points from a 1,000-point card at once', figure: `${ok} redeemed, ${refused} refused, final balance ${after.pointsBalance} (expected 10)`, backend: dbLabel(), held });
    expect({ ok, refused, balance: after.pointsBalance }).toEqual({ ok: 33, refused: 17, balance: 10 });
  });
});
