import { z } from 'zod';
import { eventSchemas, defineConnector, CONTRACT_VERSION } from '@loyalty/sdk';
import { OutboxMessage } from '../../src/bus/outbox.entity';
import { createTestHub, describeEachDb, type TestBusiness, type TestHub } from '../harness';
import { loyalty } from '../loyalty/fixtures';

/** `checkout.committed` exactly as contract 1.0 defined it: what a consumer built on SDK 1.0 parses with. */
const committedV10 = z.object({
  checkoutId: z.string(),
  cardId: z.string().nullable(),
  guestId: z.string().nullable(),
  locationId: z.string().nullable(),
  terminalId: z.string().nullable(),
  currency: z.string().length(3),
  totalMinor: z.number().int(),
  discountMinor: z.number().int(),
  pointsRedeemed: z.number().int(),
  pointsAccrued: z.number().int(),
  giftSpentMinor: z.number().int(),
  stampsAdded: z.number().int(),
  couponCode: z.string().nullable(),
  receipt: z.object({ number: z.string().nullable(), date: z.string().nullable() }).nullable(),
});
const refundedV10 = z.object({
  checkoutId: z.string(),
  refundId: z.string(),
  cardId: z.string().nullable(),
  amountMinor: z.number().int(),
  pointsReturned: z.number().int(),
  pointsReversed: z.number().int(),
  full: z.boolean(),
});

describeEachDb('contract 1.1 events', (backend) => {
  let t: TestHub;
  let b: TestBusiness;
  let l: ReturnType<typeof loyalty>;
  let programId: string;
  const events = async (type: string) =>
    (await t.hub.db.manager.getRepository(OutboxMessage).find({ where: { businessId: b.businessId, type }, order: { seq: 'ASC' } })).map(
      (r) => r.data as Record<string, unknown>,
    );

  beforeAll(async () => {
    t = await createTestHub({ db: backend });
    b = await t.business();
    l = loyalty(t, b);
    programId = (await l.program({ name: 'Points', rules: { kind: 'bonus', accrualPercent: 10, maxRedeemPercent: 50, pointValueMinor: 100 } })).id;
  });
  afterAll(() => t.close());

  it('a sale carries its program, lines, source and the guest’s contact; a refund its location and program', async () => {
    const { card, guest } = await l.guestWithCard(programId, { email: 'anna@example.com', name: 'Anna' });
    const sale = await l.commit({
      card: { id: card.id },
      basket: { items: [{ sku: 'LATTE', name: 'Latte', category: 'coffee', qty: 2, unitPriceMinor: 15000, amountMinor: 30000 }] },
      locationId: b.locationId,
    });
    expect(sale.status).toBe(201);
    const [committed] = await events('checkout.committed');
    expect(committed).toMatchObject({
      checkoutId: sale.body.id,
      programId,
      source: 'pos',
      items: [{ sku: 'LATTE', name: 'Latte', category: 'coffee', qty: 2, unitPriceMinor: 15000, amountMinor: 30000 }],
      guest: { guestId: guest.id, phone: guest.phone, email: 'anna@example.com', name: 'Anna' },
    });
    // A consumer written against contract 1.0 reads the 1.1 event unchanged.
    expect(committedV10.parse(committed)).toMatchObject({ checkoutId: sale.body.id, pointsAccrued: 30 });
    const refund = await l.pos('post', `/v1/pos/checkouts/${sale.body.id}/refunds`).set('Idempotency-Key', 'r-1').send({ full: true });
    expect(refund.status).toBe(201);
    const [refunded] = await events('checkout.refunded');
    expect(refunded).toMatchObject({ checkoutId: sale.body.id, locationId: b.locationId, programId });
    expect(refundedV10.parse(refunded)).toMatchObject({ full: true });
  });

  it('guest.updated names what changed; guest.erased carries no personal data', async () => {
    const { guest } = await l.guestWithCard(programId, { name: 'Boris' });
    expect((await l.admin('patch', `/v1/admin/guests/${guest.id}`).send({ email: 'boris@example.com', name: 'Boris' })).status).toBe(200);
    expect((await l.admin('patch', `/v1/admin/guests/${guest.id}`).send({ name: 'Boris' })).status).toBe(200);
    const updated = (await events('guest.updated')).filter((e) => e.guestId === guest.id);
    expect(updated).toEqual([
      { guestId: guest.id, changed: ['email'], phone: guest.phone, name: 'Boris', email: 'boris@example.com', birthday: null, marketingConsent: false },
    ]);
    expect((await l.admin('post', `/v1/admin/guests/${guest.id}/erase`).send({})).status).toBeLessThan(300);
    expect((await events('guest.erased')).filter((e) => e.guestId === guest.id)).toEqual([{ guestId: guest.id }]);
  });

  it('a CSV import emits the events one-by-one registration would, in its own transactions', async () => {
    const before = { registered: (await events('guest.registered')).length, issued: (await events('card.issued')).length };
    const csv = ['phone,name,points', '+79995550001,Vera,120', '+79995550002,Gleb,', 'not-a-phone,Bad,1'].join('\n');
    const up = await t.http.post('/v1/admin/imports').query({ programId }).set('Cookie', b.ownerCookie).set('content-type', 'text/csv').send(csv);
    expect(up.status).toBe(202);
    for (let i = 0; i < 200; i++) {
      await t.hub.services.imports.work(5000, up.body.id);
      const r = await l.admin('get', `/v1/admin/imports/${up.body.id}`);
      if (r.body.state === 'done') break;
      await new Promise((res) => setTimeout(res, 50));
    }
    const registered = (await events('guest.registered')).slice(before.registered);
    expect(registered.map((e) => [e.phone, e.name, e.source])).toEqual([
      ['+79995550001', 'Vera', 'import'],
      ['+79995550002', 'Gleb', 'import'],
    ]);
    const issued = (await events('card.issued')).slice(before.issued);
    expect(issued).toHaveLength(2);
    expect(issued.every((e) => e.programId === programId && e.programKind === 'bonus')).toBe(true);
    const balances = (await events('card.balance_changed')).filter((e) => e.reason === 'import');
    expect(balances).toEqual([expect.objectContaining({ balance: 120, delta: 120, unit: 'points' })]);
  });
});

