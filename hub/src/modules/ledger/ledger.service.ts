import { insertRows, selectRows, sqlTime, updateById } from '../../db/columns';
import type { EntityManager, EntityTarget } from 'typeorm';
import { Db } from '../../db/db';
import type { Ctx } from '../../shared/context';
import { emit } from '../../bus/outbox';
import { EntryKind, EntryUnit, LedgerEntry, LotConsumption, PointLot } from './ledger.entity';
import type { LedgerCard } from './ledger.ports';
import { allocateFifo, expireLots, usablePoints, type LotAllocation } from './ledger.rules';

/** Outside LedgerService (whose type parameter is the cards module's entity), a card is the columns the ledger keeps. */
type Card = LedgerCard;

export interface EntryRefs {
  checkoutId?: string | null;
  refundId?: string | null;
  linkedEntryId?: string | null;
  reason?: string | null;
}

const balanceField: Record<EntryUnit, 'pointsBalance' | 'giftBalanceMinor' | 'stamps'> = {
  points: 'pointsBalance',
  minor: 'giftBalanceMinor',
  stamps: 'stamps',
};

/**
 * The ledger: immutable entries, point lots and their consumption. Every method runs inside the
 * caller's transaction on a card row the caller has locked (`lockCard`), and keeps the cached
 * balance on the card equal to the sum of its entries.
 */
export class LedgerService<Card extends LedgerCard = LedgerCard> {
  constructor(
    private readonly db: Db,
    /** The cards module's entity, handed in by hub.ts (the ledger does not import the module above it). */
    private readonly cards: EntityTarget<Card>,
  ) {}

  /** Reads the card row for update (row lock on MySQL; SQLite's single writer already serializes). */
  async lockCard(tx: EntityManager, businessId: string, cardId: string): Promise<Card | null> {
    const [card] = await selectRows(tx.getRepository(this.cards), 'id = ? AND businessId = ?', [cardId, businessId], { forUpdate: true });
    return card ?? null;
  }

  /**
   * A book of ledger writes for one operation on one locked card (see `LedgerBook`). Every write of
   * the ledger goes through a book's `post()`; the one-call methods below open a book, stage one
   * change and post it at once.
   */
  book(tx: EntityManager, ctx: Ctx, card: Card): LedgerBook {
    return new LedgerBook(tx, ctx, card);
  }

  /** Persists the card's cached balances (call once after the entries of an operation). */
  async saveCard(tx: EntityManager, card: Card, extra: Partial<Card> = {}): Promise<void> {
    Object.assign(card, extra);
    await updateById(
      tx.getRepository(this.cards),
      card.id,
      {
        pointsBalance: card.pointsBalance,
        pointsHeld: card.pointsHeld,
        giftBalanceMinor: card.giftBalanceMinor,
        stamps: card.stamps,
        levelCode: card.levelCode,
        spendMinor: card.spendMinor,
        visits: card.visits,
        lastOperationAt: new Date(),
        ...extra,
      },
      card.businessId,
    );
  }

  /** Credits points as a new lot (usable from availableAt, expiring at expiresAt). */
  async creditPoints(
    tx: EntityManager,
    ctx: Ctx,
    card: Card,
    points: number,
    kind: EntryKind,
    lot: { availableAt: Date; expiresAt: Date | null },
    refs: EntryRefs = {},
  ): Promise<LedgerEntry | null> {
    const b = this.book(tx, ctx, card);
    const entry = b.creditPoints(points, kind, lot, refs);
    await b.post();
    return entry;
  }

  /** Lots of a card with points left (pending, usable, or expired but not yet processed). */
  async openLots(tx: EntityManager, card: Card): Promise<PointLot[]> {
    return openLots(tx, card);
  }

  /** Points usable now: lots already available and not expired. */
  usable(lots: PointLot[], now: Date): number {
    return usablePoints(lots, now);
  }

  pending(lots: PointLot[], now: Date): number {
    return lots.filter((l) => l.availableAt > now && (!l.expiresAt || l.expiresAt > now)).reduce((s, l) => s + l.remaining, 0);
  }

