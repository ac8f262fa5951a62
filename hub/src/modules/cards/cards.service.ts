import { insertRows, selectRows } from '../../db/columns';
import { In, type EntityManager } from 'typeorm';
import { Db, isUniqueViolation } from '../../db/db';
import { emit } from '../../bus/outbox';
import type { Ctx } from '../../shared/context';
import { badRequest, conflict, notFound, Problem, tooMany, unprocessable } from '../../shared/errors';
import { assertTransition, Transitions } from '../../shared/state-machine';
import { inTx } from '../../shared/tx';
import { AuditService } from '../audit/audit.service';
import { LedgerService } from '../ledger/ledger.service';
import { LedgerEntry } from '../ledger/ledger.entity';
import type { Program } from '../programs/programs.entity';
import { ProgramsService } from '../programs/programs.service';
import { TenantsService } from '../tenants/tenants.service';
import { Card, CardStatus } from './cards.entity';
import type { CardHoldersPort, HolderContact } from './cards.ports';
import type { RowRef, SqlCondition } from '../../shared/sql';
import { makeCardNumber, parseQrPayload, QR_PREFIX } from './cards.rules';

/** Card states as data: active <-> blocked, either -> deleted (final; deleted cards stay in history). */
export const CARD_TRANSITIONS: Transitions<CardStatus> = {
  active: ['blocked', 'deleted'],
  blocked: ['active', 'deleted'],
  deleted: [],
};

const DAY = 24 * 3600 * 1000;

export interface CardView {
  id: string;
  number: string;
  qr: string;
  status: CardStatus;
  programId: string;
  programName: string;
  kind: string;
  guestId: string | null;
  levelCode: string | null;
  levelName: string | null;
  pointsBalance: number;
  pointsAvailable: number;
  pointsPending: number;
  pointsHeld: number;
  giftBalanceMinor: number;
  giftExpiresAt: Date | null;
  stamps: number;
  stampsGoal: number | null;
  spendMinor: number;
  visits: number;
  createdAt: Date;
  lastOperationAt: Date | null;
}

