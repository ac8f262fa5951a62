import supertest from 'supertest';
import { CommandError } from '@loyalty/sdk';
import { runConnector, testServices, type ConnectorRun } from '@loyalty/sdk/testkit';
import { createConnector } from './connector';
import { isoToRkDate } from './translate/farcards';

const KEY = 'k'.repeat(20) + '0123456789';
const CARD = '1010000012345';
const config = { farcardsKey: KEY, discountNumber: 25, bonusNumber: 4, tills: [{ restaurant: 1, unit: 3, locationId: 'loc-1', till: 'rk-1-3' }] };
const rkdate = isoToRkDate('2026-12-07');

const cardView = (over: Record<string, unknown> = {}) => ({
  id: 'card-1',
  number: CARD,
  qr: `LH1:${CARD}`,
  status: 'active' as const,
  programId: 'p1',
  programName: 'Кофейные баллы',
  kind: 'bonus',
  guestId: 'g1',
  levelCode: null,
  levelName: null,
  pointsBalance: 200,
  pointsAvailable: 200,
  pointsPending: 0,
  pointsHeld: 0,
  pointValueMinor: 100,
  maxRedeemValueMinor: 20000,
  giftBalanceMinor: 0,
  giftExpiresAt: null,
  stamps: 0,
  stampsGoal: null,
  spendMinor: 0,
  visits: 0,
  createdAt: '2026-01-01T00:00:00.000Z',
  lastOperationAt: null,
  ...over,
});
const guest = {
  id: 'g1',
  phone: '+79990000001',
  name: 'Анна Петрова',
  birthday: null,
  email: null,
  gender: null,
  marketingConsent: false,
  source: null,
  utm: null,
  attributes: null,
  referralCode: 'ABC',
  referrerGuestId: null,
  status: 'active',
  visits: 0,
  spendMinor: 0,
  firstPurchaseAt: null,
  lastPurchaseAt: null,
  createdAt: '2026-01-01T00:00:00.000Z',
};
const checkout = (over: Record<string, unknown> = {}) => ({
  id: 'co-1',
  status: 'held' as 'held' | 'committed' | 'canceled',
  cardId: 'card-1',
  guestId: 'g1',
  currency: 'RUB',
  totalMinor: 30000,
  discountMinor: 0,
  couponDiscountMinor: 0,
  pointsRedeemed: 100,
  redeemValueMinor: 10000,
  giftSpentMinor: 0,
  payableMinor: 20000,
  pointsAccrued: 0,
  pointsAvailableAt: null,
  stampsAdded: 0,
  stampRewards: 0,
  couponCode: null,
  lines: [],
  balanceAfter: null,
  holdExpiresAt: null,
  refunded: { amountMinor: 0, payableMinor: 0, pointsReturned: 0, pointsReversed: 0, giftMinor: 0 },
  receipt: null,
  locationId: 'loc-1',
  source: 'connector:rkeeper',
  createdAt: '2026-12-07T10:00:00.000Z',
  ...over,
});

const tx = (kind: number, summa: number) =>
  `<TransactionsEx Card="${CARD}" PersonID="${CARD}" Account="1" Kind="${kind}" Summa="${summa}" Restaurant="1" RKDate="${rkdate}" RKUni="3" RKCheck="1017"/>`;
const saleXml = (pay = -10000, chmode = 1) =>
  `<ROOT><Transactions>${tx(0, pay)}${tx(3, chmode === 1 ? 20000 : -20000)}${tx(2, chmode === 1 ? 1000 : -1000)}</Transactions><InpBuf InpKind="1"><CHECK chmode="${chmode}" stationcode="1"><CHECKDATA checkguid="{AB-1}" checknum="1017"><CHECKLINES><LINE code="12" name="Капучино" quantity="1" price="200.00" sum="200.00"/><LINE code="31" name="Чизкейк" quantity="1" price="100.00" sum="100.00"/></CHECKLINES></CHECKDATA></CHECK></InpBuf></ROOT>`;

