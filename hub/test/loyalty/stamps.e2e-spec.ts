import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { assertLedgerInvariants, loyalty } from './fixtures';

/**
 * Stamp cards are exact (issue 14, item 3): a capture decides against the card as it is at
 * capture, and a reply reports exactly the stamps and rewards that were written.
 * The program: 4 stamps per reward of 50 points on the guest's bonus card.
 */
describeEachDb('stamp cards are exact', (backend) => {
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;
  let stampProgram: { id: string };
  let bonusProgram: { id: string };

  beforeAll(async () => {
    t = await createTestHub({ db: backend });
    b = await t.business('Stamp café');
    l = loyalty(t, b);
    bonusProgram = await l.program({ name: 'Points', rules: { kind: 'bonus', accrualPercent: 0 } });
    stampProgram = await l.program({
      name: 'Coffee stamps',
      rules: { kind: 'stamp', earn: { mode: 'per_visit' }, stampsRequired: 4, reward: { type: 'points', points: 50 } },
    });
  });
  afterAll(async () => {
    await assertLedgerInvariants(t);
    await t.close();
  });

  /** A guest with a stamp card at `stamps` (set by an adjustment) and a bonus card for the rewards. */
  async function guestAt(stamps: number) {
    const { card, guest } = await l.guestWithCard(stampProgram.id);
    const bonus = await l.admin('post', '/v1/admin/cards').send({ programId: bonusProgram.id, guestId: guest.id }).expect(201);
    if (stamps)
      await l
        .admin('post', `/v1/admin/cards/${card.id}/adjustments`)
        .send({ unit: 'stamps', amount: stamps, reason: 'stamps from the paper card' })
        .expect(200);
    return { card, bonusId: bonus.body.id as string };
  }
  const ledgerOf = async (cardId: string) =>
    ((await l.admin('get', `/v1/admin/cards/${cardId}/ledger`).expect(200)).body.items as { kind: string; amount: number }[])
      .map((e) => [e.kind, e.amount])
      .reverse();

  it('a captured hold keeps the stamps left over after the reward (2 + hold 2, a sale, capture → 1 left)', async () => {
    const { card, bonusId } = await guestAt(2);
    const held = await l.commit({ card: { number: card.number }, basket: l.basket(1000), addStamps: 2, mode: 'hold' }).expect(201);
    const sale = await l.commit({ card: { number: card.number }, basket: l.basket(1000) }).expect(201);
    expect(sale.body).toMatchObject({ stampsAdded: 1, stampRewards: 0, balanceAfter: { stamps: 3 } });
    const cap = await l.pos('post', `/v1/pos/checkouts/${held.body.id}/capture`).expect(200);
    expect(cap.body).toMatchObject({ status: 'committed', stampsAdded: 2, stampRewards: 1, balanceAfter: { stamps: 1 } });
    expect((await l.card(card.id)).stamps).toBe(1);
    expect((await l.card(bonusId)).pointsBalance).toBe(50);
    expect(await ledgerOf(card.id)).toEqual([
      ['adjust', 2],
      ['stamp', 1],
      ['stamp', 2],
      ['reward', -4],
    ]);
    // The stored reply stays what was written.
    const again = await l.pos('get', `/v1/pos/checkouts/${held.body.id}`).expect(200);
    expect(again.body).toMatchObject({ stampsAdded: 2, stampRewards: 1, balanceAfter: { stamps: 1 } });
  });

  it('a captured hold grants no reward the card did not earn at capture (3, hold, a sale completes, capture → 1, one reward)', async () => {
    const { card, bonusId } = await guestAt(3);
    const held = await l.commit({ card: { number: card.number }, basket: l.basket(1000), mode: 'hold' }).expect(201);
    const sale = await l.commit({ card: { number: card.number }, basket: l.basket(1000) }).expect(201);
    expect(sale.body).toMatchObject({ stampsAdded: 1, stampRewards: 1, balanceAfter: { stamps: 0 } });
    const cap = await l.pos('post', `/v1/pos/checkouts/${held.body.id}/capture`).expect(200);
    expect(cap.body).toMatchObject({ stampsAdded: 1, stampRewards: 0, balanceAfter: { stamps: 1 } });
    expect((await l.card(card.id)).stamps).toBe(1);
    expect((await l.card(bonusId)).pointsBalance).toBe(50);
  });

  it('a sale that adds no stamp to a full card reports no reward (POS and web scanner)', async () => {
    const { card, bonusId } = await guestAt(4);
    const sale = await l.commit({ card: { number: card.number }, basket: l.basket(1000), addStamps: 0 }).expect(201);
    expect(sale.body).toMatchObject({ stampsAdded: 0, stampRewards: 0, balanceAfter: { stamps: 4 } });
    const scan = await t.http
      .post('/v1/scanner/operations')
      .set('Cookie', b.ownerCookie)
      .set('Idempotency-Key', 'tap-full-card')
      .send({ card: { number: card.number }, locationId: b.locationId, amountMinor: 1000, addStamps: 0 })
      .expect(201);
    expect(scan.body).toMatchObject({ stampsAdded: 0, stampRewards: 0 });
    expect((await l.card(card.id)).stamps).toBe(4);
    expect((await l.card(bonusId)).pointsBalance).toBe(0);
    // The next stamp completes the card: the reward is granted then, and reported once.
    const next = await l.commit({ card: { number: card.number }, basket: l.basket(1000) }).expect(201);
    expect(next.body).toMatchObject({ stampsAdded: 1, stampRewards: 1, balanceAfter: { stamps: 1 } });
    expect((await l.card(bonusId)).pointsBalance).toBe(50);
  });
});