/** Cards: issue, lookup, state changes, manual adjustments and levels. */
export class CardsService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly ledger: LedgerService<Card>,
    private readonly programs: ProgramsService,
    private readonly guests: CardHoldersPort,
    private readonly tenants: TenantsService,
  ) {}

  /** Names and phones of the guests holding a page of cards (one query). */
  holderContacts(ctx: Ctx, guestIds: string[]): Promise<HolderContact[]> {
    return this.guests.contacts(ctx, guestIds);
  }

  async view(ctx: Ctx, card: Card, program?: Program, tx?: EntityManager): Promise<CardView> {
    const p = program ?? (await this.programs.get(ctx, card.programId, tx));
    const now = new Date();
    const lots = p.kind === 'bonus' ? await this.ledger.openLots(tx ?? this.db.manager, card) : [];
    const level = (p.levels as { code: string; name: string }[]).find((l) => l.code === card.levelCode);
    return {
      id: card.id,
      number: card.number,
      // Imported cards keep the numbers of the old system, which may lack our check digit.
      qr: `${QR_PREFIX}${card.number}`,
      status: card.status,
      programId: p.id,
      programName: p.name,
      kind: p.kind,
      guestId: card.guestId,
      levelCode: card.levelCode,
      levelName: level?.name ?? null,
      pointsBalance: card.pointsBalance,
      pointsAvailable: this.ledger.usable(lots, now),
      pointsPending: this.ledger.pending(lots, now),
      pointsHeld: card.pointsHeld,
      giftBalanceMinor: card.giftBalanceMinor,
      giftExpiresAt: card.giftExpiresAt,
      stamps: card.stamps,
      stampsGoal: p.kind === 'stamp' ? (p.rules.stampsRequired ?? null) : null,
      spendMinor: card.spendMinor,
      visits: card.visits,
      createdAt: card.createdAt,
      lastOperationAt: card.lastOperationAt,
    };
  }

  async get(ctx: Ctx, id: string, tx?: EntityManager, opts: { lock?: boolean } = {}): Promise<Card> {
    const repo = (tx ?? ctx.tx ?? this.db.manager).getRepository(Card);
    const c = opts.lock ? ((await selectRows(repo, 'id = ? AND businessId = ?', [id, ctx.businessId], { forUpdate: true }))[0] ?? null) : await repo.findOneBy({ id, businessId: ctx.businessId });
    if (!c) throw notFound('Card');
    return c;
  }

  /**
   * For guest segments (the guests module's filter): `EXISTS` a card (not deleted) of the outer guest
   * row, of one of `programIds`, at one of `levelCodes`, and meeting `also` (a condition over the
   * card). `key` is the card alias and the prefix of its parameters.
   */
  segmentCondition(guest: RowRef, f: { programIds?: string[]; levelCodes?: string[]; also?: (card: RowRef) => SqlCondition }, key: string): SqlCondition {
    const qb = this.db.manager
      .getRepository(Card)
      .createQueryBuilder(key)
      .select('1')
      .where(`${key}.businessId = ${guest.businessId} AND ${key}.guestId = ${guest.id} AND ${key}.status <> :${key}_deleted`, { [`${key}_deleted`]: 'deleted' });
    if (f.programIds?.length) qb.andWhere(`${key}.programId IN (:...${key}_programs)`, { [`${key}_programs`]: f.programIds });
    if (f.levelCodes?.length) qb.andWhere(`${key}.levelCode IN (:...${key}_levels)`, { [`${key}_levels`]: f.levelCodes });
    if (f.also) {
      const also = f.also({ id: `${key}.id`, businessId: `${key}.businessId` });
      qb.andWhere(also.sql, also.params);
    }
    return { sql: `EXISTS (${qb.getQuery()})`, params: qb.getParameters() };
  }

  // ---------------------------------------------------------------- guest import (guests module)

  /** Of `guestIds`, the holders of a card of the program (any status): an import gives them none. */
  async holdersOf(tx: EntityManager, businessId: string, programId: string, guestIds: string[]): Promise<(string | null)[]> {
    return (await tx.getRepository(Card).findBy({ businessId, programId, guestId: In(guestIds) })).map((c) => c.guestId);
  }

  /** Of `numbers`, those some card of the business already carries. */
  async numbersTaken(tx: EntityManager, businessId: string, numbers: string[]): Promise<string[]> {
    return (await tx.getRepository(Card).findBy({ businessId, number: In(numbers) })).map((c) => c.number);
  }

  /** A card of an import batch, built in memory (its id is known at once); `insertImported` writes the batch. */
  newImported(tx: EntityManager, c: { businessId: string; programId: string; guestId: string; number: string; levelCode: string | null; giftExpiresAt: Date | null }): Card {
    return tx.getRepository(Card).create({
      businessId: c.businessId,
      programId: c.programId,
      guestId: c.guestId,
      number: c.number,
      status: 'active',
      levelCode: c.levelCode,
      pointsBalance: 0,
      pointsHeld: 0,
      giftBalanceMinor: 0,
      giftExpiresAt: c.giftExpiresAt,
      stamps: 0,
      spendMinor: 0,
      visits: 0,
      lastOperationAt: null,
      deletedAt: null,
    });
  }

  /** Inserts an import batch's cards (with the opening balances set on them), 250 rows a statement. */
  async insertImported(tx: EntityManager, cards: Card[]): Promise<void> {
    const repo = tx.getRepository(Card);
    for (let i = 0; i < cards.length; i += 250) await repo.insert(cards.slice(i, i + 250));
  }

  async listForGuest(ctx: Ctx, guestId: string): Promise<Card[]> {
    return this.db.manager.getRepository(Card).find({ where: { businessId: ctx.businessId, guestId }, order: { id: 'ASC' } });
  }

  async list(ctx: Ctx, q: { programId?: string; status?: string; limit: number; cursor?: string }): Promise<{ items: Card[]; nextCursor: string | null }> {
    const qb = this.db.manager.getRepository(Card).createQueryBuilder('c').where('c.businessId = :b', { b: ctx.businessId }).orderBy('c.id', 'DESC').limit(q.limit + 1);
    if (q.programId) qb.andWhere('c.programId = :p', { p: q.programId });
    if (q.status) qb.andWhere('c.status = :s', { s: q.status });
    if (q.cursor) qb.andWhere('c.id < :cur', { cur: q.cursor });
    const rows = await qb.getMany();
    const items = rows.slice(0, q.limit);
    return { items, nextCursor: rows.length > q.limit ? items[items.length - 1]!.id : null };
  }

  /**
   * Finds the card a till presents: by number (with check digit), by QR payload, or by the guest's
   * phone (their active card; with several, the one of `programId` or the most recent).
   */
  /**
   * The card a till names (number, QR payload or phone). With `lock` (inside the caller's
   * transaction `tx`) the row is locked FOR UPDATE by the same statement that finds it.
   */
  async lookup(ctx: Ctx, by: { number?: string; qr?: string; phone?: string; programId?: string }, opts: { tx?: EntityManager; lock?: boolean } = {}): Promise<Card> {
    const repo = (opts.tx ?? this.db.manager).getRepository(Card);
    let card: Card | null = null;
    if (by.number || by.qr) {
      const imported = by.qr ? /^LH1:(\d{6,20})$/.exec(by.qr.trim()) : null;
      const number = by.qr ? (imported?.[1] ?? parseQrPayload(by.qr)) : by.number!.replace(/[\s-]/g, '');
      if (!number) throw badRequest('invalid_qr', 'The QR code is not a card of this system', [{ field: 'qr', message: 'Unrecognized QR payload' }]);
      card = (await selectRows(repo, 'businessId = ? AND number = ?', [ctx.businessId, number], opts.lock ? { forUpdate: true } : { limit: 1 }))[0] ?? null;
    } else if (by.phone) {
      const guest = await this.guests.findByPhone(ctx, by.phone);
      if (guest) {
        const cards = await repo.find({ where: { businessId: ctx.businessId, guestId: guest.id }, order: { id: 'DESC' } });
        card = cards.find((c) => c.status !== 'deleted' && (!by.programId || c.programId === by.programId)) ?? null;
        if (card && opts.lock) card = (await selectRows(repo, 'id = ? AND businessId = ?', [card.id, ctx.businessId], { forUpdate: true }))[0] ?? null;
      }
    } else {
      throw badRequest('lookup_key_required', 'Give a card number, a QR payload or a phone', [{ field: 'number', message: 'One of number, qr, phone is required' }]);
    }
    if (!card) throw notFound('Card', 'card_not_found');
    return card;
  }

  /**
   * The card a till presents, with its guest, as both the POS and the web scanner show it, and what
   * its points are worth for tills that redeem by money: `pointValueMinor` (0 when the card carries
   * no points) and `maxRedeemValueMinor`, the value of the points usable now (a check's own cap
   * comes with its quote).
   */
  async lookupView(ctx: Ctx, by: { number?: string; qr?: string; phone?: string; programId?: string }) {
    const card = await this.lookup(ctx, by);
    const program = await this.programs.get(ctx, card.programId);
    const guest = card.guestId ? await this.guests.get(ctx, card.guestId) : null;
    const view = await this.view(ctx, card, program);
    const pointValueMinor: number = program.kind === 'bonus' ? program.rules.pointValueMinor : 0;
    return { card: view, guest: guest ? this.guests.view(guest) : null, pointValueMinor, maxRedeemValueMinor: view.pointsAvailable * pointValueMinor };
  }

  /**
   * Issues a card of a program to a guest (or a bearer gift certificate when guestId is null)
   * inside `tx`: number with check digit, welcome bonus, gift nominal. Emits card.issued.
   */
  async issueInTx(
    ctx: Ctx,
    tx: EntityManager,
    programId: string,
    guestId: string | null,
    opts: { giftNominalMinor?: number } = {},
  ): Promise<Card> {
    const program = await this.programs.get(ctx, programId, tx);
    if (!program.active) throw conflict('program_inactive', 'This program is not active');
    if (guestId) {
      const guest = await this.guests.get(ctx, guestId, tx);
      if (guest.status !== 'active') throw conflict('guest_erased', 'This guest was erased');
      if (guest.phone && (await this.guests.isBlacklisted(tx, ctx.businessId, guest.phone))) throw new Problem(403, 'phone_blacklisted', 'This guest is blacklisted and cannot get a card');
      const existing = await tx.getRepository(Card).findOneBy({ businessId: ctx.businessId, guestId, programId, status: 'active' });
      if (existing && program.kind !== 'gift') throw conflict('card_exists', 'The guest already has an active card of this program', { cardId: existing.id });
    } else if (program.kind !== 'gift') {
      throw badRequest('guest_required', 'Only gift certificates can be issued without a guest', [{ field: 'guestId', message: 'Required for this program' }]);
    }
    const repo = tx.getRepository(Card);
    const levels = program.levels as { code: string; threshold: number }[];
    let card!: Card;
    for (let attempt = 0; ; attempt++) {
      card = repo.create({
        businessId: ctx.businessId,
        programId,
        guestId,
        number: makeCardNumber(program.cardPrefix),
        status: 'active',
        levelCode: levels.length ? [...levels].sort((a, b) => a.threshold - b.threshold)[0]!.code : null,
        pointsBalance: 0,
        pointsHeld: 0,
        giftBalanceMinor: 0,
        giftExpiresAt: null,
        stamps: 0,
        spendMinor: 0,
        visits: 0,
        lastOperationAt: null,
        deletedAt: null,
      });
      const exists = await repo.countBy({ businessId: ctx.businessId, number: card.number });
      if (!exists) break;
      if (attempt > 20) throw new Error('Could not allocate a card number');
    }
    await insertRows(repo, card);
    await emit(tx, ctx.businessId, 'card.issued', { cardId: card.id, guestId, programId, programKind: program.kind, number: card.number });
    const now = new Date();
    if (program.kind === 'bonus' && program.welcomeBonusPoints > 0) {
      const expiryDays: number | null = program.rules.expiryDays ?? null;
      await this.ledger.creditPoints(tx, ctx, card, program.welcomeBonusPoints, 'reward', { availableAt: now, expiresAt: expiryDays ? new Date(now.getTime() + expiryDays * DAY) : null }, { reason: 'welcome_bonus' });
      await this.ledger.balanceEvent(tx, card, 'points', program.welcomeBonusPoints, 'welcome_bonus');
    }
    if (program.kind === 'gift') {
      const nominals: number[] = program.rules.nominalsMinor ?? [];
      const nominal = opts.giftNominalMinor ?? nominals[0];
      if (nominal === undefined || !nominals.includes(nominal)) {
        throw badRequest('invalid_nominal', `A certificate of this program is issued for ${nominals.join(', ')}`, [{ field: 'giftNominalMinor', message: 'Not a face value of this program' }]);
      }
      const validityDays: number | null = program.rules.expiryDays ?? null;
      card.giftExpiresAt = validityDays ? new Date(now.getTime() + validityDays * DAY) : null;
      await this.ledger.change(tx, ctx, card, 'minor', nominal, 'issue', { reason: 'gift_nominal' });
      await this.ledger.balanceEvent(tx, card, 'minor', nominal, 'issued');
    }
    await this.ledger.saveCard(tx, card, { giftExpiresAt: card.giftExpiresAt });
    if (ctx.actor.type === 'staff') await this.audit.record(ctx, tx, { action: 'card.issued', targetType: 'card', targetId: card.id, after: { number: card.number, programId, guestId } });
    return card;
  }

  async issue(ctx: Ctx, programId: string, guestId: string | null, opts: { giftNominalMinor?: number } = {}): Promise<Card> {
    try {
      return await inTx(this.db, ctx, (tx) => this.issueInTx(ctx, tx, programId, guestId, opts));
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict('card_number_taken', 'Card number collision; retry');
      throw e;
    }
  }

  async setStatus(ctx: Ctx, id: string, status: CardStatus, reason?: string): Promise<Card> {
    return inTx(this.db, ctx, async (tx) => {
      const card = await this.ledger.lockCard(tx, ctx.businessId, id);
      if (!card) throw notFound('Card');
      const from = card.status;
      assertTransition(CARD_TRANSITIONS, 'card', from, status);
      if (from === status) return card;
      card.status = status;
      await tx.getRepository(Card).update({ id }, { status, ...(status === 'deleted' ? { deletedAt: new Date() } : {}) });
      await emit(tx, ctx.businessId, 'card.status_changed', { cardId: id, from, to: status });
      await this.audit.record(ctx, tx, { action: `card.${status === 'active' ? 'unblocked' : status}`, targetType: 'card', targetId: id, before: { status: from }, after: { status, reason: reason ?? null } });
      return card;
    });
  }

  /**
   * A manual balance change by staff, with a reason: audited, limited per staff member per day
   * (fraud limit). Points are credited as a lot (program expiry) or debited FIFO.
   */
  async adjust(ctx: Ctx, id: string, body: { unit: 'points' | 'minor' | 'stamps'; amount: number; reason: string }): Promise<Card> {
    if (body.amount === 0) throw badRequest('zero_adjustment', 'The adjustment must not be zero', [{ field: 'amount', message: 'Must not be zero' }]);
    const limits = (await this.tenants.settings(ctx)).fraudLimits;
    if (limits.adjustmentsPerStaffPerDay !== null) {
      const since = new Date(Date.now() - DAY);
      const done = await this.db.manager
        .getRepository(LedgerEntry)
        .createQueryBuilder('e')
        .where('e.businessId = :b AND e.actorId = :a AND e.kind = :k AND e.createdAt >= :since', { b: ctx.businessId, a: ctx.actor.id, k: 'adjust', since })
        .getCount();
      if (done >= limits.adjustmentsPerStaffPerDay) {
        await this.audit.recordAlone(ctx, { action: 'fraud.limit_exceeded', targetType: 'card', targetId: id, after: { limit: 'adjustmentsPerStaffPerDay', max: limits.adjustmentsPerStaffPerDay, attempted: body } });
        throw tooMany('fraud_limit_exceeded', `Limit reached: at most ${limits.adjustmentsPerStaffPerDay} manual adjustments per staff member per day`, { limit: 'adjustmentsPerStaffPerDay' });
      }
    }
    return inTx(this.db, ctx, async (tx) => {
      const card = await this.ledger.lockCard(tx, ctx.businessId, id);
      if (!card) throw notFound('Card');
      if (card.status === 'deleted') throw conflict('card_deleted', 'This card is deleted');
      const program = await this.programs.get(ctx, card.programId, tx);
      const expected = program.kind === 'bonus' ? 'points' : program.kind === 'gift' ? 'minor' : program.kind === 'stamp' ? 'stamps' : null;
      if (body.unit !== expected) throw badRequest('wrong_unit', `A ${program.kind} card has no ${body.unit} balance`, [{ field: 'unit', message: expected ? `Use ${expected}` : 'This card has no balance' }]);
      const before = { pointsBalance: card.pointsBalance, giftBalanceMinor: card.giftBalanceMinor, stamps: card.stamps };
      const now = new Date();
      if (body.unit === 'points') {
        if (body.amount > 0) {
          const expiryDays: number | null = program.rules.expiryDays ?? null;
          await this.ledger.creditPoints(tx, ctx, card, body.amount, 'adjust', { availableAt: now, expiresAt: expiryDays ? new Date(now.getTime() + expiryDays * DAY) : null }, { reason: body.reason });
        } else {
          const lots = await this.ledger.openLots(tx, card);
          const usable = this.ledger.usable(lots, now);
          if (-body.amount > usable) throw unprocessable('insufficient_points', `Only ${usable} points can be taken off this card`, { available: usable });
          await this.ledger.debitPoints(tx, ctx, card, -body.amount, 'adjust', now, { reason: body.reason }, lots);
        }
      } else {
        const field = body.unit === 'minor' ? 'giftBalanceMinor' : 'stamps';
        if (card[field] + body.amount < 0) throw unprocessable('insufficient_balance', `The balance is only ${card[field]}`, { available: card[field] });
        await this.ledger.change(tx, ctx, card, body.unit, body.amount, 'adjust', { reason: body.reason });
      }
      await this.ledger.saveCard(tx, card);
      await this.ledger.balanceEvent(tx, card, body.unit, body.amount, 'manual_adjustment');
      await this.audit.record(ctx, tx, {
        action: 'card.balance_adjusted',
        targetType: 'card',
        targetId: id,
        before,
        after: { pointsBalance: card.pointsBalance, giftBalanceMinor: card.giftBalanceMinor, stamps: card.stamps, unit: body.unit, amount: body.amount, reason: body.reason },
      });
      return card;
    });
  }

  /** A manual level change (audited; emits card.level_changed). */
  /**
   * Every change of a card's level — by hand, at a sale that reaches a threshold, or by the periodic
   * review — goes through here: audited, with `card.level_changed` (`event.reason`: `manual` unless
   * the caller says why, e.g. `threshold_reached`). `null` (periodic review only) leaves the card
   * without a level when its figures reach none.
   */
  async setLevel(ctx: Ctx, id: string, levelCode: string | null, reason: string, event: { reason?: string; correlationId?: string } = {}): Promise<Card> {
    return inTx(this.db, ctx, async (tx) => {
      const card = await this.ledger.lockCard(tx, ctx.businessId, id);
      if (!card) throw notFound('Card');
      const program = await this.programs.get(ctx, card.programId, tx);
      if (levelCode !== null && !(program.levels as { code: string }[]).some((l) => l.code === levelCode)) {
        throw badRequest('unknown_level', 'The program has no such level', [{ field: 'levelCode', message: 'Unknown level' }]);
      }
      const from = card.levelCode;
      if (from === levelCode) return card;
      card.levelCode = levelCode;
      await tx.getRepository(Card).update({ id }, { levelCode });
      await emit(tx, ctx.businessId, 'card.level_changed', { cardId: id, guestId: card.guestId, fromLevel: from, toLevel: levelCode, reason: event.reason ?? 'manual' }, event.correlationId);
      await this.audit.record(ctx, tx, { action: 'card.level_changed', targetType: 'card', targetId: id, before: { levelCode: from }, after: { levelCode, reason } });
      return card;
    });
  }
}
