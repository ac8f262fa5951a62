import { createHash } from 'node:crypto';
import type { Basket } from '@loyalty/sdk';
import { KINDS, rkDateToIso, SALE_SIGN, type CheckInfo, type FarTransaction, type Kind, type TransactionsRequest } from './farcards';
import { KIND_NAMES, refusal, type Refusal } from './messages';

/** A till of the configuration (see config.schema.ts). */
export interface Till {
  restaurant: string;
  unit?: string;
  station?: string;
  locationId: string;
  till: string;
}

/**
 * The till of a request: restaurant + unit + station, then restaurant + unit, then the restaurant
 * alone (a row without unit or station stands for the whole restaurant).
 */
export function resolveTill(tills: readonly Till[], at: { restaurant?: string; unit?: string; station?: string }): Till | undefined {
  const norm = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : /^\d+$/.test(v.trim()) ? String(Number(v.trim())) : v.trim());
  const r = norm(at.restaurant);
  const u = norm(at.unit);
  const s = at.station?.trim() || undefined;
  if (r === undefined) return undefined;
  const same = tills.filter((t) => t.restaurant === r);
  return (
    same.find((t) => t.unit === u && u !== undefined && t.station !== undefined && t.station === s) ??
    same.find((t) => t.unit === u && u !== undefined && t.station === undefined) ??
    same.find((t) => t.unit === undefined && t.station === undefined)
  );
}

export type Operation = 'sale' | 'rollback' | 'return' | 'return_rollback';
const OPERATIONS: Record<number, Operation> = { 1: 'sale', 2: 'rollback', 3: 'return', 4: 'return_rollback' };

/** The batch's amounts by kind, as positive kopecks. */
export interface Totals {
  payment: number;
  discount: number;
  bonus: number;
  spend: number;
}

/** Identifiers of the r_keeper check a batch belongs to. */
export interface CheckIdentity {
  restaurant?: string;
  unit?: string;
  check?: string;
  /** ISO date of RKDate. */
  date?: string;
  checkGuid?: string;
  card: string;
}

export interface BatchPlan {
  ok: true;
  op: Operation;
  chmode: number;
  card: string;
  transactions: FarTransaction[];
  totals: Totals;
  identity: CheckIdentity;
  /** The check and card without the amounts: keys the count of rolled-back sales (or returns) of this check. */
  checkKey: string;
  /** The basket from the CHECK lines, or one line of the paid total. */
  basket: Basket;
  /** Σ basket lines (kopecks). */
  amountMinor: number;
  /** Idempotency key of this batch's effect: same batch, same key. */
  key: string;
  /** Store keys under which the sale (or return) this batch reverses was recorded, most specific first. */
  lookup: string[];
  /** Store keys under which this batch's own effect is recorded (for a later rollback). */
  index: string[];
}

export type PlanResult = BatchPlan | { ok: true; op: 'ignore'; chmode: number } | { ok: false; refusal: Refusal };

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** Money of the CHECK XML in kopecks: decimal roubles (`150.00`, `150,5`) or integer kopecks. */
export function checkMoney(raw: string | undefined, unit: 'rub' | 'kop'): number | undefined {
  const s = raw?.trim().replace(',', '.');
  if (!s) return undefined;
  if (unit === 'kop') return /^-?\d{1,15}$/.test(s) ? Number(s) : undefined;
  const m = /^(-?)(\d{1,13})(?:\.(\d{1,4}))?$/.exec(s);
  if (!m) return undefined;
  const frac = (m[3] ?? '').padEnd(4, '0');
  // Whole kopecks, rounded half up on the third and fourth decimal.
  const kop = Number(m[2]) * 100 + Number(frac.slice(0, 2)) + (Number(frac.slice(2)) >= 50 ? 1 : 0);
  return m[1] ? -kop : kop;
}

