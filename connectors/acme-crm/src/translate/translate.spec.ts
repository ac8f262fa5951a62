import fs from 'node:fs';
import path from 'node:path';
import { orderCommit, parseAcmeWebhook } from './inbound';
import { toAcmeContact, toAcmeDeal } from './outbound';
import { signAcme, verifyAcmeSignature } from './signature';

const sample = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, '../../../../fixtures/src/acme/webhooks', `${name}.json`), 'utf8'));

describe('acme-crm translators (pure)', () => {
  it('reads each recorded webhook into what the hub is asked', () => {
    expect(parseAcmeWebhook(sample('contact-updated'))).toEqual({
      kind: 'ok',
      value: {
        type: 'contact.updated',
        eventId: 'evt_1001',
        upsert: { phone: '+7 999 000-00-02', name: 'Anna Petrova', email: 'anna@example.com', marketingConsent: true, source: 'acme-crm' },
      },
    });
    const paid = parseAcmeWebhook(sample('order-paid'));
    expect(paid.kind === 'ok' && paid.value.type === 'order.paid' && orderCommit(paid.value.order, 'card-1', 0)).toEqual({
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
    expect(parseAcmeWebhook(sample('order-refunded'))).toEqual({
      kind: 'ok',
      value: { type: 'order.refunded', eventId: 'evt_1003', orderId: 'ord_5001', refund: { id: 'rf_9001', amountMinor: 18000 } },
    });
    expect(parseAcmeWebhook(sample('unknown-event'))).toEqual({ kind: 'ignored', reason: 'event type invoice.created is not handled' });
    const bad = parseAcmeWebhook(sample('bad-order'));
    expect(bad.kind).toBe('rejected');
    expect(bad.kind === 'rejected' && bad.reason).toMatch(/order\.paidAt.*order\.lines/);
  });

  it('redeems by money only when the shopper chose points', () => {
    const paid = parseAcmeWebhook(sample('order-paid'));
    if (paid.kind !== 'ok' || paid.value.type !== 'order.paid') throw new Error('sample');
    expect(orderCommit(paid.value.order, 'c', 12345)).toMatchObject({ redeemValueMinor: 12345 });
    expect(orderCommit(paid.value.order, 'c', 0)).not.toHaveProperty('redeemValueMinor');
  });

  it('maps guests to contacts and till sales to deals; a sale from Acme is not echoed back', () => {
    expect(toAcmeContact({ guestId: 'g', phone: null, name: null, source: null })).toEqual({ kind: 'ignored', reason: 'guest has no phone' });
    expect(
      toAcmeContact({ guestId: 'g', changed: ['email'], phone: '+79990000001', name: 'A', email: 'a@x.io', birthday: null, marketingConsent: false }),
    ).toEqual({
      kind: 'ok',
      value: { externalId: 'g', phone: '+79990000001', name: 'A', email: 'a@x.io', source: 'loyalty' },
    });
    const sale = {
      checkoutId: 'co',
      cardId: 'c',
      guestId: 'g',
      locationId: null,
      terminalId: null,
      currency: 'RUB',
      totalMinor: 1000,
      discountMinor: 100,
      pointsRedeemed: 0,
      pointsAccrued: 0,
      giftSpentMinor: 200,
      stampsAdded: 0,
      couponCode: null,
      receipt: null,
    };
    expect(toAcmeDeal(sale, 'p')).toEqual({
      kind: 'ok',
      value: { contactExternalId: 'g', amountMinor: 700, currency: 'RUB', pipelineId: 'p', title: 'Sale co', lines: [] },
    });
    expect(toAcmeDeal({ ...sale, source: 'connector:acme-crm' }, 'p')).toEqual({ kind: 'ignored', reason: 'the sale came from Acme' });
    expect(toAcmeDeal({ ...sale, guestId: null }, 'p')).toEqual({ kind: 'ignored', reason: 'anonymous sale' });
  });

  it('verifies signatures over the exact bytes, within five minutes', () => {
    const body = Buffer.from('{"a":1}');
    const t = 1_800_000_000;
    const sig = signAcme('s3cret-s3cret-s3cret', body, t);
    expect(verifyAcmeSignature('s3cret-s3cret-s3cret', sig, body, t + 299)).toEqual({ ok: true });
    expect(verifyAcmeSignature('s3cret-s3cret-s3cret', sig, body, t + 301)).toEqual({ ok: false, reason: 'stale' });
    expect(verifyAcmeSignature('s3cret-s3cret-s3cret', sig, Buffer.from('{"a":2}'), t)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyAcmeSignature('other-secret-other', sig, body, t)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyAcmeSignature('s3cret-s3cret-s3cret', 'v1=abc', body, t)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyAcmeSignature('s3cret-s3cret-s3cret', undefined, body, t)).toEqual({ ok: false, reason: 'missing' });
  });
});