describe('contract 1.1 is additive for 1.0 connectors', () => {
  it('a connector declaring contract 1.0 still loads, and 1.0 payloads (events written before the upgrade) still validate', () => {
    expect(CONTRACT_VERSION).toBe('1.1');
    const def = defineConnector({
      manifest: {
        id: 'old-crm',
        name: 'Old',
        category: 'crm',
        version: '1.0.0',
        contractVersion: '1.0',
        consumes: ['checkout.committed'],
        description: 'A 1.0 consumer.',
      },
      configSchema: z.object({}),
      handlers: { 'checkout.committed': async () => undefined },
    });
    expect(def.manifest.contractVersion).toBe('1.0');
    const v10 = {
      checkoutId: 'co',
      cardId: null,
      guestId: null,
      locationId: null,
      terminalId: null,
      currency: 'RUB',
      totalMinor: 100,
      discountMinor: 0,
      pointsRedeemed: 0,
      pointsAccrued: 0,
      giftSpentMinor: 0,
      stampsAdded: 0,
      couponCode: null,
      receipt: null,
    };
    expect(eventSchemas['checkout.committed'].parse(v10)).toEqual(v10);
    expect(
      eventSchemas['checkout.refunded'].parse({
        checkoutId: 'co',
        refundId: 'r',
        cardId: null,
        amountMinor: 1,
        pointsReturned: 0,
        pointsReversed: 0,
        full: true,
      }),
    ).toBeTruthy();
  });
});
