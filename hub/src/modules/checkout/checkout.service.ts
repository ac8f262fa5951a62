import { insertRows, selectRows } from '../../db/columns';
import { createHash } from 'node:crypto';
import { In, type EntityManager } from 'typeorm';
import { Db, isUniqueViolation } from '../../db/db';
import { emit } from '../../bus/outbox';
import type { Ctx } from '../../shared/context';
import { conflict, notFound, Problem, tooMany } from '../../shared/errors';
import { AuditService } from '../audit/audit.service';
import { Card } from '../cards/cards.entity';
import { CardsService } from '../cards/cards.service';
import { Guest } from '../guests/guests.entity';
import type { GuestsService } from '../guests/guests.service';
import { LedgerEntry } from '../ledger/ledger.entity';
import { LedgerService, type LedgerBook } from '../ledger/ledger.service';
import { Coupon, Program } from '../programs/programs.entity';
import { ProgramsService } from '../programs/programs.service';
import type { CouponRules, Level, LevelPolicy, ProgramRules, StampRules } from '../programs/programs.schemas';
import { defaultLevelPolicy } from '../programs/programs.schemas';
import type { FraudLimits } from '../tenants/tenants.schemas';
import { TenantsService } from '../tenants/tenants.service';
import { CommitBody, QuoteBody, RefundBody } from './checkout.api-schemas';
import { Checkout, CheckoutRefund, CouponRedemption } from './checkout.entity';
import { CardState, CouponState, decide, Decision, stampProgress } from './checkout.rules';
import { levelAfterCommit, levelWindowStart, nextLevelAfterDowngradeCheck } from './levels.rules';
import { planRefund, planRefundVoid } from './refund.rules';
import { checkoutSource } from './checkout.source';

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

/** Refusal codes that are about the request's figures (422) rather than the card's state (409). */
const STATE_REFUSALS = new Set(['card_blocked', 'card_deleted', 'coupon_used_up', 'coupon_inactive']);

/** Stable JSON (sorted keys) so the same body always hashes the same. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
export const hashBody = (v: unknown) => createHash('sha256').update(canonical(v)).digest('hex');

class FraudRefusal extends Error {
  constructor(
    readonly limit: keyof FraudLimits,
    readonly max: number,
    readonly cardId: string,
  ) {
    super(limit);
  }
}

/** A refusal from the rules: nothing is written, the cashier reads `message`. */
function refusal(code: string, message: string, details?: Record<string, unknown>): Problem {
  return new Problem(STATE_REFUSALS.has(code) ? 409 : 422, code, message, undefined, details);
}

/** The basket's lines as sale events carry them. */
function saleItems(basket: unknown) {
  const items = (basket as { items?: { sku: string; name?: string; category?: string; qty: number; unitPriceMinor: number; amountMinor: number }[] } | null)?.items ?? [];
  return items.map((i) => ({ sku: i.sku, name: i.name ?? null, category: i.category ?? null, qty: i.qty, unitPriceMinor: i.unitPriceMinor, amountMinor: i.amountMinor }));
}

export interface StoredDecision extends Omit<Decision, 'accrualAvailableAt' | 'accrualExpiresAt'> {
  accrualAvailableAt: string | null;
  accrualExpiresAt: string | null;
  after?: { points: number; giftMinor: number; stamps: number; levelCode: string | null };
}

/**
 * The POS hot path (DESIGN §5): quote (no writes) and commit (one transaction) run the same pure
 * `decide()`; holds, captures, cancels and refunds reverse or complete it through the ledger.
 */
