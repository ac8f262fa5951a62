/**
 * Baselines of `checkout.commit`: the statements the hub runs for one sale (captured from its
 * TypeORM log, see `captureStatements` in bench/checkout.ts), replayed in a raw driver loop with
 * prepared statements — no HTTP, no ORM, no validation. `raw-mysql2` on MariaDB, `raw-better-sqlite3`
 * on SQLite. Per sale, in the hub's order:
 *
 *   before the transaction: replay lookup by Idempotency-Key, replay lookup by receipt fingerprint,
 *   card by number, business (settings);
 *   in it: [SET TRANSACTION ISOLATION LEVEL READ COMMITTED], START/BEGIN, card FOR UPDATE, open
 *   lots, INSERT checkout (+ TypeORM's reload SELECT), INSERT redeem entry (+ reload), per lot taken
 *   UPDATE lot + INSERT consumption (+ reload), INSERT outbox balance_changed (+ reload), INSERT
 *   accrue entry (+ reload), INSERT lot (+ reload), INSERT outbox (+ reload), UPDATE card, SELECT
 *   guest, UPDATE guest, UPDATE checkout decision, INSERT outbox checkout.committed (+ reload), COMMIT.
 *
 * With one lot taken that is 30 statements on MariaDB and 29 on SQLite, as the hub. The outbox rows
 * are written already sent (`sentAt` set) so the hub's relay, which is idle meanwhile, never
 * publishes them. Balances, lots and entries stay consistent, so hub rounds can follow.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { newId } from '../../hub/src/shared/ids';
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
  'id, businessId, idempotencyKey, requestHash, receiptFingerprint, status, cardId, guestId, programId, locationId, terminalId, actorType, actorId, totalMinor, discountMinor, pointsRedeemed, pointsAccrued, giftSpentMinor, stampsAdded, couponId, couponCode, receipt, basket, decision, holdExpiresAt, capturedAt, canceledAt, refundedMinor, refundedPointsReturned, refundedPointsReversed, refundedGiftMinor, refundedStamps';
const CHECKOUT_RELOAD =
  'SELECT id, createdAt, updatedAt, totalMinor, discountMinor, pointsRedeemed, pointsAccrued, giftSpentMinor, stampsAdded, refundedMinor, refundedPointsReturned, refundedPointsReversed, refundedGiftMinor, refundedStamps FROM checkouts WHERE id = ?';
const ENTRY_INSERT =
  'INSERT INTO ledger_entries (id, businessId, cardId, kind, unit, amount, balanceAfter, checkoutId, refundId, linkedEntryId, reason, actorType, actorId) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?)';
const ENTRY_RELOAD = 'SELECT id, createdAt, updatedAt, amount, balanceAfter FROM ledger_entries WHERE id = ?';
const LOT_UPDATE = 'UPDATE point_lots SET remaining = ?, updatedAt = CURRENT_TIMESTAMP WHERE id = ?';
const CONS_INSERT = 'INSERT INTO lot_consumptions (id, businessId, entryId, lotId, points) VALUES (?, ?, ?, ?, ?)';
const CONS_RELOAD = 'SELECT id, createdAt, updatedAt, points FROM lot_consumptions WHERE id = ?';
const LOT_INSERT = 'INSERT INTO point_lots (id, businessId, cardId, entryId, points, remaining, availableAt, expiresAt) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)';
const LOT_RELOAD = 'SELECT id, createdAt, updatedAt, points, remaining FROM point_lots WHERE id = ?';
const OUTBOX_INSERT = 'INSERT INTO outbox (eventId, businessId, type, data, correlationId, occurredAt, sentAt) VALUES (?, ?, ?, ?, ?, ?, ?)';
const OUTBOX_RELOAD = 'SELECT seq, attempts FROM outbox WHERE seq = ?';
const CARD_UPDATE =
  'UPDATE cards SET pointsBalance = ?, pointsHeld = ?, giftBalanceMinor = ?, stamps = ?, levelCode = ?, spendMinor = ?, visits = ?, lastOperationAt = ?, updatedAt = CURRENT_TIMESTAMP WHERE (id = ? AND businessId = ?)';
const GUEST_UPDATE = 'UPDATE guests SET visits = ?, spendMinor = ?, lastPurchaseAt = ?, updatedAt = CURRENT_TIMESTAMP WHERE id = ?';
const CHECKOUT_DECISION = 'UPDATE checkouts SET decision = ?, pointsAccrued = ?, stampsAdded = ?, updatedAt = CURRENT_TIMESTAMP WHERE id = ?';

const CHECKOUT_INSERT = `INSERT INTO checkouts (${CHECKOUT_COLS}) VALUES (${CHECKOUT_COLS.split(',')
  .map(() => '?')
  .join(', ')})`;
const PRIOR_EITHER = 'SELECT id, requestHash FROM checkouts WHERE businessId = ? AND (idempotencyKey = ? OR receiptFingerprint = ?) LIMIT 2';
const LOTS_LEAN = 'SELECT id, remaining, availableAt, expiresAt FROM point_lots WHERE businessId = ? AND cardId = ? AND remaining > 0';
const ENTRIES2_INSERT = `INSERT INTO ledger_entries (id, businessId, cardId, kind, unit, amount, balanceAfter, checkoutId, refundId, linkedEntryId, reason, actorType, actorId) VALUES ${ENTRY_INSERT.replace(/^.*VALUES /, '')}, ${ENTRY_INSERT.replace(/^.*VALUES /, '')}`;
const GUEST_ARITH =
  'UPDATE guests SET visits = visits + 1, spendMinor = spendMinor + ?, lastPurchaseAt = ?, firstPurchaseAt = COALESCE(firstPurchaseAt, ?), updatedAt = CURRENT_TIMESTAMP WHERE id = ?';
const OUTBOX3_INSERT = `${OUTBOX_INSERT}, (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)`;

/** Statements one raw sale runs when it takes its points from one lot. */
export const RAW_STATEMENTS_PER_SALE = { mysql: 30, sqlite: 29 };
/** Statements of the lean variant (`--lean`); MySQL sets the isolation level once per connection. */
export const LEAN_STATEMENTS_PER_SALE = { mysql: 13, sqlite: 13 };

