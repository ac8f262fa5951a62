import fc from 'fast-check';
import { batchKey, checkIndex, checkMoney, planBatch, resolveTill, type BatchPlan } from './batch';
import { cardInfoFromLookup } from './card';
import {
  cardInfoXml,
  clip,
  functionFromPath,
  isoToRkDate,
  parseCardNumber,
  parseFarCardsRequest,
  rkDateToIso,
  transactionsXml,
  type TransactionsRequest,
} from './farcards';
import { fromHubError, points, rub } from './messages';
import { parseRk7Result, rk7Query } from './rk7';
import { decodeXml, parseXml } from './xml';

const tx = (kind: number, summa: number, over: Record<string, string> = {}) =>
  `<TransactionsEx Card="${over.card ?? '1010000012345'}" Kind="${kind}" Summa="${summa}" Restaurant="${over.restaurant ?? '1'}" RKDate="${over.rkdate ?? '46000'}" RKUni="3" RKCheck="${over.check ?? '1017'}"/>`;
const batch = (txs: string[], chmode?: number, lines = '') =>
  `<ROOT><Transactions>${txs.join('')}</Transactions>${chmode === undefined ? '' : `<InpBuf InpKind="1"><CHECK chmode="${chmode}" stationcode="2"><CHECKDATA checkguid="{A-1}" checknum="1017"><CHECKLINES>${lines}</CHECKLINES></CHECKDATA></CHECK></InpBuf>`}</ROOT>`;
const parseBatch = (xml: string): TransactionsRequest => {
  const p = parseFarCardsRequest(xml);
  if (!p.ok || p.request.fn !== 'TransactionsEx') throw new Error(`not a batch: ${JSON.stringify(p)}`);
  return p.request;
};
const plan = (xml: string, unit: 'rub' | 'kop' = 'rub') => planBatch(parseBatch(xml), { checkMoney: unit });
const okPlan = (xml: string): BatchPlan => {
  const p = plan(xml);
  if (!p.ok || p.op === 'ignore') throw new Error(`no plan: ${JSON.stringify(p)}`);
  return p;
};

