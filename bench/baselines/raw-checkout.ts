/**
 * Baselines of `checkout.commit`: the statements the hub runs for one sale (captured from its
 * TypeORM log by `profileSale` in bench/checkout.ts), replayed in a raw driver loop with prepared
 * statements — no HTTP, no ORM, no validation: `raw-mysql2` on MariaDB, `raw-better-sqlite3` on
 * SQLite. Per sale, in the hub's order:
 *
 *   before the transaction: replay lookup (Idempotency-Key OR receipt fingerprint);
 *   in it: START/BEGIN (READ COMMITTED is set once per pooled connection), card by number [FOR UPDATE],
 *   open lots, the ledger book (one INSERT of the redeem and accrue entries, UPDATE of each lot
 *   taken, one INSERT of their consumption records, INSERT of the new lot), UPDATE card, UPDATE
 *   guest counters, guest contact, INSERT checkout, then the outbox's one INSERT of the three
 *   events (balance_changed ×2, checkout.committed), COMMIT.
 *
 * With one lot taken that is 14 statements on both backends. The bench traces one raw
 * sale (`traceSale`) and compares it, statement by statement (verb, table, lock), with the hub's
 * captured sale, and says so when the hub's path has moved and this replay needs updating.
 *
 * The outbox rows are written already sent (`sentAt` set) so the hub's relay, idle meanwhile, never
 * publishes them. Balances, lots and entries stay consistent, so hub rounds can follow.
 *
 * `leanSale` is the same sale in 13 statements (informational, `--lean`): what the hot path would
 * cost without the guest-contact read.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { newId } from '../../hub/src/shared/ids';
import { SESSION_SETTINGS } from '../../hub/src/db/db';
import { demoCardNumber } from '../../fixtures/src/demo-data/generate';
import { saleBody } from '../scenarios/checkout';

export interface RawSaleParams {
  businessId: string;
  programId: string;
  locationId: string;
  terminalId: string;
  cardPrefix: string;
  cards: number;
  redeemPoints: number;
  accrualPercent: number;
  pointValueMinor: number;
  /** A decision JSON the hub stored for a sale like these (same size on the wire). */
  decisionJson: string;
}

/** UTC `YYYY-MM-DD HH:MM:SS.mmm`, how the hub stores datetimes. */
const dt = (d: Date) => d.toISOString().replace('T', ' ').slice(0, 23);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

interface LotRow {
  id: string;
  remaining: number | string;
  availableAt: Date | string;
  expiresAt: Date | string | null;
}

/** The figures of one sale, computed like the hub's decide() for a bonus card without levels. */
function figures(p: RawSaleParams, i: number) {
  const run = figures.run;
  const number = demoCardNumber(p.cardPrefix, Math.floor(Math.random() * p.cards));
  const receiptNo = `RR-${run}-${i}`;
  const body = saleBody(number, i, p.redeemPoints, receiptNo);
  const total = body.basket.items.reduce((s, it) => s + it.amountMinor, 0);
  const redeemValue = p.redeemPoints * p.pointValueMinor;
  const accrued = Math.floor(((total - redeemValue) * p.accrualPercent) / 100 / p.pointValueMinor);
  return {
    key: `raw-${run}-${i}`,
    number,
    body,
    total,
    accrued,
    requestHash: sha256(JSON.stringify(body)),
    fingerprint: sha256([p.businessId, p.locationId, 'T1', receiptNo, body.receipt!.date].join('|')),
  };
}
figures.run = randomBytes(4).toString('hex');

/** Lots in the hub's consumption order: soonest expiry first, never-expiring last, then oldest. */
function consumptionOrder(lots: LotRow[], now: Date): LotRow[] {
  const t = (v: Date | string | null) =>
    v === null ? Infinity : new Date(typeof v === 'string' && !v.includes('T') ? v.replace(' ', 'T') + 'Z' : v).getTime();
  return lots
    .filter((l) => t(l.availableAt) <= now.getTime() && t(l.expiresAt) > now.getTime())
    .sort((a, b) => t(a.expiresAt) - t(b.expiresAt) || t(a.availableAt) - t(b.availableAt) || (a.id < b.id ? -1 : 1));
}