  /**
   * Debits points from usable lots, oldest-expiring first. The caller has checked the amount
   * against what is usable; anything else is a bug and throws.
   */
  async debitPoints(tx: EntityManager, ctx: Ctx, card: Card, points: number, kind: EntryKind, now: Date, refs: EntryRefs = {}, lots?: PointLot[]): Promise<LedgerEntry | null> {
    if (points <= 0) return null;
    const b = this.book(tx, ctx, card);
    const entry = b.debitPoints(points, kind, now, refs, lots ?? (await openLots(tx, card)));
    await b.post();
    return entry;
  }

  /** Gives back up to `points` of a debit entry into the lots it came from (refunds, released holds). */
  async restoreDebit(tx: EntityManager, ctx: Ctx, card: Card, debit: LedgerEntry, points: number, kind: EntryKind, refs: EntryRefs = {}): Promise<LedgerEntry | null> {
    if (points <= 0) return null;
    const cons = await tx.getRepository(LotConsumption).find({ where: { businessId: card.businessId, entryId: debit.id }, order: { id: 'DESC' } });
    const b = this.book(tx, ctx, card);
    const entry = b.restoreDebit(debit, cons, points, kind, refs);
    await b.post();
    return entry;
  }

  /**
   * Takes back points credited by `credit` (refund of an accrual): first from that lot, then,
   * if the guest already spent them, from other usable lots. Never below zero: returns the
   * points actually taken (the rest is a shortfall).
   */
  async reverseCredit(tx: EntityManager, ctx: Ctx, card: Card, credit: LedgerEntry, points: number, now: Date, refs: EntryRefs = {}): Promise<{ entry: LedgerEntry | null; taken: number }> {
    if (points <= 0) return { entry: null, taken: 0 };
    const b = this.book(tx, ctx, card);
    const out = b.reverseCredit(credit, points, now, refs, await openLots(tx, card));
    await b.post();
    return out;
  }

  /** Money (gift certificates) or stamps: a plain signed entry. */
  async change(tx: EntityManager, ctx: Ctx, card: Card, unit: 'minor' | 'stamps', amount: number, kind: EntryKind, refs: EntryRefs = {}): Promise<LedgerEntry | null> {
    const b = this.book(tx, ctx, card);
    const entry = b.change(unit, amount, kind, refs);
    await b.post();
    return entry;
  }

  async balanceEvent(tx: EntityManager, card: Card, unit: EntryUnit, delta: number, reason: string, correlationId?: string): Promise<void> {
    if (delta === 0) return;
    await emit(
      tx,
      card.businessId,
      'card.balance_changed',
      { cardId: card.id, guestId: card.guestId, balance: card[balanceField[unit]], delta, unit: unit === 'minor' ? 'minor' : unit, reason },
      correlationId,
    );
  }

  /** Expires lots past their date: one transaction per card, balance and entries kept equal. Returns points expired. */
  async expireDue(now = new Date(), limit = 500): Promise<number> {
    const due = await this.db.manager
      .getRepository(PointLot)
      .createQueryBuilder('l')
      .select(['l.businessId AS businessId', 'l.cardId AS cardId'])
      .where('l.expiresAt IS NOT NULL AND l.expiresAt <= :now AND l.remaining > 0', { now })
      .groupBy('l.businessId')
      .addGroupBy('l.cardId')
      .limit(limit)
      .getRawMany<{ businessId: string; cardId: string }>();
    let total = 0;
    for (const { businessId, cardId } of due) {
      total += await this.db.transaction(async (tx) => {
        const card = await this.lockCard(tx, businessId, cardId);
        if (!card) return 0;
        const ctx: Ctx = { businessId, actor: { type: 'system', id: 'expiry', label: 'points expiry' } };
        const lots = await this.openLots(tx, card);
        const expired = expireLots(lots, now);
        const points = expired.reduce((s, a) => s + a.points, 0);
        if (points <= 0) return 0;
        const b = this.book(tx, ctx, card);
        b.takeFromLots('expire', points, lots, expired, { reason: 'points_expired' });
        await b.post();
        await this.saveCard(tx, card);
        await this.balanceEvent(tx, card, 'points', -points, 'expired');
        return points;
      });
    }
    return total;
  }