describe('FarCards requests', () => {
  it('reads GetCardInfoEx with its CHECK, whatever the case of names, and InpBuf as nested XML or as text', () => {
    const nested = parseFarCardsRequest(
      '<ROOT><QRY Card="8002" Restaurant="1" UnitNo="3"><InpBuf InpKind="1"><CHECK chmode="7" stationcode="5"><CHECKDATA checkguid="{G}"><CHECKLINES><LINE code="12" name="Капучино" sum="200.00" quantity="2" price="100.00"/></CHECKLINES></CHECKDATA></CHECK></InpBuf></QRY></ROOT>',
    );
    expect(nested).toMatchObject({
      ok: true,
      request: {
        fn: 'GetCardInfoEx',
        card: '8002',
        restaurant: '1',
        unit: '3',
        check: { chmode: 7, stationCode: '5', checkGuid: '{G}', lines: [{ code: '12', name: 'Капучино', sum: '200.00', quantity: '2' }] },
      },
    });
    const lower = parseFarCardsRequest('<root><qry card="8002" restaurant="1" unitno="3"><inpbuf>&lt;CHECK chmode="5"/&gt;</inpbuf></qry></root>');
    expect(lower).toMatchObject({ ok: true, request: { fn: 'GetCardInfoEx', card: '8002', unit: '3', check: { chmode: 5 } } });
  });

  it('keeps Int64 card numbers exact: up to 9223372036854775807, leading zeros dropped, nothing negative or larger', () => {
    expect(parseCardNumber('9223372036854775807')).toBe('9223372036854775807');
    expect(parseCardNumber('0001010000012345')).toBe('1010000012345');
    expect(parseCardNumber('9223372036854775808')).toBeUndefined();
    expect(parseCardNumber('-5')).toBeUndefined();
    expect(parseCardNumber('12.5')).toBeUndefined();
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 9223372036854775807n }), (n) => parseCardNumber(n.toString()) === n.toString()));
  });

  it('reads a TransactionsEx batch in kopecks with its VAT pairs; decimal money, huge batches, DOCTYPEs and broken XML are refused', () => {
    const r = parseBatch(
      batch([`<TransactionsEx Card="8002" Kind="0" Summa="-5000" Restaurant="1" RKDate="45600" RKUni="3" RKCheck="1017" VatSumA="833" VatPrcA="2000"/>`], 1),
    );
    expect(r.transactions).toEqual([
      {
        num: 1,
        card: '8002',
        personId: undefined,
        account: undefined,
        kind: 0,
        summa: -5000,
        restaurant: '1',
        rkDate: 45600,
        rkUni: '3',
        rkCheck: '1017',
        vat: [{ letter: 'A', sum: '833', prc: '2000' }],
      },
    ]);
    expect(parseFarCardsRequest(batch([tx(0, -50.5 as number)]))).toMatchObject({
      ok: false,
      fn: 'TransactionsEx',
      reason: expect.stringContaining('whole kopecks'),
    });
    expect(parseFarCardsRequest(batch(Array.from({ length: 501 }, () => tx(3, 1))))).toMatchObject({ ok: false, reason: expect.stringContaining('500') });
    expect(parseFarCardsRequest('<!DOCTYPE r [<!ENTITY a "aaaa">]><ROOT><QRY Card="&a;"/></ROOT>')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('DOCTYPE'),
    });
    expect(parseFarCardsRequest('<ROOT><Transactions><TransactionsEx Card="1"></ROOT>')).toMatchObject({ ok: false, fn: 'TransactionsEx' });
    expect(parseFarCardsRequest('')).toMatchObject({ ok: false });
    expect(parseFarCardsRequest('<ROOT><Hello/></ROOT>')).toMatchObject({ ok: false, reason: expect.stringContaining('not a FarCards request') });
  });

  it('reads FindAccountsByKind and the function names of the URL', () => {
    expect(parseFarCardsRequest('<ROOT><QRY Kind="3" Find="LH1:1010000012345"/></ROOT>')).toEqual({
      ok: true,
      request: { fn: 'FindAccountsByKind', kind: 3, code: 'LH1:1010000012345' },
    });
    expect(functionFromPath('TransactionsEx.php')).toBe('TransactionsEx');
    expect(functionFromPath('getcardinfoex')).toBe('GetCardInfoEx');
    expect(functionFromPath(undefined)).toBeUndefined();
    expect(functionFromPath('licenseinfo')).toBeNull();
  });

  it('decodes windows-1251 bodies that declare it', () => {
    const xml = '<?xml version="1.0" encoding="windows-1251"?><ROOT><QRY Card="1" Restaurant="Кафе"/></ROOT>';
    const bytes = Buffer.from(Array.from(xml, (ch) => (ch >= 'А' && ch <= 'я' ? ch.charCodeAt(0) - 0x410 + 0xc0 : ch.charCodeAt(0))));
    const p = parseXml(decodeXml(bytes));
    expect(p.ok && p.root.children[0]!.attrs.restaurant).toBe('Кафе');
  });

  it('converts RKDate (days since 1899-12-30) both ways', () => {
    expect(rkDateToIso(45658)).toBe('2025-01-01');
    expect(rkDateToIso(45600)).toBe('2024-11-04');
    expect(rkDateToIso(45600.75)).toBe('2024-11-04');
    expect(isoToRkDate('2024-11-04')).toBe(45600);
  });
});

