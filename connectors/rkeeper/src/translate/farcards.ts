import { attr, child, children, find, parseXml, toXml, type XmlNode, type XmlOut } from './xml';

/*
 * The FarCards 6 HTTP interface as r_keeper's FARCARDS module speaks it (shared/research/pos-protocols.md
 * §2.3): GetCardInfoEx, TransactionsEx and FindAccountsByKind, each an XML POST answered with XML.
 * Pure: no HTTP, no hub — the desktop agent reuses it to serve a till on the LAN.
 */

/** Why FARCARDS calls (the `chmode` of the CHECK in InpBuf). */
export const CHMODES = {
  0: 'technical',
  1: 'sale',
  2: 'sale rollback',
  3: 'return',
  4: 'return rollback',
  5: 'order editing',
  6: 'pre-check print',
  7: 'payment screen',
  8: 'print card info',
  9: 'card at entrance',
  10: 'after transactions',
  11: 'service print',
  12: 'pre-check cancel',
  13: 'before transactions',
} as const;

/**
 * Transaction kinds of a TransactionsEx batch and the sign r_keeper gives each in a sale (a rollback
 * or a return mirrors them): 0 payment from the card account (negative), 1 discount (negative),
 * 2 bonus accrual (positive), 3 the guest's own-money spend (positive).
 */
export const KINDS = { 0: 'payment', 1: 'discount', 2: 'bonus', 3: 'spend' } as const;
export type Kind = keyof typeof KINDS;
export const SALE_SIGN: Record<Kind, -1 | 1> = { 0: -1, 1: -1, 2: 1, 3: 1 };

/** Largest Int64: r_keeper's card numbers are signed 64-bit integers. */
const INT64_MAX = 9223372036854775807n;

/** One line of the CHECK (`CHECKDATA/CHECKLINES/LINE`); numbers kept as written. */
export interface CheckLine {
  id?: string;
  uni?: string;
  code?: string;
  name?: string;
  type?: string;
  price?: string;
  quantity?: string;
  sum?: string;
  categId?: string;
}

/** The order context FARCARDS passes in InpBuf (the CHECK XML). */
export interface CheckInfo {
  chmode?: number;
  stationCode?: string;
  restaurantCode?: string;
  cashServerName?: string;
  shiftDate?: string;
  orderGuid?: string;
  checkGuid?: string;
  orderNum?: string;
  checkNum?: string;
  lines: CheckLine[];
  /** `CHECKCATEGS/CATEG@id,name`: names of the line categories. */
  categories: Record<string, string>;
}

export interface CardInfoRequest {
  fn: 'GetCardInfoEx';
  /** The Int64 card number as decimal digits. */
  card: string;
  restaurant?: string;
  unit?: string;
  check?: CheckInfo;
}

/** One transaction of a TransactionsEx batch (money in kopecks, signed). */
export interface FarTransaction {
  /** 1-based position in the batch (TRRESPONSE `num`). */
  num: number;
  card: string;
  personId?: string;
  account?: string;
  kind: number;
  summa: number;
  restaurant?: string;
  /** Days since 1899-12-30. */
  rkDate?: number;
  /** The cash desk. */
  rkUni?: string;
  /** The check number. */
  rkCheck?: string;
  /** VAT pairs A…H: sum (kopecks) and rate × 100. */
  vat: { letter: string; sum?: string; prc?: string }[];
}

export interface TransactionsRequest {
  fn: 'TransactionsEx';
  transactions: FarTransaction[];
  check?: CheckInfo;
}

export interface FindAccountsRequest {
  fn: 'FindAccountsByKind';
  /** 2 hotel room, 3 QR code. */
  kind: number;
  /** What the cashier scanned or typed. */
  code: string;
}

export type FarCardsRequest = CardInfoRequest | TransactionsRequest | FindAccountsRequest;
export type FarCardsFunction = FarCardsRequest['fn'];

export type ParsedRequest = { ok: true; request: FarCardsRequest } | { ok: false; fn?: FarCardsFunction; reason: string };

/** The function a URL path segment names (`getcardinfoex`, `transactionsex.php` …), case-insensitive. */
export function functionFromPath(segment: string | undefined): FarCardsFunction | undefined | null {
  if (!segment) return undefined;
  const s = segment.toLowerCase().replace(/\.php$/, '');
  if (s === 'getcardinfoex') return 'GetCardInfoEx';
  if (s === 'transactionsex') return 'TransactionsEx';
  if (s === 'findaccountsbykind') return 'FindAccountsByKind';
  return null;
}

