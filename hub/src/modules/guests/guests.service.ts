import { insertRows, sqlTime } from '../../db/columns';
import { randomBytes } from 'node:crypto';
import { In, Not, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { z } from 'zod';
import { Db, isUniqueViolation } from '../../db/db';
import { emit } from '../../bus/outbox';
import type { Ctx } from '../../shared/context';
import { badRequest, conflict, notFound, Problem } from '../../shared/errors';
import { inTx } from '../../shared/tx';
import { AuditService, type GuestPii } from '../audit/audit.service';
import { normalizePhone } from '../../shared/phone';
import { Card } from '../cards/cards.entity';
import { BlacklistEntry, Guest } from './guests.entity';
import { RegisterGuestInput, updateGuestBody, type GuestSort } from './guests.schemas';
import { birthdayMonthDay, compileSegment, segmentOf, segmentProblems, utmColumns, type CompileOptions, type SegmentFilter, type SegmentSources } from './guests.segments';

/** A search of the guest list: text, status and a segment filter. */
export type GuestSearch = SegmentFilter & { q?: string; status?: string };
export type GuestListInput = GuestSearch & { limit: number; cursor?: string; sort?: GuestSort; order?: 'asc' | 'desc' };

/** The card a row of the guest list shows. */
export interface ShownCard {
  id: string;
  number: string;
  programId: string;
  pointsBalance: number;
  levelCode: string | null;
}
export interface ListedGuest {
  guest: Guest;
  card: ShownCard | null;
}
const shownCard = (c: Card): ShownCard => ({ id: c.id, number: c.number, programId: c.programId, pointsBalance: c.pointsBalance, levelCode: c.levelCode });

/** A raw row of the export: the guest's columns and their first card's number, balance and level. */
export type ExportRow = Record<string, unknown>;
export const EXPORT_GUEST_COLUMNS = [
  'id',
  'phone',
  'name',
  'email',
  'gender',
  'birthday',
  'source',
  'utmSource',
  'utmCampaign',
  'visits',
  'spendMinor',
  'firstPurchaseAt',
  'lastPurchaseAt',
  'marketingConsent',
  'status',
  'createdAt',
] as const;

const SORT_COLUMNS = { lastVisit: 'g.lastPurchaseAt', spend: 'g.spendMinor', visits: 'g.visits' } as const;

type CursorValue = string | number | null;
/** Where a page ends: the last row's sort value and id (`p: 2`: among the guests without a card). */
interface ListCursor {
  v: CursorValue;
  id: string;
  p?: 2;
}
const encodeCursor = (c: ListCursor) => Buffer.from(JSON.stringify(c.p ? [c.v, c.id, c.p] : [c.v, c.id])).toString('base64url');
function decodeCursor(raw: string, sort: GuestSort): ListCursor {
  const bad = () => badRequest('invalid_cursor', 'The cursor does not belong to this list', [{ field: 'cursor', message: 'Not a cursor of this list and sort' }]);
  if (sort === 'created') {
    if (!/^[0-9a-f-]{36}$/i.test(raw)) throw bad();
    return { v: null, id: raw };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  const c = z
    .tuple([z.union([z.string().max(40), z.number().int(), z.null()]), z.string().regex(/^[0-9a-f-]{36}$/i)])
    .rest(z.literal(2))
    .safeParse(parsed);
  if (!c.success) throw bad();
  const [v, id, p] = c.data;
  if (sort === 'lastVisit' && typeof v === 'string' && Number.isNaN(Date.parse(v))) throw bad();
  if (sort !== 'lastVisit' && typeof v === 'string') throw bad();
  return { v, id, ...(p === 2 ? { p } : {}) };
}

/**
 * Rows after (col, id) = (v, id) in `ORDER BY col, id` (both descending or both ascending). NULL
 * sorts below every value on SQLite and MariaDB alike, so it comes last descending, first ascending.
 */
function keysetAfter(col: string, idCol: string, v: unknown, id: string, desc: boolean, nullable: boolean): { sql: string; params: Record<string, unknown> } {
  const params = { kv: v, kid: id };
  const lt = desc ? '<' : '>';
  if (v === null) return { sql: desc ? `(${col} IS NULL AND ${idCol} < :kid)` : `(${col} IS NOT NULL OR ${idCol} > :kid)`, params };
  const sql = `(${col} ${lt} :kv OR (${col} = :kv AND ${idCol} ${lt} :kid)${nullable && desc ? ` OR ${col} IS NULL` : ''})`;
  return { sql, params };
}

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

  /** Names and phones of several guests (for lists of other modules: cards, sales). */
  async contacts(ctx: Ctx, ids: string[]): Promise<{ id: string; name: string | null; phone: string | null; status: string }[]> {
    if (!ids.length) return [];
    return this.db.manager.getRepository(Guest).find({ select: { id: true, name: true, phone: true, status: true }, where: { businessId: ctx.businessId, id: In(ids) } });
  }

  async findByPhone(ctx: Ctx, phoneInput: string): Promise<Guest | null> {
    const phone = normalizePhone(phoneInput);
    if (!phone) return null;
    return this.db.manager.getRepository(Guest).findOneBy({ businessId: ctx.businessId, phone });
  }

  /**
   * Guests matching a search (`q`), a status and a segment filter, newest first or sorted by a
   * column (`sort`, `order`), each row with the card it shows. Keyset pages: the cursor carries the
   * last row's sort value and id, so a page never repeats or skips a row however deep it is. A
   * contradictory filter (an empty range, half a birthday window) is a 422 naming the field.
   */
  async list(ctx: Ctx, q: GuestListInput): Promise<{ items: ListedGuest[]; nextCursor: string | null }> {
    const sort = q.sort ?? 'created';
    const desc = (q.order ?? 'desc') === 'desc';
    const dir = desc ? 'DESC' : 'ASC';
    const cur = q.cursor ? decodeCursor(q.cursor, sort) : null;
    if (sort === 'balance') return this.listByBalance(ctx, q, desc, cur);
    const qb = await this.search(ctx, q);
    if (sort === 'created') {
      qb.orderBy('g.id', dir);
      if (cur) qb.andWhere(desc ? 'g.id < :kid' : 'g.id > :kid', { kid: cur.id });
    } else {
      const col = SORT_COLUMNS[sort];
      qb.orderBy(col, dir).addOrderBy('g.id', dir);
      if (cur) {
        const v = cur.v === null || sort !== 'lastVisit' ? cur.v : new Date(cur.v as string);
        const k = keysetAfter(col, 'g.id', v, cur.id, desc, sort === 'lastVisit');
        qb.andWhere(k.sql, k.params);
      }
    }
    const rows = await qb.limit(q.limit + 1).getMany();
    const page = rows.slice(0, q.limit);
    const cards = await this.cardsShown(ctx, page.map((g) => g.id), q.programId);
    const last = page[page.length - 1];
    const value = (g: Guest): CursorValue => (sort === 'lastVisit' ? (g.lastPurchaseAt?.toISOString() ?? null) : sort === 'spend' ? g.spendMinor : g.visits);
    return {
      items: page.map((g) => ({ guest: g, card: cards.get(g.id) ?? null })),
      nextCursor: rows.length > q.limit && last ? (sort === 'created' ? last.id : encodeCursor({ v: value(last), id: last.id })) : null,
    };
  }

  /**
   * Sorted by the points on the card: the live cards of the matching guests (in the filtered
   * programs) by balance, then the matching guests without such a card, newest first.
   */
  private async listByBalance(ctx: Ctx, q: GuestListInput, desc: boolean, cur: ListCursor | null): Promise<{ items: ListedGuest[]; nextCursor: string | null }> {
    const dir = desc ? 'DESC' : 'ASC';
    const liveCard = (alias: string) =>
      `${alias}.guestId = g.id AND ${alias}.businessId = g.businessId AND ${alias}.status <> :cDeleted` + (q.programId ? ` AND ${alias}.programId IN (:...cPrograms)` : '');
    const cardParams = { cDeleted: 'deleted', ...(q.programId ? { cPrograms: q.programId } : {}) };
    const rows: { gid: string; cid: string | null; k: number | null }[] = [];
    if (!cur || cur.p !== 2) {
      const qb = (await this.search(ctx, q)).innerJoin(Card, 'c', liveCard('c'), cardParams).select('g.id', 'gid').addSelect('c.id', 'cid').addSelect('c.pointsBalance', 'k');
      qb.orderBy('c.pointsBalance', dir).addOrderBy('c.id', dir);
      if (cur) {
        const k = keysetAfter('c.pointsBalance', 'c.id', Number(cur.v), cur.id, desc, false);
        qb.andWhere(k.sql, k.params);
      }
      const found = await qb.limit(q.limit + 1).getRawMany<{ gid: string; cid: string; k: number | string }>();
      rows.push(...found.map((r) => ({ gid: r.gid, cid: r.cid, k: Number(r.k) })));
    }
    if (rows.length <= q.limit) {
      const qb = (await this.search(ctx, q)).andWhere(`NOT EXISTS (SELECT 1 FROM cards c WHERE ${liveCard('c')})`, cardParams).select('g.id', 'gid');
      qb.orderBy('g.id', 'DESC');
      if (cur?.p === 2) qb.andWhere('g.id < :kid', { kid: cur.id });
      const found = await qb.limit(q.limit + 1 - rows.length).getRawMany<{ gid: string }>();
      rows.push(...found.map((r) => ({ gid: r.gid, cid: null, k: null })));
    }
    const page = rows.slice(0, q.limit);
    const repo = this.db.manager.getRepository(Guest);
    const gids = [...new Set(page.map((r) => r.gid))];
    const cids = page.flatMap((r) => (r.cid ? [r.cid] : []));
    const [guests, cards] = await Promise.all([
      gids.length ? repo.findBy({ businessId: ctx.businessId, id: In(gids) }) : [],
      cids.length ? this.db.manager.getRepository(Card).findBy({ businessId: ctx.businessId, id: In(cids) }) : [],
    ]);
    const byId = new Map(guests.map((g) => [g.id, g]));
    const cardById = new Map(cards.map((c) => [c.id, c]));
    const last = page[page.length - 1];
    return {
      items: page.flatMap((r) => {
        const g = byId.get(r.gid);
        const c = r.cid ? cardById.get(r.cid) : undefined;
        return g ? [{ guest: g, card: c ? shownCard(c) : null }] : [];
      }),
      nextCursor: rows.length > q.limit && last ? encodeCursor(last.cid ? { v: last.k, id: last.cid } : { v: null, id: last.gid, p: 2 }) : null,
    };
  }

  /** The card each guest's row shows: the first issued live one (in the filtered programs). */
  private async cardsShown(ctx: Ctx, guestIds: string[], programIds?: string[]): Promise<Map<string, ShownCard>> {
    const out = new Map<string, ShownCard>();
    if (!guestIds.length) return out;
    const cards = await this.db.manager.getRepository(Card).find({
      where: { businessId: ctx.businessId, guestId: In(guestIds), status: Not('deleted'), ...(programIds ? { programId: In(programIds) } : {}) },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    for (const c of cards) if (c.guestId && !out.has(c.guestId)) out.set(c.guestId, shownCard(c));
    return out;
  }

  /**
   * Every guest matching the search and filter, newest first, as raw rows in batches (for the
   * streamed CSV export): no entities are built, one batch of guests and their cards is in memory
   * at a time, and the next batch is read only when the caller asks for it.
   */
  async *exportBatches(ctx: Ctx, q: GuestSearch, batch = 2000): AsyncGenerator<ExportRow[]> {
    let cursor: string | null = null;
    for (;;) {
      const qb = await this.search(ctx, q);
      qb.select('g.id', 'id');
      for (const c of EXPORT_GUEST_COLUMNS) if (c !== 'id') qb.addSelect(`g.${c}`, c);
      qb.orderBy('g.id', 'DESC').limit(batch);
      if (cursor) qb.andWhere('g.id < :xcur', { xcur: cursor });
      const guests = await qb.getRawMany<ExportRow>();
      if (!guests.length) return;
      const ids = guests.map((g) => g.id as string);
      // The cards of the batch's id range: one range of the (businessId, guestId) index, no sort in the
      // database (a list of 5 000 ids made MariaDB scan and sort the whole table instead).
      const cards = (await this.db.manager.query(
        `SELECT id, guestId, number, pointsBalance, levelCode, createdAt FROM cards WHERE businessId = ? AND guestId >= ? AND guestId <= ? AND status <> 'deleted'` +
          (q.programId ? ` AND programId IN (${q.programId.map(() => '?').join(',')})` : ''),
        [ctx.businessId, ids[ids.length - 1], ids[0], ...(q.programId ?? [])],
      )) as { id: string; guestId: string; number: string; pointsBalance: number | string; levelCode: string | null; createdAt: Date | string }[];
      const first = new Map<string, (typeof cards)[number]>();
      const key = (c: (typeof cards)[number]) => `${c.createdAt instanceof Date ? c.createdAt.toISOString() : c.createdAt}|${c.id}`;
      for (const c of cards) {
        const seen = first.get(c.guestId);
        if (!seen || key(c) < key(seen)) first.set(c.guestId, c);
      }
      for (const g of guests) {
        const c = first.get(g.id as string);
        g.cardNumber = c?.number ?? null;
        g.pointsBalance = c ? Number(c.pointsBalance) : null;
        g.levelCode = c?.levelCode ?? null;
      }
      yield guests;
      if (guests.length < batch) return;
      cursor = ids[ids.length - 1]!;
    }
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
    if (q.q && /^\d{4}$/.test(q.q)) {
      // The last four digits of a phone or a card number: generated, indexed columns (migration 0018).
      qb.andWhere('(g.phoneLast4 = :last4 OR g.id IN (SELECT c4.guestId FROM cards c4 WHERE c4.businessId = :b AND c4.numberLast4 = :last4))', { last4: q.q });
    } else if (q.q) {
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
    // Plain bound SQL (the checkout hot path): the same text every time, no query builder.
    const at = sqlTime(sale.at);
    await tx.query(
      `UPDATE guests SET visits = visits + 1, spendMinor = spendMinor + ?, lastPurchaseAt = ?, firstPurchaseAt = COALESCE(firstPurchaseAt, ?), updatedAt = ? WHERE id = ? AND businessId = ?`,
      [sale.spendMinor, at, at, sqlTime(Date.now()), guestId, ctx.businessId],
    );
  }

  /** The guest's contact as a sale's event carries it (CRMs match contacts by it). */
  async contactOf(tx: EntityManager, ctx: Ctx, guestId: string): Promise<{ guestId: string; phone: string | null; email: string | null; name: string | null } | null> {
    const rows = (await tx.query(`SELECT id, phone, email, name FROM guests WHERE id = ? AND businessId = ?`, [guestId, ctx.businessId])) as {
      id: string;
      phone: string | null;
      email: string | null;
      name: string | null;
    }[];
    const g = rows[0];
    return g ? { guestId: g.id, phone: g.phone, email: g.email, name: g.name } : null;
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