  async entries(ctx: Ctx, cardId: string, limit: number, cursor?: string): Promise<{ items: LedgerEntry[]; nextCursor: string | null }> {
    const qb = this.db.manager.getRepository(LedgerEntry).createQueryBuilder('e').where('e.businessId = :b AND e.cardId = :c', { b: ctx.businessId, c: cardId }).orderBy('e.id', 'DESC').limit(limit + 1);
    if (cursor) qb.andWhere('e.id < :cur', { cur: cursor });
    const rows = await qb.getMany();
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
  }

  /** Σ entries per unit for a card — what the cached balances must equal. */
  async sums(tx: EntityManager, businessId: string, cardId: string): Promise<Record<EntryUnit, number>> {
    const rows = await tx.query('SELECT unit, SUM(amount) AS s FROM ledger_entries WHERE businessId = ? AND cardId = ? GROUP BY unit', [businessId, cardId]);
    const out: Record<EntryUnit, number> = { points: 0, minor: 0, stamps: 0 };
    for (const r of rows as { unit: EntryUnit; s: string | number }[]) out[r.unit] = Number(r.s);
    return out;
  }
}

function openLots(tx: EntityManager, card: Card): Promise<PointLot[]> {
  return selectRows(tx.getRepository(PointLot), 'businessId = ? AND cardId = ? AND remaining > 0', [card.businessId, card.id]);
}

/**
 * The ledger writes of one operation on one locked card, staged in order and written by `post()`.
 * Staging is synchronous and does what the rows will say at once: the card's cached balance moves
 * with each entry (and a change that would take it below zero throws there), lots are drawn down in
 * memory. `post()` then writes everything staged in one statement per table — all entries in one
 * INSERT, the new lots in one, the consumption records in one, one UPDATE per lot drawn or given
 * back — and can be called again for what is staged after it. A book never reads: whatever it
 * needs (open lots, a debit's consumption records) the caller read before staging.
 */
export class LedgerBook {
  private entries: LedgerEntry[] = [];
  private newLots: PointLot[] = [];
  private drawn = new Map<string, PointLot>();
  private given: { lotId: string; points: number }[] = [];
  private consumptions: LotConsumption[] = [];

  constructor(
    private readonly tx: EntityManager,
    private readonly ctx: Ctx,
    readonly card: Card,
  ) {}

  private entry(kind: EntryKind, unit: EntryUnit, amount: number, refs: EntryRefs): LedgerEntry {
    const card = this.card;
    const field = balanceField[unit];
    const after = card[field] + amount;
    if (after < 0) throw new Error(`Ledger invariant: ${unit} balance of card ${card.id} would go negative`);
    (card as LedgerCard)[field] = after;
    const entry = this.tx.getRepository(LedgerEntry).create({
      businessId: card.businessId,
      cardId: card.id,
      kind,
      unit,
      amount,
      balanceAfter: after,
      checkoutId: refs.checkoutId ?? null,
      refundId: refs.refundId ?? null,
      linkedEntryId: refs.linkedEntryId ?? null,
      reason: refs.reason ?? null,
      actorType: this.ctx.actor.type,
      actorId: this.ctx.actor.id,
    });
    this.entries.push(entry);
    return entry;
  }

  /** Credits points as a new lot (usable from availableAt, expiring at expiresAt). */
  creditPoints(points: number, kind: EntryKind, lot: { availableAt: Date; expiresAt: Date | null }, refs: EntryRefs = {}): LedgerEntry | null {
    if (points <= 0) return null;
    const entry = this.entry(kind, 'points', points, refs);
    const c = this.card;
    this.newLots.push(
      this.tx.getRepository(PointLot).create({ businessId: c.businessId, cardId: c.id, entryId: entry.id, points, remaining: points, availableAt: lot.availableAt, expiresAt: lot.expiresAt }),
    );
    return entry;
  }

  /** Debits points from the usable ones of `lots` (the card's open lots), oldest-expiring first. */
  debitPoints(points: number, kind: EntryKind, now: Date, refs: EntryRefs, lots: PointLot[]): LedgerEntry | null {
    if (points <= 0) return null;
    const plan = allocateFifo(lots, points, now);
    if (!plan.ok) throw new Error(`Ledger invariant: card ${this.card.id} cannot give ${points} points (${plan.code})`);
    return this.takeFromLots(kind, points, lots, plan.allocations, refs);
  }