function takeFrom(lots: LotRow[], points: number): { lot: LotRow; take: number; left: number }[] {
  let left = points;
  const out: { lot: LotRow; take: number; left: number }[] = [];
  for (const lot of lots) {
    if (left === 0) break;
    const take = Math.min(Number(lot.remaining), left);
    out.push({ lot, take, left: Number(lot.remaining) - take });
    left -= take;
  }
  if (left > 0) throw new Error('raw sale: not enough usable points on the card');
  return out;
}

const balanceEvent = (cardId: string, guestId: string, balance: number, delta: number, reason: string) =>
  JSON.stringify({ cardId, guestId, balance, delta, unit: 'points', reason });
const committedEvent = (p: RawSaleParams, coId: string, cardId: string, guestId: string, f: ReturnType<typeof figures>) =>
  JSON.stringify({
    checkoutId: coId,
    cardId,
    guestId,
    locationId: p.locationId,
    terminalId: p.terminalId,
    currency: 'RUB',
    totalMinor: f.total,
    discountMinor: 0,
    pointsRedeemed: p.redeemPoints,
    pointsAccrued: f.accrued,
    giftSpentMinor: 0,
    stampsAdded: 0,
    couponCode: null,
    receipt: { number: f.body.receipt!.number, date: f.body.receipt!.date },
  });

const CHECKOUT_COLS =
  'id, createdAt, updatedAt, businessId, idempotencyKey, requestHash, receiptFingerprint, status, cardId, guestId, programId, locationId, terminalId, actorType, actorId, totalMinor, discountMinor, pointsRedeemed, pointsAccrued, giftSpentMinor, stampsAdded, couponId, couponCode, receipt, basket, decision, holdExpiresAt, capturedAt, canceledAt, refundedMinor, refundedPointsReturned, refundedPointsReversed, refundedGiftMinor, refundedStamps';
const CHECKOUT_INSERT = `INSERT INTO checkouts (${CHECKOUT_COLS}) VALUES (${CHECKOUT_COLS.split(',')
  .map(() => '?')
  .join(', ')})`;
const PRIOR = 'SELECT * FROM checkouts WHERE businessId = ? AND (idempotencyKey = ? OR receiptFingerprint = ?) LIMIT 2';
const CARD_BY_NUMBER = 'SELECT * FROM cards WHERE businessId = ? AND number = ? LIMIT 1';
const LOTS = 'SELECT * FROM point_lots WHERE businessId = ? AND cardId = ? AND remaining > 0';
/** The guest's contact fields the sale's events carry. */
const GUEST_CONTACT = 'SELECT id, phone, email, name FROM guests WHERE id = ? AND businessId = ?';
const ENTRY_TUPLE = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?)';
const ENTRY_INSERT = `INSERT INTO ledger_entries (id, createdAt, updatedAt, businessId, cardId, kind, unit, amount, balanceAfter, checkoutId, refundId, linkedEntryId, reason, actorType, actorId) VALUES ${ENTRY_TUPLE}`;
const ENTRIES2_INSERT = `${ENTRY_INSERT}, ${ENTRY_TUPLE}`;
const LOT_UPDATE = 'UPDATE point_lots SET remaining = ?, updatedAt = CURRENT_TIMESTAMP WHERE id = ?';
const CONS_TUPLE = '(?, ?, ?, ?, ?, ?, ?)';
const CONS_INSERT = `INSERT INTO lot_consumptions (id, createdAt, updatedAt, businessId, entryId, lotId, points) VALUES ${CONS_TUPLE}`;
const LOT_INSERT =
  'INSERT INTO point_lots (id, createdAt, updatedAt, businessId, cardId, entryId, points, remaining, availableAt, expiresAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)';
