import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { assertLedgerInvariants, loyalty } from './fixtures';
import { Checkout } from '../../src/modules/checkout/checkout.entity';
import { LedgerEntry } from '../../src/modules/ledger/ledger.entity';
import { post } from '../http-client';
import { systemActor } from '../../src/shared/context';

describeEachDb('concurrency', (backend) => {
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;
  let agent: Agent;

  beforeAll(async () => {
    t = await createTestHub({ db: backend });
    b = await t.business();
    l = loyalty(t, b);
    await l.admin('patch', '/v1/admin/business').send({ settings: { fraudLimits: { opsPerCardPerHour: null, redemptionsPerCardPerDay: null } } }).expect(200);
    await t.listen();
    agent = new Agent({ keepAlive: true, maxSockets: 64 });
  });
  afterAll(async () => {
    agent.destroy();
    await t.close();
  });

  it('1,000 concurrent replays of 100 sales create exactly 100 checkouts; Σledger = balances', async () => {
    const p = await l.program({ name: 'Storm', rules: { kind: 'bonus', accrualPercent: 5 } });
    const cards = await Promise.all(Array.from({ length: 10 }, () => l.guestWithCard(p.id)));
    const sales = Array.from({ length: 100 }, (_, i) => ({
      key: randomUUID(),
      body: { card: { number: cards[i % 10]!.card.number }, basket: l.basket(10000 + i * 100), receipt: { number: `S-${i}`, date: '2026-11-25' } },
    }));
    const requests = Array.from({ length: 1000 }, (_, i) => sales[i % 100]!).sort(() => Math.random() - 0.5);
    const results = await Promise.all(requests.map((s) => post(`${t.url}/v1/pos/checkouts`, agent, { authorization: `Bearer ${b.terminalKey}`, 'idempotency-key': s.key }, s.body)));
    const statuses = results.reduce<Record<number, number>>((m, r) => ((m[r.status] = (m[r.status] ?? 0) + 1), m), {});
    expect(statuses).toEqual({ 201: 100, 200: 900 });
    expect(await t.hub.db.manager.getRepository(Checkout).countBy({ businessId: b.businessId, programId: p.id })).toBe(100);
    const ids = new Map<string, string>();
    results.forEach((r, i) => {
      const k = requests[i]!.key;
      if (ids.has(k)) expect(r.body.id).toBe(ids.get(k));
      else ids.set(k, r.body.id);
    });
    let visits = 0;
    for (const c of cards) visits += (await l.card(c.card.id)).visits;
    expect(visits).toBe(100);
    await assertLedgerInvariants(t);
  });

  // On SQLite the single writer serializes these transactions; on MariaDB only the card's row lock
  // (SELECT … FOR UPDATE in LedgerService.lockCard) does: without it this test fails there.
  it('50 terminals redeeming one card at once: exact final balance, never negative', async () => {
    const p = await l.program({ name: 'Race', rules: { kind: 'bonus', accrualPercent: 0, maxRedeemPercent: 100 } });
    const { card } = await l.guestWithCard(p.id);
    await l.admin('post', `/v1/admin/cards/${card.id}/adjustments`).send({ unit: 'points', amount: 1000, reason: 'race test' }).expect(200);
    const keys = await Promise.all(
      Array.from({ length: 50 }, (_, i) => t.hub.services.tenants.createTerminal({ businessId: b.businessId, actor: systemActor('test') }, { name: `Till ${i}`, scopes: ['pos'] }).then((r) => r.key)),
    );
    // Each wants 30 points: 1000 / 30 -> 33 succeed, 17 are refused for insufficient points.
    const results = await Promise.all(keys.map((key) => post(`${t.url}/v1/pos/checkouts`, agent, { authorization: `Bearer ${key}`, 'idempotency-key': randomUUID() }, { card: { number: card.number }, basket: l.basket(3000), redeemPoints: 30 })));
    const ok = results.filter((r) => r.status === 201).length;
    const refused = results.filter((r) => r.status === 422);
    expect(ok + refused.length).toBe(50);
    expect(refused.every((r) => r.body.code === 'insufficient_points')).toBe(true);
    // Never overspent, measured where a lost update shows: the cached balance is written from the row
    // the transaction read and stays ≥ 0 even without the row lock, but without it two redemptions
    // read the same balance — their entries then share a balanceAfter and Σ entries goes below zero.
    const redeems = await t.hub.db.manager.getRepository(LedgerEntry).findBy({ businessId: b.businessId, cardId: card.id, kind: 'redeem' });
    expect(redeems.map((e) => e.balanceAfter).sort((x, y) => y - x)).toEqual(Array.from({ length: ok }, (_, i) => 1000 - 30 * (i + 1)));
    const sums = await t.hub.services.ledger.sums(t.hub.db.manager, b.businessId, card.id);
    expect(sums.points).toBeGreaterThanOrEqual(0);
    expect(ok).toBe(33);
    const after = await l.card(card.id);
    expect(after.pointsBalance).toBe(1000 - ok * 30);
    await assertLedgerInvariants(t);
  });
});
