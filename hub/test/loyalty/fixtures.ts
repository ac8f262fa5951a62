import { randomUUID } from 'node:crypto';
import type { TestBusiness, TestHub } from '../harness';
import { Card } from '../../src/modules/cards/cards.entity';
import { PointLot } from '../../src/modules/ledger/ledger.entity';

/** Helpers shared by the loyalty e2e tests: create programs, guests and sales through the real API. */
export function loyalty(t: TestHub, b: TestBusiness) {
  const admin = (method: 'get' | 'post' | 'patch' | 'delete', path: string) => t.http[method](path).set('Cookie', b.ownerCookie);
  const pos = (method: 'get' | 'post', path: string, key = b.terminalKey) => t.http[method](path).set('Authorization', `Bearer ${key}`);
  let phoneSeq = 1000000;
  return {
    admin,
    pos,
    async program(body: Record<string, unknown>) {
      const res = await admin('post', '/v1/admin/programs').send(body);
      if (res.status !== 201) throw new Error(`program: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { id: string; kind: string };
    },
    nextPhone: () => `+7999${String(phoneSeq++).padStart(7, '0')}`,
    async guestWithCard(programId: string, extra: Record<string, unknown> = {}) {
      const phone = (extra.phone as string) ?? `+7999${String(phoneSeq++).padStart(7, '0')}`;
      const res = await admin('post', '/v1/admin/guests').send({ phone, name: 'Guest', programId, ...extra });
      if (res.status !== 201) throw new Error(`guest: ${res.status} ${JSON.stringify(res.body)}`);
      return { guest: res.body.guest, card: res.body.card } as { guest: { id: string; phone: string; referralCode: string }; card: { id: string; number: string; qr: string } };
    },
    basket: (...amounts: number[]) => ({ items: amounts.map((a, i) => ({ sku: `SKU-${i}`, qty: 1, unitPriceMinor: a, amountMinor: a })) }),
    commit(body: Record<string, unknown>, key: string = randomUUID()) {
      return pos('post', '/v1/pos/checkouts').set('Idempotency-Key', key).send(body);
    },
    async card(id: string) {
      return (await admin('get', `/v1/admin/cards/${id}`)).body;
    },
  };
}

/** Σ ledger entries = cached balances, and lots' remaining = points balance, for every card of the hub. */
export async function assertLedgerInvariants(t: TestHub): Promise<number> {
  const cards = await t.hub.db.manager.getRepository(Card).find();
  for (const c of cards) {
    const sums = await t.hub.services.ledger.sums(t.hub.db.manager, c.businessId, c.id);
    expect({ card: c.number, points: sums.points, minor: sums.minor, stamps: sums.stamps }).toEqual({ card: c.number, points: c.pointsBalance, minor: c.giftBalanceMinor, stamps: c.stamps });
    const lots = await t.hub.db.manager.getRepository(PointLot).findBy({ cardId: c.id });
    expect(lots.reduce((s, l) => s + l.remaining, 0)).toBe(c.pointsBalance);
    expect(c.pointsBalance).toBeGreaterThanOrEqual(0);
    expect(c.giftBalanceMinor).toBeGreaterThanOrEqual(0);
    expect(c.stamps).toBeGreaterThanOrEqual(0);
    for (const l of lots) expect(l.remaining).toBeGreaterThanOrEqual(0);
  }
  return cards.length;
}
