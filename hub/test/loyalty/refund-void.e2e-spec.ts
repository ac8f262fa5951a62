import { randomUUID } from 'node:crypto';
import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { assertLedgerInvariants, loyalty } from './fixtures';
import { OutboxMessage } from '../../src/bus/outbox.entity';
import { LedgerEntry } from '../../src/modules/ledger/ledger.entity';
import { systemActor } from '../../src/shared/context';

/** Refund void (r_keeper chmode 4, "return rollback"): a refund undone exactly, or refused. */
describeEachDb('refund void', (backend) => {
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;
  let bonus: { id: string };

  beforeAll(async () => {
    t = await createTestHub({ db: backend });
    b = await t.business('Return café');
    l = loyalty(t, b);
    bonus = await l.program({ name: 'Points', rules: { kind: 'bonus', accrualPercent: 5, maxRedeemPercent: 50, pointValueMinor: 100 }, welcomeBonusPoints: 200 });
  });
  afterAll(async () => {
    await assertLedgerInvariants(t);
    await t.close();
  });

  const refund = (checkoutId: string, body: Record<string, unknown>, key = randomUUID()) => l.pos('post', `/v1/pos/checkouts/${checkoutId}/refunds`).set('Idempotency-Key', key).send(body);
  const voidIt = (checkoutId: string, refundId: string, key = randomUUID()) => l.pos('post', `/v1/pos/checkouts/${checkoutId}/refunds/${refundId}/void`).set('Idempotency-Key', key);
  const sale = async (id: string) => (await l.pos('get', `/v1/pos/checkouts/${id}`).expect(200)).body;

  it('undoes a refund exactly: points taken again and credited again, sums restored, entries linked, an event; then the sale refunds again', async () => {
    const { card } = await l.guestWithCard(bonus.id);
    const s = await l.commit({ card: { number: card.number }, basket: l.basket(60000, 40000), redeemPoints: 200 }).expect(201);
    expect(s.body).toMatchObject({ pointsRedeemed: 200, pointsAccrued: 40 });
    const r = await refund(s.body.id, { amountMinor: 50000 }).expect(201);
    expect(r.body).toMatchObject({ pointsReturned: 100, pointsReversed: 20, voidedAt: null });
    expect((await l.card(card.id)).pointsBalance).toBe(120);
    const spendBefore = (await l.card(card.id)).spendMinor;

    const key = randomUUID();
    const v = await voidIt(s.body.id, r.body.id, key).expect(200);
    expect(v.body).toMatchObject({ id: r.body.id, pointsReturned: 100, pointsReversed: 20 });
    expect(v.body.voidedAt).not.toBeNull();
    expect(await l.card(card.id)).toMatchObject({ pointsBalance: 40, spendMinor: spendBefore + 50000 });
    expect((await sale(s.body.id)).refunded).toEqual({ amountMinor: 0, payableMinor: 0, pointsReturned: 0, pointsReversed: 0, giftMinor: 0 });

    // Each void entry undoes one refund entry.
    const entries = await t.hub.db.manager.getRepository(LedgerEntry).findBy({ refundId: r.body.id });
    const refundEntries = entries.filter((e) => e.kind === 'refund');
    const voids = entries.filter((e) => e.kind === 'void');
    expect(voids.map((e) => e.amount).sort((a, c) => a - c)).toEqual([-100, 20]);
    for (const e of voids) {
      const undone = refundEntries.find((x) => x.id === e.linkedEntryId);
      expect(undone?.amount).toBe(-e.amount);
    }
    const ev = await t.hub.db.manager.getRepository(OutboxMessage).findOneBy({ type: 'checkout.refund_voided', correlationId: s.body.id });
    expect(ev?.data).toMatchObject({ checkoutId: s.body.id, refundId: r.body.id, cardId: card.id, programId: bonus.id, amountMinor: 50000, pointsTaken: 100, pointsRestored: 20 });

    // The same key replays; another key is refused; nothing moves twice.
    const again = await voidIt(s.body.id, r.body.id, key).expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toMatchObject({ id: r.body.id, replayed: true, voidedAt: v.body.voidedAt });
    const other = await voidIt(s.body.id, r.body.id).expect(409);
    expect(other.body.code).toBe('refund_already_voided');
    expect((await l.card(card.id)).pointsBalance).toBe(40);
    expect(await t.hub.db.manager.getRepository(OutboxMessage).countBy({ type: 'checkout.refund_voided', correlationId: s.body.id })).toBe(1);

    // The whole sale can be refunded again, exactly once.
    const full = await refund(s.body.id, { full: true }).expect(201);
    expect(full.body).toMatchObject({ amountMinor: 100000, pointsReturned: 200, pointsReversed: 40 });
    expect((await l.card(card.id)).pointsBalance).toBe(200);
    await refund(s.body.id, { amountMinor: 1 }).expect(422);
  });

  it('refuses when the guest already spent the points the refund gave back; nothing moves', async () => {
    const { card } = await l.guestWithCard(bonus.id);
    const s = await l.commit({ card: { number: card.number }, basket: l.basket(40000), redeemPoints: 200 }).expect(201);
    const r = await refund(s.body.id, { full: true }).expect(201);
    expect(r.body.pointsReturned).toBe(200);
    // The 200 points are spent again (and the 10 accrued on the first sale were taken back by the refund).
    await l.commit({ card: { number: card.number }, basket: l.basket(40000), redeemPoints: 200 }).expect(201);
    const before = await l.card(card.id);
    const entriesBefore = await t.hub.db.manager.getRepository(LedgerEntry).countBy({ cardId: card.id });
    const v = await voidIt(s.body.id, r.body.id).expect(422);
    expect(v.body).toMatchObject({ code: 'refund_void_insufficient_points', pointsNeeded: 200 });
    expect(await l.card(card.id)).toMatchObject({ pointsBalance: before.pointsBalance, spendMinor: before.spendMinor });
    expect(await t.hub.db.manager.getRepository(LedgerEntry).countBy({ cardId: card.id })).toBe(entriesBefore);
    expect((await sale(s.body.id)).refunded.amountMinor).toBe(40000);
    // Once the guest has the points again, the same void goes through.
    await l.admin('post', `/v1/admin/cards/${card.id}/adjustments`).send({ unit: 'points', amount: 300, reason: 'goodwill' }).expect(200);
    await voidIt(s.body.id, r.body.id).expect(200);
  });

  it('certificate money and stamps come back exactly', async () => {
    const gift = await l.program({ name: 'Gift', rules: { kind: 'gift', nominalsMinor: [300000] } });
    const cert = await l.admin('post', '/v1/admin/cards').send({ programId: gift.id, giftNominalMinor: 300000 }).expect(201);
    const g = await l.commit({ card: { number: cert.body.number }, basket: l.basket(120000), giftAmountMinor: 120000 }).expect(201);
    const gr = await refund(g.body.id, { full: true }).expect(201);
    expect(gr.body.giftReturnedMinor).toBe(120000);
    expect((await l.card(cert.body.id)).giftBalanceMinor).toBe(300000);
    await voidIt(g.body.id, gr.body.id).expect(200);
    expect((await l.card(cert.body.id)).giftBalanceMinor).toBe(180000);
    // Spent again: a void would need money that is gone.
    const g2 = await l.commit({ card: { number: cert.body.number }, basket: l.basket(50000), giftAmountMinor: 50000 }).expect(201);
    const gr2 = await refund(g2.body.id, { full: true }).expect(201);
    await l.commit({ card: { number: cert.body.number }, basket: l.basket(180000), giftAmountMinor: 180000 }).expect(201);
    expect((await voidIt(g2.body.id, gr2.body.id).expect(422)).body.code).toBe('refund_void_insufficient_gift');

    const stamps = await l.program({ name: 'Stamps', rules: { kind: 'stamp', earn: { mode: 'per_visit' }, stampsRequired: 6, reward: { type: 'points', points: 10 } } });
    const { card } = await l.guestWithCard(stamps.id);
    await l.commit({ card: { number: card.number }, basket: l.basket(1000) }).expect(201);
    const st = await l.commit({ card: { number: card.number }, basket: l.basket(1000) }).expect(201);
    const sr = await refund(st.body.id, { full: true }).expect(201);
    expect(sr.body.stampsReversed).toBe(1);
    expect((await l.card(card.id)).stamps).toBe(1);
    await voidIt(st.body.id, sr.body.id).expect(200);
    expect((await l.card(card.id)).stamps).toBe(2);
  });

  it('answers 404 for a refund of another sale, 409 for a key used on another refund, 403 without pos:refund', async () => {
    const { card } = await l.guestWithCard(bonus.id);
    const s1 = await l.commit({ card: { number: card.number }, basket: l.basket(10000) }).expect(201);
    const s2 = await l.commit({ card: { number: card.number }, basket: l.basket(10000) }).expect(201);
    const r1 = await refund(s1.body.id, { full: true }).expect(201);
    const r2 = await refund(s2.body.id, { full: true }).expect(201);
    expect((await voidIt(s2.body.id, r1.body.id).expect(404)).body.code).toBe('refund_not_found');
    const key = randomUUID();
    await voidIt(s1.body.id, r1.body.id, key).expect(200);
    expect((await voidIt(s2.body.id, r2.body.id, key).expect(409)).body.code).toBe('idempotency_key_reused');
    await l.pos('post', `/v1/pos/checkouts/${s2.body.id}/refunds/${r2.body.id}/void`).expect(400);
    const { key: salesOnly } = await t.hub.services.tenants.createTerminal({ businessId: b.businessId, actor: systemActor('test') }, { name: 'Sales only', scopes: ['pos'] });
    await l.pos('post', `/v1/pos/checkouts/${s2.body.id}/refunds/${r2.body.id}/void`, salesOnly).set('Idempotency-Key', randomUUID()).expect(403);
    const hist = await l.admin('get', `/v1/admin/checkouts/${s1.body.id}`).expect(200);
    expect(hist.body.refunds[0].voidedAt).not.toBeNull();
  });
});