const OUTBOX_TUPLE = '(?, ?, ?, ?, ?, ?, ?)';
const OUTBOX_INSERT = `INSERT INTO outbox (eventId, businessId, type, data, correlationId, occurredAt, sentAt) VALUES ${OUTBOX_TUPLE}`;
const OUTBOX3_INSERT = `${OUTBOX_INSERT}, ${OUTBOX_TUPLE}, ${OUTBOX_TUPLE}`;
const CARD_UPDATE =
  'UPDATE cards SET pointsBalance = ?, pointsHeld = ?, giftBalanceMinor = ?, stamps = ?, levelCode = ?, spendMinor = ?, visits = ?, lastOperationAt = ?, updatedAt = CURRENT_TIMESTAMP WHERE (id = ? AND businessId = ?)';
const GUEST_UPDATE =
  'UPDATE guests SET visits = visits + 1, spendMinor = spendMinor + ?, lastPurchaseAt = ?, firstPurchaseAt = COALESCE(firstPurchaseAt, ?), updatedAt = CURRENT_TIMESTAMP WHERE id = ? AND businessId = ?';

type Figures = ReturnType<typeof figures>;
type Row = Record<string, any>;

// Parameter rows, shared by both drivers and both variants.
const checkoutRow = (p: RawSaleParams, f: Figures, coId: string, card: Row, sent: string) => [
  ...[coId, sent, sent, p.businessId, f.key, f.requestHash, f.fingerprint, 'committed', card.id, card.guestId, p.programId, p.locationId, p.terminalId],
  ...['terminal', p.terminalId, f.total, 0, p.redeemPoints, f.accrued, 0, 0, null, null, JSON.stringify(f.body.receipt), JSON.stringify(f.body.basket)],
  ...[p.decisionJson, null, sent, null, 0, 0, 0, 0, 0],
];
const entryRow = (p: RawSaleParams, id: string, card: Row, kind: string, amount: number, balanceAfter: number, coId: string, sent: string) => [
  ...[id, sent, sent, p.businessId, card.id, kind, 'points', amount, balanceAfter, coId, 'terminal', p.terminalId],
];
const consRow = (p: RawSaleParams, entryId: string, lotId: string, points: number, sent: string) => [newId(), sent, sent, p.businessId, entryId, lotId, points];
const lotRow = (p: RawSaleParams, card: Row, entryId: string, points: number, sent: string) => [
  newId(),
  sent,
  sent,
  p.businessId,
  card.id,
  entryId,
  points,
  points,
  sent,
];
const outboxRow = (p: RawSaleParams, type: string, data: string, coId: string, sent: string) => [newId(), p.businessId, type, data, coId, sent, sent];
const cardRow = (p: RawSaleParams, card: Row, balance: number, f: Figures, sent: string) => [
  ...[balance, Number(card.pointsHeld), Number(card.giftBalanceMinor), card.stamps, card.levelCode, Number(card.spendMinor) + f.total, card.visits + 1, sent],
  ...[card.id, p.businessId],
];

/**
 * A minimal driver interface, so the MySQL (async) and SQLite (sync) loops run literally the same
 * statement list. `trace`, when set, records every statement sent (the bench compares it with the
 * hub's).
 */
interface Driver {
  one(sql: string, params: unknown[]): Row | undefined | Promise<Row | undefined>;
  all(sql: string, params: unknown[]): Row[] | Promise<Row[]>;
  run(sql: string, params: unknown[]): unknown;
  /** Transaction control (SET, START, BEGIN, COMMIT, ROLLBACK): not prepared. */
  control(sql: string): unknown;
}

/** Awaits a value only when it is a promise, so one step list serves the sync and async drivers. */
function then<T, U>(v: T | Promise<T>, fn: (x: T) => U | Promise<U>): U | Promise<U> {
  return v instanceof Promise ? v.then(fn) : fn(v);
}

/** Runs steps in order; each step may be sync or async. */
function seq(steps: (() => unknown)[]): void | Promise<void> {
  for (let k = 0; k < steps.length; k++) {
    const r = steps[k]!();
    if (r instanceof Promise) return r.then(() => seq(steps.slice(k + 1)));
  }
}