  /** One debit entry of `points`, drawn from `lots` as `allocations` say, with its consumption records. */
  takeFromLots(kind: EntryKind, points: number, lots: readonly PointLot[], allocations: readonly LotAllocation[], refs: EntryRefs): LedgerEntry {
    const entry = this.entry(kind, 'points', -points, refs);
    const byId = new Map(lots.map((l) => [l.id, l]));
    const consRepo = this.tx.getRepository(LotConsumption);
    for (const a of allocations) {
      const lot = byId.get(a.lotId)!;
      lot.remaining -= a.points;
      this.drawn.set(lot.id, lot);
      this.consumptions.push(consRepo.create({ businessId: this.card.businessId, entryId: entry.id, lotId: lot.id, points: a.points }));
    }
    return entry;
  }

  /** Gives back up to `points` of `debit` into the lots it drew on (`cons`: its consumption records, newest first). */
  restoreDebit(debit: LedgerEntry, cons: readonly LotConsumption[], points: number, kind: EntryKind, refs: EntryRefs = {}): LedgerEntry | null {
    if (points <= 0) return null;
    let left = points;
    for (const c of cons) {
      if (left === 0) break;
      const give = Math.min(c.points, left);
      this.given.push({ lotId: c.lotId, points: give });
      left -= give;
    }
    if (left > 0) throw new Error('Ledger invariant: restoring more than was debited');
    return this.entry(kind, 'points', points, { ...refs, linkedEntryId: debit.id });
  }

  /** See `LedgerService.reverseCredit`; `lots` are the card's open lots. */
  reverseCredit(credit: LedgerEntry, points: number, now: Date, refs: EntryRefs, lots: PointLot[]): { entry: LedgerEntry | null; taken: number } {
    if (points <= 0) return { entry: null, taken: 0 };
    // The credit's own lot first (pending or not), then the card's usable lots in spending order.
    const own = lots.find((l) => l.entryId === credit.id);
    const others = lots.filter((l) => l !== own);
    const fromOwn = Math.min(own?.remaining ?? 0, points);
    const fromOthers = Math.min(points - fromOwn, usablePoints(others, now));
    const rest = allocateFifo(others, fromOthers, now);
    if (!rest.ok) throw new Error(`Ledger invariant: card ${this.card.id} cannot give ${fromOthers} points (${rest.code})`);
    const allocations: LotAllocation[] = [...(own && fromOwn > 0 ? [{ lotId: own.id, points: fromOwn }] : []), ...rest.allocations];
    const taken = fromOwn + fromOthers;
    if (taken === 0) return { entry: null, taken: 0 };
    return { entry: this.takeFromLots('refund', taken, lots, allocations, { ...refs, linkedEntryId: credit.id }), taken };
  }

  /** Money (gift certificates) or stamps: a plain signed entry. */
  change(unit: 'minor' | 'stamps', amount: number, kind: EntryKind, refs: EntryRefs = {}): LedgerEntry | null {
    if (amount === 0) return null;
    return this.entry(kind, unit, amount, refs);
  }

  /** Writes what is staged: entries first (lots and consumption records refer to them). */
  async post(): Promise<void> {
    const { tx } = this;
    const entries = this.entries;
    const lots = this.newLots;
    const drawn = [...this.drawn.values()];
    const given = this.given;
    const cons = this.consumptions;
    this.entries = [];
    this.newLots = [];
    this.drawn = new Map();
    this.given = [];
    this.consumptions = [];
    if (entries.length) await insertRows(tx.getRepository(LedgerEntry), entries);
    const lotRepo = tx.getRepository(PointLot);
    for (const lot of drawn) await updateById(lotRepo, lot.id, { remaining: lot.remaining });
    for (const g of given) await tx.query(`UPDATE point_lots SET remaining = remaining + ?, updatedAt = ? WHERE id = ?`, [g.points, sqlTime(Date.now()), g.lotId]);
    if (cons.length) await insertRows(tx.getRepository(LotConsumption), cons);
    if (lots.length) await insertRows(lotRepo, lots);
  }
}