type Figures = ReturnType<typeof figures>;
type Row = Record<string, any>;

// Parameter rows, shared by both drivers and both variants.
const checkoutRow = (p: RawSaleParams, f: Figures, coId: string, card: Row, sent: string) => [
  ...[
    coId,
    p.businessId,
    f.key,
    f.requestHash,
    f.fingerprint,
    'committed',
    card.id,
    card.guestId,
    p.programId,
    p.locationId,
    p.terminalId,
    'terminal',
    p.terminalId,
  ],
  ...[f.total, 0, p.redeemPoints, f.accrued, 0, 0, null, null, JSON.stringify(f.body.receipt), JSON.stringify(f.body.basket), p.decisionJson, null, sent, null],
  ...[0, 0, 0, 0, 0],
];
const entryRow = (p: RawSaleParams, id: string, card: Row, kind: string, amount: number, balanceAfter: number, coId: string) => [
  ...[id, p.businessId, card.id, kind, 'points', amount, balanceAfter, coId, 'terminal', p.terminalId],
];
const outboxRow = (p: RawSaleParams, type: string, data: string, coId: string, sent: string) => [newId(), p.businessId, type, data, coId, sent, sent];
const cardRow = (p: RawSaleParams, card: Row, balance: number, f: Figures, sent: string) => [
  ...[balance, Number(card.pointsHeld), Number(card.giftBalanceMinor), card.stamps, card.levelCode, Number(card.spendMinor) + f.total, card.visits + 1, sent],
  ...[card.id, p.businessId],
];

/**
 * One sale as a list of steps over a minimal driver interface, so the MySQL (async) and SQLite
 * (sync) loops run literally the same statements in the same order.
 */
interface Driver {
  one(sql: string, params: unknown[]): Row | undefined | Promise<Row | undefined>;
  all(sql: string, params: unknown[]): Row[] | Promise<Row[]>;
  /** Returns the auto-increment id of an INSERT. */
  run(sql: string, params: unknown[]): number | Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// MariaDB / MySQL: mysql2 prepared statements (`execute`), a pool as large as the hub's
// ---------------------------------------------------------------------------------------------

export class RawMysqlSale {
  private i = 0;
  private readonly sessionReady = new WeakSet<object>();

