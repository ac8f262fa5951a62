import fs from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import supertest from 'supertest';
import { CommandError } from '@loyalty/sdk';
import { runConnector } from '@loyalty/sdk/testkit';
import { FakeAcme } from '../../../fixtures/src/acme/fake-acme';
import { connector } from './connector';
import { signAcme } from './translate/signature';

const API = 'https://api.acme.test';
const KEY = 'ak_0123456789abcdefXYZ';
const SECRET = 'acme-hook-secret-000111';
const config = { baseUrl: API, apiKey: KEY, webhookSecret: SECRET };
const guest = { guestId: 'g-1', phone: '+79990000001', name: 'Anna', source: 'pos' };
const sample = (name: string) => fs.readFileSync(path.join(__dirname, '../../../fixtures/src/acme/webhooks', `${name}.json`), 'utf8');
const now = () => Math.floor(Date.now() / 1000);

const card = (id = 'card-1') => ({
  id,
  number: '1010000012345',
  qr: 'LH1:1010000012345',
  status: 'active' as const,
  programId: 'p-1',
  programName: 'Bonus',
  kind: 'bonus',
  guestId: 'g-1',
  levelCode: null,
  levelName: null,
  pointsBalance: 500,
  pointsAvailable: 500,
  pointsPending: 0,
  pointsHeld: 0,
  giftBalanceMinor: 0,
  giftExpiresAt: null,
  stamps: 0,
  stampsGoal: null,
  spendMinor: 0,
  visits: 0,
  createdAt: new Date().toISOString(),
  lastOperationAt: null,
});

