import { insertRows, selectRows, updateById } from '../../db/columns';
import type { EntityManager } from 'typeorm';
import { Db } from '../../db/db';
import type { Ctx } from '../../shared/context';
import { emit } from '../../bus/outbox';
import { Card } from '../cards/cards.entity';
import { EntryKind, EntryUnit, LedgerEntry, LotConsumption, PointLot } from './ledger.entity';
import { allocateFifo, expireLots, usablePoints, type LotAllocation } from './ledger.rules';

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
export class LedgerService {
  constructor(private readonly db: Db) {}

  /** Reads the card row for update (row lock on MySQL; SQLite's single writer already serializes). */
  async lockCard(tx: EntityManager, businessId: string, cardId: string): Promise<Card | null> {
    const [card] = await selectRows(tx.getRepository(Card), 'id = ? AND businessId = ?', [cardId, businessId], { forUpdate: true });
    return card ?? null;
  }

  private async write(tx: EntityManager, ctx: Ctx, card: Card, kind: EntryKind, unit: EntryUnit, amount: number, refs: EntryRefs): Promise<LedgerEntry> {
    const field = balanceField[unit];
    const after = card[field] + amount;
    if (after < 0) throw new Error(`Ledger invariant: ${unit} balance of card ${card.id} would go negative`);
    card[field] = after;
    const repo = tx.getRepository(LedgerEntry);
    const entry = repo.create({
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
      actorType: ctx.actor.type,
      actorId: ctx.actor.id,
    });
    await insertRows(repo, entry);
    return entry;
  }

  /** Persists the card's cached balances (call once after the entries of an operation). */
  async saveCard(tx: EntityManager, card: Card, extra: Partial<Card> = {}): Promise<void> {
    Object.assign(card, extra);
    await updateById(
      tx.getRepository(Card),
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
    if (points <= 0) return null;
    const entry = await this.write(tx, ctx, card, kind, 'points', points, refs);
    const repo = tx.getRepository(PointLot);
    await insertRows(repo, repo.create({ businessId: card.businessId, cardId: card.id, entryId: entry.id, points, remaining: points, availableAt: lot.availableAt, expiresAt: lot.expiresAt }));
    return entry;
  }

  /** Lots of a card with points left (pending, usable, or expired but not yet processed). */
  async openLots(tx: EntityManager, card: Card): Promise<PointLot[]> {
    return selectRows(tx.getRepository(PointLot), 'businessId = ? AND cardId = ? AND remaining > 0', [card.businessId, card.id]);
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
    const open = lots ?? (await this.openLots(tx, card));
    const plan = allocateFifo(open, points, now);
    if (!plan.ok) throw new Error(`Ledger invariant: card ${card.id} cannot give ${points} points (${plan.code})`);
    const entry = await this.write(tx, ctx, card, kind, 'points', -points, refs);
    await this.consume(tx, card, entry, open, plan.allocations);
    return entry;
  }

  /** Takes allocated points out of their lots and records which lots the entry drew on. */
  private async consume(tx: EntityManager, card: Card, entry: LedgerEntry, lots: readonly PointLot[], allocations: readonly LotAllocation[]): Promise<void> {
    const byId = new Map(lots.map((l) => [l.id, l]));
    const lotRepo = tx.getRepository(PointLot);
    const consRepo = tx.getRepository(LotConsumption);
    for (const a of allocations) {
      const lot = byId.get(a.lotId)!;
      lot.remaining -= a.points;
      await updateById(lotRepo, lot.id, { remaining: lot.remaining });
      await insertRows(consRepo, consRepo.create({ businessId: card.businessId, entryId: entry.id, lotId: lot.id, points: a.points }));
    }
  }

  /** Gives back up to `points` of a debit entry into the lots it came from (refunds, released holds). */
  async restoreDebit(tx: EntityManager, ctx: Ctx, card: Card, debit: LedgerEntry, points: number, kind: EntryKind, refs: EntryRefs = {}): Promise<LedgerEntry | null> {
    if (points <= 0) return null;
    const cons = await tx.getRepository(LotConsumption).find({ where: { businessId: card.businessId, entryId: debit.id }, order: { id: 'DESC' } });
    let left = points;
    const lotRepo = tx.getRepository(PointLot);
    for (const c of cons) {
      if (left === 0) break;
      const give = Math.min(c.points, left);
      await lotRepo.increment({ id: c.lotId }, 'remaining', give);
      left -= give;
    }
    if (left > 0) throw new Error('Ledger invariant: restoring more than was debited');
    return this.write(tx, ctx, card, kind, 'points', points, { ...refs, linkedEntryId: debit.id });
  }

  /**
   * Takes back points credited by `credit` (refund of an accrual): first from that lot, then,
   * if the guest already spent them, from other usable lots. Never below zero: returns the
   * points actually taken (the rest is a shortfall).
   */
  async reverseCredit(tx: EntityManager, ctx: Ctx, card: Card, credit: LedgerEntry, points: number, now: Date, refs: EntryRefs = {}): Promise<{ entry: LedgerEntry | null; taken: number }> {
    if (points <= 0) return { entry: null, taken: 0 };
    const lots = await this.openLots(tx, card);
    // The credit's own lot first (pending or not), then the card's usable lots in spending order.
    const own = lots.find((l) => l.entryId === credit.id);
    const others = lots.filter((l) => l !== own);
    const fromOwn = Math.min(own?.remaining ?? 0, points);
    const fromOthers = Math.min(points - fromOwn, usablePoints(others, now));
    const rest = allocateFifo(others, fromOthers, now);
    if (!rest.ok) throw new Error(`Ledger invariant: card ${card.id} cannot give ${fromOthers} points (${rest.code})`);
    const allocations: LotAllocation[] = [...(own && fromOwn > 0 ? [{ lotId: own.id, points: fromOwn }] : []), ...rest.allocations];
    const taken = fromOwn + fromOthers;
    if (taken === 0) return { entry: null, taken: 0 };
    const entry = await this.write(tx, ctx, card, 'refund', 'points', -taken, { ...refs, linkedEntryId: credit.id });
    await this.consume(tx, card, entry, lots, allocations);
    return { entry, taken };
  }

  /** Money (gift certificates) or stamps: a plain signed entry. */
  async change(tx: EntityManager, ctx: Ctx, card: Card, unit: 'minor' | 'stamps', amount: number, kind: EntryKind, refs: EntryRefs = {}): Promise<LedgerEntry | null> {
    if (amount === 0) return null;
    return this.write(tx, ctx, card, kind, unit, amount, refs);
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
        const entry = await this.write(tx, ctx, card, 'expire', 'points', -points, { reason: 'points_expired' });
        await this.consume(tx, card, entry, lots, expired);
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