export class CheckoutService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly ledger: LedgerService<Card>,
    private readonly programs: ProgramsService,
    private readonly cards: CardsService,
    private readonly tenants: TenantsService,
    private readonly guests: GuestsService,
    private readonly currencyOf: (ctx: Ctx) => Promise<string>,
    private readonly onCommitted: () => void = () => undefined,
  ) {}

  // ---------- shared ----------

  /** The card the request names; inside a sale's transaction `tx`, found and locked in one statement. */
  private async resolveCard(ctx: Ctx, ref: QuoteBody['card'], tx?: EntityManager): Promise<Card | null> {
    if (!ref) return null;
    if (ref.id) return this.cards.get(ctx, ref.id, tx, { lock: !!tx });
    return this.cards.lookup(ctx, ref, { tx, lock: !!tx });
  }

  private cardState(card: Card, pointsAvailable: number): CardState {
    return { status: card.status, levelCode: card.levelCode, pointsAvailable, giftBalanceMinor: card.giftBalanceMinor, giftExpiresAt: card.giftExpiresAt, stamps: card.stamps, guestId: card.guestId };
  }

  private async couponState(tx: EntityManager, ctx: Ctx, coupon: Coupon | null, guestId: string | null): Promise<{ state: CouponState | null; program: Program | null }> {
    if (!coupon) return { state: null, program: null };
    const program = await this.programs.get(ctx, coupon.programId, tx);
    const rules = program.rules as CouponRules;
    const usesByThisGuest = guestId ? await tx.getRepository(CouponRedemption).countBy({ businessId: ctx.businessId, couponId: coupon.id, guestId }) : 0;
    const status: CouponState['status'] = coupon.status === 'disabled' ? 'revoked' : coupon.status === 'used_up' ? 'used' : 'active';
    return {
      state: { code: coupon.code, rules, usesSoFar: coupon.uses, usesByThisGuest, status, maxUses: coupon.maxUses, validFrom: coupon.validFrom, validTo: coupon.validTo, guestId: coupon.guestId },
      program,
    };
  }

  private async run(tx: EntityManager, ctx: Ctx, card: Card | null, body: QuoteBody, now: Date, lock: boolean) {
    const coupon = body.couponCode ? (lock ? await this.programs.lockCoupon(tx, ctx.businessId, body.couponCode) : await this.programs.findCoupon(ctx, body.couponCode, tx)) : null;
    const { state: couponState, program: couponProgram } = await this.couponState(tx, ctx, coupon, card?.guestId ?? null);
    const program = card ? await this.programs.get(ctx, card.programId, tx) : couponProgram;
    if (!program) {
      throw new Problem(body.couponCode ? 404 : 400, body.couponCode ? 'coupon_not_found' : 'card_required', body.couponCode ? 'No such coupon' : 'A card or a coupon is needed for a loyalty checkout');
    }
    const lots = card && program.kind === 'bonus' ? await this.ledger.openLots(tx, card) : [];
    const result = decide({
      program: program.rules as ProgramRules,
      levels: (program.levels ?? []) as Level[],
      card: card ? this.cardState(card, this.ledger.usable(lots, now)) : null,
      basket: body.basket,
      request: { redeemPoints: body.redeemPoints, redeemValueMinor: body.redeemValueMinor, giftAmountMinor: body.giftAmountMinor, couponCode: body.couponCode, addStamps: body.addStamps },
      coupon: couponState,
      now,
    });
    if (!result.ok) throw refusal(result.code, result.message, result.details);
    return { decision: result.decision, program, coupon, lots };
  }

  // ---------- quote ----------

  /** A dry run through the same `decide()`: nothing is written. */
  async quote(ctx: Ctx, body: QuoteBody) {
    const card = await this.resolveCard(ctx, body.card);
    const { decision } = await this.run(this.db.manager, ctx, card, body, new Date(), false);
    return {
      currency: await this.currencyOf(ctx),
      cardId: card?.id ?? null,
      totalMinor: decision.totalMinor,
      discountMinor: decision.discountMinor,
      couponDiscountMinor: decision.couponDiscountMinor,
      pointsRedeemed: decision.pointsRedeemed,
      maxRedeemablePoints: decision.maxRedeemablePoints,
      pointValueMinor: decision.pointValueMinor,
      maxRedeemValueMinor: decision.maxRedeemValueMinor,
      redeemValueMinor: decision.redeemValueMinor,
      giftSpentMinor: decision.giftSpentMinor,
      payableMinor: decision.payableMinor,
      pointsAccrued: decision.pointsAccrued,
      stampsAdded: decision.stampsAdded,
      lines: decision.lines as unknown as Record<string, unknown>[],
    };
  }

  // ---------- commit ----------

  private fingerprint(ctx: Ctx, body: CommitBody, locationId: string | null): string | null {
    if (!body.receipt) return null;
    const r = body.receipt;
    return createHash('sha256')
      .update([ctx.businessId, locationId ?? '', r.till ?? ctx.actor.id, r.number, r.date.slice(0, 10)].join('|'))
      .digest('hex');
  }

  /** The stored reply for a replayed key or receipt, or 409 when the body differs. */
  private async replay(ctx: Ctx, idempotencyKey: string, requestHash: string, fingerprint: string | null): Promise<Checkout | null> {
    const repo = this.db.manager.getRepository(Checkout);
    const found = fingerprint
      ? await selectRows(repo, 'businessId = ? AND (idempotencyKey = ? OR receiptFingerprint = ?)', [ctx.businessId, idempotencyKey, fingerprint], { limit: 2 })
      : await selectRows(repo, 'businessId = ? AND idempotencyKey = ?', [ctx.businessId, idempotencyKey], { limit: 1 });
    const byKey = found.find((c) => c.idempotencyKey === idempotencyKey);
    if (byKey) {
      if (byKey.requestHash !== requestHash) throw conflict('idempotency_key_reused', 'This Idempotency-Key was used with a different request', { checkoutId: byKey.id });
      return byKey;
    }
    const byReceipt = found[0];
    if (byReceipt) {
      if (byReceipt.requestHash !== requestHash) throw conflict('receipt_already_recorded', 'This receipt was already recorded with different contents', { checkoutId: byReceipt.id });
      return byReceipt;
    }
    return null;
  }

  /**
   * Commits (or holds) a sale exactly once per Idempotency-Key and per receipt fingerprint.
   * Returns the checkout and whether it was a replay.
   */
  async commit(ctx: Ctx, idempotencyKey: string, body: CommitBody): Promise<{ checkout: Checkout; replayed: boolean }> {
    const locationId = body.locationId ?? ctx.actor.locationId ?? null;
    // A till key bound to a location books sales there only; it cannot act for another shop of the business.
    if (body.locationId && ctx.actor.type === 'terminal' && ctx.actor.locationId && body.locationId !== ctx.actor.locationId) {
      throw new Problem(403, 'location_mismatch', 'This terminal belongs to another location');
    }
    if (body.locationId) await this.tenants.getLocation(ctx, body.locationId);
    const requestHash = hashBody(body);
    const fingerprint = this.fingerprint(ctx, body, locationId);
    const prior = await this.replay(ctx, idempotencyKey, requestHash, fingerprint);
    if (prior) return { checkout: prior, replayed: true };
    const settings = await this.tenants.settings(ctx);
    try {
      const checkout = await this.db.transaction(async (tx) => {
        const now = new Date();
        const locked = await this.resolveCard(ctx, body.card, tx);
        if (locked) await this.checkLimits(tx, ctx, locked, settings.fraudLimits, body, now);
        const { decision, program, coupon, lots } = await this.run(tx, ctx, locked, body, now, true);
        const hold = body.mode === 'hold';
        const repo = tx.getRepository(Checkout);
        const co = repo.create({
          businessId: ctx.businessId,
          idempotencyKey,
          requestHash,
          receiptFingerprint: fingerprint,
          status: hold ? 'held' : 'committed',
          cardId: locked?.id ?? null,
          guestId: locked?.guestId ?? null,
          programId: program.id,
          locationId,
          terminalId: ctx.actor.type === 'terminal' ? ctx.actor.id : null,
          actorType: ctx.actor.type,
          actorId: ctx.actor.id,
          totalMinor: decision.totalMinor,
          discountMinor: decision.discountMinor,
          pointsRedeemed: decision.pointsRedeemed,
          pointsAccrued: hold ? 0 : decision.pointsAccrued,
          giftSpentMinor: decision.giftSpentMinor,
          stampsAdded: hold ? 0 : decision.stampsAdded,
          couponId: coupon?.id ?? null,
          couponCode: decision.couponCode,
          receipt: body.receipt ?? null,
          basket: body.basket,
          decision: this.store(decision),
          holdExpiresAt: hold ? new Date(now.getTime() + settings.holdTtlMinutes * 60000) : null,
          capturedAt: hold ? null : now,
          canceledAt: null,
          refundedMinor: 0,
          refundedPayableMinor: 0,
          refundedPointsReturned: 0,
          refundedPointsReversed: 0,
          refundedGiftMinor: 0,
          refundedStamps: 0,
        });
        // The checkout row is written last, with the final figures (its id is already known to
        // the ledger entries); a concurrent duplicate then fails on the unique key and rolls back.
        const cctx: Ctx = { ...ctx, tx };
        // One ledger book for the sale: its debits and credits are written together (one INSERT of entries).
        const book = locked ? this.ledger.book(tx, cctx, locked) : undefined;
        if (locked && book) await this.applyDebits(tx, book, co, locked, decision, lots, now);
        if (coupon) await this.useCoupon(tx, ctx, coupon, co);
        if (hold) {
          if (locked) {
            locked.pointsHeld += decision.pointsRedeemed;
            await book!.post();
            await this.ledger.saveCard(tx, locked);
          }
          co.decision = { ...co.decision, after: this.after(locked) };
          await emit(tx, ctx.businessId, 'checkout.held', { checkoutId: co.id, cardId: co.cardId, pointsHeld: decision.pointsRedeemed, expiresAt: co.holdExpiresAt!.toISOString() });
        } else {
          await this.complete(tx, cctx, co, locked, program, decision, now, false, book);
        }
        await insertRows(repo, co);
        return co;
      });
      this.onCommitted();
      return { checkout: checkout, replayed: false };
    } catch (e) {
      if (e instanceof FraudRefusal) {
        await this.audit.recordAlone(ctx, { action: 'fraud.limit_exceeded', targetType: 'card', targetId: e.cardId, after: { limit: e.limit, max: e.max, idempotencyKey } });
        throw tooMany('fraud_limit_exceeded', `Limit reached for this card: ${e.limit === 'opsPerCardPerHour' ? `${e.max} operations per hour` : `${e.max} redemptions per day`}`, { limit: e.limit });
      }
      if (isUniqueViolation(e)) {
        // A concurrent duplicate won the race: answer as a replay of it.
        const prior2 = await this.replay(ctx, idempotencyKey, requestHash, fingerprint);
        if (prior2) return { checkout: prior2, replayed: true };
      }
      throw e;
    }
  }

  private store(d: Decision): StoredDecision {
    return { ...d, accrualAvailableAt: d.accrualAvailableAt?.toISOString() ?? null, accrualExpiresAt: d.accrualExpiresAt?.toISOString() ?? null };
  }

  private after(card: Card | null): StoredDecision['after'] {
    return card ? { points: card.pointsBalance, giftMinor: card.giftBalanceMinor, stamps: card.stamps, levelCode: card.levelCode } : undefined;
  }

  private async checkLimits(tx: EntityManager, ctx: Ctx, card: Card, limits: FraudLimits, body: QuoteBody, now: Date): Promise<void> {
    if (limits.opsPerCardPerHour !== null) {
      const ops = await tx
        .getRepository(Checkout)
        .createQueryBuilder('c')
        .where('c.businessId = :b AND c.cardId = :card AND c.createdAt >= :since', { b: ctx.businessId, card: card.id, since: new Date(now.getTime() - HOUR) })
        .getCount();
      if (ops >= limits.opsPerCardPerHour) throw new FraudRefusal('opsPerCardPerHour', limits.opsPerCardPerHour, card.id);
    }
    const redeems =
      (body.redeemPoints !== undefined && body.redeemPoints !== 0) || (body.redeemValueMinor ?? 0) > 0 || (body.giftAmountMinor !== undefined && body.giftAmountMinor !== 0);
    if (redeems && limits.redemptionsPerCardPerDay !== null) {
      const n = await tx
        .getRepository(Checkout)
        .createQueryBuilder('c')
        .where('c.businessId = :b AND c.cardId = :card AND c.createdAt >= :since AND (c.pointsRedeemed > 0 OR c.giftSpentMinor > 0)', { b: ctx.businessId, card: card.id, since: new Date(now.getTime() - DAY) })
        .getCount();
      if (n >= limits.redemptionsPerCardPerDay) throw new FraudRefusal('redemptionsPerCardPerDay', limits.redemptionsPerCardPerDay, card.id);
    }
  }

  /** Points and certificate money leave the card at commit or hold time (staged in the sale's ledger book). */
  private async applyDebits(tx: EntityManager, book: LedgerBook, co: Checkout, card: Card, d: Decision, lots: Awaited<ReturnType<LedgerService['openLots']>>, now: Date): Promise<void> {
    const refs = { checkoutId: co.id };
    if (d.pointsRedeemed > 0) {
      book.debitPoints(d.pointsRedeemed, 'redeem', now, refs, lots);
      await this.ledger.balanceEvent(tx, card, 'points', -d.pointsRedeemed, 'redeemed', co.id);
    }
    if (d.giftSpentMinor > 0) {
      book.change('minor', -d.giftSpentMinor, 'spend', refs);
      await this.ledger.balanceEvent(tx, card, 'minor', -d.giftSpentMinor, 'spent', co.id);
    }
    if (d.giftForfeitedMinor > 0) {
      book.change('minor', -d.giftForfeitedMinor, 'expire', { ...refs, reason: 'gift_forfeited' });
    }
  }

  private async useCoupon(tx: EntityManager, ctx: Ctx, coupon: Coupon, co: Checkout): Promise<void> {
    await this.programs.useCoupon(tx, coupon);
    const repo = tx.getRepository(CouponRedemption);
    await insertRows(repo, repo.create({ businessId: ctx.businessId, couponId: coupon.id, guestId: co.guestId, checkoutId: co.id }));
  }

  /**
   * What happens when a sale is final (commit, or capture of a hold): accrual lot, stamps and
   * their rewards, card and guest counters, level upgrade, referral rewards, events.
   */
  private async complete(tx: EntityManager, ctx: Ctx, co: Checkout, card: Card | null, program: Program, d: Decision, now: Date, persist = true, sale?: LedgerBook): Promise<void> {
    const refs = { checkoutId: co.id };
    if (card) {
      const book = sale ?? this.ledger.book(tx, ctx, card);
      if (d.pointsAccrued > 0) {
        book.creditPoints(d.pointsAccrued, 'accrue', { availableAt: d.accrualAvailableAt ?? now, expiresAt: d.accrualExpiresAt }, refs);
        await this.ledger.balanceEvent(tx, card, 'points', d.pointsAccrued, 'accrued', co.id);
      }
      if (program.kind === 'stamp') {
        // Rewards are decided on the card as it is now (a captured hold's stamps may have moved).
        Object.assign(d, stampProgress(card.stamps, d.stampsAdded, (program.rules as StampRules).stampsRequired));
      }
      if (d.stampsAdded > 0) {
        book.change('stamps', d.stampsAdded, 'stamp', refs);
        let used = 0;
        if (d.stampRewards > 0) {
          used = card.stamps - d.stampsAfter;
          book.change('stamps', -used, 'reward', { ...refs, reason: 'stamp_rewards' });
          await this.grantStampRewards(tx, ctx, card, program, d.stampRewards, co, now);
        }
        await this.ledger.balanceEvent(tx, card, 'stamps', d.stampsAdded - used, 'stamped', co.id);
      }
      card.spendMinor += d.spendMinor;
      card.visits += 1;
      const policy = (program.levelPolicy ?? defaultLevelPolicy()) as LevelPolicy;
      const levels = (program.levels ?? []) as Level[];
      if (levels.length) {
        // On commit the checkout row is written after this, so its own spend is added here.
        const stats = await this.levelStats(tx, ctx, card, policy, now, persist ? undefined : { spendMinor: d.spendMinor, visits: 1 });
        const change = levelAfterCommit(levels, policy, card.levelCode, stats);
        if (change.direction === 'up') {
          await this.cards.setLevel(ctx, card.id, change.to, 'threshold reached at a sale', { reason: 'threshold_reached', correlationId: co.id });
          card.levelCode = change.to;
        }
      }
      await book.post();
      await this.ledger.saveCard(tx, card);
      if (card.guestId) await this.touchGuest(tx, ctx, card, program, d, now, co);
    }
    co.decision = { ...co.decision, stampRewards: d.stampRewards, stampsAfter: d.stampsAfter, after: this.after(card) };
    if (persist) await tx.getRepository(Checkout).update({ id: co.id }, { decision: co.decision, pointsAccrued: d.pointsAccrued, stampsAdded: d.stampsAdded });
    await emit(
      tx,
      ctx.businessId,
      'checkout.committed',
      {
        checkoutId: co.id,
        cardId: co.cardId,
        guestId: co.guestId,
        locationId: co.locationId,
        terminalId: co.terminalId,
        currency: await this.currencyOf(ctx),
        totalMinor: d.totalMinor,
        discountMinor: d.discountMinor,
        pointsRedeemed: d.pointsRedeemed,
        pointsAccrued: d.pointsAccrued,
        giftSpentMinor: d.giftSpentMinor,
        stampsAdded: d.stampsAdded,
        couponCode: d.couponCode,
        receipt: co.receipt ? { number: co.receipt.number ?? null, date: co.receipt.date ?? null } : null,
        programId: program.id,
        source: checkoutSource(co),
        items: saleItems(co.basket),
        guest: co.guestId ? await this.guests.contactOf(tx, ctx, co.guestId) : null,
      },
      co.id,
    );
  }

  private async levelStats(
    tx: EntityManager,
    ctx: Ctx,
    card: Card,
    policy: LevelPolicy,
    now: Date,
    pending: { spendMinor: number; visits: number } = { spendMinor: 0, visits: 0 },
  ): Promise<{ spendMinor: number; visits: number }> {
    const since = levelWindowStart(policy, now);
    if (!since) return { spendMinor: card.spendMinor, visits: card.visits };
    const row = await tx
      .getRepository(Checkout)
      .createQueryBuilder('c')
      .select('COALESCE(SUM(c.totalMinor - c.discountMinor - c.refundedMinor), 0)', 'spend')
      .addSelect('COUNT(*)', 'visits')
      .where("c.businessId = :b AND c.cardId = :card AND c.status = 'committed' AND c.createdAt >= :since", { b: ctx.businessId, card: card.id, since })
      .getRawOne<{ spend: string | number; visits: string | number }>();
    return { spendMinor: Number(row?.spend ?? 0) + pending.spendMinor, visits: Number(row?.visits ?? 0) + pending.visits };
  }

  /** Stamp-card rewards: a personal coupon of the reward program, or points on the guest's bonus card. */
  private async grantStampRewards(tx: EntityManager, ctx: Ctx, card: Card, program: Program, count: number, co: Checkout, now: Date): Promise<void> {
    const reward = program.rules.reward as { type: 'coupon'; couponProgramId: string; title: string } | { type: 'points'; points: number };
    for (let i = 0; i < count; i++) {
      if (reward.type === 'coupon') {
        const code = `R${co.id.replace(/-/g, '').slice(-10).toUpperCase()}${i}`;
        await this.programs.createCoupon(ctx, reward.couponProgramId, { code, maxUses: 1, guestId: card.guestId, note: reward.title }, tx);
      } else if (card.guestId) {
        const bonusCards = await tx.getRepository(Card).findBy({ businessId: ctx.businessId, guestId: card.guestId, status: 'active' });
        for (const c of bonusCards) {
          const p = await this.programs.get(ctx, c.programId, tx);
          if (p.kind !== 'bonus') continue;
          const target = (await this.ledger.lockCard(tx, ctx.businessId, c.id))!;
          const expiry: number | null = p.rules.expiryDays ?? null;
          await this.ledger.creditPoints(tx, ctx, target, reward.points, 'reward', { availableAt: now, expiresAt: expiry ? new Date(now.getTime() + expiry * DAY) : null }, { checkoutId: co.id, reason: 'stamp_card_completed' });
          await this.ledger.saveCard(tx, target);
          await this.ledger.balanceEvent(tx, target, 'points', reward.points, 'stamp_reward', co.id);
          break;
        }
      }
    }
  }

  /** Guest counters, and the referral reward on the referee's first purchase. */
  private async touchGuest(tx: EntityManager, ctx: Ctx, card: Card, program: Program, d: Decision, now: Date, co: Checkout): Promise<void> {
    await this.guests.recordPurchase(tx, ctx, card.guestId!, { spendMinor: d.spendMinor, at: now });
    // Referral: only a bonus program with a referral bonus, on the card's first purchase, reads the guest.
    if (program.kind !== 'bonus' || !program.referral || card.visits !== 1) return;
    const guest = await this.guests.referralOf(tx, ctx, card.guestId!);
    if (!guest) return;
    const referral = program.referral as { referrerPoints: number; refereePoints: number } | null;
    if (!guest.referrerGuestId || guest.referralRewarded || !referral) return;
    const expiry: number | null = program.rules.expiryDays ?? null;
    const lot = { availableAt: now, expiresAt: expiry ? new Date(now.getTime() + expiry * DAY) : null };
    if (referral.refereePoints > 0) {
      await this.ledger.creditPoints(tx, ctx, card, referral.refereePoints, 'reward', lot, { checkoutId: co.id, reason: 'referral_invited' });
      await this.ledger.saveCard(tx, card);
      await this.ledger.balanceEvent(tx, card, 'points', referral.refereePoints, 'referral', co.id);
    }
    const refCard = await tx.getRepository(Card).findOneBy({ businessId: ctx.businessId, guestId: guest.referrerGuestId, programId: program.id, status: 'active' });
    if (refCard && referral.referrerPoints > 0 && refCard.id !== card.id) {
      const locked = (await this.ledger.lockCard(tx, ctx.businessId, refCard.id))!;
      await this.ledger.creditPoints(tx, ctx, locked, referral.referrerPoints, 'reward', lot, { checkoutId: co.id, reason: 'referral_inviter' });
      await this.ledger.saveCard(tx, locked);
      await this.ledger.balanceEvent(tx, locked, 'points', referral.referrerPoints, 'referral', co.id);
    }
    await this.guests.markReferralRewarded(tx, ctx, card.guestId!);
  }

  /**
   * Periodic level review (DESIGN: downgrade policy evaluated periodically): for programs whose
   * policy says `downgrade: periodic`, each active card takes the level its window figures reach.
   * With `businessId`, only that business's programs (the nightly job runs per business, at 04:00
   * in its time zone). Returns the number of cards whose level changed.
   */
  async reviewLevels(now = new Date(), batch = 500, businessId?: string): Promise<number> {
    const programs = await this.db.manager.getRepository(Program).find({ where: { active: true, ...(businessId ? { businessId } : {}) } });
    let changed = 0;
    for (const program of programs) {
      const policy = (program.levelPolicy ?? defaultLevelPolicy()) as LevelPolicy;
      const levels = (program.levels ?? []) as Level[];
      if (policy.downgrade !== 'periodic' || !levels.length) continue;
      const ctx: Ctx = { businessId: program.businessId, actor: { type: 'system', id: 'level-review', label: 'level review' } };
      let cursor = '';
      for (;;) {
        const cards = await this.db.manager
          .getRepository(Card)
          .createQueryBuilder('c')
          .where("c.businessId = :b AND c.programId = :p AND c.status = 'active' AND c.id > :cur", { b: program.businessId, p: program.id, cur: cursor })
          .orderBy('c.id', 'ASC')
          .limit(batch)
          .getMany();
        if (!cards.length) break;
        cursor = cards[cards.length - 1]!.id;
        for (const c of cards) {
          const stats = await this.levelStats(this.db.manager, ctx, c, policy, now);
          const change = nextLevelAfterDowngradeCheck(levels, policy, c.levelCode, stats);
          if (change.direction === 'same') continue;
          await this.db.transaction(async (tx) => {
            const locked = await this.ledger.lockCard(tx, ctx.businessId, c.id);
            if (!locked || locked.levelCode !== c.levelCode) return;
            const reason = change.direction === 'down' ? 'periodic_downgrade' : 'periodic_review';
            await this.cards.setLevel({ ...ctx, tx }, c.id, change.to, `periodic level review (${policy.metric}, ${policy.window === 'all_time' ? 'all time' : `${policy.window.days} days`})`, { reason });
          });
          changed++;
        }
      }
    }
    return changed;
  }

  // ---------- holds ----------

  async get(ctx: Ctx, id: string, tx?: EntityManager): Promise<Checkout> {
    const c = await (tx ?? this.db.manager).getRepository(Checkout).findOneBy({ id, businessId: ctx.businessId });
    if (!c) throw notFound('Checkout', 'checkout_not_found');
    return c;
  }

  private async lockRefund(tx: EntityManager, ctx: Ctx, checkoutId: string, refundId: string): Promise<CheckoutRefund> {
    const qb = tx.getRepository(CheckoutRefund).createQueryBuilder('r').where('r.id = :id AND r.businessId = :b AND r.checkoutId = :c', { id: refundId, b: ctx.businessId, c: checkoutId });
    if (this.db.kind === 'mysql') qb.setLock('pessimistic_write');
    const r = await qb.getOne();
    if (!r) throw notFound('Refund', 'refund_not_found');
    return r;
  }

  private async lockCheckout(tx: EntityManager, ctx: Ctx, id: string): Promise<Checkout> {
    const qb = tx.getRepository(Checkout).createQueryBuilder('c').where('c.id = :id AND c.businessId = :b', { id, b: ctx.businessId });
    if (this.db.kind === 'mysql') qb.setLock('pessimistic_write');
    const c = await qb.getOne();
    if (!c) throw notFound('Checkout', 'checkout_not_found');
    return c;
  }

  /** Captures a hold: the sale becomes final and accrues. Idempotent: capturing twice is a no-op. */
  async capture(ctx: Ctx, id: string): Promise<Checkout> {
    const co = await this.db.transaction(async (tx) => {
      const existing = await this.get(ctx, id, tx);
      const card = existing.cardId ? await this.ledger.lockCard(tx, ctx.businessId, existing.cardId) : null;
      const co = await this.lockCheckout(tx, ctx, id);
      if (co.status === 'committed') return co;
      if (co.status === 'canceled') throw conflict('hold_canceled', 'This hold was canceled or expired; ring the sale up again');
      const now = new Date();
      if (co.holdExpiresAt && co.holdExpiresAt <= now) throw conflict('hold_expired', 'This hold has expired; ring the sale up again');
      const program = await this.programs.get(ctx, co.programId!, tx);
      const stored = co.decision as StoredDecision;
      // Accrual timing is decided at capture: pending and expiry periods start now.
      const rules = program.rules as ProgramRules;
      const pendingDays = rules.kind === 'bonus' ? rules.pendingDays : 0;
      const expiryDays = rules.kind === 'bonus' ? rules.expiryDays : null;
      const availableAt = new Date(now.getTime() + pendingDays * DAY);
      const d: Decision = { ...stored, accrualAvailableAt: availableAt, accrualExpiresAt: expiryDays ? new Date(availableAt.getTime() + expiryDays * DAY) : null } as Decision;
      if (card) {
        card.pointsHeld = Math.max(0, card.pointsHeld - co.pointsRedeemed);
      }
      await tx.getRepository(Checkout).update({ id }, { status: 'committed', capturedAt: now, holdExpiresAt: null });
      co.status = 'committed';
      co.capturedAt = now;
      co.holdExpiresAt = null;
      await this.complete(tx, { ...ctx, tx }, co, card, program, d, now);
      co.pointsAccrued = d.pointsAccrued;
      co.stampsAdded = d.stampsAdded;
      return co;
    });
    this.onCommitted();
    return co;
  }

  /** Cancels a hold: reserved points and certificate money go back, the coupon use is released. */
  async cancel(ctx: Ctx, id: string, reason = 'canceled'): Promise<Checkout> {
    const co = await this.db.transaction(async (tx) => {
      const existing = await this.get(ctx, id, tx);
      const card = existing.cardId ? await this.ledger.lockCard(tx, ctx.businessId, existing.cardId) : null;
      const co = await this.lockCheckout(tx, ctx, id);
      if (co.status === 'canceled') return co;
      if (co.status === 'committed') throw conflict('already_captured', 'This sale is already final; refund it instead');
      const cctx: Ctx = { ...ctx, tx };
      if (card) {
        const debits = await tx.getRepository(LedgerEntry).findBy({ businessId: ctx.businessId, checkoutId: co.id });
        for (const e of debits) {
          if (e.unit === 'points' && e.kind === 'redeem') {
            await this.ledger.restoreDebit(tx, cctx, card, e, -e.amount, 'release', { checkoutId: co.id, reason });
            await this.ledger.balanceEvent(tx, card, 'points', -e.amount, 'hold_released', co.id);
          } else if (e.unit === 'minor' && e.amount < 0) {
            await this.ledger.change(tx, cctx, card, 'minor', -e.amount, 'release', { checkoutId: co.id, linkedEntryId: e.id, reason });
            await this.ledger.balanceEvent(tx, card, 'minor', -e.amount, 'hold_released', co.id);
          }
        }
        card.pointsHeld = Math.max(0, card.pointsHeld - co.pointsRedeemed);
        await this.ledger.saveCard(tx, card);
      }
      if (co.couponId) {
        await this.programs.releaseCoupon(tx, ctx, co.couponId);
        await tx.getRepository(CouponRedemption).delete({ businessId: ctx.businessId, checkoutId: co.id });
      }
      const now = new Date();
      await tx.getRepository(Checkout).update({ id }, { status: 'canceled', canceledAt: now });
      co.status = 'canceled';
      co.canceledAt = now;
      await emit(tx, ctx.businessId, 'checkout.canceled', { checkoutId: co.id, cardId: co.cardId, reason }, co.id);
      return co;
    });
    this.onCommitted();
    return co;
  }

  /** Cancels holds past their expiry (periodic job). Returns how many were released. */
  async expireHolds(now = new Date(), limit = 200): Promise<number> {
    const due = await this.db.manager
      .getRepository(Checkout)
      .createQueryBuilder('c')
      .where("c.status = 'held' AND c.holdExpiresAt <= :now", { now })
      .limit(limit)
      .getMany();
    for (const c of due) {
      await this.cancel({ businessId: c.businessId, actor: { type: 'system', id: 'hold-expiry', label: 'hold expiry' } }, c.id, 'hold expired');
    }
    return due.length;
  }

  // ---------- refunds ----------

  /** Refunds a committed sale wholly or partly, once per Idempotency-Key; proportional reversal through the ledger. */
  async refund(ctx: Ctx, checkoutId: string, idempotencyKey: string, body: RefundBody): Promise<{ refund: CheckoutRefund; replayed: boolean }> {
    const requestHash = hashBody({ checkoutId, ...body });
    const prior = await this.db.manager.getRepository(CheckoutRefund).findOneBy({ businessId: ctx.businessId, idempotencyKey });
    if (prior) {
      if (prior.requestHash !== requestHash) throw conflict('idempotency_key_reused', 'This Idempotency-Key was used with a different request');
      return { refund: prior, replayed: true };
    }
    try {
      const refund = await this.db.transaction(async (tx) => {
        const existing = await this.get(ctx, checkoutId, tx);
        const card = existing.cardId ? await this.ledger.lockCard(tx, ctx.businessId, existing.cardId) : null;
        const co = await this.lockCheckout(tx, ctx, checkoutId);
        if (co.status !== 'committed') throw conflict('not_refundable', co.status === 'held' ? 'A held sale is canceled, not refunded' : 'A canceled sale cannot be refunded');
        const stored = co.decision as StoredDecision;
        const plan = planRefund(
          { ...stored, pointsAccrued: co.pointsAccrued, stampsAdded: co.stampsAdded },
          {
            amountMinor: co.refundedMinor,
            payableReturnedMinor: co.refundedPayableMinor,
            pointsReturned: co.refundedPointsReturned,
            pointsReversed: co.refundedPointsReversed,
            giftReturnedMinor: co.refundedGiftMinor,
            stampsReversed: co.refundedStamps,
          },
          body.full ? { full: true } : { amountMinor: body.amountMinor! },
        );
        if (!plan.ok) throw new Problem(422, plan.code, plan.message, undefined, plan.details);
        const p = plan.plan;
        const repo = tx.getRepository(CheckoutRefund);
        const r = repo.create({
          businessId: ctx.businessId,
          checkoutId,
          idempotencyKey,
          requestHash,
          amountMinor: p.amountMinor,
          payableReturnedMinor: p.payableReturnedMinor,
          pointsReturned: p.pointsReturned,
          pointsReversed: 0,
          pointsShortfall: 0,
          giftReturnedMinor: p.giftReturnedMinor,
          stampsReversed: 0,
          stampsShortfall: 0,
          full: p.final,
          voidedAt: null,
          voidIdempotencyKey: null,
          actorType: ctx.actor.type,
          actorId: ctx.actor.id,
        });
        await insertRows(repo, r);
        const cctx: Ctx = { ...ctx, tx };
        const now = new Date();
        const refs = { checkoutId, refundId: r.id, reason: body.reason ?? null };
        if (card) {
          const entries = await tx.getRepository(LedgerEntry).findBy({ businessId: ctx.businessId, checkoutId, cardId: card.id });
          const redeem = entries.find((e) => e.kind === 'redeem' && e.unit === 'points');
          const accrue = entries.find((e) => e.kind === 'accrue' && e.unit === 'points');
          const spend = entries.find((e) => e.kind === 'spend' && e.unit === 'minor');
          if (redeem && p.pointsReturned > 0) {
            await this.ledger.restoreDebit(tx, cctx, card, redeem, p.pointsReturned, 'refund', refs);
            await this.ledger.balanceEvent(tx, card, 'points', p.pointsReturned, 'refund_returned', checkoutId);
          }
          if (accrue && p.pointsReversed > 0) {
            const { taken } = await this.ledger.reverseCredit(tx, cctx, card, accrue, p.pointsReversed, now, refs);
            r.pointsReversed = taken;
            r.pointsShortfall = p.pointsReversed - taken;
            if (taken) await this.ledger.balanceEvent(tx, card, 'points', -taken, 'refund_reversed', checkoutId);
          }
          if (spend && p.giftReturnedMinor > 0) {
            await this.ledger.change(tx, cctx, card, 'minor', p.giftReturnedMinor, 'refund', { ...refs, linkedEntryId: spend.id });
            await this.ledger.balanceEvent(tx, card, 'minor', p.giftReturnedMinor, 'refund_returned', checkoutId);
          }
          if (p.stampsReversed > 0) {
            const take = Math.min(p.stampsReversed, card.stamps);
            if (take > 0) await this.ledger.change(tx, cctx, card, 'stamps', -take, 'refund', refs);
            r.stampsReversed = take;
            r.stampsShortfall = p.stampsReversed - take;
          }
          card.spendMinor = Math.max(0, card.spendMinor - p.amountMinor);
          await this.ledger.saveCard(tx, card);
          if (card.guestId) await this.guests.adjustSpend(tx, ctx, card.guestId, -p.amountMinor);
        }
        await repo.update({ id: r.id }, { pointsReversed: r.pointsReversed, pointsShortfall: r.pointsShortfall, stampsReversed: r.stampsReversed, stampsShortfall: r.stampsShortfall });
        await tx.getRepository(Checkout).update(
          { id: checkoutId },
          {
            refundedMinor: co.refundedMinor + p.amountMinor,
            refundedPayableMinor: co.refundedPayableMinor + p.payableReturnedMinor,
            refundedPointsReturned: co.refundedPointsReturned + p.pointsReturned,
            // The plan's figure is recorded so later plans stay exact; a shortfall is on the refund row.
            refundedPointsReversed: co.refundedPointsReversed + p.pointsReversed,
            refundedGiftMinor: co.refundedGiftMinor + p.giftReturnedMinor,
            refundedStamps: co.refundedStamps + p.stampsReversed,
          },
        );
        await emit(
          tx,
          ctx.businessId,
          'checkout.refunded',
          {
            checkoutId,
            refundId: r.id,
            cardId: co.cardId,
            locationId: co.locationId,
            programId: co.programId ?? null,
            amountMinor: p.amountMinor,
            pointsReturned: p.pointsReturned,
            pointsReversed: r.pointsReversed,
            full: p.final,
          },
          checkoutId,
        );
        return r;
      });
      this.onCommitted();
      return { refund, replayed: false };
    } catch (e) {
      if (isUniqueViolation(e)) {
        const again = await this.db.manager.getRepository(CheckoutRefund).findOneBy({ businessId: ctx.businessId, idempotencyKey });
        if (again && again.requestHash === requestHash) return { refund: again, replayed: true };
        if (again) throw conflict('idempotency_key_reused', 'This Idempotency-Key was used with a different request');
      }
      throw e;
    }
  }

  /**
   * Voids a refund (r_keeper chmode 4, "return rollback"): every effect of the refund is reversed
   * exactly — the points it gave back are taken again, the accrued points it took back are credited
   * again into the lots they came from, certificate money and stamps likewise, the sale's refunded
   * sums lose the refund's figures, and each ledger entry is linked to the refund's entry it undoes.
   * When that cannot be exact (the guest has spent the points or money the refund gave back) the
   * void is refused (`refund_void_insufficient_points` / `_gift`, 422) and nothing moves.
   *
   * Once per Idempotency-Key: the same key for the same refund replays; a refund already voided
   * under another key is 409 `refund_already_voided`.
   */
  async voidRefund(ctx: Ctx, checkoutId: string, refundId: string, idempotencyKey: string): Promise<{ refund: CheckoutRefund; replayed: boolean }> {
    const byKey = async () => {
      const prior = await this.db.manager.getRepository(CheckoutRefund).findOneBy({ businessId: ctx.businessId, voidIdempotencyKey: idempotencyKey });
      if (!prior) return null;
      if (prior.id !== refundId || prior.checkoutId !== checkoutId) throw conflict('idempotency_key_reused', 'This Idempotency-Key was used to void another refund', { refundId: prior.id });
      return { refund: prior, replayed: true };
    };
    const prior = await byKey();
    if (prior) return prior;
    try {
      const done = await this.db.transaction(async (tx) => {
        const existing = await this.get(ctx, checkoutId, tx);
        const card = existing.cardId ? await this.ledger.lockCard(tx, ctx.businessId, existing.cardId) : null;
        const co = await this.lockCheckout(tx, ctx, checkoutId);
        const r = await this.lockRefund(tx, ctx, checkoutId, refundId);
        if (r.voidedAt) {
          if (r.voidIdempotencyKey === idempotencyKey) return { refund: r, replayed: true };
          throw conflict('refund_already_voided', 'This refund has already been voided', { refundId, voidedAt: r.voidedAt.toISOString() });
        }
        const cctx: Ctx = { ...ctx, tx };
        const now = new Date();
        const refs = { checkoutId, refundId, reason: 'refund_voided' };
        const entries = card ? await tx.getRepository(LedgerEntry).findBy({ businessId: ctx.businessId, refundId, cardId: card.id }) : [];
        const entry = (unit: LedgerEntry['unit'], sign: 1 | -1) => entries.find((e) => e.unit === unit && e.kind === 'refund' && Math.sign(e.amount) === sign) ?? null;
        // Accrued points the refund took back go back into the lots they were taken from first, so a
        // void never needs points the refund itself removed.
        const reversed = entry('points', -1);
        if (card && reversed && r.pointsReversed > 0) await this.ledger.restoreDebit(tx, cctx, card, reversed, r.pointsReversed, 'void', refs);
        const plan = planRefundVoid(
          r,
          {
            amountMinor: co.refundedMinor,
            payableReturnedMinor: co.refundedPayableMinor,
            pointsReturned: co.refundedPointsReturned,
            pointsReversed: co.refundedPointsReversed,
            giftReturnedMinor: co.refundedGiftMinor,
            stampsReversed: co.refundedStamps,
          },
          card ? { pointsUsable: this.ledger.usable(await this.ledger.openLots(tx, card), now), giftBalanceMinor: card.giftBalanceMinor } : null,
        );
        if (!plan.ok) throw new Problem(422, plan.code, plan.message, undefined, plan.details);
        const v = plan.plan;
        if (card) {
          if (v.pointsRestored > 0) await this.ledger.balanceEvent(tx, card, 'points', v.pointsRestored, 'refund_voided', checkoutId);
          if (v.pointsTaken > 0) {
            await this.ledger.debitPoints(tx, cctx, card, v.pointsTaken, 'void', now, { ...refs, linkedEntryId: entry('points', 1)?.id ?? null });
            await this.ledger.balanceEvent(tx, card, 'points', -v.pointsTaken, 'refund_voided', checkoutId);
          }
          if (v.giftTakenMinor > 0) {
            await this.ledger.change(tx, cctx, card, 'minor', -v.giftTakenMinor, 'void', { ...refs, linkedEntryId: entry('minor', 1)?.id ?? null });
            await this.ledger.balanceEvent(tx, card, 'minor', -v.giftTakenMinor, 'refund_voided', checkoutId);
          }
          if (v.stampsRestored > 0) {
            await this.ledger.change(tx, cctx, card, 'stamps', v.stampsRestored, 'void', { ...refs, linkedEntryId: entry('stamps', -1)?.id ?? null });
            await this.ledger.balanceEvent(tx, card, 'stamps', v.stampsRestored, 'refund_voided', checkoutId);
          }
          // The sale counts as spent again.
          card.spendMinor += r.amountMinor;
          await this.ledger.saveCard(tx, card);
          if (card.guestId) await this.guests.adjustSpend(tx, ctx, card.guestId, r.amountMinor);
        }
        const after = v.refundedAfter;
        await tx.getRepository(Checkout).update(
          { id: checkoutId },
          {
            refundedMinor: after.amountMinor,
            refundedPayableMinor: after.payableReturnedMinor,
            refundedPointsReturned: after.pointsReturned,
            refundedPointsReversed: after.pointsReversed,
            refundedGiftMinor: after.giftReturnedMinor,
            refundedStamps: after.stampsReversed,
          },
        );
        r.voidedAt = now;
        r.voidIdempotencyKey = idempotencyKey;
        await tx.getRepository(CheckoutRefund).update({ id: r.id }, { voidedAt: now, voidIdempotencyKey: idempotencyKey });
        await emit(
          tx,
          ctx.businessId,
          'checkout.refund_voided',
          {
            checkoutId,
            refundId,
            cardId: co.cardId,
            locationId: co.locationId,
            programId: co.programId,
            amountMinor: r.amountMinor,
            pointsTaken: v.pointsTaken,
            pointsRestored: v.pointsRestored,
            giftTakenMinor: v.giftTakenMinor,
            stampsRestored: v.stampsRestored,
          },
          checkoutId,
        );
        return { refund: r, replayed: false };
      });
      if (!done.replayed) this.onCommitted();
      return done;
    } catch (e) {
      if (isUniqueViolation(e)) {
        const again = await byKey();
        if (again) return again;
      }
      throw e;
    }
  }

  async listForCard(ctx: Ctx, cardId: string, limit = 50): Promise<Checkout[]> {
    return this.db.manager.getRepository(Checkout).find({ where: { businessId: ctx.businessId, cardId }, order: { id: 'DESC' }, take: limit });
  }

  async list(
    ctx: Ctx,
    q: { limit: number; cursor?: string; cardId?: string; guestId?: string; status?: string; from?: Date; to?: Date },
  ): Promise<{ items: Checkout[]; nextCursor: string | null }> {
    const qb = this.db.manager.getRepository(Checkout).createQueryBuilder('c').where('c.businessId = :b', { b: ctx.businessId }).orderBy('c.id', 'DESC').limit(q.limit + 1);
    if (q.cursor) qb.andWhere('c.id < :cur', { cur: q.cursor });
    if (q.cardId) qb.andWhere('c.cardId = :card', { card: q.cardId });
    if (q.guestId) qb.andWhere('c.guestId = :g', { g: q.guestId });
    if (q.status) qb.andWhere('c.status = :s', { s: q.status });
    if (q.from) qb.andWhere('c.createdAt >= :from', { from: q.from });
    if (q.to) qb.andWhere('c.createdAt < :to', { to: q.to });
    const rows = await qb.getMany();
    const items = rows.slice(0, q.limit);
    return { items, nextCursor: rows.length > q.limit ? items[items.length - 1]!.id : null };
  }

  /** Card numbers, program and guest names for a page of sales, in three queries. */
  async names(ctx: Ctx, rows: Checkout[]): Promise<(c: Checkout) => { cardNumber: string | null; programName: string | null; guestName: string | null; guestPhone: string | null }> {
    const ids = (f: (c: Checkout) => string | null) => [...new Set(rows.map(f).filter((x): x is string => !!x))];
    const [cards, programs, guests] = await Promise.all([
      ids((c) => c.cardId).length ? this.db.manager.getRepository(Card).find({ select: { id: true, number: true }, where: { businessId: ctx.businessId, id: In(ids((c) => c.cardId)) } }) : [],
      ids((c) => c.programId).length ? this.db.manager.getRepository(Program).find({ select: { id: true, name: true }, where: { businessId: ctx.businessId, id: In(ids((c) => c.programId)) } }) : [],
      ids((c) => c.guestId).length ? this.db.manager.getRepository(Guest).find({ select: { id: true, name: true, phone: true }, where: { businessId: ctx.businessId, id: In(ids((c) => c.guestId)) } }) : [],
    ]);
    const card = new Map(cards.map((x) => [x.id, x.number]));
    const program = new Map(programs.map((x) => [x.id, x.name]));
    const guest = new Map(guests.map((x) => [x.id, x]));
    return (c) => ({
      cardNumber: (c.cardId && card.get(c.cardId)) || null,
      programName: (c.programId && program.get(c.programId)) || null,
      guestName: (c.guestId && guest.get(c.guestId)?.name) || null,
      guestPhone: (c.guestId && guest.get(c.guestId)?.phone) || null,
    });
  }

  /** Whether a commit with this key already exists (a replay never counts against limits). */
  async isReplay(ctx: Ctx, idempotencyKey: string): Promise<boolean> {
    return (await this.db.manager.getRepository(Checkout).countBy({ businessId: ctx.businessId, idempotencyKey })) > 0;
  }

  async countByActorSince(ctx: Ctx, actorId: string, since: Date): Promise<number> {
    return this.db.manager
      .getRepository(Checkout)
      .createQueryBuilder('c')
      .where('c.businessId = :b AND c.actorId = :a AND c.createdAt >= :since', { b: ctx.businessId, a: actorId, since })
      .getCount();
  }

  async recentByLocation(ctx: Ctx, locationId: string | null, limit: number): Promise<Checkout[]> {
    return this.db.manager.getRepository(Checkout).find({ where: { businessId: ctx.businessId, ...(locationId ? { locationId } : {}) }, order: { id: 'DESC' }, take: limit });
  }

  async refundsOf(ctx: Ctx, checkoutId: string): Promise<CheckoutRefund[]> {
    return this.db.manager.getRepository(CheckoutRefund).find({ where: { businessId: ctx.businessId, checkoutId }, order: { id: 'ASC' } });
  }
}