  constructor(
    private readonly pool: Pool,
    private readonly p: RawSaleParams,
  ) {}

  /** The hub's 30 statements (see the top of this file). */
  sale(): Promise<void> {
    return this.retry(() => this.replay(this.i++));
  }

  /**
   * The same sale in the fewest round trips the schema allows (informational, `--lean`): one replay
   * lookup (key OR receipt), isolation level set once per connection, the card locked by number,
   * settings from memory, multi-row INSERTs for entries and events, guest counters by arithmetic,
   * the checkout written once with its final decision, no reload SELECTs: 13 statements.
   */
  leanSale(): Promise<void> {
    return this.retry(() => this.lean(this.i++));
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

  private driver(conn: PoolConnection): Driver {
    return {
      one: async (sql, params) => (await conn.execute<RowDataPacket[]>(sql, params as any[]))[0][0],
      all: async (sql, params) => (await conn.execute<RowDataPacket[]>(sql, params as any[]))[0],
      run: async (sql, params) => (await conn.execute<ResultSetHeader>(sql, params as any[]))[0].insertId,
    };
  }

  private async inTx(isolation: 'each' | 'session', fn: (d: Driver) => Promise<void>): Promise<void> {
    const conn = await this.pool.getConnection();
    try {
      if (isolation === 'each') await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
      else if (!this.sessionReady.has(conn.connection)) {
        await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
        this.sessionReady.add(conn.connection);
      }
      await conn.query('START TRANSACTION');
      await fn(this.driver(conn));
      await conn.query('COMMIT');
    } catch (e) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      conn.release();
    }
  }

  private async replay(i: number): Promise<void> {
    const { p, pool } = this;
    const f = figures(p, i);
    const [byKey] = await pool.execute<RowDataPacket[]>('SELECT * FROM checkouts WHERE businessId = ? AND idempotencyKey = ? LIMIT 1', [p.businessId, f.key]);
    const [byReceipt] = await pool.execute<RowDataPacket[]>('SELECT * FROM checkouts WHERE businessId = ? AND receiptFingerprint = ? LIMIT 1', [
      p.businessId,
      f.fingerprint,
    ]);
    if (byKey.length || byReceipt.length) throw new Error('raw sale: unexpected replay');
    const [cards] = await pool.execute<RowDataPacket[]>('SELECT * FROM cards WHERE businessId = ? AND number = ? LIMIT 1', [p.businessId, f.number]);
    if (!cards[0]) throw new Error(`raw sale: no card ${f.number}`);
    await pool.execute('SELECT * FROM businesses WHERE id = ? LIMIT 1', [p.businessId]);
    await this.inTx('each', (d) => replaySteps(d, p, f, cards[0]!.id as string, ' FOR UPDATE') as Promise<void>);
  }