/** A hub stand-in that keeps checkouts like the real one: a key replays, holds capture and cancel. */
function memoryHub(run: ConnectorRun<unknown>, opts: { captureFails?: () => boolean; take?: (asked: number) => number } = {}) {
  const byKey = new Map<string, ReturnType<typeof checkout>>();
  const byId = new Map<string, ReturnType<typeof checkout>>();
  run.commands.on('card.lookup', () => ({ card: cardView(), guest, pointValueMinor: 100, maxRedeemValueMinor: 20000 }));
  run.commands.on('checkout.commit', (d) => {
    const prior = byKey.get(d.idempotencyKey);
    if (prior) return { ...prior, replayed: true };
    const asked = d.redeemValueMinor ?? 0;
    const took = opts.take ? opts.take(asked) : asked;
    const co = checkout({ id: `co-${byId.size + 1}`, status: d.mode === 'hold' ? 'held' : 'committed', redeemValueMinor: took, pointsRedeemed: took / 100 });
    byKey.set(d.idempotencyKey, co);
    byId.set(co.id, co);
    return co;
  });
  run.commands.on('checkout.capture', (d) => {
    if (opts.captureFails?.()) throw new CommandError('command_timeout', 'no answer', 504);
    const co = byId.get(d.checkoutId)!;
    Object.assign(co, { status: 'committed', pointsAccrued: 10 });
    return co;
  });
  run.commands.on('checkout.cancel', (d) => {
    const co = byId.get(d.checkoutId)!;
    co.status = 'canceled';
    return co;
  });
  run.commands.on('checkout.get', (d) => byId.get(d.checkoutId)!);
  return { byKey, byId };
}