/** A card number r_keeper may send: a non-negative Int64, as digits (leading zeros dropped). */
export function parseCardNumber(raw: string | undefined): string | undefined {
  const s = raw?.trim();
  if (!s || !/^\d{1,19}$/.test(s)) return undefined;
  const n = BigInt(s);
  if (n > INT64_MAX) return undefined;
  return n.toString();
}

/** An integer of kopecks (or any whole number r_keeper sends); undefined when not a safe integer. */
export function parseWhole(raw: string | undefined): number | undefined {
  const s = raw?.trim();
  if (!s || !/^[-+]?\d{1,16}$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

const OLE_EPOCH_MS = Date.UTC(1899, 11, 30);

/** r_keeper's date (days since 1899-12-30, maybe with a time fraction) as `YYYY-MM-DD`. */
export function rkDateToIso(days: number): string {
  return new Date(OLE_EPOCH_MS + Math.floor(days) * 86_400_000).toISOString().slice(0, 10);
}

/** The other way round (for fakes and tests). */
export function isoToRkDate(iso: string): number {
  return Math.round((Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) - OLE_EPOCH_MS) / 86_400_000);
}

function parseCheck(node: XmlNode | undefined): CheckInfo | undefined {
  if (!node) return undefined;
  let check = find(node, 'CHECK');
  // The DLL variant carries the CHECK as text inside InpBuf; some bridges forward it that way.
  if (!check && node.text.startsWith('<')) {
    const inner = parseXml(node.text);
    if (inner.ok) check = find(inner.root, 'CHECK');
  }
  if (!check) return undefined;
  const data = child(check, 'CHECKDATA');
  const chmode = parseWhole(attr(check, 'chmode'));
  const categories: Record<string, string> = {};
  for (const c of children(child(data, 'CHECKCATEGS'), 'CATEG')) {
    const id = attr(c, 'id');
    if (id) categories[id] = attr(c, 'name') ?? attr(c, 'code') ?? id;
  }
  return {
    chmode,
    stationCode: attr(check, 'stationcode'),
    restaurantCode: attr(check, 'restaurantcode'),
    cashServerName: attr(check, 'cashservername'),
    shiftDate: attr(check, 'shiftdate'),
    orderGuid: attr(data, 'orderguid'),
    checkGuid: attr(data, 'checkguid'),
    orderNum: attr(data, 'ordernum'),
    checkNum: attr(data, 'checknum'),
    categories,
    lines: children(child(data, 'CHECKLINES'), 'LINE').map((l) => ({
      id: attr(l, 'id'),
      uni: attr(l, 'uni'),
      code: attr(l, 'code'),
      name: attr(l, 'name'),
      type: attr(l, 'type'),
      price: attr(l, 'price'),
      quantity: attr(l, 'quantity'),
      sum: attr(l, 'sum'),
      categId: attr(l, 'categ_id'),
    })),
  };
}

const VAT_LETTERS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'];

function parseTransaction(t: XmlNode, num: number): FarTransaction | string {
  const card = parseCardNumber(attr(t, 'Card'));
  if (!card) return `transaction ${num}: Card is not an Int64 card number`;
  const kind = parseWhole(attr(t, 'Kind'));
  if (kind === undefined) return `transaction ${num}: Kind is missing or not a whole number`;
  const summa = parseWhole(attr(t, 'Summa'));
  if (summa === undefined) return `transaction ${num}: Summa must be whole kopecks`;
  const rkDateRaw = attr(t, 'RKDate');
  const rkDate = rkDateRaw === undefined ? undefined : Number(rkDateRaw.replace(',', '.'));
  if (rkDate !== undefined && (!Number.isFinite(rkDate) || rkDate < 1 || rkDate > 2_958_465)) return `transaction ${num}: RKDate is not a date`;
  return {
    num,
    card,
    personId: attr(t, 'PersonID'),
    account: attr(t, 'Account'),
    kind,
    summa,
    restaurant: attr(t, 'Restaurant'),
    rkDate,
    rkUni: attr(t, 'RKUni'),
    rkCheck: attr(t, 'RKCheck'),
    vat: VAT_LETTERS.map((letter) => ({ letter, sum: attr(t, `VatSum${letter}`), prc: attr(t, `VatPrc${letter}`) })).filter(
      (v) => v.sum !== undefined || v.prc !== undefined,
    ),
  };
}

/** Which function a document is, when the URL does not say: by its elements. */
function sniff(root: XmlNode): FarCardsFunction | undefined {
  if (find(root, 'Transactions') || find(root, 'TransactionsEx')) return 'TransactionsEx';
  if (find(root, 'FindAccountsByKind')) return 'FindAccountsByKind';
  const qry = find(root, 'QRY');
  if (qry && attr(qry, 'Card') !== undefined) return 'GetCardInfoEx';
  if (qry && attr(qry, 'Kind') !== undefined) return 'FindAccountsByKind';
  return undefined;
}

/** Best guess of the function of a body that did not parse (to answer in the right form). */
export function guessFunction(text: string): FarCardsFunction | undefined {
  if (/<\s*transactions/i.test(text)) return 'TransactionsEx';
  if (/findaccountsbykind|\bkind\s*=/i.test(text)) return 'FindAccountsByKind';
  if (/<\s*qry/i.test(text)) return 'GetCardInfoEx';
  return undefined;
}

/**
 * Parses a FarCards request. `fn` is the function the URL names (`…/farcards/getcardinfoex`); without
 * it the document's elements tell. Never throws: malformed input is `{ ok: false, reason }`.
 */
export function parseFarCardsRequest(text: string, fn?: FarCardsFunction): ParsedRequest {
  const parsed = parseXml(text);
  if (!parsed.ok) return { ok: false, fn: fn ?? guessFunction(text), reason: `malformed XML: ${parsed.reason}` };
  const root = parsed.root;
  const which = fn ?? sniff(root);
  if (!which) return { ok: false, reason: 'not a FarCards request (no QRY or Transactions element)' };
  if (which === 'GetCardInfoEx') {
    const qry = find(root, 'QRY');
    if (!qry) return { ok: false, fn: which, reason: 'GetCardInfoEx needs a QRY element' };
    const card = parseCardNumber(attr(qry, 'Card'));
    if (!card) return { ok: false, fn: which, reason: 'QRY@Card is not an Int64 card number' };
    return {
      ok: true,
      request: {
        fn: which,
        card,
        restaurant: attr(qry, 'Restaurant'),
        unit: attr(qry, 'UnitNo'),
        check: parseCheck(child(qry, 'InpBuf') ?? child(root, 'InpBuf')),
      },
    };
  }
  if (which === 'FindAccountsByKind') {
    const q = find(root, 'FindAccountsByKind') ?? find(root, 'QRY');
    const kind = parseWhole(attr(q, 'Kind'));
    if (kind === undefined) return { ok: false, fn: which, reason: 'FindAccountsByKind needs a whole-number Kind' };
    const code = (attr(q, 'Find') ?? q?.text ?? '').trim();
    if (!code) return { ok: false, fn: which, reason: 'FindAccountsByKind needs the code to find (Find attribute)' };
    if (code.length > 512) return { ok: false, fn: which, reason: 'the code to find is longer than 512 characters' };
    return { ok: true, request: { fn: which, kind, code } };
  }
  const list = find(root, 'Transactions');
  const items = list ? children(list, 'TransactionsEx') : children(root, 'TransactionsEx');
  if (!items.length) return { ok: false, fn: which, reason: 'TransactionsEx needs at least one transaction' };
  if (items.length > 500) return { ok: false, fn: which, reason: 'a batch holds at most 500 transactions' };
  const transactions: FarTransaction[] = [];
  for (const [i, t] of items.entries()) {
    const tr = parseTransaction(t, i + 1);
    if (typeof tr === 'string') return { ok: false, fn: which, reason: tr };
    transactions.push(tr);
  }
  return { ok: true, request: { fn: which, transactions, check: parseCheck(child(root, 'InpBuf') ?? find(root, 'InpBuf')) } };
}

// ------------------------------------------------------------------ answers

/** What GetCardInfoEx fills in for a card r_keeper may apply (FarCards 6 CardInfoEx). */
export interface CardInfo {
  deleted: boolean;
  /** "Grab": the cashier should take the card away. */
  seize: boolean;
  /** The card has expired. */
  stopDate: boolean;
  /** Not active at this time. */
  holy: boolean;
  /** Needs a manager's approval. */
  manager: boolean;
  locked: boolean;
  /** Why the card is locked (shown at the till). */
  whyLock: string;
  holder: string;
  personId: string;
  account: string;
  /** Defaulter type (0 none). */
  unpay: number;
  /** r_keeper bonus and discount numbers (set up in r_keeper's editor). */
  bonus: number;
  discount: number;
  /** In kopecks. */
  discLimit: number;
  /** Balance usable for payment, kopecks. */
  summa: number;
  /** Sub-accounts Sum2…Sum8, kopecks. */
  sums?: number[];
  dopInfo: string;
  scrMessage: string;
  prnMessage: string;
}

/** Field limits of the FarCards structures (characters, the terminating zero excluded). */
export const LIMITS = { whyLock: 255, holder: 39, dopInfo: 255, scrMessage: 255, prnMessage: 255, errText: 255 } as const;

/** Cuts a text to `max` characters (on a code point boundary) and drops control characters except newlines. */
export function clip(s: string, max: number): string {
  // Control characters would break the till's display; newlines are kept.
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, ' ');
  const chars = Array.from(clean);
  return chars.length <= max ? clean : chars.slice(0, max - 1).join('') + '…';
}

