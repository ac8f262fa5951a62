import { insertRows } from '../../db/columns';
import { randomBytes } from 'node:crypto';
import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import { z } from 'zod';
import { Db, isUniqueViolation } from '../../db/db';
import { emit } from '../../bus/outbox';
import type { Ctx } from '../../shared/context';
import { badRequest, conflict, notFound, Problem } from '../../shared/errors';
import { inTx } from '../../shared/tx';
import { AuditService, type GuestPii } from '../audit/audit.service';
import { normalizePhone } from '../cards/cards.rules';
import { Card } from '../cards/cards.entity';
import { BlacklistEntry, Guest } from './guests.entity';
import { RegisterGuestInput, updateGuestBody } from './guests.schemas';
import { birthdayMonthDay, compileSegment, segmentOf, segmentProblems, utmColumns, type CompileOptions, type SegmentFilter, type SegmentSources } from './guests.segments';

/** A search of the guest list: text, status and a segment filter. */
export type GuestSearch = SegmentFilter & { q?: string; status?: string };

export const guestOut = (g: Guest) => ({
  id: g.id,
  phone: g.phone,
  name: g.name,
  birthday: g.birthday,
  email: g.email,
  gender: g.gender,
  marketingConsent: g.marketingConsent,
  source: g.source,
  utm: g.utm,
  attributes: g.attributes,
  referralCode: g.referralCode,
  referrerGuestId: g.referrerGuestId,
  status: g.status,
  visits: g.visits,
  spendMinor: g.spendMinor,
  firstPurchaseAt: g.firstPurchaseAt,
  lastPurchaseAt: g.lastPurchaseAt,
  createdAt: g.createdAt,
});

const REFERRAL_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
/** An 8-character referral code from an alphabet without look-alike characters. */
export const newReferralCode = () => Array.from(randomBytes(8), (b) => REFERRAL_ALPHABET[b % REFERRAL_ALPHABET.length]).join('');

/** What a connector's `guest.upsert` may set (the phone finds the guest). */
export interface GuestUpsertInput {
  phone: string;
  name?: string | null;
  birthday?: string | null;
  email?: string | null;
  gender?: 'male' | 'female' | null;
  marketingConsent?: boolean;
  attributes?: Record<string, string | number | boolean | null>;
  source?: string;
}

/** Removes an erased guest's personal data from tables another module owns, in the erase transaction. */
export type GuestEraser = (ctx: Ctx, tx: EntityManager, guest: GuestPii) => Promise<unknown>;

/** Issues a card inside the registration transaction (provided by the cards module). */
export type CardIssuer = (ctx: Ctx, tx: EntityManager, programId: string, guestId: string) => Promise<Card>;