describe('TransactionsEx batches: Kind and sign rules, one effect', () => {
  // chmode -> sign of each kind (0 payment, 1 discount, 2 bonus, 3 spend)
  const signs: Record<number, number[]> = { 1: [-1, -1, 1, 1], 2: [1, 1, -1, -1], 3: [1, 1, -1, -1], 4: [-1, -1, 1, 1] };
  it.each([1, 2, 3, 4])('chmode %i accepts exactly the signs r_keeper gives each kind', (chmode) => {
    const ok = okPlan(
      batch(
        [0, 1, 2, 3].map((k) => tx(k, signs[chmode]![k]! * 1000)),
        chmode,
      ),
    );
    expect(ok.op).toBe({ 1: 'sale', 2: 'rollback', 3: 'return', 4: 'return_rollback' }[chmode]);
    expect(ok.totals).toEqual({ payment: 1000, discount: 1000, bonus: 1000, spend: 1000 });
    for (const k of [0, 1, 2, 3]) {
      const bad = plan(
        batch(
          [0, 1, 2, 3].map((kk) => tx(kk, (kk === k ? -1 : 1) * signs[chmode]![kk]! * 1000)),
          chmode,
        ),
      );
      expect(bad).toMatchObject({ ok: false, refusal: { code: 'bad_sign', errorCode: 6 } });
    }
  });

  it('without a chmode the signs tell a sale from a return; mixed signs are refused', () => {
    expect(okPlan(batch([tx(0, -100), tx(3, 500)])).op).toBe('sale');
    expect(okPlan(batch([tx(0, 100), tx(3, -500)])).op).toBe('return');
    expect(plan(batch([tx(0, 100), tx(3, 500)]))).toMatchObject({ ok: false, refusal: { code: 'bad_sign' } });
  });

  it('ignores pre-checks and other non-financial modes; refuses unknown kinds, two cards, two checks, no amounts', () => {
    expect(plan(batch([tx(3, 500)], 6))).toEqual({ ok: true, op: 'ignore', chmode: 6 });
    expect(plan(batch([tx(3, 500), tx(9, 1)], 1))).toMatchObject({
      ok: false,
      refusal: { code: 'bad_kind', text: expect.stringContaining('транзакция 2, вид 9') },
    });
    expect(plan(batch([tx(3, 500), tx(3, 500, { card: '1010000099999' })], 1))).toMatchObject({ ok: false, refusal: { code: 'several_cards' } });
    expect(plan(batch([tx(3, 500), tx(3, 500, { check: '1018' })], 1))).toMatchObject({ ok: false, refusal: { code: 'several_checks' } });
    expect(plan(batch([tx(1, -500)], 1))).toMatchObject({ ok: false, refusal: { code: 'no_basket' } });
  });

  it('builds the basket from the CHECK lines (roubles or kopecks) or, without them, from what was paid', () => {
    const lines =
      '<LINE code="12" name="Капучино" quantity="2" price="100.00" sum="200.00" categ_id="5"/><LINE id="7" name="Вес" quantity="0.350" sum="87,5"/>';
    expect(okPlan(batch([tx(3, 28750)], 1, lines)).basket.items).toEqual([
      { sku: '12', name: 'Капучино', category: '5', qty: 2, unitPriceMinor: 10000, amountMinor: 20000 },
      { sku: '7', name: 'Вес', qty: 1, unitPriceMinor: 8750, amountMinor: 8750 },
    ]);
    const kop = planBatch(parseBatch(batch([tx(3, 200)], 1, '<LINE code="1" quantity="1" sum="200"/>')), { checkMoney: 'kop' });
    expect(kop.ok && kop.op !== 'ignore' && kop.basket.items[0]!.amountMinor).toBe(200);
    expect(plan(batch([tx(3, 200)], 1, '<LINE code="1" sum="abc"/>'))).toMatchObject({ ok: false, refusal: { code: 'bad_check' } });
    expect(okPlan(batch([tx(0, -5000), tx(3, 15000)], 1)).basket.items).toEqual([
      { sku: 'RKEEPER-CHECK', name: 'Чек r_keeper', qty: 1, unitPriceMinor: 20000, amountMinor: 20000 },
    ]);
  });

  it('derives one idempotency key per batch: same batch, same key; any other amount or check, another key', () => {
    const a = okPlan(batch([tx(0, -100), tx(3, 500)], 1));
    expect(okPlan(batch([tx(0, -100), tx(3, 500)], 1)).key).toBe(a.key);
    expect(okPlan(batch([tx(0, -100), tx(3, 501)], 1)).key).not.toBe(a.key);
    expect(okPlan(batch([tx(0, -100, { check: '9' }), tx(3, 500, { check: '9' })], 1)).key).not.toBe(a.key);
    expect(a.key).toMatch(/^rk7:sale:[0-9a-f]{40}$/);
  });

  it('a rollback and a return find the sale; a return rollback finds the return (by the mirrored batch, then by the check)', () => {
    const saleTs = [tx(0, -100), tx(3, 500), tx(2, 25)];
    const mirror = [tx(0, 100), tx(3, -500), tx(2, -25)];
    const sale = okPlan(batch(saleTs, 1));
    const rollback = okPlan(batch(mirror, 2));
    const ret = okPlan(batch(mirror, 3));
    const retRollback = okPlan(batch(saleTs, 4));
    expect(rollback.lookup[0]).toBe(sale.index[0]);
    expect(ret.lookup[0]).toBe(sale.index[0]);
    expect(retRollback.lookup[0]).toBe(ret.index[0]);
    // A partial return differs from the sale, but the check still finds it.
    const partial = okPlan(batch([tx(3, -200)], 3));
    expect(partial.lookup.slice(1)).toEqual(sale.index.slice(1));
    expect(checkIndex('sale', sale.identity)).toEqual(sale.index.slice(1));
    expect(batchKey('sale', sale.identity, sale.transactions)).toBe(sale.key);
  });
});

describe('money in the CHECK XML', () => {
  it('roubles to kopecks without floating point, half up beyond two decimals', () => {
    expect(checkMoney('150.00', 'rub')).toBe(15000);
    expect(checkMoney('0,1', 'rub')).toBe(10);
    expect(checkMoney('-87.5', 'rub')).toBe(-8750);
    expect(checkMoney('1.005', 'rub')).toBe(101);
    expect(checkMoney('1 000', 'rub')).toBeUndefined();
    expect(checkMoney('1e3', 'rub')).toBeUndefined();
    expect(checkMoney('150.00', 'kop')).toBeUndefined();
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e12 }), (k) => checkMoney(`${Math.floor(k / 100)}.${String(k % 100).padStart(2, '0')}`, 'rub') === k));
  });
});