/** Runs `steps` between BEGIN/START and COMMIT, rolling back on failure. */
function inTx(d: Driver, begin: string[], steps: () => void | Promise<void>): void | Promise<void> {
  const rollback = (e: unknown) => {
    const r = d.control('ROLLBACK');
    if (r instanceof Promise) return r.catch(() => undefined).then(() => Promise.reject(e));
    throw e;
  };
  try {
    const r = seq([...begin.map((sql) => () => d.control(sql)), steps, () => d.control('COMMIT')]);
    return r instanceof Promise ? r.catch(rollback) : r;
  } catch (e) {
    return rollback(e);
  }
}

/** The hub's sale: 1 statement before the transaction, then its transaction (see the top of the file). */
function hubSale(pre: Driver, tx: () => Driver | Promise<Driver>, p: RawSaleParams, f: Figures, kind: 'mysql' | 'sqlite'): void | Promise<void> {
  const now = new Date();
  const sent = dt(now);
  const coId = newId();
  const redeemId = newId();
  const accrueId = newId();
  let cardId = '';
  let card!: Row;
  let takes!: ReturnType<typeof takeFrom>;
  let balance = 0;
  const lock = kind === 'mysql' ? ' FOR UPDATE' : '';
  const begin = kind === 'mysql' ? ['START TRANSACTION'] : ['BEGIN TRANSACTION'];
  return seq([
    () => then(pre.all(PRIOR, [p.businessId, f.key, f.fingerprint]), (rows) => void (rows.length && fail('unexpected replay'))),
    () =>
      then(tx(), (d) =>
        inTx(d, begin, () =>
          seq([
            () =>
              then(d.one(CARD_BY_NUMBER.replace(' LIMIT 1', lock), [p.businessId, f.number]), (c) => {
                card = c ?? fail(`no card ${f.number}`);
                cardId = card.id as string;
              }),
            () => then(d.all(LOTS, [p.businessId, cardId]), (lots) => void (takes = takeFrom(consumptionOrder(lots as LotRow[], now), p.redeemPoints))),
            // The sale's ledger book: both entries in one INSERT, the lots drawn, their consumption records in one INSERT, the new lot.
            () => {
              balance = Number(card.pointsBalance) - p.redeemPoints + f.accrued;
              return d.run(ENTRIES2_INSERT, [
                ...entryRow(p, redeemId, card, 'redeem', -p.redeemPoints, balance - f.accrued, coId, sent),
                ...entryRow(p, accrueId, card, 'accrue', f.accrued, balance, coId, sent),
              ]);
            },
            () => seq(takes.map((t) => () => d.run(LOT_UPDATE, [t.left, t.lot.id]))),
            () =>
              d.run(
                [CONS_INSERT, ...takes.slice(1).map(() => CONS_TUPLE)].join(', '),
                takes.flatMap((t) => consRow(p, redeemId, t.lot.id, t.take, sent)),
              ),
            () => d.run(LOT_INSERT, lotRow(p, card, accrueId, f.accrued, sent)),
            () => d.run(CARD_UPDATE, cardRow(p, card, balance, f, sent)),
            () => d.run(GUEST_UPDATE, [f.total, sent, sent, card.guestId, p.businessId]),
            () => d.one(GUEST_CONTACT, [card.guestId, p.businessId]),
            () => d.run(CHECKOUT_INSERT, checkoutRow(p, f, coId, card, sent)),
            // The outbox: the transaction's three events in one INSERT right before COMMIT.
            () =>
              d.run(OUTBOX3_INSERT, [
                ...outboxRow(p, 'card.balance_changed', balanceEvent(card.id, card.guestId, balance - f.accrued, -p.redeemPoints, 'redeemed'), coId, sent),
                ...outboxRow(p, 'card.balance_changed', balanceEvent(card.id, card.guestId, balance, f.accrued, 'accrued'), coId, sent),
                ...outboxRow(p, 'checkout.committed', committedEvent(p, coId, card.id, card.guestId, f), coId, sent),
              ]),
          ]),
        ),
      ),
  ]);
}