/** Guests: profiles, phone uniqueness, blacklist, referral links and erasure. */
export class GuestsService {
  issueCard?: CardIssuer;
  /** Other modules' parts of an erasure (SMS codes, outbox), run inside the erase transaction. */
  readonly erasers: GuestEraser[] = [];
  /** What segment filters read from the cards and wallet modules and the business (wired by the hub). */
  segments?: { sources: SegmentSources; timeZone(ctx: Ctx): Promise<string>; rfm?(ctx: Ctx): Promise<CompileOptions['rfm']> };

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
  ) {}

  /** E.164 or a 400 naming the field. */
  phone(input: string, field = 'phone'): string {
    const p = normalizePhone(input);
    if (!p) throw badRequest('invalid_phone', 'The phone number is not valid', [{ field, message: 'Not a valid phone number' }]);
    return p;
  }

  async isBlacklisted(tx: EntityManager, businessId: string, phone: string): Promise<boolean> {
    return (await tx.getRepository(BlacklistEntry).countBy({ businessId, phone })) > 0;
  }

  /**
   * Registers a guest (console, POS, public form, import). Refuses blacklisted phones and
   * duplicates; links the referrer; issues a card when a program is given. Emits guest.registered.
   */
  async register(ctx: Ctx, input: RegisterGuestInput): Promise<{ guest: Guest; card: Card | null }> {
    const phone = this.phone(input.phone);
    try {
      return await inTx(this.db, ctx, async (tx) => {
        if (await this.isBlacklisted(tx, ctx.businessId, phone)) throw new Problem(403, 'phone_blacklisted', 'This phone number is blacklisted and cannot register');
        const existing = await tx.getRepository(Guest).findOneBy({ businessId: ctx.businessId, phone });
        if (existing) throw conflict('guest_exists', 'A guest with this phone is already registered', { guestId: existing.id });
        let referrer: Guest | null = null;
        if (input.referralCode) {
          referrer = await tx.getRepository(Guest).findOneBy({ businessId: ctx.businessId, referralCode: input.referralCode.toUpperCase() });
          if (!referrer || referrer.status !== 'active') throw badRequest('unknown_referral_code', 'The referral code is not valid', [{ field: 'referralCode', message: 'Unknown referral code' }]);
          if (referrer.phone === phone) throw badRequest('self_referral', 'A guest cannot refer themselves', [{ field: 'referralCode', message: 'Self-referral' }]);
        }
        const repo = tx.getRepository(Guest);
        const guest = repo.create({
          businessId: ctx.businessId,
          phone,
          name: input.name ?? null,
          birthday: input.birthday ?? null,
          birthdayMd: birthdayMonthDay(input.birthday),
          email: input.email?.toLowerCase() ?? null,
          gender: input.gender ?? null,
          marketingConsent: input.marketingConsent ?? false,
          consentAt: input.marketingConsent ? new Date() : null,
          source: input.source ?? (ctx.actor.type === 'terminal' ? 'pos' : ctx.actor.type === 'staff' ? 'console' : ctx.actor.type === 'connector' ? ctx.actor.id.slice(0, 40) : null),
          utm: (input.utm as Record<string, string> | undefined) ?? null,
          ...utmColumns(input.utm as Record<string, string> | undefined),
          attributes: input.attributes ?? null,
          referralCode: newReferralCode(),
          referrerGuestId: referrer?.id ?? null,
          referralRewarded: false,
          status: 'active',
          erasedAt: null,
          visits: 0,
          spendMinor: 0,
          firstPurchaseAt: null,
          lastPurchaseAt: null,
        });
        await insertRows(repo, guest);
        await emit(tx, ctx.businessId, 'guest.registered', { guestId: guest.id, phone, name: guest.name, source: guest.source, referrerGuestId: guest.referrerGuestId });
        if (ctx.actor.type === 'staff' || ctx.actor.type === 'connector') await this.audit.record(ctx, tx, { action: 'guest.created', targetType: 'guest', targetId: guest.id, after: guestOut(guest) });
        const card = input.programId && this.issueCard ? await this.issueCard(ctx, tx, input.programId, guest.id) : null;
        return { guest, card };
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict('guest_exists', 'A guest with this phone is already registered');
      throw e;
    }
  }

  async get(ctx: Ctx, id: string, tx?: EntityManager): Promise<Guest> {
    const g = await (tx ?? ctx.tx ?? this.db.manager).getRepository(Guest).findOneBy({ id, businessId: ctx.businessId });
    if (!g) throw notFound('Guest');
    return g;
  }

  async findByPhone(ctx: Ctx, phoneInput: string): Promise<Guest | null> {
    const phone = normalizePhone(phoneInput);
    if (!phone) return null;
    return this.db.manager.getRepository(Guest).findOneBy({ businessId: ctx.businessId, phone });
  }

  /**
   * Guests matching a search (`q`), a status and a segment filter, newest first. A contradictory
   * filter (an empty range, half a birthday window) is a 422 naming the field.
   */
  async list(ctx: Ctx, q: GuestSearch & { limit: number; cursor?: string }): Promise<{ items: Guest[]; nextCursor: string | null }> {
    const qb = (await this.search(ctx, q)).orderBy('g.id', 'DESC').limit(q.limit + 1);
    if (q.cursor) qb.andWhere('g.id < :cur', { cur: q.cursor });
    const rows = await qb.getMany();
    const items = rows.slice(0, q.limit);
    return { items, nextCursor: rows.length > q.limit ? items[items.length - 1]!.id : null };
  }

  /** How many guests `list` would page through. */
  async count(ctx: Ctx, q: GuestSearch): Promise<number> {
    const row = await (await this.search(ctx, q)).select('COUNT(*)', 'n').getRawOne<{ n: number | string }>();
    return Number(row?.n ?? 0);
  }

  /** The guests of the business matching search, status and segment, as a query builder (alias `g`). */
  async search(ctx: Ctx, q: GuestSearch): Promise<SelectQueryBuilder<Guest>> {
    const qb = this.db.manager.getRepository(Guest).createQueryBuilder('g').where('g.businessId = :b', { b: ctx.businessId });
    if (q.status) qb.andWhere('g.status = :s', { s: q.status });
    if (q.q) {
      const phone = normalizePhone(q.q);
      const like = `%${q.q.replace(/[%_\\]/g, (m) => '\\' + m)}%`;
      const byCard = this.db.manager
        .getRepository(Card)
        .createQueryBuilder('c')
        .select('c.guestId')
        .where('c.businessId = :b AND c.number = :num');
      qb.andWhere(`(g.phone = :phone OR g.name LIKE :like OR g.email LIKE :like OR g.id IN (${byCard.getQuery()}))`, { phone: phone ?? q.q, like, num: q.q.replace(/\D/g, '') });
    }
    const filter = segmentOf(q);
    const problems = segmentProblems(filter);
    if (problems.length) throw new Problem(422, 'invalid_filter', `The filter contradicts itself: ${problems.map((p) => p.field).join(', ')}`, problems);
    if (Object.keys(filter).length) {
      if (!this.segments) throw new Error('Guest segments are not wired (GuestsService.segments)');
      const timeZone = await this.segments.timeZone(ctx);
      const rfm = filter.rfm && this.segments.rfm ? await this.segments.rfm(ctx) : undefined;
      for (const c of compileSegment(filter, { alias: 'g', now: new Date(), timeZone, sources: this.segments.sources, rfm })) qb.andWhere(c.sql, c.params);
    }
    return qb;
  }

  async update(ctx: Ctx, id: string, patch: z.infer<typeof updateGuestBody>): Promise<Guest> {
    const phone = patch.phone !== undefined ? this.phone(patch.phone) : undefined;
    try {
      return await inTx(this.db, ctx, async (tx) => {
        const g = await this.get(ctx, id, tx);
        if (g.status === 'erased') throw conflict('guest_erased', 'This guest was erased and cannot be changed');
        if (phone && phone !== g.phone && (await this.isBlacklisted(tx, ctx.businessId, phone))) throw new Problem(403, 'phone_blacklisted', 'This phone number is blacklisted');
        const before = guestOut(g);
        const next: Partial<Guest> = {
          ...(phone !== undefined ? { phone } : {}),
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.birthday !== undefined ? { birthday: patch.birthday, birthdayMd: birthdayMonthDay(patch.birthday) } : {}),
          ...(patch.email !== undefined ? { email: patch.email?.toLowerCase() ?? null } : {}),
          ...(patch.gender !== undefined ? { gender: patch.gender } : {}),
          ...(patch.attributes !== undefined ? { attributes: { ...(g.attributes ?? {}), ...patch.attributes } } : {}),
          ...(patch.marketingConsent !== undefined ? { marketingConsent: patch.marketingConsent, consentAt: patch.marketingConsent ? new Date() : null } : {}),
        };
        Object.assign(g, next);
        await tx.getRepository(Guest).update({ id, businessId: ctx.businessId }, next);
        await this.audit.record(ctx, tx, { action: 'guest.updated', targetType: 'guest', targetId: id, before, after: guestOut(g) });
        const after = guestOut(g);
        const changed = (Object.keys(next) as (keyof Guest)[])
          .filter((k) => k in after && JSON.stringify(before[k as keyof typeof before]) !== JSON.stringify(after[k as keyof typeof after]))
          .map(String);
        if (changed.length) {
          await emit(tx, ctx.businessId, 'guest.updated', { guestId: g.id, changed, phone: g.phone, name: g.name, email: g.email, birthday: g.birthday, marketingConsent: g.marketingConsent });
        }
        return g;
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict('guest_exists', 'Another guest already has this phone');
      throw e;
    }
  }

  /**
   * Erasure (right to be forgotten): personal data is removed, the guest's cards are deleted,
   * the ledger and checkouts stay (they are the business's accounting).
   */
  async erase(ctx: Ctx, id: string): Promise<Guest> {
    return inTx(this.db, ctx, async (tx) => {
      const g = await this.get(ctx, id, tx);
      if (g.status === 'erased') return g;
      const cards = await tx.getRepository(Card).findBy({ businessId: ctx.businessId, guestId: id });
      const pii: GuestPii = { guestId: id, phone: g.phone, name: g.name, email: g.email };
      const anon: Partial<Guest> = { phone: null, name: null, birthday: null, birthdayMd: null, email: null, gender: null, utm: null, utmSource: null, utmCampaign: null, attributes: null, marketingConsent: false, consentAt: null, status: 'erased', erasedAt: new Date() };
      Object.assign(g, anon);
      await tx.getRepository(Guest).update({ id, businessId: ctx.businessId }, anon);
      for (const c of cards) {
        if (c.status !== 'deleted') {
          await tx.getRepository(Card).update({ id: c.id }, { status: 'deleted', deletedAt: new Date() });
          await emit(tx, ctx.businessId, 'card.status_changed', { cardId: c.id, from: c.status, to: 'deleted' });
        }
      }
      // The same transaction removes the guest from the history, the outbox and other modules' tables.
      await this.audit.redactGuest(ctx, tx, pii);
      for (const erase of this.erasers) await erase(ctx, tx, pii);
      await this.audit.record(ctx, tx, { action: 'guest.erased', targetType: 'guest', targetId: id, after: { cards: cards.length } });
      await emit(tx, ctx.businessId, 'guest.erased', { guestId: id });
      return g;
    });
  }

  // ---------- connectors (bus commands) ----------

  /**
   * Creates or updates the guest found by phone: one effect however often it is repeated (a
   * connector retrying after a lost reply). Fields left out are kept; `null` clears. A concurrent
   * creation of the same phone turns into an update.
   */
  async upsertByPhone(ctx: Ctx, input: GuestUpsertInput): Promise<{ guest: Guest; created: boolean }> {
    const phone = this.phone(input.phone);
    const patch = {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.birthday !== undefined ? { birthday: input.birthday } : {}),
      ...(input.email !== undefined ? { email: input.email } : {}),
      ...(input.gender !== undefined ? { gender: input.gender } : {}),
      ...(input.marketingConsent !== undefined ? { marketingConsent: input.marketingConsent } : {}),
      ...(input.attributes !== undefined ? { attributes: input.attributes } : {}),
    };
    for (let attempt = 0; ; attempt++) {
      const existing = await (ctx.tx ?? this.db.manager).getRepository(Guest).findOneBy({ businessId: ctx.businessId, phone });
      if (existing) {
        if (existing.status !== 'active') throw conflict('guest_erased', 'This guest was erased and cannot be changed');
        const unchanged = Object.entries(patch).every(([k, v]) => JSON.stringify(k === 'attributes' ? { ...(existing.attributes ?? {}), ...(v as object) } : v) === JSON.stringify(existing[k as keyof Guest] ?? null));
        return { guest: unchanged ? existing : await this.update(ctx, existing.id, patch), created: false };
      }
      try {
        const { guest } = await this.register(ctx, { phone, ...patch, ...(input.source ? { source: input.source } : {}) } as RegisterGuestInput);
        return { guest, created: true };
      } catch (e) {
        // Another request created this phone a moment ago: update it instead.
        if (attempt === 0 && e instanceof Problem && e.code === 'guest_exists') continue;
        throw e;
      }
    }
  }

  /**
   * A page of guests, oldest first, for CRM backfills. The cursor is the last id of the previous
   * page (ids are time-ordered); `updatedSince` keeps guests changed since then.
   */
  async page(ctx: Ctx, q: { cursor?: string; limit: number; updatedSince?: Date }): Promise<{ items: Guest[]; nextCursor: string | null }> {
    const qb = this.db.manager.getRepository(Guest).createQueryBuilder('g').where('g.businessId = :b', { b: ctx.businessId }).orderBy('g.id', 'ASC').limit(q.limit + 1);
    if (q.cursor) qb.andWhere('g.id > :cur', { cur: q.cursor });
    if (q.updatedSince) qb.andWhere('g.updatedAt >= :since', { since: q.updatedSince });
    const rows = await qb.getMany();
    const items = rows.slice(0, q.limit);
    return { items, nextCursor: rows.length > q.limit ? items[items.length - 1]!.id : null };
  }

  // ---------- blacklist ----------

  async listBlacklist(ctx: Ctx): Promise<BlacklistEntry[]> {
    return this.db.manager.getRepository(BlacklistEntry).find({ where: { businessId: ctx.businessId }, order: { id: 'DESC' } });
  }

  /** Adds a phone to the blacklist and blocks the active cards of a guest with that phone. */
  async addToBlacklist(ctx: Ctx, phoneInput: string, reason?: string): Promise<BlacklistEntry> {
    const phone = this.phone(phoneInput);
    try {
      return await inTx(this.db, ctx, async (tx) => {
        const repo = tx.getRepository(BlacklistEntry);
        const entry = repo.create({ businessId: ctx.businessId, phone, reason: reason ?? null });
        await insertRows(repo, entry);
        const guest = await tx.getRepository(Guest).findOneBy({ businessId: ctx.businessId, phone });
        let blocked = 0;
        if (guest) {
          const cards = await tx.getRepository(Card).findBy({ businessId: ctx.businessId, guestId: guest.id, status: 'active' });
          for (const c of cards) {
            await tx.getRepository(Card).update({ id: c.id }, { status: 'blocked' });
            await emit(tx, ctx.businessId, 'card.status_changed', { cardId: c.id, from: 'active', to: 'blocked' });
            blocked++;
          }
        }
        await this.audit.record(ctx, tx, { action: 'blacklist.added', targetType: 'blacklist', targetId: entry.id, after: { phone, reason: entry.reason, cardsBlocked: blocked } });
        return entry;
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict('already_blacklisted', 'This phone is already blacklisted');
      throw e;
    }
  }

  async removeFromBlacklist(ctx: Ctx, id: string): Promise<void> {
    await inTx(this.db, ctx, async (tx) => {
      const e = await tx.getRepository(BlacklistEntry).findOneBy({ id, businessId: ctx.businessId });
      if (!e) throw notFound('Blacklist entry');
      await tx.getRepository(BlacklistEntry).delete({ id });
      await this.audit.record(ctx, tx, { action: 'blacklist.removed', targetType: 'blacklist', targetId: id, before: { phone: e.phone, reason: e.reason } });
    });
  }

  // ---------- purchase counters (the checkout calls these inside its transaction) ----------

  /** A final sale: one more visit, its spend added, first and last purchase times kept, in one statement. */
  async recordPurchase(tx: EntityManager, ctx: Ctx, guestId: string, sale: { spendMinor: number; at: Date }): Promise<void> {
    await tx
      .getRepository(Guest)
      .createQueryBuilder()
      .update()
      .set({ visits: () => 'visits + 1', spendMinor: () => 'spendMinor + :spend', lastPurchaseAt: sale.at, firstPurchaseAt: () => 'COALESCE(firstPurchaseAt, :now)' })
      .setParameters({ now: sale.at, spend: sale.spendMinor })
      .where('id = :id AND businessId = :b', { id: guestId, b: ctx.businessId })
      .execute();
  }

  /** Spend changed by a refund (negative) or a voided refund (positive); never below zero. */
  async adjustSpend(tx: EntityManager, ctx: Ctx, guestId: string, deltaMinor: number): Promise<void> {
    if (deltaMinor === 0) return;
    await tx
      .getRepository(Guest)
      .createQueryBuilder()
      .update()
      .set({ spendMinor: () => 'CASE WHEN spendMinor + :delta < 0 THEN 0 ELSE spendMinor + :delta END' })
      .setParameters({ delta: deltaMinor })
      .where('id = :id AND businessId = :b', { id: guestId, b: ctx.businessId })
      .execute();
  }

  /** Who invited the guest and whether their referral reward was already given (null: no such guest). */
  async referralOf(tx: EntityManager, ctx: Ctx, guestId: string): Promise<{ referrerGuestId: string | null; referralRewarded: boolean } | null> {
    const g = await tx.getRepository(Guest).findOne({ select: { id: true, referrerGuestId: true, referralRewarded: true }, where: { id: guestId, businessId: ctx.businessId } });
    return g ? { referrerGuestId: g.referrerGuestId, referralRewarded: g.referralRewarded } : null;
  }

  /** The referral reward of this guest's first purchase has been given (once). */
  async markReferralRewarded(tx: EntityManager, ctx: Ctx, guestId: string): Promise<void> {
    await tx.getRepository(Guest).update({ id: guestId, businessId: ctx.businessId }, { referralRewarded: true });
  }
}