describe('tills', () => {
  const tills = [
    { restaurant: '1', locationId: 'loc-all', till: 'r1' },
    { restaurant: '1', unit: '3', locationId: 'loc-3', till: 'r1-3' },
    { restaurant: '1', unit: '3', station: 'BAR', locationId: 'loc-bar', till: 'r1-3-bar' },
  ];
  it('picks the most specific row: restaurant + unit + station, then restaurant + unit, then restaurant', () => {
    expect(resolveTill(tills, { restaurant: '1', unit: '3', station: 'BAR' })?.till).toBe('r1-3-bar');
    expect(resolveTill(tills, { restaurant: '001', unit: '03', station: 'HALL' })?.till).toBe('r1-3');
    expect(resolveTill(tills, { restaurant: '1', unit: '4' })?.till).toBe('r1');
    expect(resolveTill(tills, { restaurant: '2', unit: '3' })).toBeUndefined();
    expect(resolveTill(tills, {})).toBeUndefined();
  });
});

const view = (over: Record<string, unknown> = {}) =>
  ({
    card: {
      id: 'c1',
      number: '1010000012345',
      qr: 'LH1:1010000012345',
      status: 'active',
      programId: 'p1',
      programName: 'Кофейные баллы',
      kind: 'bonus',
      guestId: 'g1',
      levelCode: 'gold',
      levelName: 'Золото',
      pointsBalance: 1500,
      pointsAvailable: 1500,
      pointsPending: 0,
      pointsHeld: 0,
      pointValueMinor: 100,
      maxRedeemValueMinor: 150000,
      giftBalanceMinor: 0,
      giftExpiresAt: null,
      stamps: 0,
      stampsGoal: null,
      spendMinor: 0,
      visits: 0,
      createdAt: '2026-01-01T00:00:00Z',
      lastOperationAt: null,
      ...over,
    },
    guest: { name: 'Анна Петрова' },
  }) as never;
const settings = { discountNumber: 25, discountByLevel: { gold: 30 }, bonusNumber: 4, discLimitMinor: 0, printBalance: true };