  private async lean(i: number): Promise<void> {
    const p = this.p;
    const f = figures(p, i);
    const [prior] = await this.pool.execute<RowDataPacket[]>(PRIOR_EITHER, [p.businessId, f.key, f.fingerprint]);
    if (prior.length) throw new Error('raw sale: unexpected replay');
    await this.inTx('session', (d) => leanSteps(d, p, f, ' FOR UPDATE') as Promise<void>);
  }
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

/** The hub's in-transaction statements, in its order (TypeORM's reload SELECTs included). */
function replaySteps(d: Driver, p: RawSaleParams, f: Figures, cardId: string, lock: string): void | Promise<void> {
  const now = new Date();
  const sent = dt(now);
  const coId = newId();
  const redeemId = newId();
  const accrueId = newId();
  const lotId = newId();
  let card!: Row;
  let takes!: ReturnType<typeof takeFrom>;
  let balance = 0;
  return seq([
    () => then(d.one(`SELECT * FROM cards WHERE id = ? AND businessId = ?${lock}`, [cardId, p.businessId]), (c) => void (card = c!)),
    () =>
      then(
        d.all('SELECT * FROM point_lots WHERE businessId = ? AND cardId = ? AND remaining > 0', [p.businessId, cardId]),
        (lots) => void (takes = takeFrom(consumptionOrder(lots as LotRow[], now), p.redeemPoints)),
      ),
    () => d.run(CHECKOUT_INSERT, checkoutRow(p, f, coId, card, sent)),
    () => d.one(CHECKOUT_RELOAD, [coId]),
    () => {
      balance = Number(card.pointsBalance) - p.redeemPoints;
      return d.run(ENTRY_INSERT, entryRow(p, redeemId, card, 'redeem', -p.redeemPoints, balance, coId));
    },
    () => d.one(ENTRY_RELOAD, [redeemId]),
    () =>
      seq(
        takes.flatMap((t) => {
          const consId = newId();
          return [
            () => d.run(LOT_UPDATE, [t.left, t.lot.id]),
            () => d.run(CONS_INSERT, [consId, p.businessId, redeemId, t.lot.id, t.take]),
            () => d.one(CONS_RELOAD, [consId]),
          ];
        }),
      ),
    () =>
      then(
        d.run(OUTBOX_INSERT, outboxRow(p, 'card.balance_changed', balanceEvent(card.id, card.guestId, balance, -p.redeemPoints, 'redeemed'), coId, sent)),
        (seqNo) => d.one(OUTBOX_RELOAD, [seqNo]),
      ),
    () => {
      balance += f.accrued;
      return d.run(ENTRY_INSERT, entryRow(p, accrueId, card, 'accrue', f.accrued, balance, coId));
    },
    () => d.one(ENTRY_RELOAD, [accrueId]),
    () => d.run(LOT_INSERT, [lotId, p.businessId, card.id, accrueId, f.accrued, f.accrued, sent]),
    () => d.one(LOT_RELOAD, [lotId]),
    () =>
      then(
        d.run(OUTBOX_INSERT, outboxRow(p, 'card.balance_changed', balanceEvent(card.id, card.guestId, balance, f.accrued, 'accrued'), coId, sent)),
        (seqNo) => d.one(OUTBOX_RELOAD, [seqNo]),
      ),
    () => d.run(CARD_UPDATE, cardRow(p, card, balance, f, sent)),
    () =>
      then(d.one('SELECT * FROM guests WHERE id = ? AND businessId = ? LIMIT 1', [card.guestId, p.businessId]), (g) =>
        d.run(GUEST_UPDATE, [g!.visits + 1, Number(g!.spendMinor) + f.total, sent, g!.id]),
      ),
    () => d.run(CHECKOUT_DECISION, [p.decisionJson, f.accrued, 0, coId]),
    () =>
      then(d.run(OUTBOX_INSERT, outboxRow(p, 'checkout.committed', committedEvent(p, coId, card.id, card.guestId, f), coId, sent)), (seqNo) =>
        d.one(OUTBOX_RELOAD, [seqNo]),
      ),
  ]);
}

/** The lean in-transaction statements: 10 with one lot taken. */
function leanSteps(d: Driver, p: RawSaleParams, f: Figures, lock: string): void | Promise<void> {
  const now = new Date();
  const sent = dt(now);
  const coId = newId();
  const redeemId = newId();
  const accrueId = newId();
  let card!: Row;
  let takes!: ReturnType<typeof takeFrom>;
  let afterRedeem = 0;
  let balance = 0;
  return seq([
    () =>
      then(d.one(`SELECT * FROM cards WHERE businessId = ? AND number = ?${lock}`, [p.businessId, f.number]), (c) => {
        if (!c) throw new Error(`raw sale: no card ${f.number}`);
        card = c;
        afterRedeem = Number(card.pointsBalance) - p.redeemPoints;
        balance = afterRedeem + f.accrued;
      }),
    () => then(d.all(LOTS_LEAN, [p.businessId, card.id]), (lots) => void (takes = takeFrom(consumptionOrder(lots as LotRow[], now), p.redeemPoints))),
    () =>
      d.run(ENTRIES2_INSERT, [
        ...entryRow(p, redeemId, card, 'redeem', -p.redeemPoints, afterRedeem, coId),
        ...entryRow(p, accrueId, card, 'accrue', f.accrued, balance, coId),
      ]),
    () => seq(takes.map((t) => () => d.run(LOT_UPDATE, [t.left, t.lot.id]))),
    () =>
      d.run(
        `INSERT INTO lot_consumptions (id, businessId, entryId, lotId, points) VALUES ${takes.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
        takes.flatMap((t) => [newId(), p.businessId, redeemId, t.lot.id, t.take]),
      ),
    () => d.run(LOT_INSERT, [newId(), p.businessId, card.id, accrueId, f.accrued, f.accrued, sent]),
    () => d.run(CARD_UPDATE, cardRow(p, card, balance, f, sent)),
    () => d.run(GUEST_ARITH, [f.total, sent, sent, card.guestId]),
    () => d.run(CHECKOUT_INSERT, checkoutRow(p, f, coId, card, sent)),
    () =>
      d.run(OUTBOX3_INSERT, [
        ...outboxRow(p, 'card.balance_changed', balanceEvent(card.id, card.guestId, afterRedeem, -p.redeemPoints, 'redeemed'), coId, sent),
        ...outboxRow(p, 'card.balance_changed', balanceEvent(card.id, card.guestId, balance, f.accrued, 'accrued'), coId, sent),
        ...outboxRow(p, 'checkout.committed', committedEvent(p, coId, card.id, card.guestId, f), coId, sent),
      ]),
  ]);
}

// ---------------------------------------------------------------------------------------------
// SQLite: better-sqlite3 prepared statements on a second connection to the hub's file
// ---------------------------------------------------------------------------------------------

interface SqliteStatement {
  get(...params: unknown[]): Row | undefined;
  all(...params: unknown[]): Row[];
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  pragma(s: string): unknown;
  close(): void;
}

export class RawSqliteSale {
  private i = 0;
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
    this.d = {
      one: (sql, params) => this.st(sql).get(...params),
      all: (sql, params) => this.st(sql).all(...params),
      run: (sql, params) => Number(this.st(sql).run(...params).lastInsertRowid),
    };
  }

  /** Prepared once per SQL text (like the driver's statement cache). */
  private st(sql: string): SqliteStatement {
    let s = this.cache.get(sql);
    if (!s) this.cache.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  private inTx(fn: () => void | Promise<void>): void {
    this.st('BEGIN TRANSACTION').run();
    try {
      fn();
      this.st('COMMIT').run();
    } catch (e) {
      this.st('ROLLBACK').run();
      throw e;
    }
  }

  /** The hub's 29 statements (no isolation level, no FOR UPDATE: SQLite has one writer). */
  sale(): void {
    const { p, d } = this;
    const f = figures(p, this.i++);
    if (d.one('SELECT * FROM checkouts WHERE businessId = ? AND idempotencyKey = ? LIMIT 1', [p.businessId, f.key]))
      throw new Error('raw sale: unexpected replay');
    if (d.one('SELECT * FROM checkouts WHERE businessId = ? AND receiptFingerprint = ? LIMIT 1', [p.businessId, f.fingerprint]))
      throw new Error('raw sale: unexpected replay');
    const card = d.one('SELECT * FROM cards WHERE businessId = ? AND number = ? LIMIT 1', [p.businessId, f.number]) as Row | undefined;
    if (!card) throw new Error(`raw sale: no card ${f.number}`);
    d.one('SELECT * FROM businesses WHERE id = ? LIMIT 1', [p.businessId]);
    this.inTx(() => replaySteps(d, p, f, card.id as string, ''));
  }

  /** The 13-statement sale of `RawMysqlSale.leanSale`. */
  leanSale(): void {
    const { p, d } = this;
    const f = figures(p, this.i++);
    if (d.one(PRIOR_EITHER, [p.businessId, f.key, f.fingerprint])) throw new Error('raw sale: unexpected replay');
    this.inTx(() => leanSteps(d, p, f, ''));
  }

  close(): void {
    this.db.close();
  }
}