const flag = (b: boolean) => (b ? 1 : 0);

/** GetCardInfoEx answer for a known card (Result 0). */
export function cardInfoXml(i: CardInfo): string {
  const sums = Array.from({ length: 7 }, (_, k) => i.sums?.[k] ?? 0);
  return toXml({
    name: 'Root',
    children: [
      {
        name: 'GetCardInfoEx',
        attrs: [
          ['Result', 0],
          ['Deleted', flag(i.deleted)],
          ['Seize', flag(i.seize)],
          ['StopDate', flag(i.stopDate)],
          ['Holy', flag(i.holy)],
          ['Manager', flag(i.manager)],
          ['Locked', flag(i.locked)],
          ['WhyLock', clip(i.whyLock, LIMITS.whyLock)],
          ['Holder', clip(i.holder, LIMITS.holder)],
          ['PersonID', i.personId],
          ['Account', i.account],
          ['Unpay', i.unpay],
          ['Bonus', i.bonus],
          ['Discount', i.discount],
          ['DiscLimit', i.discLimit],
          ['Summa', i.summa],
          ...sums.map((v, k): [string, number] => [`Sum${k + 2}`, v]),
          ['DopInfo', clip(i.dopInfo, LIMITS.dopInfo)],
          ['ScrMessage', clip(i.scrMessage, LIMITS.scrMessage)],
          ['PrnMessage', clip(i.prnMessage, LIMITS.prnMessage)],
        ],
      },
    ],
  });
}