describe('GetCardInfoEx answers', () => {
  it('a bonus card: holder, numbers for the level, balance as money in kopecks, the cashier messages', () => {
    expect(cardInfoFromLookup(view(), settings)).toEqual({
      deleted: false,
      seize: false,
      stopDate: false,
      holy: false,
      manager: false,
      locked: false,
      whyLock: '',
      holder: 'Анна Петрова',
      personId: '1010000012345',
      account: String(1010000012345n % 2n ** 32n),
      unpay: 0,
      bonus: 4,
      discount: 30,
      discLimit: 0,
      summa: 150000,
      dopInfo: 'Кофейные баллы · Золото',
      scrMessage: 'Баланс: 1 500 баллов, можно оплатить 1 500,00 ₽, уровень Золото',
      prnMessage: 'Баланс: 1 500 баллов, можно оплатить 1 500,00 ₽, уровень Золото',
    });
    expect(cardInfoFromLookup(view(), settings, { payableCapMinor: 15000 }).summa).toBe(15000);
  });

  it('blocked, deleted and expired cards say why and offer nothing', () => {
    expect(cardInfoFromLookup(view({ status: 'blocked' }), settings)).toMatchObject({
      locked: true,
      summa: 0,
      discount: 0,
      whyLock: 'Карта заблокирована в программе лояльности',
      prnMessage: '',
    });
    expect(cardInfoFromLookup(view({ status: 'deleted' }), settings)).toMatchObject({
      deleted: true,
      summa: 0,
      whyLock: 'Карта удалена в программе лояльности',
    });
    const gift = cardInfoFromLookup(
      view({ kind: 'gift', giftBalanceMinor: 50000, giftExpiresAt: '2026-01-31T00:00:00Z', levelName: null, levelCode: null }),
      settings,
      { now: new Date('2026-02-01') },
    );
    expect(gift).toMatchObject({
      stopDate: true,
      summa: 0,
      bonus: 0,
      whyLock: 'Срок действия сертификата истёк',
      scrMessage: 'Срок действия сертификата истёк',
    });
    const live = cardInfoFromLookup(view({ kind: 'gift', giftBalanceMinor: 50000, giftExpiresAt: null, levelName: null, levelCode: null }), settings);
    expect(live).toMatchObject({ stopDate: false, summa: 50000, scrMessage: 'Сертификат: 500,00 ₽' });
  });

  it('writes every field r_keeper reads, within its lengths, escaped', () => {
    const info = { ...cardInfoFromLookup(view(), settings), holder: 'Очень-очень длинное имя гостя "VIP" <с тегами> & кавычками', whyLock: 'x'.repeat(400) };
    const xml = cardInfoXml(info);
    const p = parseXml(xml);
    expect(p.ok).toBe(true);
    const el = p.ok ? p.root.children[0]! : undefined;
    expect(Object.keys(el!.attrs)).toEqual(
      [
        'Result',
        'Deleted',
        'Seize',
        'StopDate',
        'Holy',
        'Manager',
        'Locked',
        'WhyLock',
        'Holder',
        'PersonID',
        'Account',
        'Unpay',
        'Bonus',
        'Discount',
        'DiscLimit',
        'Summa',
        'Sum2',
        'Sum3',
        'Sum4',
        'Sum5',
        'Sum6',
        'Sum7',
        'Sum8',
        'DopInfo',
        'ScrMessage',
        'PrnMessage',
      ].map((k) => k.toLowerCase()),
    );
    expect(Array.from(el!.attrs.holder!)).toHaveLength(39);
    expect(el!.attrs.holder!.startsWith('Очень-очень длинное имя гостя "VIP" <с')).toBe(true);
    expect(Array.from(el!.attrs.whylock!)).toHaveLength(255);
    expect(clip('a\u0000b\nc', 10)).toBe('a b\nc');
  });

  it('TRRESPONSE carries error_code, err_text, and per transaction num, cardcode, ext_id and value', () => {
    const xml = transactionsXml(0, { errorCode: 0, errText: 'ok', transactions: [{ num: 1, cardcode: '8002', extId: 'co-1', value: 1000 }] });
    expect(xml).toContain(
      '<ROOT><TransactionsEx Result="0"><OutBuf OutKind="1"><TRRESPONSE error_code="0" err_text="ok"><TRANSACTION num="1" cardcode="8002" ext_id="co-1" value="1000"/></TRRESPONSE></OutBuf></TransactionsEx></ROOT>',
    );
  });
});

describe('cashier texts', () => {
  it('money and points in Russian', () => {
    expect(rub(123450)).toBe('1 234,50 ₽');
    expect(rub(5)).toBe('0,05 ₽');
    expect([1, 2, 5, 11, 21, 22, 112, 1500].map(points)).toEqual([
      '1 балл',
      '2 балла',
      '5 баллов',
      '11 баллов',
      '21 балл',
      '22 балла',
      '112 баллов',
      '1 500 баллов',
    ]);
  });
  it('maps the hub refusals; server trouble is "retry later"', () => {
    expect(fromHubError('insufficient_points', 422)).toMatchObject({ code: 'insufficient_points', errorCode: 5 });
    expect(fromHubError('card_blocked', 409)).toMatchObject({ code: 'card_blocked', text: 'Карта заблокирована' });
    expect(fromHubError('command_timeout', 504)).toMatchObject({ code: 'unavailable' });
    expect(fromHubError(undefined, undefined)).toMatchObject({ code: 'unavailable' });
    expect(fromHubError('something_new', 422)).toMatchObject({ code: 'refused', text: 'Программа лояльности отклонила операцию: код something_new' });
  });
});

describe('r_keeper XML interface documents', () => {
  it('writes RK7Query with case-kept command names and reads RK7QueryResult', () => {
    expect(rk7Query([{ cmd: 'GetOrderList', attrs: { onlyOpened: '1' } }])).toContain('<RK7Query><RK7CMD CMD="GetOrderList" onlyOpened="1"/></RK7Query>');
    const r = parseRk7Result(
      '<RK7QueryResult ServerVersion="7.26.1" NetName="MIDSERV" Status="Ok" CMD="GetOrderList" lastversion="77"><Visit VisitID="5"><Guests><Guest CardCode="8002"/></Guests><Orders><Order guid="{A}" OrderID="9" OrderSum="30000" ToPaySum="30000" Finished="1"/></Orders></Visit></RK7QueryResult>',
    );
    expect(r).toMatchObject({
      ok: true,
      result: {
        status: 'Ok',
        lastVersion: '77',
        serverVersion: '7.26.1',
        orders: [{ guid: '{A}', orderId: '9', orderSum: 30000, finished: true, cardCodes: ['8002'] }],
      },
    });
    expect(parseRk7Result('<html/>')).toMatchObject({ ok: false });
  });
});