/** The lean sale: 1 statement before the transaction, START/BEGIN + 10 + COMMIT in it. */
function leanSale(pre: Driver, tx: () => Driver | Promise<Driver>, p: RawSaleParams, f: Figures, kind: 'mysql' | 'sqlite'): void | Promise<void> {
  const now = new Date();
  const sent = dt(now);
  const coId = newId();
  const redeemId = newId();
  const accrueId = newId();
  let card!: Row;
  let takes!: ReturnType<typeof takeFrom>;
  let afterRedeem = 0;
  let balance = 0;
  const lock = kind === 'mysql' ? ' FOR UPDATE' : '';
  const begin = kind === 'mysql' ? ['START TRANSACTION'] : ['BEGIN TRANSACTION'];
  return seq([
    () => then(pre.all(PRIOR, [p.businessId, f.key, f.fingerprint]), (rows) => void (rows.length && fail('unexpected replay'))),
    () =>
      then(tx(), (d) =>
        inTx(d, begin, () =>
          seq([
            () =>
              then(d.one(CARD_BY_NUMBER.replace(' LIMIT 1', lock), [p.businessId, f.number]), (c) => {
                card = c ?? fail(`no card ${f.number}`);
                afterRedeem = Number(card.pointsBalance) - p.redeemPoints;
                balance = afterRedeem + f.accrued;
              }),
            () => then(d.all(LOTS, [p.businessId, card.id]), (lots) => void (takes = takeFrom(consumptionOrder(lots as LotRow[], now), p.redeemPoints))),
            () =>
              d.run(ENTRIES2_INSERT, [
                ...entryRow(p, redeemId, card, 'redeem', -p.redeemPoints, afterRedeem, coId, sent),
                ...entryRow(p, accrueId, card, 'accrue', f.accrued, balance, coId, sent),
              ]),
            () => seq(takes.map((t) => () => d.run(LOT_UPDATE, [t.left, t.lot.id]))),
            () =>
              d.run(
                [CONS_INSERT, ...takes.slice(1).map(() => CONS_TUPLE)].join(', '),
                takes.flatMap((t) => consRow(p, redeemId, t.lot.id, t.take, sent)),
              ),
            () => d.run(LOT_INSERT, lotRow(p, card, accrueId, f.accrued, sent)),
            () => d.run(CARD_UPDATE, cardRow(p, card, balance, f, sent)),
            () => d.run(GUEST_UPDATE, [f.total, sent, sent, card.guestId, p.businessId]),
            () => d.run(CHECKOUT_INSERT, checkoutRow(p, f, coId, card, sent)),
            () =>
              d.run(OUTBOX3_INSERT, [
                ...outboxRow(p, 'card.balance_changed', balanceEvent(card.id, card.guestId, afterRedeem, -p.redeemPoints, 'redeemed'), coId, sent),
                ...outboxRow(p, 'card.balance_changed', balanceEvent(card.id, card.guestId, balance, f.accrued, 'accrued'), coId, sent),
                ...outboxRow(p, 'checkout.committed', committedEvent(p, coId, card.id, card.guestId, f), coId, sent),
              ]),
          ]),
        ),
      ),
  ]);
}

function fail(msg: string): never {
  throw new Error(`raw sale: ${msg}`);
}

// ---------------------------------------------------------------------------------------------
// MariaDB / MySQL: mysql2 prepared statements (`execute`), pools as large as the hub's
// ---------------------------------------------------------------------------------------------

export class RawMysqlSale {
  private i = 0;
  private trace?: string[];

  /**
   * `pool` runs the hub's sale; `leanPool` (optional) the lean one, its connections set to READ
   * COMMITTED once when they open (a pool hook), as the lean sale assumes.
   */
  constructor(
    private readonly pool: Pool,
    private readonly p: RawSaleParams,
    private readonly leanPool?: Pool,
  ) {
    // Like the hub's pool (SESSION_SETTINGS in hub/src/db/db.ts): READ COMMITTED once per connection.
    for (const each of [pool, leanPool]) each?.on('connection', (c) => void c.query(SESSION_SETTINGS));
  }

