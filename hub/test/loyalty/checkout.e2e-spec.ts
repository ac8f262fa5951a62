import { randomUUID } from 'node:crypto';
import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { assertLedgerInvariants, loyalty } from './fixtures';
import { OutboxMessage } from '../../src/bus/outbox.entity';
import { Checkout } from '../../src/modules/checkout/checkout.entity';
import { Card } from '../../src/modules/cards/cards.entity';
import { LedgerEntry, PointLot } from '../../src/modules/ledger/ledger.entity';

const DAY = 86_400_000;

describeEachDb('POS checkout', (backend) => {
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;
  let bonus: { id: string };

  beforeAll(async () => {
    t = await createTestHub({ db: backend });
    b = await t.business('Coffee House');
    l = loyalty(t, b);
    bonus = await l.program({ name: 'Coffee points', rules: { kind: 'bonus', accrualPercent: 5, maxRedeemPercent: 50, pointValueMinor: 100 }, welcomeBonusPoints: 200 });
  });
  afterAll(async () => {
    await assertLedgerInvariants(t);
    await t.close();
  });

  it('finds a card by number, QR payload or phone; unknown -> 404 problem', async () => {
    const { card, guest } = await l.guestWithCard(bonus.id);
    for (const q of [{ number: card.number }, { qr: card.qr }, { phone: guest.phone.replace('+7', '8 (').replace(/(\d{3})(\d{3})(\d{2})(\d{2})$/, '$1) $2-$3-$4') }]) {
      const res = await l.pos('get', '/v1/pos/cards/lookup').query(q).expect(200);
      expect(res.body.card).toMatchObject({ id: card.id, pointsBalance: 200, pointsAvailable: 200 });
      expect(res.body.guest.id).toBe(guest.id);
    }
    const miss = await l.pos('get', '/v1/pos/cards/lookup').query({ number: '1019999999999' }).expect(404);
    expect(miss.body.code).toBe('card_not_found');
    await l.pos('get', '/v1/pos/cards/lookup').expect(400);
  });

  it('accrues on the amount not paid by points and redeems within the cap, welcome bonus first', async () => {
    const { card } = await l.guestWithCard(bonus.id);
    const quote = await l.pos('post', '/v1/pos/checkouts/quote').send({ card: { number: card.number }, basket: l.basket(30000, 10000), redeemPoints: 'max' }).expect(200);
    expect(quote.body).toMatchObject({ totalMinor: 40000, maxRedeemablePoints: 200, pointsRedeemed: 200, redeemValueMinor: 20000, payableMinor: 20000, pointsAccrued: 1000 * 0 + 10 });
    // The quote wrote nothing.
    expect((await l.card(card.id)).pointsBalance).toBe(200);
    const res = await l.commit({ card: { number: card.number }, basket: l.basket(30000, 10000), redeemPoints: 'max' }).expect(201);
    expect(res.body).toMatchObject({ status: 'committed', pointsRedeemed: 200, payableMinor: 20000, pointsAccrued: 10, currency: 'RUB', balanceAfter: { points: 10 } });
    expect(res.body.lines.reduce((s: number, x: { pointsValueMinor: number }) => s + x.pointsValueMinor, 0)).toBe(20000);
    const after = await l.card(card.id);
    expect(after).toMatchObject({ pointsBalance: 10, visits: 1, spendMinor: 40000 });
    const ledger = await l.admin('get', `/v1/admin/cards/${card.id}/ledger`).expect(200);
    expect(ledger.body.items.map((e: { kind: string; amount: number }) => [e.kind, e.amount])).toEqual([
      ['accrue', 10],
      ['redeem', -200],
      ['reward', 200],
    ]);
  });

  it('redeems by money: whole points for the amount asked, trimmed to the balance and the share; lookup and quote say what points are worth', async () => {
    const { card } = await l.guestWithCard(bonus.id);
    const found = await l.pos('get', '/v1/pos/cards/lookup').query({ number: card.number }).expect(200);
    // 200 points at 1.00 each are worth 200.00.
    expect(found.body).toMatchObject({ pointValueMinor: 100, maxRedeemValueMinor: 20000 });
    const q = await l.pos('post', '/v1/pos/checkouts/quote').send({ card: { number: card.number }, basket: l.basket(30000), redeemValueMinor: 12345 }).expect(200);
    // 123.45 asked: 123 points pay 123.00 (never a fraction of a point); the check's cap is 50 % of 300.00.
    expect(q.body).toMatchObject({ pointsRedeemed: 123, redeemValueMinor: 12300, payableMinor: 17700, pointValueMinor: 100, maxRedeemablePoints: 150, maxRedeemValueMinor: 15000 });
    const capped = await l.commit({ card: { number: card.number }, basket: l.basket(30000), redeemValueMinor: 99900 }).expect(201);
    expect(capped.body).toMatchObject({ pointsRedeemed: 150, redeemValueMinor: 15000, payableMinor: 15000 });
    // More money than the balance (the 50 points left and that sale's accrual) takes the balance.
    const left = (await l.card(card.id)).pointsAvailable as number;
    const all = await l.commit({ card: { number: card.number }, basket: l.basket(100000), redeemValueMinor: 90000 }).expect(201);
    expect(all.body).toMatchObject({ pointsRedeemed: left, redeemValueMinor: left * 100 });
    const both = await l.commit({ card: { number: card.number }, basket: l.basket(1000), redeemValueMinor: 500, redeemPoints: 5 }).expect(400);
    expect(both.body.errors.map((e: { field: string }) => e.field)).toContain('redeemValueMinor');
    const frac = await l.pos('post', '/v1/pos/checkouts/quote').send({ card: { number: card.number }, basket: l.basket(1000), redeemValueMinor: 10.5 }).expect(400);
    expect(frac.body.errors[0].field).toBe('redeemValueMinor');
    const coupons = await l.program({ name: 'No points', rules: { kind: 'discount', discountPercent: 5 } });
    const other = await l.guestWithCard(coupons.id);
    const none = await l.pos('get', '/v1/pos/cards/lookup').query({ number: other.card.number }).expect(200);
    expect(none.body).toMatchObject({ pointValueMinor: 0, maxRedeemValueMinor: 0 });
    const refused = await l.commit({ card: { number: other.card.number }, basket: l.basket(1000), redeemValueMinor: 500 }).expect(422);
    expect(refused.body.code).toBe('operation_not_supported');
  });

  it('refuses over-cap, over-balance, negative and fractional amounts with readable problems', async () => {
    const { card } = await l.guestWithCard(bonus.id);
    const over = await l.commit({ card: { number: card.number }, basket: l.basket(20000), redeemPoints: 150 }).expect(422);
    expect(over.body.code).toBe('redeem_over_cap');
    expect(over.body.detail).toMatch(/\d/);
    const more = await l.commit({ card: { number: card.number }, basket: l.basket(200000), redeemPoints: 500 }).expect(422);
    expect(more.body.code).toBe('insufficient_points');
    const bad = await l.commit({ card: { number: card.number }, basket: { items: [{ sku: 'A', qty: 1, unitPriceMinor: -5, amountMinor: 10.5 }] }, redeemPoints: -1 }).expect(400);
    const fields = bad.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['basket.items[0].unitPriceMinor', 'basket.items[0].amountMinor', 'redeemPoints']));
    const noKey = await l.pos('post', '/v1/pos/checkouts').send({ card: { number: card.number }, basket: l.basket(100) }).expect(400);
    expect(noKey.body.errors[0]).toMatchObject({ field: 'idempotency-key', in: 'headers' });
    // Nothing was written by the refusals.
    expect(await t.hub.db.manager.getRepository(Checkout).countBy({ cardId: card.id })).toBe(0);
    expect((await l.card(card.id)).pointsBalance).toBe(200);
  });

  it('replays the same key + body, refuses the same key with another body, and counts a receipt once', async () => {
    const { card } = await l.guestWithCard(bonus.id);
    const key = randomUUID();
    const body = { card: { number: card.number }, basket: l.basket(10000) };
    const first = await l.commit(body, key).expect(201);
    const again = await l.commit(body, key).expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toMatchObject({ id: first.body.id, replayed: true, pointsAccrued: first.body.pointsAccrued });
    const other = await l.commit({ ...body, basket: l.basket(20000) }, key).expect(409);
    expect(other.body.code).toBe('idempotency_key_reused');
    const receipt = { number: 'R-77', date: '2026-11-25', till: 'till-1' };
    const viaPlugin = await l.commit({ ...body, receipt }, randomUUID()).expect(201);
    const viaWebhook = await l.commit({ ...body, receipt }, randomUUID()).expect(200);
    expect(viaWebhook.body.id).toBe(viaPlugin.body.id);
    const changed = await l.commit({ ...body, basket: l.basket(99), receipt }, randomUUID()).expect(409);
    expect(changed.body.code).toBe('receipt_already_recorded');
    expect((await l.card(card.id)).visits).toBe(2);
  });

  it('turns concurrent duplicates of one key into one checkout', async () => {
    const { card } = await l.guestWithCard(bonus.id);
    await t.listen();
    const key = randomUUID();
    const body = JSON.stringify({ card: { number: card.number }, basket: l.basket(5000) });
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${t.url}/v1/pos/checkouts`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${b.terminalKey}`, 'idempotency-key': key }, body }).then(async (r) => ({ status: r.status, body: (await r.json()) as { id: string } })),
      ),
    );
    expect(results.every((r) => r.status === 201 || r.status === 200)).toBe(true);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(await t.hub.db.manager.getRepository(Checkout).countBy({ cardId: card.id })).toBe(1);
    expect((await l.card(card.id)).visits).toBe(1);
  });

  it('holds points, captures (accrual happens then) and cancels (points come back)', async () => {
    const { card } = await l.guestWithCard(bonus.id);
    const held = await l.commit({ card: { number: card.number }, basket: l.basket(40000), redeemPoints: 100, mode: 'hold' }).expect(201);
    expect(held.body).toMatchObject({ status: 'held', pointsRedeemed: 100, pointsAccrued: 0 });
    expect(await l.card(card.id)).toMatchObject({ pointsBalance: 100, pointsHeld: 100 });
    const cap = await l.pos('post', `/v1/pos/checkouts/${held.body.id}/capture`).expect(200);
    expect(cap.body).toMatchObject({ status: 'committed', pointsAccrued: 15 });
    await l.pos('post', `/v1/pos/checkouts/${held.body.id}/capture`).expect(200); // idempotent
    expect(await l.card(card.id)).toMatchObject({ pointsBalance: 115, pointsHeld: 0, visits: 1 });
    const cancelLate = await l.pos('post', `/v1/pos/checkouts/${held.body.id}/cancel`).expect(409);
    expect(cancelLate.body.code).toBe('already_captured');

    const h2 = await l.commit({ card: { number: card.number }, basket: l.basket(40000), redeemPoints: 50, mode: 'hold' }).expect(201);
    await l.pos('post', `/v1/pos/checkouts/${h2.body.id}/cancel`).expect(200);
    await l.pos('post', `/v1/pos/checkouts/${h2.body.id}/cancel`).expect(200);
    expect(await l.card(card.id)).toMatchObject({ pointsBalance: 115, pointsHeld: 0, visits: 1 });
    const capLate = await l.pos('post', `/v1/pos/checkouts/${h2.body.id}/capture`).expect(409);
    expect(capLate.body.code).toBe('hold_canceled');
  });

  it('expires a hold that is never captured and releases its points', async () => {
    const { card } = await l.guestWithCard(bonus.id);
    const held = await l.commit({ card: { number: card.number }, basket: l.basket(40000), redeemPoints: 120, mode: 'hold' }).expect(201);
    expect((await l.card(card.id)).pointsBalance).toBe(80);
    const released = await t.hub.services.checkout.expireHolds(new Date(Date.now() + 31 * 60_000));
    expect(released).toBeGreaterThanOrEqual(1);
    const co = await l.pos('get', `/v1/pos/checkouts/${held.body.id}`).expect(200);
    expect(co.body.status).toBe('canceled');
    expect(await l.card(card.id)).toMatchObject({ pointsBalance: 200, pointsHeld: 0 });
    const audit = await t.hub.db.manager.getRepository(OutboxMessage).findOneBy({ type: 'checkout.canceled', correlationId: held.body.id });
    expect(audit?.data).toMatchObject({ reason: 'hold expired' });
  });

  it('refunds partly then fully, proportionally, once per key, never more than taken', async () => {
    const { card } = await l.guestWithCard(bonus.id);
    const sale = await l.commit({ card: { number: card.number }, basket: l.basket(60000, 40000), redeemPoints: 200 }).expect(201);
    expect(sale.body).toMatchObject({ pointsRedeemed: 200, pointsAccrued: 40 });
    const key = randomUUID();
    const r1 = await l.pos('post', `/v1/pos/checkouts/${sale.body.id}/refunds`).set('Idempotency-Key', key).send({ amountMinor: 50000 }).expect(201);
    expect(r1.body).toMatchObject({ amountMinor: 50000, payableReturnedMinor: 40000, pointsReturned: 100, pointsReversed: 20, full: false });
    const r1again = await l.pos('post', `/v1/pos/checkouts/${sale.body.id}/refunds`).set('Idempotency-Key', key).send({ amountMinor: 50000 }).expect(200);
    expect(r1again.body).toMatchObject({ id: r1.body.id, replayed: true });
    const tooMuch = await l.pos('post', `/v1/pos/checkouts/${sale.body.id}/refunds`).set('Idempotency-Key', randomUUID()).send({ amountMinor: 60000 }).expect(422);
    expect(tooMuch.body.code).toBe('refund_exceeds_remaining');
    const r2 = await l.pos('post', `/v1/pos/checkouts/${sale.body.id}/refunds`).set('Idempotency-Key', randomUUID()).send({ full: true }).expect(201);
    expect(r2.body).toMatchObject({ amountMinor: 50000, pointsReturned: 100, pointsReversed: 20, full: true });
    expect(await l.card(card.id)).toMatchObject({ pointsBalance: 200, spendMinor: 0 });
    await l.pos('post', `/v1/pos/checkouts/${sale.body.id}/refunds`).set('Idempotency-Key', randomUUID()).send({ full: true }).expect(422);
    const entries = await t.hub.db.manager.getRepository(LedgerEntry).findBy({ checkoutId: sale.body.id });
    expect(entries.filter((e) => e.kind === 'refund').every((e) => e.linkedEntryId)).toBe(true);
    const hist = await l.admin('get', `/v1/admin/checkouts/${sale.body.id}`).expect(200);
    expect(hist.body.refunds).toHaveLength(2);
    expect(hist.body.refunded).toMatchObject({ amountMinor: 100000, pointsReturned: 200, pointsReversed: 40 });
  });

  it('a refund after the accrued points were spent takes back only what is there (never negative)', async () => {
    const { card } = await l.guestWithCard(bonus.id);
    const sale = await l.commit({ card: { number: card.number }, basket: l.basket(100000) }).expect(201);
    expect(sale.body.pointsAccrued).toBe(50);
    await l.commit({ card: { number: card.number }, basket: l.basket(100000), redeemPoints: 250 }).expect(201);
    // 250 spent, 37 earned on the 75 000 paid in money.
    expect((await l.card(card.id)).pointsBalance).toBe(37);
    const r = await l.pos('post', `/v1/pos/checkouts/${sale.body.id}/refunds`).set('Idempotency-Key', randomUUID()).send({ full: true }).expect(201);
    expect(r.body).toMatchObject({ pointsReversed: 37, pointsShortfall: 13 });
    expect((await l.card(card.id)).pointsBalance).toBe(0);
  });

  it('keeps pending points unusable until their day, and expires lots oldest-expiring first', async () => {
    const p = await l.program({ name: 'Pending', rules: { kind: 'bonus', accrualPercent: 10, pendingDays: 7, expiryDays: 30 } });
    const { card } = await l.guestWithCard(p.id);
    const sale = await l.commit({ card: { number: card.number }, basket: l.basket(50000) }).expect(201);
    expect(sale.body.pointsAccrued).toBe(50);
    expect(new Date(sale.body.pointsAvailableAt).getTime()).toBeGreaterThan(Date.now() + 6 * DAY);
    expect(await l.card(card.id)).toMatchObject({ pointsBalance: 50, pointsPending: 50, pointsAvailable: 0 });
    const refused = await l.commit({ card: { number: card.number }, basket: l.basket(50000), redeemPoints: 10 }).expect(422);
    expect(refused.body.code).toBe('insufficient_points');
    // 40 days later the lot (available at +7, expiring at +37) has expired.
    const expired = await t.hub.services.ledger.expireDue(new Date(Date.now() + 40 * DAY));
    expect(expired).toBeGreaterThanOrEqual(50);
    expect(await l.card(card.id)).toMatchObject({ pointsBalance: 0 });
    const lots = await t.hub.db.manager.getRepository(PointLot).findBy({ cardId: card.id });
    expect(lots.every((x) => x.remaining === 0)).toBe(true);
  });

  it('discount card: percent by level, upgrade at commit with an event', async () => {
    const p = await l.program({
      name: 'Club',
      rules: { kind: 'discount', discountPercent: 3 },
      levels: [
        { code: 'base', name: 'Base', threshold: 0, discountPercent: 3 },
        { code: 'silver', name: 'Silver', threshold: 100000, discountPercent: 7 },
      ],
      levelPolicy: { metric: 'spend', window: 'all_time', downgrade: 'never' },
    });
    const { card } = await l.guestWithCard(p.id);
    const s1 = await l.commit({ card: { number: card.number }, basket: l.basket(120000) }).expect(201);
    expect(s1.body).toMatchObject({ discountMinor: 3600, payableMinor: 116400, balanceAfter: { levelCode: 'silver' } });
    const s2 = await l.commit({ card: { number: card.number }, basket: l.basket(10000) }).expect(201);
    expect(s2.body.discountMinor).toBe(700);
    const ev = await t.hub.db.manager.getRepository(OutboxMessage).findOneBy({ type: 'card.level_changed', correlationId: s1.body.id });
    expect(ev?.data).toMatchObject({ cardId: card.id, fromLevel: 'base', toLevel: 'silver' });
  });

  it('rolling-window levels: upgrade at commit, periodic review downgrades when the window empties', async () => {
    const p = await l.program({
      name: 'Rolling',
      rules: { kind: 'bonus', accrualPercent: 1 },
      levels: [
        { code: 'base', name: 'Base', threshold: 0 },
        { code: 'gold', name: 'Gold', threshold: 50000, accrualPercent: 10 },
      ],
      levelPolicy: { metric: 'spend', window: { days: 30 }, downgrade: 'periodic' },
    });
    const { card } = await l.guestWithCard(p.id);
    const s1 = await l.commit({ card: { number: card.number }, basket: l.basket(60000) }).expect(201);
    expect(s1.body.balanceAfter.levelCode).toBe('gold');
    expect(await t.hub.services.checkout.reviewLevels(new Date())).toBe(0);
    const changed = await t.hub.services.checkout.reviewLevels(new Date(Date.now() + 31 * DAY));
    expect(changed).toBeGreaterThanOrEqual(1);
    expect((await l.card(card.id)).levelCode).toBe('base');
    const ev = await t.hub.db.manager.getRepository(OutboxMessage).findBy({ type: 'card.level_changed' });
    expect(ev.some((e) => e.data.cardId === card.id && e.data.toLevel === 'base' && e.data.reason === 'periodic_downgrade')).toBe(true);
  });

  it('gift certificate: issued for a face value, spent partly, refused when expired', async () => {
    const p = await l.program({ name: 'Gift', rules: { kind: 'gift', nominalsMinor: [300000, 500000], expiryDays: 365 } });
    const issued = await l.admin('post', '/v1/admin/cards').send({ programId: p.id, giftNominalMinor: 300000 }).expect(201);
    expect(issued.body).toMatchObject({ giftBalanceMinor: 300000, guestId: null });
    await l.admin('post', '/v1/admin/cards').send({ programId: p.id, giftNominalMinor: 123 }).expect(400);
    const s = await l.commit({ card: { number: issued.body.number }, basket: l.basket(120000), giftAmountMinor: 'max' }).expect(201);
    expect(s.body).toMatchObject({ giftSpentMinor: 120000, payableMinor: 0, balanceAfter: { giftMinor: 180000 } });
    await t.hub.db.manager.getRepository(Card).update({ id: issued.body.id }, { giftExpiresAt: new Date(Date.now() - 1000) });
    const exp = await l.commit({ card: { number: issued.body.number }, basket: l.basket(1000), giftAmountMinor: 1000 }).expect(422);
    expect(exp.body.code).toBe('gift_expired');
  });

  it('coupons: bulk codes, single use, min check, validity', async () => {
    const p = await l.program({ name: '10% off', rules: { kind: 'coupon', discount: { type: 'percent', percent: 10 }, usage: 'single', minCheckMinor: 50000 } });
    const gen = await l.admin('post', `/v1/admin/programs/${p.id}/coupons/generate`).send({ count: 25, prefix: 'AUT-' }).expect(201);
    expect(gen.body.count).toBe(25);
    expect(new Set(gen.body.codes).size).toBe(25);
    const code = gen.body.codes[0];
    const small = await l.commit({ basket: l.basket(10000), couponCode: code }).expect(422);
    expect(small.body.code).toBe('coupon_min_check');
    const ok = await l.commit({ basket: l.basket(80000), couponCode: code.toLowerCase() }).expect(201);
    expect(ok.body).toMatchObject({ discountMinor: 8000, couponCode: code });
    const twice = await l.commit({ basket: l.basket(80000), couponCode: code }).expect(409);
    expect(twice.body.code).toBe('coupon_used_up');
    await l.admin('post', `/v1/admin/programs/${p.id}/coupons`).send({ code: 'LATER', validFrom: new Date(Date.now() + DAY).toISOString() }).expect(201);
    const early = await l.commit({ basket: l.basket(80000), couponCode: 'LATER' }).expect(422);
    expect(early.body.code).toBe('coupon_not_yet_valid');
    const off = await l.admin('post', `/v1/admin/programs/${p.id}/coupons`).send({ code: 'PAUSED' }).expect(201);
    await l.admin('post', `/v1/admin/coupons/${off.body.id}/status`).send({ status: 'disabled' }).expect(200);
    const paused = await l.commit({ basket: l.basket(80000), couponCode: 'PAUSED' }).expect(409);
    expect(paused.body.code).toBe('coupon_inactive');
    const unknown = await l.commit({ basket: l.basket(80000), couponCode: 'NOPE' }).expect(404);
    expect(unknown.body.code).toBe('coupon_not_found');
  });

  it('stamp card: a stamp per visit, the 3rd completes it and issues a personal free-item coupon', async () => {
    const reward = await l.program({ name: 'Free coffee', rules: { kind: 'coupon', discount: { type: 'free_item', skus: ['COFFEE'] } } });
    const p = await l.program({ name: 'Stamps', rules: { kind: 'stamp', earn: { mode: 'per_visit' }, stampsRequired: 3, reward: { type: 'coupon', couponProgramId: reward.id, title: 'Free coffee' } } });
    const { card, guest } = await l.guestWithCard(p.id);
    for (let i = 0; i < 2; i++) await l.commit({ card: { number: card.number }, basket: l.basket(20000) }).expect(201);
    expect((await l.card(card.id)).stamps).toBe(2);
    const third = await l.commit({ card: { number: card.number }, basket: l.basket(20000) }).expect(201);
    expect(third.body).toMatchObject({ stampsAdded: 1, stampRewards: 1, balanceAfter: { stamps: 0 } });
    const coupons = await l.admin('get', `/v1/admin/programs/${reward.id}/coupons`).expect(200);
    expect(coupons.body.items).toHaveLength(1);
    expect(coupons.body.items[0]).toMatchObject({ guestId: guest.id, maxUses: 1 });
  });

  it('refuses blocked and deleted cards; deleted cards stay listed', async () => {
    const { card, guest } = await l.guestWithCard(bonus.id);
    await l.admin('post', `/v1/admin/cards/${card.id}/status`).send({ status: 'blocked', reason: 'lost' }).expect(200);
    const blocked = await l.commit({ card: { number: card.number }, basket: l.basket(1000) }).expect(409);
    expect(blocked.body.code).toBe('card_blocked');
    await l.admin('post', `/v1/admin/cards/${card.id}/status`).send({ status: 'deleted' }).expect(200);
    const del = await l.commit({ card: { number: card.number }, basket: l.basket(1000) }).expect(409);
    expect(del.body.code).toBe('card_deleted');
    const back = await l.admin('post', `/v1/admin/cards/${card.id}/status`).send({ status: 'active' }).expect(409);
    expect(back.body.code).toBe('invalid_state_transition');
    const g = await l.admin('get', `/v1/admin/guests/${guest.id}`).expect(200);
    expect(g.body.cards.map((c: { status: string }) => c.status)).toEqual(['deleted']);
  });

  it('writes the events into the outbox in the same transaction, and none for a refusal', async () => {
    const { card } = await l.guestWithCard(bonus.id);
    const s = await l.commit({ card: { number: card.number }, basket: l.basket(10000) }).expect(201);
    const ev = await t.hub.db.manager.getRepository(OutboxMessage).findBy({ correlationId: s.body.id });
    expect(ev.map((e) => e.type).sort()).toEqual(['card.balance_changed', 'checkout.committed']);
    expect(ev.find((e) => e.type === 'checkout.committed')!.data).toMatchObject({ checkoutId: s.body.id, totalMinor: 10000, pointsAccrued: 5, currency: 'RUB' });
    const before = await t.hub.db.manager.getRepository(OutboxMessage).count();
    await l.commit({ card: { number: card.number }, basket: l.basket(10000), redeemPoints: 99999 }).expect(422);
    expect(await t.hub.db.manager.getRepository(OutboxMessage).count()).toBe(before);
  });

  it('a terminal of another business cannot use or see this business’s cards', async () => {
    const other = await t.business('Other');
    const { card } = await l.guestWithCard(bonus.id);
    const res = await t.http.post('/v1/pos/checkouts').set('Authorization', `Bearer ${other.terminalKey}`).set('Idempotency-Key', randomUUID()).send({ card: { number: card.number }, basket: l.basket(1000) }).expect(404);
    expect(res.body.code).toBe('card_not_found');
    await t.http.post('/v1/pos/checkouts').set('Authorization', `Bearer ${other.terminalKey}`).set('Idempotency-Key', randomUUID()).send({ card: { id: card.id }, basket: l.basket(1000) }).expect(404);
    await t.http.get(`/v1/admin/cards/${card.id}`).set('Cookie', other.ownerCookie).expect(404);
    await t.http.get('/v1/pos/cards/lookup').query({ number: card.number }).set('Authorization', `Bearer ${other.terminalKey}`).expect(404);
    await t.http.get(`/v1/admin/programs/${bonus.id}`).set('Cookie', other.ownerCookie).expect(404);
  });
});