describe('rkeeper connector (testkit: memory hub)', () => {
  let run: ConnectorRun<typeof config>;
  const post = (xml: string, key = KEY, business = run.businessId) =>
    supertest(run.app).post(`/connectors/rkeeper/${business}/farcards`).query({ k: key }).set('content-type', 'text/xml').send(xml);

  beforeEach(async () => {
    run = await runConnector(createConnector(testServices()), { config, businessId: 'biz-1' });
  });

  it('a sale holds exactly what r_keeper booked, at the mapped location and till, then captures; the same batch again is one effect', async () => {
    const hub = memoryHub(run as never);
    const first = await post(saleXml());
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toMatch(/^application\/xml/);
    expect(first.text).toContain('<TransactionsEx Result="0">');
    expect(first.text).toContain('<TRANSACTION num="1" cardcode="1010000012345" ext_id="co-1"/>');
    expect(first.text).toContain('<TRANSACTION num="3" cardcode="1010000012345" ext_id="co-1" value="1000"/>');
    const commit = run.commands.calls.find((c) => c.type === 'checkout.commit')!.data as Record<string, unknown>;
    expect(commit).toEqual({
      idempotencyKey: expect.stringMatching(/^rk7:sale:[0-9a-f]{40}$/),
      card: { number: CARD },
      basket: {
        items: [
          { sku: '12', name: 'Капучино', qty: 1, unitPriceMinor: 20000, amountMinor: 20000 },
          { sku: '31', name: 'Чизкейк', qty: 1, unitPriceMinor: 10000, amountMinor: 10000 },
        ],
      },
      redeemValueMinor: 10000,
      receipt: { number: '1017', date: '2026-12-07', till: 'rk-1-3' },
      locationId: 'loc-1',
      mode: 'hold',
    });
    const again = await post(saleXml());
    expect(again.text).toBe(first.text);
    expect(hub.byId.size).toBe(1);
    expect(run.commands.calls.filter((c) => c.type === 'checkout.capture')).toHaveLength(1);
  });

  it('when the hub would take less than r_keeper booked, the hold is canceled and the batch refused whole', async () => {
    const hub = memoryHub(run as never, { take: () => 5000 });
    const res = await post(saleXml(-10000));
    expect(res.text).toContain('<TransactionsEx Result="1">');
    expect(res.text).toContain('error_code="5" err_text="Оплата баллами не совпадает с доступной суммой: r_keeper 100,00 ₽, доступно 50,00 ₽"');
    expect([...hub.byId.values()].map((c) => c.status)).toEqual(['canceled']);
    expect(run.commands.calls.some((c) => c.type === 'checkout.capture')).toBe(false);
  });

  it('a capture that cannot be sent leaves only a hold (it expires); the till retries the same batch and it completes once', async () => {
    let down = true;
    const hub = memoryHub(run as never, { captureFails: () => down });
    const res = await post(saleXml());
    expect(res.text).toContain('<TransactionsEx Result="1">');
    expect(res.text).toContain('err_text="Сервер лояльности временно недоступен; повторите через минуту"');
    expect([...hub.byId.values()].map((c) => c.status)).toEqual(['held']);
    down = false;
    const retry = await post(saleXml());
    expect(retry.text).toContain('<TransactionsEx Result="0">');
    expect([...hub.byId.values()].map((c) => c.status)).toEqual(['committed']);
  });

  it('a rollback right after the sale cancels a hold still open, or refunds a captured sale whole with its own key', async () => {
    let down = true;
    const hub = memoryHub(run as never, { captureFails: () => down });
    await post(saleXml());
    const rb = await post(saleXml(10000, 2));
    expect(rb.text).toContain('<TransactionsEx Result="0">');
    expect([...hub.byId.values()].map((c) => c.status)).toEqual(['canceled']);
    down = false;
    run.commands.on('checkout.refund', (d) => ({
      id: 'rf-1',
      checkoutId: d.checkoutId,
      amountMinor: 30000,
      payableReturnedMinor: 20000,
      pointsReturned: 100,
      pointsReversed: 10,
      pointsShortfall: 0,
      giftReturnedMinor: 0,
      stampsReversed: 0,
      full: true,
      voidedAt: null,
      createdAt: '2026-12-07T10:00:00.000Z',
    }));
    // Another check, captured, then rolled back: a full refund.
    const other = (x: string) => x.replace(/RKCheck="1017"/g, 'RKCheck="1018"').replace('{AB-1}', '{AB-2}');
    await post(other(saleXml()));
    const rb2 = await post(other(saleXml(10000, 2)));
    expect(rb2.text).toContain('ext_id="rf-1"');
    const refund = run.commands.calls.find((c) => c.type === 'checkout.refund')!.data;
    expect(refund).toEqual({ checkoutId: 'co-2', idempotencyKey: 'rk7:rollback:co-2', full: true, reason: 'r_keeper sale rollback' });
  });

  it('a receipt already recorded by another path is answered as counted, with that sale as ext_id', async () => {
    memoryHub(run as never);
    run.commands.on('checkout.commit', () => {
      throw new CommandError('receipt_already_recorded', 'already', 409, { checkoutId: 'co-other' });
    });
    const res = await post(saleXml());
    expect(res.text).toContain('<TransactionsEx Result="0">');
    expect(res.text).toContain('err_text="Чек уже учтён в программе лояльности (пришёл другим путём); повторно не начислено"');
    expect(res.text).toContain('ext_id="co-other"');
  });

  it('a wrong key, an unknown business or an unknown function are refused in r_keeper form; the key is never logged', async () => {
    memoryHub(run as never);
    const wrong = await post(saleXml(), 'nope');
    expect(wrong.status).toBe(200);
    expect(wrong.text).toContain('error_code="2" err_text="Программа лояльности отклонила запрос: неверный адрес или ключ FarCards"');
    const other = await post(saleXml(), KEY, 'another-biz');
    expect(other.text).toBe(wrong.text);
    const fn = await supertest(run.app).post(`/connectors/rkeeper/${run.businessId}/farcards/licenseinfo`).query({ k: KEY }).send(saleXml());
    expect(fn.text).toContain('Result="1"');
    expect(run.commands.calls).toHaveLength(0);
    await post(saleXml());
    expect(JSON.stringify(run.logs)).not.toContain(KEY);
  });

  it('hub trouble during a lookup is shown as "retry", not as an unknown card; nothing is ever a 500', async () => {
    run.commands.on('card.lookup', () => {
      throw new CommandError('no_command_server', 'down', 503);
    });
    const res = await post(`<ROOT><QRY Card="${CARD}" Restaurant="1" UnitNo="3"/></ROOT>`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('Result="1"');
    expect(res.text).toContain('ScrMessage="Сервер лояльности временно недоступен; повторите через минуту"');
    run.commands.on('card.lookup', () => {
      throw new Error('boom');
    });
    const boom = await post(saleXml());
    expect(boom.status).toBe(200);
    expect(boom.text).toContain('Result="1"');
  });

  it('"Test connection" without an XML interface says what is ready', async () => {
    expect(await run.check()).toEqual({ ok: true, detail: 'FarCards endpoint ready; set xmlUrl to test the r_keeper XML interface too' });
  });
});