/** The basket lines of a CHECK (undefined without lines, `bad` when an amount cannot be read). */
export function basketFromCheck(check: CheckInfo | undefined, unit: 'rub' | 'kop'): Basket['items'] | 'bad' | undefined {
  if (!check?.lines.length) return undefined;
  const items: Basket['items'] = [];
  for (const l of check.lines) {
    const sum = checkMoney(l.sum, unit);
    if (sum === undefined) return 'bad';
    const q = Number((l.quantity ?? '1').replace(',', '.'));
    const whole = Number.isInteger(q) && q >= 1 && q <= 1_000_000;
    const qty = whole ? q : 1;
    const amount = Math.abs(sum);
    const price = checkMoney(l.price, unit);
    const sku = (l.code || l.id || 'LINE').slice(0, 64);
    const category = l.categId ? (check.categories[l.categId] ?? l.categId).trim().slice(0, 64) : undefined;
    items.push({
      sku,
      ...(l.name?.trim() ? { name: l.name.trim().slice(0, 200) } : {}),
      ...(category ? { category } : {}),
      qty,
      unitPriceMinor: price !== undefined && whole ? Math.abs(price) : Math.round(amount / qty),
      amountMinor: amount,
    });
  }
  if (items.length > 500) {
    const rest = items.splice(499);
    const amount = rest.reduce((s, i) => s + i.amountMinor, 0);
    items.push({ sku: 'OTHER', name: 'Прочие позиции', qty: 1, unitPriceMinor: amount, amountMinor: amount });
  }
  return items;
}

function canonicalTransactions(ts: FarTransaction[], flip: boolean): string {
  return ts
    .map((t) => [t.num, t.card, t.kind, flip ? -t.summa : t.summa, t.personId ?? '', t.account ?? ''].join(':'))
    .map((s) => s.replace(/:-0:/, ':0:'))
    .join(';');
}

function identityString(i: CheckIdentity): string {
  return [i.restaurant ?? '', i.unit ?? '', i.check ?? '', i.date ?? '', i.checkGuid ?? '', i.card].join('|');
}

/** The idempotency key of the effect of a batch of `chmode` with these transactions. */
export function batchKey(op: Operation, identity: CheckIdentity, transactions: FarTransaction[], flip = false): string {
  const digest = sha(`${identityString(identity)}#${canonicalTransactions(transactions, flip)}`).slice(0, 40);
  return `rk7:${op}:${digest}`;
}

/** Store keys that find a recorded sale (or return) of a check: by CHECK guid, by check number and date, by check number. */
export function checkIndex(kind: 'sale' | 'return', i: CheckIdentity): string[] {
  const keys: string[] = [];
  if (i.checkGuid) keys.push(`${kind}:guid:${sha(`${i.checkGuid.toUpperCase()}|${i.card}`).slice(0, 40)}`);
  if (i.check) {
    if (i.date) keys.push(`${kind}:check:${sha(`${i.restaurant}|${i.unit}|${i.check}|${i.date}|${i.card}`).slice(0, 40)}`);
    keys.push(`${kind}:number:${sha(`${i.restaurant}|${i.unit}|${i.check}|${i.card}`).slice(0, 40)}`);
  }
  return keys;
}

const expectedSign = (kind: Kind, chmode: number): -1 | 1 => (SALE_SIGN[kind] * (chmode === 2 || chmode === 3 ? -1 : 1)) as -1 | 1;

/**
 * Checks a TransactionsEx batch against r_keeper's rules and plans its one effect. Pure: the
 * connector then runs the plan through the hub. Refusals name the transaction for the cashier.
 *
 * Rules: every Kind is 0–3 and signed as r_keeper signs it for the chmode (a sale: payment and
 * discount negative, bonus and spend positive; a rollback and a return mirror that; a return
 * rollback is signed like a sale); one card and one check per batch; without a chmode the signs tell
 * (sale-signed = sale, mirrored = return). chmodes other than 1–4 carry no effect and are ignored.
 */