/** GetCardInfoEx answer "no such card" (Result 1), with the text the till may show. */
export function cardNotFoundXml(message: string): string {
  return toXml({
    name: 'Root',
    children: [
      {
        name: 'GetCardInfoEx',
        attrs: [
          ['Result', 1],
          ['WhyLock', clip(message, LIMITS.whyLock)],
          ['ScrMessage', clip(message, LIMITS.scrMessage)],
        ],
      },
    ],
  });
}

/** One TRRESPONSE/TRANSACTION: our answer for the batch's transaction `num`. */
export interface TrTransaction {
  num: number;
  cardcode: string;
  /** Our id for it (r_keeper keeps it as IntfTransactions.ExtTransactionID). */
  extId?: string;
  /** Kopecks that replace the prepared value. */
  value?: number;
}

export interface TrResponse {
  /** 0 = applied; non-zero = refused (with Result 1). */
  errorCode: number;
  /** The reason on a refusal, a warning on success (shown to the cashier). */
  errText?: string;
  transactions: TrTransaction[];
}

/** TransactionsEx answer: Result 0 (all applied) or 1 (none applied), always with a TRRESPONSE. */
export function transactionsXml(result: 0 | 1, tr: TrResponse): string {
  const trr: XmlOut = {
    name: 'TRRESPONSE',
    attrs: [
      ['error_code', tr.errorCode],
      ['err_text', tr.errText ? clip(tr.errText, LIMITS.errText) : undefined],
    ],
    children: tr.transactions.map((t) => ({
      name: 'TRANSACTION',
      attrs: [
        ['num', t.num],
        ['cardcode', t.cardcode],
        ['ext_id', t.extId],
        ['value', t.value],
      ],
    })),
  };
  return toXml({
    name: 'ROOT',
    children: [{ name: 'TransactionsEx', attrs: [['Result', result]], children: [{ name: 'OutBuf', attrs: [['OutKind', 1]], children: [trr] }] }],
  });
}

/** FindAccountsByKind answer: the card found (Result 0) or `Result 1` with `ErrorText`. */
export function findAccountsXml(found: { account: string; cardCode: string; name: string } | { error: string }): string {
  const attrs: [string, string | number][] =
    'error' in found
      ? [
          ['Result', 1],
          ['ErrorText', clip(found.error, LIMITS.errText)],
        ]
      : [
          ['Result', 0],
          ['Account', found.account],
          ['CardCode', found.cardCode],
          ['Name', clip(found.name, LIMITS.holder)],
        ];
  return toXml({ name: 'Root', children: [{ name: 'FindAccountsByKind', attrs }] });
}

/** The refusal form of any function (for bodies that could not even be read). */
export function refusalXml(fn: FarCardsFunction | undefined, errorCode: number, text: string): string {
  if (fn === 'TransactionsEx') return transactionsXml(1, { errorCode, errText: text, transactions: [] });
  if (fn === 'FindAccountsByKind') return findAccountsXml({ error: text });
  return cardNotFoundXml(text);
}
