import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import type { Envelope } from '@loyalty/sdk';
import type { EventData } from '@loyalty/sdk';
import type { Bus } from '../../bus/bus';
import { isUniqueViolation, type Db } from '../../db/db';
import { groupCommit, type Outcome } from '../../bus/group-commit';
import { sqlTime } from '../../db/columns';
import type { Ctx } from '../../shared/context';
import { Problem } from '../../shared/errors';
import { newId } from '../../shared/ids';
import type { SqlCondition } from '../guests/guests.segments';
import type { GuestsService } from '../guests/guests.service';
import type { TenantsService } from '../tenants/tenants.service';
import { AnalyticsState } from './analytics.entity';
import {
  addFigures,
  bucketOf,
  bucketsBetween,
  cellsOf,
  cutsFromNtiles,
  dayBucketer,
  DEFAULT_RFM,
  FIGURES,
  kpis,
  pointsDelta,
  refundDelta,
  rfmProblems,
  rollupKey,
  saleDelta,
  summarizeRfm,
  zeroFigures,
  type Figures,
  type Interval,
  type Kpis,
  type RfmCell,
  type RfmSegment,
  type RfmSettings,
  type RfmSummary,
  type RfmThresholds,
  type RollupKey,
} from './analytics.rules';

export const ANALYTICS_CONSUMER = 'analytics';
const PATTERNS = ['checkout.committed', 'checkout.refunded', 'checkout.refund_voided', 'guest.registered', 'card.issued', 'card.balance_changed'];
const HANDLED = new Set(PATTERNS);
const DAY_MS = 86_400_000;
const PAGE = 5000;

export { sqlTime };
/** A datetime as it comes back from a raw query (Date on MySQL, text on SQLite). */
const ms = (v: unknown): number =>
  v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v.includes('T') ? v : `${v.replace(' ', 'T')}Z`) : NaN;
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export interface DashboardQuery {
  from: string;
  to: string;
  interval: Interval;
  locationId?: string[];
  programId?: string[];
}

export interface SeriesPoint extends Figures {
  start: string;
  averageCheckMinor: number;
}

export interface Dashboard {
  currency: string;
  timezone: string;
  from: string;
  to: string;
  interval: Interval;
  totals: Figures;
  kpis: Kpis;
  series: SeriesPoint[];
}

export interface RfmSnapshot extends RfmSummary {
  computedAt: string;
  mode: RfmSettings['mode'];
  thresholds: RfmThresholds;
}

export interface AnalyticsDeps {
  db: Db;
  tenants: TenantsService;
  guests: GuestsService;
  log: Logger;
}

class AlreadyCounted extends Error {}

/** What one event adds to the rollups (pure: the first purchase and the card's program are looked up by the caller). */
function eventDeltas(msg: Envelope, day: string, ext: { firstPurchase: boolean; cardProgram: string }): [RollupKey, Partial<Figures>][] {
  switch (msg.type) {
    case 'checkout.committed': {
      const s = msg.data as EventData<'checkout.committed'>;
      const delta = saleDelta({ ...s, programId: s.programId ?? null });
      if (ext.firstPurchase) delta.firstPurchases = 1;
      return [[{ day, locationId: s.locationId ?? '', programId: s.programId ?? '' }, delta]];
    }
    case 'checkout.refunded': {
      const r = msg.data as EventData<'checkout.refunded'>;
      return [[{ day, locationId: r.locationId ?? '', programId: r.programId ?? '' }, refundDelta(r)]];
    }
    case 'checkout.refund_voided': {
      const v = msg.data as EventData<'checkout.refund_voided'>;
      const undo = refundDelta({ cardId: v.cardId, amountMinor: v.amountMinor, pointsReturned: v.pointsTaken, pointsReversed: v.pointsRestored });
      return [[{ day, locationId: v.locationId ?? '', programId: v.programId ?? '' }, addFigures(zeroFigures(), undo, -1)]];
    }
    case 'guest.registered':
      return [[{ day, locationId: '', programId: '' }, { newGuests: 1 }]];
    case 'card.issued': {
      const c = msg.data as EventData<'card.issued'>;
      return [[{ day, locationId: '', programId: c.programId }, { cardsIssued: 1 }]];
    }
    case 'card.balance_changed': {
      const b = msg.data as EventData<'card.balance_changed'>;
      return [[{ day, locationId: '', programId: ext.cardProgram }, pointsDelta(b.delta, b.reason === 'expired')]];
    }
    default:
      return [];
  }
}

/**
 * The analytics module: daily rollups kept from events (idempotent on the event id), rebuilt from
 * the raw rows on demand with the same numbers, served to the dashboard, the home page's summary,
 * the funnel and RFM. Rollups read nothing but their own table; the rebuild and RFM read the
 * sales, guests, cards and ledger tables directly — they are reports over those modules' rows.
 */
export class AnalyticsService {
  private readonly zones = new Map<string, { tz: string; at: number }>();
  private readonly bucketers = new Map<string, (at: Date | number) => string>();
  private readonly cardPrograms = new Map<string, string>();

  constructor(private readonly d: AnalyticsDeps) {}