export function planBatch(req: TransactionsRequest, opts: { checkMoney: 'rub' | 'kop' }): PlanResult {
  const ts = req.transactions;
  for (const t of ts) {
    if (!(t.kind in KINDS)) return { ok: false, refusal: refusal('bad_kind', `транзакция ${t.num}, вид ${t.kind}`) };
  }
  let chmode = req.check?.chmode;
  if (chmode === undefined) {
    const nonZero = ts.filter((t) => t.summa !== 0);
    const asSale = nonZero.every((t) => Math.sign(t.summa) === SALE_SIGN[t.kind as Kind]);
    const mirrored = nonZero.every((t) => Math.sign(t.summa) === -SALE_SIGN[t.kind as Kind]);
    chmode = asSale ? 1 : mirrored ? 3 : -1;
    if (chmode === -1) return { ok: false, refusal: refusal('bad_sign', 'знаки сумм пакета не согласованы') };
  }
  const op = OPERATIONS[chmode];
  if (!op) return { ok: true, op: 'ignore', chmode };
  for (const t of ts) {
    const want = expectedSign(t.kind as Kind, chmode);
    if (t.summa !== 0 && Math.sign(t.summa) !== want) {
      return { ok: false, refusal: refusal('bad_sign', `транзакция ${t.num}, ${KIND_NAMES[t.kind]} ${t.summa} коп., режим ${chmode}`) };
    }
  }
  const card = ts[0]!.card;
  if (ts.some((t) => t.card !== card)) return { ok: false, refusal: refusal('several_cards') };
  const same = (f: (t: FarTransaction) => unknown) => ts.every((t) => f(t) === f(ts[0]!));
  if (!same((t) => t.restaurant) || !same((t) => t.rkDate) || !same((t) => t.rkUni) || !same((t) => t.rkCheck)) {
    return { ok: false, refusal: refusal('several_checks') };
  }
  const t0 = ts[0]!;
  const sumKind = (k: number) => Math.abs(ts.filter((t) => t.kind === k).reduce((s, t) => s + t.summa, 0));
  const totals: Totals = { payment: sumKind(0), discount: sumKind(1), bonus: sumKind(2), spend: sumKind(3) };
  const fromCheck = basketFromCheck(req.check, opts.checkMoney);
  if (fromCheck === 'bad') return { ok: false, refusal: refusal('bad_check', 'сумма позиции не прочитана') };
  let items = fromCheck;
  if (!items) {
    const paid = totals.spend + totals.payment;
    if (paid <= 0) return { ok: false, refusal: refusal('no_basket') };
    items = [{ sku: 'RKEEPER-CHECK', name: 'Чек r_keeper', qty: 1, unitPriceMinor: paid, amountMinor: paid }];
  }
  const identity: CheckIdentity = {
    restaurant: t0.restaurant ?? req.check?.restaurantCode,
    unit: t0.rkUni,
    check: t0.rkCheck ?? req.check?.checkNum,
    date: t0.rkDate !== undefined ? rkDateToIso(t0.rkDate) : undefined,
    checkGuid: req.check?.checkGuid,
    card,
  };
  const reverses: Record<Operation, { kind: 'sale' | 'return'; op: Operation } | undefined> = {
    sale: undefined,
    rollback: { kind: 'sale', op: 'sale' },
    return: { kind: 'sale', op: 'sale' },
    return_rollback: { kind: 'return', op: 'return' },
  };
  const target = reverses[op];
  const lookup = target ? [`${target.kind}:key:${batchKey(target.op, identity, ts, true)}`, ...checkIndex(target.kind, identity)] : [];
  const key = batchKey(op, identity, ts);
  const index =
    op === 'sale' ? [`sale:key:${key}`, ...checkIndex('sale', identity)] : op === 'return' ? [`return:key:${key}`, ...checkIndex('return', identity)] : [];
  return {
    ok: true,
    op,
    chmode,
    card,
    transactions: ts,
    totals,
    identity,
    basket: { items },
    amountMinor: items.reduce((s, i) => s + i.amountMinor, 0),
    key,
    checkKey: sha(identityString(identity)).slice(0, 40),
    lookup,
    index,
  };
}