  /** The hub's statements, in its order. */
  sale(): Promise<void> {
    return this.retry(() => hubSale(this.driver(this.pool), () => this.conn(this.pool), this.p, figures(this.p, this.i++), 'mysql') as Promise<void>);
  }

  /** The lean sale (13 statements). */
  leanSale(): Promise<void> {
    const pool = this.leanPool ?? fail('no lean pool');
    return this.retry(() => leanSale(this.driver(pool), () => this.conn(pool), this.p, figures(this.p, this.i++), 'mysql') as Promise<void>);
  }

  /** The statements one sale sends, in order. */
  async traceSale(lean = false): Promise<string[]> {
    this.trace = [];
    try {
      await (lean ? this.leanSale() : this.sale());
      return this.trace;
    } finally {
      this.trace = undefined;
    }
  }

  private async retry(fn: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (attempt < 4 && (code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT')) continue;
        throw e;
      }
    }
  }

  /** A pool-level driver (a statement outside a transaction) or a connection's. */
  private driver(target: Pool | PoolConnection, release?: () => void): Driver {
    const exec = <T extends RowDataPacket[] | ResultSetHeader>(sql: string, params: unknown[]) => {
      this.trace?.push(sql);
      return target.execute<T>(sql, params as any[]);
    };
    return {
      one: async (sql, params) => (await exec<RowDataPacket[]>(sql, params))[0][0],
      all: async (sql, params) => (await exec<RowDataPacket[]>(sql, params))[0],
      run: (sql, params) => exec<ResultSetHeader>(sql, params),
      control: async (sql) => {
        this.trace?.push(sql);
        try {
          await target.query(sql);
        } finally {
          if (/^(COMMIT|ROLLBACK)/.test(sql)) release?.();
        }
      },
    };
  }

  /** A connection for one transaction; released by its COMMIT or ROLLBACK. */
  private async conn(pool: Pool): Promise<Driver> {
    const c = await pool.getConnection();
    let released = false;
    return this.driver(c, () => {
      if (!released) c.release();
      released = true;
    });
  }
}

// ---------------------------------------------------------------------------------------------
// SQLite: better-sqlite3 prepared statements on a second connection to the hub's file
// ---------------------------------------------------------------------------------------------

interface SqliteStatement {
  get(...params: unknown[]): Row | undefined;
  all(...params: unknown[]): Row[];
  run(...params: unknown[]): unknown;
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  pragma(s: string): unknown;
  close(): void;
}

export class RawSqliteSale {
  private i = 0;
  private trace?: string[];
  private readonly db: SqliteDatabase;
  private readonly cache = new Map<string, SqliteStatement>();
  private readonly d: Driver;

  constructor(
    file: string,
    private readonly p: RawSaleParams,
  ) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Database = require('better-sqlite3') as new (file: string) => SqliteDatabase;
    this.db = new Database(file);
    // The hub's pragmas (hub/src/db/db.ts).
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    const st = (sql: string) => {
      this.trace?.push(sql);
      let s = this.cache.get(sql);
      if (!s) this.cache.set(sql, (s = this.db.prepare(sql)));
      return s;
    };
    this.d = {
      one: (sql, params) => st(sql).get(...params),
      all: (sql, params) => st(sql).all(...params),
      run: (sql, params) => st(sql).run(...params),
      control: (sql) => st(sql).run(),
    };
  }

  /** The hub's statements, in its order (no isolation level, no FOR UPDATE: SQLite has one writer). */
  sale(): void {
    hubSale(this.d, () => this.d, this.p, figures(this.p, this.i++), 'sqlite');
  }

  /** The lean sale (13 statements). */
  leanSale(): void {
    leanSale(this.d, () => this.d, this.p, figures(this.p, this.i++), 'sqlite');
  }

  /** The statements one sale sends, in order. */
  traceSale(lean = false): string[] {
    this.trace = [];
    try {
      if (lean) this.leanSale();
      else this.sale();
      return this.trace;
    } finally {
      this.trace = undefined;
    }
  }

  close(): void {
    this.db.close();
  }
}