  private get mysql(): boolean {
    return this.d.db.kind === 'mysql';
  }

  private q(name: string): string {
    return this.mysql ? `\`${name}\`` : `"${name}"`;
  }

  // -------------------------------------------------------------------------------------------
  // The consumer
  // -------------------------------------------------------------------------------------------

  /**
   * Events are counted in group commits: the messages that arrive while one transaction runs are
   * counted together in the next (one BEGIN … COMMIT and a handful of multi-row statements for all
   * of them instead of five statements per event on the sale's heels).
   */
  async subscribe(bus: Bus): Promise<void> {
    const counted = groupCommit<Envelope>((msgs) => this.countMany(msgs));
    await bus.subscribe(ANALYTICS_CONSUMER, PATTERNS, (msg) => (this.counts(msg) ? counted(msg) : Promise.resolve()), {
      retryDelaysMs: [1000, 5000, 30000, 120000],
    });
  }

  private counts(msg: Envelope): boolean {
    if (!HANDLED.has(msg.type)) return false;
    return !(msg.type === 'card.balance_changed' && (msg.data as EventData<'card.balance_changed'>).unit !== 'points');
  }

  /**
   * Counts a batch in one transaction. When the batch fails, each event is counted on its own, so
   * one event that cannot be counted fails alone (and is retried, then parked, on its own).
   */
  async countMany(msgs: Envelope[]): Promise<Outcome[]> {
    const one = (m: Envelope) => this.onEvent(m).then(
      () => undefined,
      (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
    );
    if (msgs.length === 1) return [await one(msgs[0]!)];
    try {
      await this.countBatch(msgs);
      return msgs.map(() => undefined);
    } catch (e) {
      this.d.log.warn({ err: e, events: msgs.length }, 'analytics: a batch failed; counting its events one by one');
      const out: Outcome[] = [];
      for (const m of msgs) out.push(await one(m));
      return out;
    }
  }

  /** The batch form of `onEvent`: same rows, same idempotence (the inbox), same rebuild watermark. */
  private async countBatch(msgs: Envelope[]): Promise<void> {
    const byId = new Map<string, Envelope>();
    for (const m of msgs) if (this.counts(m) && !byId.has(m.id)) byId.set(m.id, m);
    const events = [...byId.values()];
    if (!events.length) return;
    const days = new Map<string, string>();
    for (const m of events) days.set(m.id, this.bucketer(await this.zone(m.businessId))(new Date(m.occurredAt)));
    const businesses = [...new Set(events.map((m) => m.businessId))].sort();
    for (const b of businesses) await this.ensureState(b);
    const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
    await this.d.db.transaction(async (tx) => {
      // The state rows are locked first (a rebuild locks them too), in one order for every batch.
      const states = (await tx.query(
        `SELECT businessId, rebuiltBefore FROM analytics_state WHERE businessId IN (${marks(businesses.length)}) ORDER BY businessId${this.mysql ? ' FOR UPDATE' : ''}`,
        businesses,
      )) as { businessId: string; rebuiltBefore: unknown }[];
      const watermark = new Map(states.map((s) => [s.businessId, s.rebuiltBefore ? ms(s.rebuiltBefore) : null]));
      const ids = events.map((m) => m.id);
      const seen = new Set(
        ((await tx.query(`SELECT messageId FROM analytics_inbox WHERE consumer = ? AND messageId IN (${marks(ids.length)})`, [ANALYTICS_CONSUMER, ...ids])) as {
          messageId: string;
        }[]).map((r) => r.messageId),
      );
      const fresh = events.filter((m) => !seen.has(m.id));
      if (!fresh.length) return;
      const counted = fresh.filter((m) => {
        const w = watermark.get(m.businessId);
        return !(w !== null && w !== undefined && new Date(m.occurredAt).getTime() < w);
      });
      const first = await this.firstPurchases(tx, counted);
      const programs = await this.programsOfCards(
        tx,
        counted.filter((m) => m.type === 'card.balance_changed').map((m) => ({ businessId: m.businessId, cardId: (m.data as EventData<'card.balance_changed'>).cardId })),
      );
      const rows = new Map<string, { businessId: string; key: RollupKey; delta: Figures }>();
      for (const m of counted) {
        const cardId = m.type === 'card.balance_changed' ? (m.data as EventData<'card.balance_changed'>).cardId : '';
        for (const [key, delta] of eventDeltas(m, days.get(m.id)!, { firstPurchase: first.has(m.id), cardProgram: programs.get(cardId) ?? '' })) {
          const k = `${m.businessId}|${rollupKey(key)}`;
          const row = rows.get(k) ?? { businessId: m.businessId, key, delta: zeroFigures() };
          addFigures(row.delta, delta);
          rows.set(k, row);
        }
      }
      await this.upsertMany(tx, [...rows.values()]);
      const now = sqlTime(Date.now());
      await tx.query(
        `INSERT INTO analytics_inbox (id, consumer, messageId, createdAt, updatedAt) VALUES ${fresh.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
        fresh.flatMap((m) => [newId(), ANALYTICS_CONSUMER, m.id, now, now]),
      );
    });
  }

  /** The ids of the sales in `events` that are their guest's first purchase (recorded now). */
  private async firstPurchases(tx: EntityManager, events: Envelope[]): Promise<Set<string>> {
    const sales = events
      .filter((m) => m.type === 'checkout.committed' && (m.data as EventData<'checkout.committed'>).guestId)
      .map((m) => ({ m, guestId: (m.data as EventData<'checkout.committed'>).guestId! }));
    const out = new Set<string>();
    if (!sales.length) return out;
    const byBusiness = new Map<string, string[]>();
    for (const s of sales) byBusiness.set(s.m.businessId, [...(byBusiness.get(s.m.businessId) ?? []), s.guestId]);
    const where: string[] = [];
    const params: string[] = [];
    for (const [b, guests] of byBusiness) {
      where.push(`(businessId = ? AND guestId IN (${guests.map(() => '?').join(', ')}))`);
      params.push(b, ...guests);
    }
    const known = new Set(
      ((await tx.query(`SELECT businessId, guestId FROM analytics_buyers WHERE ${where.join(' OR ')}`, params)) as { businessId: string; guestId: string }[]).map(
        (r) => `${r.businessId}|${r.guestId}`,
      ),
    );
    const rows: unknown[] = [];
    const now = sqlTime(Date.now());
    for (const s of sales) {
      const k = `${s.m.businessId}|${s.guestId}`;
      if (known.has(k)) continue;
      known.add(k);
      out.add(s.m.id);
      rows.push(newId(), s.m.businessId, s.guestId, sqlTime(new Date(s.m.occurredAt)), now, now);
    }
    if (out.size)
      await tx.query(
        `INSERT INTO analytics_buyers (id, businessId, guestId, firstAt, createdAt, updatedAt) VALUES ${[...out].map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
        rows,
      );
    return out;
  }

  /** Programs of cards (remembered: a card's program never changes), the unknown ones in one read. */
  private async programsOfCards(em: EntityManager, cards: { businessId: string; cardId: string }[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const missing = new Map<string, string>();
    for (const c of cards) {
      const hit = this.cardPrograms.get(c.cardId);
      if (hit !== undefined) out.set(c.cardId, hit);
      else missing.set(c.cardId, c.businessId);
    }
    if (missing.size) {
      const ids = [...missing.keys()];
      const rows = (await em.query(`SELECT id, businessId, programId FROM cards WHERE id IN (${ids.map(() => '?').join(', ')})`, ids)) as {
        id: string;
        businessId: string;
        programId: string;
      }[];
      if (this.cardPrograms.size > 100_000) this.cardPrograms.clear();
      for (const r of rows) {
        if (missing.get(r.id) !== r.businessId) continue;
        this.cardPrograms.set(r.id, r.programId);
        out.set(r.id, r.programId);
      }
    }
    return out;
  }

  private async zone(businessId: string): Promise<string> {
    const hit = this.zones.get(businessId);
    if (hit && Date.now() - hit.at < 60_000) return hit.tz;
    const b = await this.d.tenants.getBusiness({ businessId, actor: { type: 'system', id: 'analytics' } });
    this.zones.set(businessId, { tz: b.timezone, at: Date.now() });
    return b.timezone;
  }

  private bucketer(tz: string) {
    let b = this.bucketers.get(tz);
    if (!b) this.bucketers.set(tz, (b = dayBucketer(tz)));
    return b;
  }

  /** A card's program never changes: remembered after one read. */
  private async programOfCard(em: EntityManager, businessId: string, cardId: string): Promise<string> {
    const hit = this.cardPrograms.get(cardId);
    if (hit !== undefined) return hit;
    const rows = (await em.query(`SELECT programId FROM cards WHERE id = ? AND businessId = ?`, [cardId, businessId])) as { programId: string }[];
    const p = rows[0]?.programId ?? '';
    if (this.cardPrograms.size > 100_000) this.cardPrograms.clear();
    this.cardPrograms.set(cardId, p);
    return p;
  }

  /**
   * Counts one event into the rollups, once: the rollup rows and the inbox row are written in one
   * transaction, and a second delivery of the same id fails on the inbox's unique key and rolls
   * its own writes back. Events older than the last rebuild's watermark are already in the rebuild.
   */
  async onEvent(msg: Envelope): Promise<void> {
    if (!HANDLED.has(msg.type)) return;
    if (msg.type === 'card.balance_changed' && (msg.data as EventData<'card.balance_changed'>).unit !== 'points') return;
    const at = new Date(msg.occurredAt);
    const tz = await this.zone(msg.businessId);
    const day = this.bucketer(tz)(at);
    await this.ensureState(msg.businessId);
    try {
      await this.d.db.transaction(async (tx) => {
        // The state row is locked first (a rebuild locks it too), so a rebuild and this event are never half-applied together.
        const states = (await tx.query(`SELECT rebuiltBefore FROM analytics_state WHERE businessId = ?${this.mysql ? ' FOR UPDATE' : ''}`, [
          msg.businessId,
        ])) as {
          rebuiltBefore: unknown;
        }[];
        const watermark = states[0]?.rebuiltBefore ? ms(states[0].rebuiltBefore) : null;
        if (!(watermark !== null && at.getTime() < watermark)) {
          const deltas = await this.deltas(tx, msg, day, at);
          for (const [key, delta] of deltas) await this.upsert(tx, msg.businessId, key, delta);
        }
        try {
          await tx.query(`INSERT INTO analytics_inbox (id, consumer, messageId, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?)`, [
            newId(),
            ANALYTICS_CONSUMER,
            msg.id,
            sqlTime(Date.now()),
            sqlTime(Date.now()),
          ]);
        } catch (e) {
          if (isUniqueViolation(e)) throw new AlreadyCounted();
          throw e;
        }
      });
    } catch (e) {
      if (e instanceof AlreadyCounted) return;
      throw e;
    }
  }

  private async deltas(tx: EntityManager, msg: Envelope, day: string, at: Date): Promise<[RollupKey, Partial<Figures>][]> {
    const guestId = msg.type === 'checkout.committed' ? (msg.data as EventData<'checkout.committed'>).guestId : null;
    const firstPurchase = guestId ? await this.firstPurchase(tx, msg.businessId, guestId, at) : false;
    const cardProgram = msg.type === 'card.balance_changed' ? await this.programOfCard(tx, msg.businessId, (msg.data as EventData<'card.balance_changed'>).cardId) : '';
    return eventDeltas(msg, day, { firstPurchase, cardProgram });
  }

  private readonly knownState = new Set<string>();

  /** Every business the consumer counts for has its state row (the lock rebuilds and events share). */
  private async ensureState(businessId: string): Promise<void> {
    if (this.knownState.has(businessId)) return;
    if (!(await this.state(businessId))) await this.saveState(businessId, {});
    this.knownState.add(businessId);
  }

  /** True when this is the guest's first purchase (recorded now). */
  private async firstPurchase(tx: EntityManager, businessId: string, guestId: string, at: Date): Promise<boolean> {
    if (((await tx.query(`SELECT 1 AS x FROM analytics_buyers WHERE businessId = ? AND guestId = ?`, [businessId, guestId])) as unknown[]).length) return false;
    await tx.query(`INSERT INTO analytics_buyers (id, businessId, guestId, firstAt, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?)`, [
      newId(),
      businessId,
      guestId,
      sqlTime(at),
      sqlTime(Date.now()),
      sqlTime(Date.now()),
    ]);
    return true;
  }

  /** Adds a delta to one rollup row (created on first use). */
  private async upsert(em: EntityManager, businessId: string, key: RollupKey, delta: Partial<Figures>): Promise<void> {
    const figs = FIGURES.filter((f) => delta[f]);
    if (!figs.length) return;
    const cols = ['id', 'businessId', 'day', 'locationId', 'programId', 'createdAt', 'updatedAt', ...figs];
    const now = sqlTime(Date.now());
    const values = [newId(), businessId, key.day, key.locationId, key.programId, now, now, ...figs.map((f) => delta[f]!)];
    const q = (c: string) => this.q(c);
    const update = this.mysql
      ? `ON DUPLICATE KEY UPDATE ${figs.map((f) => `${q(f)} = ${q(f)} + VALUES(${q(f)})`).join(', ')}, ${q('updatedAt')} = VALUES(${q('updatedAt')})`
      : `ON CONFLICT (businessId, day, locationId, programId) DO UPDATE SET ${figs.map((f) => `${q(f)} = ${q(f)} + excluded.${q(f)}`).join(', ')}, ${q('updatedAt')} = excluded.${q('updatedAt')}`;
    await em.query(`INSERT INTO analytics_daily (${cols.map(q).join(', ')}) VALUES (${cols.map(() => '?').join(', ')}) ${update}`, values);
  }

  /** Adds deltas to many rollup rows in one statement (rows created on first use). */
  private async upsertMany(em: EntityManager, rows: { businessId: string; key: RollupKey; delta: Partial<Figures> }[]): Promise<void> {
    const figs = FIGURES.filter((f) => rows.some((r) => r.delta[f]));
    if (!figs.length) return;
    const used = rows.filter((r) => figs.some((f) => r.delta[f]));
    const cols = ['id', 'businessId', 'day', 'locationId', 'programId', 'createdAt', 'updatedAt', ...figs];
    const now = sqlTime(Date.now());
    const values = used.flatMap((r) => [newId(), r.businessId, r.key.day, r.key.locationId, r.key.programId, now, now, ...figs.map((f) => r.delta[f] ?? 0)]);
    const q = (c: string) => this.q(c);
    const update = this.mysql
      ? `ON DUPLICATE KEY UPDATE ${figs.map((f) => `${q(f)} = ${q(f)} + VALUES(${q(f)})`).join(', ')}, ${q('updatedAt')} = VALUES(${q('updatedAt')})`
      : `ON CONFLICT (businessId, day, locationId, programId) DO UPDATE SET ${figs.map((f) => `${q(f)} = ${q(f)} + excluded.${q(f)}`).join(', ')}, ${q('updatedAt')} = excluded.${q('updatedAt')}`;
    const row = `(${cols.map(() => '?').join(', ')})`;
    await em.query(`INSERT INTO analytics_daily (${cols.map(q).join(', ')}) VALUES ${used.map(() => row).join(', ')} ${update}`, values);
  }

  /** Inbox rows older than this are deleted (the outbox keeps published events 7 days). */
  async purgeInbox(now = new Date(), keepDays = 30): Promise<number> {
    const res = (await this.d.db.manager.query(`DELETE FROM analytics_inbox WHERE createdAt < ?`, [sqlTime(now.getTime() - keepDays * DAY_MS)])) as
      { affectedRows?: number } | unknown[];
    return typeof res === 'object' && res && 'affectedRows' in res ? Number(res.affectedRows) : 0;
  }

  // -------------------------------------------------------------------------------------------
  // Rebuild from the raw rows
  // -------------------------------------------------------------------------------------------

  /** Pages through `sql` (which must select `id` and filter `id > ?` ordered by id) in chunks. */
  private async *pages(sql: string, params: unknown[]): AsyncGenerator<Record<string, unknown>[]> {
    let cursor = '';
    for (;;) {
      const rows = (await this.d.db.manager.query(`${sql} LIMIT ${PAGE}`, [...params, cursor])) as Record<string, unknown>[];
      if (!rows.length) return;
      yield rows;
      cursor = String(rows[rows.length - 1]!.id);
      if (rows.length < PAGE) return;
    }
  }

  /**
   * Recomputes the business's rollups and first purchases from the raw rows (sales, refunds and
   * their voids, guests, cards, the points ledger) with the rules the consumer applies, and
   * replaces them. It counts rows dated before its start; the watermark (`rebuiltBefore`) makes
   * the consumer skip events before it (the rebuild counted them) and count the later ones. Left
   * open: a sale whose transaction is still open at the instant the rebuild starts and commits after
   * the rebuild read its table is missed until the next rebuild (a window of milliseconds).
   */
  async rebuild(ctx: Ctx, now = new Date()): Promise<{ rows: number; sales: number; before: string }> {
    const before = now;
    const b = ctx.businessId;
    const day = this.bucketer(await this.zone(b));
    const acc = new Map<string, { key: RollupKey; f: Figures }>();
    const add = (key: RollupKey, delta: Partial<Figures>, sign = 1) => {
      const k = rollupKey(key);
      let row = acc.get(k);
      if (!row) acc.set(k, (row = { key, f: zeroFigures() }));
      addFigures(row.f, delta, sign);
    };
    const cut = before.getTime();
    let sales = 0;
    const buyers = new Map<string, { t: number; locationId: string; programId: string }>();
    for await (const rows of this.pages(
      `SELECT id, cardId, guestId, locationId, programId, totalMinor, discountMinor, pointsRedeemed, pointsAccrued, createdAt, capturedAt FROM checkouts WHERE businessId = ? AND status = 'committed' AND id > ? ORDER BY id`,
      [b],
    )) {
      for (const r of rows) {
        const t = r.capturedAt ? ms(r.capturedAt) : ms(r.createdAt);
        if (t >= cut) continue;
        const s = {
          cardId: (r.cardId as string) ?? null,
          guestId: (r.guestId as string) ?? null,
          locationId: (r.locationId as string) ?? '',
          programId: (r.programId as string) ?? '',
          totalMinor: num(r.totalMinor),
          discountMinor: num(r.discountMinor),
          pointsRedeemed: num(r.pointsRedeemed),
          pointsAccrued: num(r.pointsAccrued),
        };
        add({ day: day(t), locationId: s.locationId, programId: s.programId }, saleDelta(s));
        sales++;
        if (s.guestId) {
          const prev = buyers.get(s.guestId);
          if (!prev || t < prev.t) buyers.set(s.guestId, { t, locationId: s.locationId, programId: s.programId });
        }
      }
    }
    for (const [, v] of buyers) add({ day: day(v.t), locationId: v.locationId, programId: v.programId }, { firstPurchases: 1 });
    for await (const rows of this.pages(
      `SELECT r.id id, r.amountMinor amountMinor, r.pointsReturned pointsReturned, r.pointsReversed pointsReversed, r.createdAt createdAt, r.voidedAt voidedAt, c.cardId cardId, c.locationId locationId, c.programId programId FROM checkout_refunds r JOIN checkouts c ON c.id = r.checkoutId WHERE r.businessId = ? AND r.id > ? ORDER BY r.id`,
      [b],
    )) {
      for (const r of rows) {
        const facts = {
          cardId: (r.cardId as string) ?? null,
          amountMinor: num(r.amountMinor),
          pointsReturned: num(r.pointsReturned),
          pointsReversed: num(r.pointsReversed),
        };
        const where = { locationId: (r.locationId as string) ?? '', programId: (r.programId as string) ?? '' };
        const t = ms(r.createdAt);
        if (t < cut) add({ day: day(t), ...where }, refundDelta(facts));
        if (r.voidedAt && ms(r.voidedAt) < cut) add({ day: day(ms(r.voidedAt)), ...where }, refundDelta(facts), -1);
      }
    }
    for await (const rows of this.pages(`SELECT id, createdAt FROM guests WHERE businessId = ? AND id > ? ORDER BY id`, [b])) {
      for (const r of rows) if (ms(r.createdAt) < cut) add({ day: day(ms(r.createdAt)), locationId: '', programId: '' }, { newGuests: 1 });
    }
    for await (const rows of this.pages(`SELECT id, programId, createdAt FROM cards WHERE businessId = ? AND id > ? ORDER BY id`, [b])) {
      for (const r of rows) if (ms(r.createdAt) < cut) add({ day: day(ms(r.createdAt)), locationId: '', programId: String(r.programId) }, { cardsIssued: 1 });
    }
    for await (const rows of this.pages(
      `SELECT e.id id, e.amount amount, e.kind kind, e.createdAt createdAt, c.programId programId FROM ledger_entries e JOIN cards c ON c.id = e.cardId WHERE e.businessId = ? AND e.unit = 'points' AND e.id > ? ORDER BY e.id`,
      [b],
    )) {
      for (const r of rows) {
        const t = ms(r.createdAt);
        if (t < cut) add({ day: day(t), locationId: '', programId: String(r.programId) }, pointsDelta(num(r.amount), r.kind === 'expire'));
      }
    }
    await this.ensureState(b);
    await this.d.db.transaction(async (tx) => {
      await tx.query(`SELECT id FROM analytics_state WHERE businessId = ?${this.mysql ? ' FOR UPDATE' : ''}`, [b]);
      await tx.query(`DELETE FROM analytics_daily WHERE businessId = ?`, [b]);
      await tx.query(`DELETE FROM analytics_buyers WHERE businessId = ?`, [b]);
      const rows = [...acc.values()];
      const stamp = sqlTime(Date.now());
      const cols = ['id', 'businessId', 'day', 'locationId', 'programId', 'createdAt', 'updatedAt', ...FIGURES];
      for (let i = 0; i < rows.length; i += 200) {
        const chunk = rows.slice(i, i + 200);
        await tx.query(
          `INSERT INTO analytics_daily (${cols.map((c) => this.q(c)).join(', ')}) VALUES ${chunk.map(() => `(${cols.map(() => '?').join(', ')})`).join(', ')}`,
          chunk.flatMap((r) => [newId(), b, r.key.day, r.key.locationId, r.key.programId, stamp, stamp, ...FIGURES.map((f) => r.f[f])]),
        );
      }
      const list = [...buyers.entries()];
      for (let i = 0; i < list.length; i += 1000) {
        const chunk = list.slice(i, i + 1000);
        await tx.query(
          `INSERT INTO analytics_buyers (id, businessId, guestId, firstAt, createdAt, updatedAt) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
          chunk.flatMap(([g, v]) => [newId(), b, g, sqlTime(v.t), stamp, stamp]),
        );
      }
      await tx.getRepository(AnalyticsState).update({ businessId: b }, { rebuiltBefore: before });
    });
    return { rows: acc.size, sales, before: before.toISOString() };
  }

  // -------------------------------------------------------------------------------------------
  // Reading
  // -------------------------------------------------------------------------------------------

  /** Sums of the rollups per day (or over all days with `byDay` false) for a filter. */
  private async sums(
    businessId: string,
    o: { from?: string; to: string; locationId?: string[]; programId?: string[]; byDay: boolean },
  ): Promise<(Figures & { day?: string })[]> {
    const where = ['businessId = ?', 'day <= ?'];
    const params: unknown[] = [businessId, o.to];
    if (o.from) {
      where.push('day >= ?');
      params.push(o.from);
    }
    if (o.locationId?.length) {
      where.push(`locationId IN (${o.locationId.map(() => '?').join(', ')})`);
      params.push(...o.locationId);
    }
    if (o.programId?.length) {
      where.push(`programId IN (${o.programId.map(() => '?').join(', ')})`);
      params.push(...o.programId);
    }
    const select = FIGURES.map((f) => `SUM(${this.q(f)}) ${this.q(f)}`).join(', ');
    const rows = (await this.d.db.manager.query(
      `SELECT ${o.byDay ? 'day, ' : ''}${select} FROM analytics_daily WHERE ${where.join(' AND ')}${o.byDay ? ' GROUP BY day' : ''}`,
      params,
    )) as Record<string, unknown>[];
    return rows.map((r) => {
      const f = zeroFigures();
      for (const k of FIGURES) f[k] = num(r[k]);
      return o.byDay ? { ...f, day: String(r.day) } : f;
    });
  }

  /**
   * Figures for a period (business-local days, inclusive) as totals, derived figures and a series
   * by day, week (Monday first) or month. Registrations and cards have no location: a location
   * filter leaves them out.
   */
  async dashboard(ctx: Ctx, q: DashboardQuery): Promise<Dashboard> {
    const business = await this.d.tenants.getBusiness(ctx);
    const [days, lifetimeRows] = await Promise.all([
      this.sums(ctx.businessId, { ...q, byDay: true }),
      this.sums(ctx.businessId, { to: q.to, locationId: q.locationId, programId: q.programId, byDay: false }),
    ]);
    const buckets = new Map<string, SeriesPoint>(
      bucketsBetween(q.from, q.to, q.interval).map((start) => [start, { start, ...zeroFigures(), averageCheckMinor: 0 }]),
    );
    const totals = zeroFigures();
    for (const d of days) {
      const point = buckets.get(bucketOf(d.day!, q.interval));
      if (point) addFigures(point, d);
      addFigures(totals, d);
    }
    const series = [...buckets.values()].map((p) => ({ ...p, averageCheckMinor: p.sales > 0 ? Math.round(p.revenueMinor / p.sales) : 0 }));
    return {
      currency: business.currency,
      timezone: business.timezone,
      from: q.from,
      to: q.to,
      interval: q.interval,
      totals,
      kpis: kpis(totals, lifetimeRows[0] ?? zeroFigures()),
      series,
    };
  }

  /** Registered → installed in a wallet → first purchase → repeat purchase, for guests registered in the period. */
  async funnel(ctx: Ctx, q: { from: string; to: string }): Promise<{ from: string; to: string; steps: { step: string; guests: number; rateBp: number }[] }> {
    const base = { registeredFrom: q.from, registeredTo: q.to };
    const [registered, installed, purchased, repeated] = await Promise.all([
      this.d.guests.count(ctx, base),
      this.d.guests.count(ctx, { ...base, walletInstalled: true }),
      this.d.guests.count(ctx, { ...base, visitsMin: 1 }),
      this.d.guests.count(ctx, { ...base, visitsMin: 2 }),
    ]);
    const rate = (n: number) => (registered > 0 ? Math.round((n * 10_000) / registered) : 0);
    return {
      from: q.from,
      to: q.to,
      steps: [
        { step: 'registered', guests: registered, rateBp: registered > 0 ? 10_000 : 0 },
        { step: 'wallet_installed', guests: installed, rateBp: rate(installed) },
        { step: 'first_purchase', guests: purchased, rateBp: rate(purchased) },
        { step: 'repeat_purchase', guests: repeated, rateBp: rate(repeated) },
      ],
    };
  }

  // -------------------------------------------------------------------------------------------
  // RFM
  // -------------------------------------------------------------------------------------------

  private async state(businessId: string, em: EntityManager = this.d.db.manager): Promise<AnalyticsState | null> {
    return em.getRepository(AnalyticsState).findOneBy({ businessId });
  }

  private async saveState(businessId: string, patch: Partial<Pick<AnalyticsState, 'rfmSettings' | 'rfmSnapshot'>>): Promise<void> {
    const repo = this.d.db.manager.getRepository(AnalyticsState);
    const empty = Object.keys(patch).length === 0;
    const s = await repo.findOneBy({ businessId });
    if (s) {
      if (!empty) await repo.update({ id: s.id }, patch);
      return;
    }
    try {
      await repo.insert(repo.create({ businessId, rebuiltBefore: null, rfmSettings: null, rfmSnapshot: null, ...patch }));
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      if (!empty) await repo.update({ businessId }, patch);
    }
  }

  async rfmSettings(ctx: Ctx): Promise<RfmSettings> {
    const s = (await this.state(ctx.businessId))?.rfmSettings as unknown as RfmSettings | null | undefined;
    return s ?? DEFAULT_RFM;
  }

  /** Saves RFM settings (thresholds must be four increasing numbers) and recomputes. */
  async setRfmSettings(ctx: Ctx, s: RfmSettings): Promise<RfmSnapshot> {
    const problems = rfmProblems(s);
    if (problems.length) throw new Problem(422, 'invalid_rfm_settings', 'Each threshold list must be four increasing numbers', problems);
    await this.saveState(ctx.businessId, { rfmSettings: { ...s } });
    return this.recomputeRfm(ctx);
  }

  /** The score expressions over a guests row, with placeholders from `ph` (named or positional). */
  private scoreSql(col: (n: string) => string, t: RfmThresholds, now: number, ph: (name: string, v: unknown) => string, time: (at: number) => unknown) {
    const r = t.recencyDays.map((d, i) => ph(`r${i}`, time(now - d * DAY_MS)));
    const up = (c: string, name: string, xs: number[]) => {
      // Placeholders are made in the order they appear in the text (positional `?` bind in that order).
      const p: string[] = [];
      for (const i of [3, 2, 1, 0]) p[i] = ph(`${name}${i}`, xs[i]);
      return `(CASE WHEN ${c} >= ${p[3]} THEN 5 WHEN ${c} >= ${p[2]} THEN 4 WHEN ${c} >= ${p[1]} THEN 3 WHEN ${c} >= ${p[0]} THEN 2 ELSE 1 END)`;
    };
    const last = col('lastPurchaseAt');
    return {
      r: `(CASE WHEN ${last} >= ${r[0]} THEN 5 WHEN ${last} >= ${r[1]} THEN 4 WHEN ${last} >= ${r[2]} THEN 3 WHEN ${last} >= ${r[3]} THEN 2 ELSE 1 END)`,
      f: up(col('visits'), 'f', t.frequency),
      m: up(col('spendMinor'), 'm', t.monetaryMinor),
      // No condition on lastPurchaseAt: MariaDB would then walk its index row by row instead of scanning (a buyer always has one; none scores R 1).
      scored: `${col('status')} = 'active' AND ${col('visits')} > 0`,
    };
  }

  /** Quintile thresholds of the business's buyers (NTILE(5) over each measure). */
  private async quintiles(businessId: string, now: number): Promise<RfmThresholds> {
    const tiles = async (column: string, order: 'ASC' | 'DESC') => {
      const rows = (await this.d.db.manager.query(
        `SELECT t, MIN(v) v FROM (SELECT ${column} v, NTILE(5) OVER (ORDER BY ${column} ${order}) t FROM guests WHERE businessId = ? AND status = 'active' AND visits > 0 AND lastPurchaseAt IS NOT NULL) x GROUP BY t ORDER BY t`,
        [businessId],
      )) as { t: unknown; v: unknown }[];
      const out: (unknown | null)[] = [null, null, null, null, null];
      for (const r of rows) out[num(r.t) - 1] = r.v;
      return out;
    };
    const [rec, freq, mon] = await Promise.all([tiles('lastPurchaseAt', 'DESC'), tiles('visits', 'ASC'), tiles('spendMinor', 'ASC')]);
    // Recency: the oldest purchase of tiles 1..4 (most recent first) bounds scores 5..2.
    const recencyDays = cutsFromNtiles([null, ...rec.slice(0, 4).map((v) => (v === null ? null : (now - ms(v)) / DAY_MS))], DEFAULT_RFM.recencyDays);
    return {
      recencyDays,
      frequency: cutsFromNtiles(
        freq.map((v) => (v === null ? null : num(v))),
        DEFAULT_RFM.frequency,
      ),
      monetaryMinor: cutsFromNtiles(
        mon.map((v) => (v === null ? null : num(v))),
        DEFAULT_RFM.monetaryMinor,
      ),
    };
  }

  /**
   * Scores every buyer and sums guests and lifetime spend per R × F × M cell in one grouped scan of
   * the guests table (set-based: nothing per guest is written), then stores the snapshot.
   */
  async recomputeRfm(ctx: Ctx, now = new Date()): Promise<RfmSnapshot> {
    const settings = await this.rfmSettings(ctx);
    const t = now.getTime();
    const thresholds = settings.mode === 'quintiles' ? await this.quintiles(ctx.businessId, t) : settings;
    const params: unknown[] = [];
    const s = this.scoreSql(
      (c) => c,
      thresholds,
      t,
      (_n, v) => (params.push(v), '?'),
      sqlTime,
    );
    const rows = (await this.d.db.manager.query(
      `SELECT ${s.r} r, ${s.f} f, ${s.m} m, COUNT(*) n, SUM(spendMinor) s FROM guests WHERE businessId = ? AND ${s.scored} GROUP BY 1, 2, 3${this.mysql ? ' ORDER BY NULL' : ''}`,
      [...params, ctx.businessId],
    )) as Record<string, unknown>[];
    const cells: RfmCell[] = rows.map((r) => ({ r: num(r.r), f: num(r.f), m: num(r.m), guests: num(r.n), revenueMinor: num(r.s) }));
    const snapshot: RfmSnapshot = {
      computedAt: now.toISOString(),
      mode: settings.mode,
      thresholds: { recencyDays: thresholds.recencyDays, frequency: thresholds.frequency, monetaryMinor: thresholds.monetaryMinor },
      ...summarizeRfm(cells),
    };
    await this.saveState(ctx.businessId, { rfmSnapshot: { ...snapshot } });
    return snapshot;
  }

  /** The last snapshot (computed now when there is none). */
  async rfm(ctx: Ctx): Promise<RfmSnapshot> {
    const snap = (await this.state(ctx.businessId))?.rfmSnapshot as unknown as RfmSnapshot | null | undefined;
    return snap ?? this.recomputeRfm(ctx);
  }

  /**
   * For the guest segment filter: a condition over the guests row that holds for buyers in the
   * given segments, scored now with the thresholds of the last recompute (the settings' bounds
   * before the first one).
   */
  async rfmCondition(ctx: Ctx): Promise<(col: (n: string) => string, segments: string[]) => SqlCondition> {
    const snap = (await this.state(ctx.businessId))?.rfmSnapshot as unknown as RfmSnapshot | null | undefined;
    const thresholds = snap?.thresholds ?? (await this.rfmSettings(ctx));
    const now = Date.now();
    return (col, segments) => {
      const params: Record<string, unknown> = {};
      const s = this.scoreSql(
        col,
        thresholds,
        now,
        (n, v) => ((params[`sg_rfm_${n}`] = v), `:sg_rfm_${n}`),
        (at) => new Date(at),
      );
      const cells = cellsOf(segments as RfmSegment[]);
      params.sg_rfm_cells = cells.length ? cells : [-1];
      return { sql: `(${s.scored} AND (${s.r} * 100 + ${s.f} * 10 + ${s.m}) IN (:...sg_rfm_cells))`, params };
    };
  }
}