describe('acme-crm connector in the testkit (no database, no broker)', () => {
  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterEach(() => nock.cleanAll());

  it('sends the exact contact payload with the key, and remembers the vendor id', async () => {
    const scope = nock(API, { reqheaders: { authorization: `Bearer ${KEY}` } })
      .put('/v1/contacts/g-1', { externalId: 'g-1', phone: '+79990000001', name: 'Anna', email: null, source: 'pos' })
      .reply(200, { id: 'acme-42' });
    const run = await runConnector(connector, { config });
    expect(await run.emit('guest.registered', guest)).toMatchObject({ status: 'handled' });
    expect(scope.isDone()).toBe(true);
    expect(await run.store.get('contact:g-1')).toBe('acme-42');
    expect(run.outcomes).toEqual([{ ok: true }]);
  });

  it('handles a message id once: a redelivery is a duplicate', async () => {
    nock(API).put('/v1/contacts/g-1').once().reply(200, { id: 'acme-42' });
    const run = await runConnector(connector, { config });
    const first = await run.emit('guest.registered', guest);
    expect(await run.deliver(first.envelope)).toEqual({ status: 'duplicate' });
    expect(run.requests).toHaveLength(1);
  });

  it('a 5xx is retried (failed), a 4xx is parked, bad data is parked before any HTTP', async () => {
    const run = await runConnector(connector, { config });
    nock(API).put('/v1/contacts/g-1').reply(503);
    expect(await run.emit('guest.registered', guest)).toMatchObject({ status: 'failed', error: 'Acme answered 503 to the contact' });
    nock(API).put('/v1/contacts/g-1').reply(422);
    expect(await run.emit('guest.registered', guest)).toMatchObject({ status: 'parked' });
    const bad = await run.emit('guest.registered', { ...guest, guestId: 42 } as never);
    expect(bad).toMatchObject({ status: 'parked', error: expect.stringContaining('guestId') });
    expect(run.requests).toHaveLength(2);
  });

  it('never lets the API key into logs or error texts', async () => {
    nock(API).put('/v1/contacts/g-1').replyWithError(`connection reset while sending Bearer ${KEY}`);
    const run = await runConnector(connector, { config });
    const failed = await run.emit('guest.registered', guest);
    expect(failed.status).toBe('failed');
    expect(JSON.stringify([failed, run.logs, run.outcomes])).not.toContain(KEY);
  });

  it('posts a deal with the sale lines for a till sale, and skips sales that came from Acme', async () => {
    const acme = new FakeAcme({ apiKey: KEY, baseUrl: API });
    acme.install();
    const run = await runConnector(connector, { config });
    await run.emit('guest.registered', guest);
    const sale = {
      checkoutId: 'co-1',
      cardId: 'card-1',
      guestId: 'g-1',
      locationId: null,
      terminalId: 't-1',
      currency: 'RUB',
      totalMinor: 68000,
      discountMinor: 3000,
      pointsRedeemed: 0,
      pointsAccrued: 65,
      giftSpentMinor: 0,
      stampsAdded: 0,
      couponCode: null,
      receipt: { number: 'A-7', date: '2026-12-07' },
      programId: 'p-1',
      source: 'pos',
      items: [{ sku: 'LATTE', name: 'Latte', category: null, qty: 2, unitPriceMinor: 34000, amountMinor: 68000 }],
      guest: { guestId: 'g-1', phone: '+79990000001', email: null, name: 'Anna' },
    };
    const r = await run.emit('checkout.committed', sale);
    expect(r.status).toBe('handled');
    expect(acme.deals).toHaveLength(1);
    expect(acme.deals[0]!.idempotencyKey).toBe(r.envelope.id);
    expect(acme.deals[0]!.body).toEqual({
      contactExternalId: 'g-1',
      amountMinor: 65000,
      currency: 'RUB',
      pipelineId: 'default',
      title: 'Receipt A-7',
      lines: [{ sku: 'LATTE', title: 'Latte', quantity: 2, totalMinor: 68000 }],
    });
    expect((await run.emit('checkout.committed', { ...sale, checkoutId: 'co-2', source: 'connector:acme-crm' })).status).toBe('handled');
    expect(acme.deals).toHaveLength(1);
  });

  it('a paid order: looks the card up and commits the sale through hub commands, keyed by the order', async () => {
    const run = await runConnector(connector, { config });
    run.commands.on('card.lookup', () => ({ card: card(), guest: null, pointValueMinor: 100, maxRedeemValueMinor: 50000 }));
    run.commands.on('checkout.commit', (d) => ({
      id: 'co-9',
      status: 'committed',
      cardId: d.card!.id!,
      guestId: 'g-1',
      currency: 'RUB',
      totalMinor: 68000,
      discountMinor: 0,
      couponDiscountMinor: 0,
      pointsRedeemed: 0,
      redeemValueMinor: 0,
      giftSpentMinor: 0,
      payableMinor: 68000,
      pointsAccrued: 34,
      pointsAvailableAt: null,
      stampsAdded: 0,
      stampRewards: 0,
      couponCode: null,
      lines: [],
      balanceAfter: null,
      holdExpiresAt: null,
      refunded: { amountMinor: 0, payableMinor: 0, pointsReturned: 0, pointsReversed: 0, giftMinor: 0 },
      receipt: null,
      locationId: null,
      source: 'connector:acme-crm',
      createdAt: new Date().toISOString(),
    }));
    const body = sample('order-paid');
    const res = await supertest(run.app)
      .post(`/connectors/acme-crm/${run.businessId}/hooks`)
      .set('content-type', 'application/json')
      .set('x-acme-signature', signAcme(SECRET, body, now()))
      .send(body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ checkoutId: 'co-9', pointsAccrued: 34 });
    expect(run.commands.calls.map((c) => c.type)).toEqual(['card.lookup', 'checkout.commit']);
    expect(run.commands.calls[1]!.data).toEqual({
      idempotencyKey: 'acme-order:ord_5001',
      card: { id: 'card-1' },
      basket: {
        items: [
          { sku: 'LATTE-03', name: 'Latte 0.3', category: 'coffee', qty: 2, unitPriceMinor: 25000, amountMinor: 50000 },
          { sku: 'CROISSANT', name: 'Croissant', qty: 1, unitPriceMinor: 18000, amountMinor: 18000 },
        ],
      },
      receipt: { number: '5001', date: '2026-12-07T10:04:58Z', till: 'acme' },
    });
    expect(await run.store.get('order:ord_5001')).toBe('co-9');
  });

  it('refuses forged, stale and unsigned calls before parsing, and answers refusals as 4xx', async () => {
    const run = await runConnector(connector, { config });
    run.commands.on('card.lookup', () => {
      throw new CommandError('card_not_found', 'Card not found', 404);
    });
    const body = sample('order-paid');
    const http = supertest(run.app);
    const post = (sig?: string, b = body) => {
      const r = http.post(`/connectors/acme-crm/${run.businessId}/hooks`).set('content-type', 'application/json');
      return (sig ? r.set('x-acme-signature', sig) : r).send(b);
    };
    expect((await post()).status).toBe(401);
    expect((await post(signAcme(SECRET, body, now() - 3600))).body).toMatchObject({ error: 'bad_signature', reason: 'stale' });
    expect((await post(signAcme(SECRET, body, now()), body.replace('5001', '5002'))).body).toMatchObject({ reason: 'mismatch' });
    expect(run.commands.calls).toHaveLength(0);
    const bad = sample('bad-order');
    expect((await post(signAcme(SECRET, bad, now()), bad)).status).toBe(422);
    const unknown = sample('unknown-event');
    expect((await post(signAcme(SECRET, unknown, now()), unknown)).body).toEqual({ ignored: 'event type invoice.created is not handled' });
    const notFound = await post(signAcme(SECRET, body, now()));
    expect(notFound.status).toBe(404);
    expect(notFound.body).toEqual({ error: 'card_not_found', message: 'Card not found' });
  });

  it('checks the connection with one authenticated call', async () => {
    nock(API, { reqheaders: { authorization: `Bearer ${KEY}` } })
      .get('/v1/me')
      .reply(200, { account: 'Acme Cafe' });
    const run = await runConnector(connector, { config });
    expect(await run.check()).toEqual({ ok: true, detail: 'Connected as Acme Cafe' });
    nock(API).get('/v1/me').reply(401);
    expect(await run.check()).toEqual({ ok: false, error: 'Acme refused the API key' });
  });
});
