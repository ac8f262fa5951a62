import type { EntityManager } from 'typeorm';
import { In, type Repository } from 'typeorm';
import { Db, isUniqueViolation } from '../../db/db';
import type { Ctx } from '../../shared/context';
import { badRequest, conflict, notFound } from '../../shared/errors';
import { inTx } from '../../shared/tx';
import { AuditService } from '../audit/audit.service';
import { generateCouponCodes } from '../../shared/codes';
import { Coupon, Program } from './programs.entity';
import { CreateProgramBody, programRulesSchema } from './programs.schemas';
import type { UpdateProgramBody } from './programs.routes';

export const programOut = (p: Program) => ({
  id: p.id,
  name: p.name,
  kind: p.kind,
  rules: p.rules,
  levels: p.levels,
  levelPolicy: p.levelPolicy,
  welcomeBonusPoints: p.welcomeBonusPoints,
  referral: p.referral,
  active: p.active,
  cardPrefix: p.cardPrefix,
  createdAt: p.createdAt,
  updatedAt: p.updatedAt,
});

export const couponOut = (c: Coupon) => ({
  id: c.id,
  programId: c.programId,
  code: c.code,
  status: c.status,
  maxUses: c.maxUses,
  uses: c.uses,
  guestId: c.guestId,
  validFrom: c.validFrom,
  validTo: c.validTo,
  note: c.note,
  createdAt: c.createdAt,
});

/** Programs (card templates of the five kinds, levels, bonuses) and coupon codes. */
export class ProgramsService {
  private cache = new Map<string, { p: Program; at: number }>();

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
  ) {}

  async list(ctx: Ctx): Promise<Program[]> {
    return this.db.manager.getRepository(Program).find({ where: { businessId: ctx.businessId }, order: { id: 'ASC' } });
  }

  /** A program of this business; cached briefly for the checkout hot path (invalidated on change). */
  async get(ctx: Ctx, id: string, tx?: EntityManager): Promise<Program> {
    const hit = this.cache.get(id);
    if (hit && hit.p.businessId === ctx.businessId && Date.now() - hit.at < 5000) return hit.p;
    const p = await (tx ?? ctx.tx ?? this.db.manager).getRepository(Program).findOneBy({ id, businessId: ctx.businessId });
    if (!p) throw notFound('Program', 'program_not_found');
    this.cache.set(id, { p, at: Date.now() });
    if (this.cache.size > 5000) this.cache.clear();
    return p;
  }

  async create(ctx: Ctx, body: CreateProgramBody): Promise<Program> {
    return inTx(this.db, ctx, async (tx) => {
      const repo = tx.getRepository(Program);
      const count = await repo.countBy({ businessId: ctx.businessId });
      const { name, rules, levels, levelPolicy, welcomeBonusPoints, referral, active } = body;
      const p = repo.create({
        businessId: ctx.businessId,
        name,
        kind: rules.kind,
        rules,
        levels: levels ?? [],
        levelPolicy: levelPolicy ?? null,
        welcomeBonusPoints: welcomeBonusPoints ?? 0,
        referral: referral ?? null,
        active: active ?? true,
        cardPrefix: String(101 + count),
      });
      await repo.insert(p);
      await this.audit.record(ctx, tx, { action: 'program.created', targetType: 'program', targetId: p.id, after: programOut(p) });
      return p;
    });
  }

  async update(ctx: Ctx, id: string, body: UpdateProgramBody): Promise<Program> {
    return inTx(this.db, ctx, async (tx) => {
      const p = await tx.getRepository(Program).findOneBy({ id, businessId: ctx.businessId });
      if (!p) throw notFound('Program', 'program_not_found');
      const before = programOut(p);
      if (body.rules && body.rules.kind !== p.kind) throw badRequest('kind_immutable', 'The kind of a program cannot change', [{ field: 'rules.kind', message: `Must stay ${p.kind}` }]);
      const next: Partial<Program> = {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.rules !== undefined ? { rules: programRulesSchema.parse(body.rules) } : {}),
        ...(body.levels !== undefined ? { levels: body.levels } : {}),
        ...(body.levelPolicy !== undefined ? { levelPolicy: body.levelPolicy } : {}),
        ...(body.welcomeBonusPoints !== undefined ? { welcomeBonusPoints: body.welcomeBonusPoints } : {}),
        ...(body.referral !== undefined ? { referral: body.referral } : {}),
        ...(body.active !== undefined ? { active: body.active } : {}),
      };
      Object.assign(p, next);
      await tx.getRepository(Program).update({ id }, next);
      this.cache.delete(id);
      await this.audit.record(ctx, tx, { action: 'program.updated', targetType: 'program', targetId: id, before, after: programOut(p) });
      return p;
    });
  }

  // ---------- coupons ----------

  /** Generates `count` unique codes for a coupon program (bulk issue), skipping codes already taken. */
  async generateCoupons(
    ctx: Ctx,
    programId: string,
    body: { count: number; prefix?: string; length?: number; maxUses?: number | null; guestId?: string | null; validFrom?: Date | null; validTo?: Date | null; note?: string },
  ): Promise<Coupon[]> {
    const p = await this.get(ctx, programId);
    if (p.kind !== 'coupon') throw badRequest('not_a_coupon_program', 'Codes can only be generated for a coupon program', [{ field: 'programId', message: 'Not a coupon program' }]);
    return inTx(this.db, ctx, async (tx) => {
      const repo = tx.getRepository(Coupon);
      const out: Coupon[] = [];
      let attempts = 0;
      while (out.length < body.count) {
        if (attempts++ > 20) throw conflict('code_space_exhausted', 'Could not generate enough unique codes; use a longer length');
        const codes = generateCouponCodes(body.count - out.length, { prefix: body.prefix?.toUpperCase(), length: body.length, exclude: new Set(out.map((c) => c.code)) });
        const taken = new Set((await repo.find({ select: { code: true }, where: { businessId: ctx.businessId, code: In(codes) } })).map((c) => c.code));
        const fresh = codes.filter((c) => !taken.has(c));
        const rows = fresh.map((code) => this.couponRow(repo, ctx, p, code, body));
        for (let i = 0; i < rows.length; i += 500) await repo.insert(rows.slice(i, i + 500));
        out.push(...rows);
      }
      await this.audit.record(ctx, tx, { action: 'coupons.generated', targetType: 'program', targetId: programId, after: { count: out.length, prefix: body.prefix ?? null } });
      return out;
    });
  }

  /** A new code of program `p`: single-use unless the program shares codes (then its maxUses). */
  private couponRow(
    repo: Repository<Coupon>,
    ctx: Ctx,
    p: Program,
    code: string,
    o: { maxUses?: number | null; guestId?: string | null; validFrom?: Date | null; validTo?: Date | null; note?: string },
  ): Coupon {
    return repo.create({
      businessId: ctx.businessId,
      programId: p.id,
      code,
      status: 'active',
      maxUses: o.maxUses === undefined ? (p.rules.usage === 'multi' ? (p.rules.maxUses ?? null) : 1) : o.maxUses,
      uses: 0,
      guestId: o.guestId ?? null,
      validFrom: o.validFrom ?? null,
      validTo: o.validTo ?? null,
      note: o.note ?? null,
    });
  }

  async createCoupon(ctx: Ctx, programId: string, body: { code: string; maxUses?: number | null; guestId?: string | null; validFrom?: Date | null; validTo?: Date | null; note?: string }, tx?: EntityManager): Promise<Coupon> {
    const p = await this.get(ctx, programId, tx);
    if (p.kind !== 'coupon') throw badRequest('not_a_coupon_program', 'Codes can only be added to a coupon program', [{ field: 'programId', message: 'Not a coupon program' }]);
    const run = async (t: EntityManager) => {
      const repo = t.getRepository(Coupon);
      const c = this.couponRow(repo, ctx, p, body.code.toUpperCase(), body);
      await repo.insert(c);
      return c;
    };
    try {
      return tx ? await run(tx) : await inTx(this.db, ctx, run);
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict('coupon_code_taken', 'This coupon code already exists');
      throw e;
    }
  }

  async listCoupons(ctx: Ctx, programId: string, q: { limit: number; cursor?: string }): Promise<{ items: Coupon[]; nextCursor: string | null }> {
    await this.get(ctx, programId);
    const qb = this.db.manager.getRepository(Coupon).createQueryBuilder('c').where('c.businessId = :b AND c.programId = :p', { b: ctx.businessId, p: programId }).orderBy('c.id', 'DESC').limit(q.limit + 1);
    if (q.cursor) qb.andWhere('c.id < :cur', { cur: q.cursor });
    const rows = await qb.getMany();
    const items = rows.slice(0, q.limit);
    return { items, nextCursor: rows.length > q.limit ? items[items.length - 1]!.id : null };
  }

  async setCouponStatus(ctx: Ctx, id: string, status: 'active' | 'disabled'): Promise<Coupon> {
    return inTx(this.db, ctx, async (tx) => {
      const c = await tx.getRepository(Coupon).findOneBy({ id, businessId: ctx.businessId });
      if (!c) throw notFound('Coupon');
      const before = couponOut(c);
      c.status = status;
      await tx.getRepository(Coupon).update({ id }, { status });
      await this.audit.record(ctx, tx, { action: `coupon.${status === 'active' ? 'enabled' : 'disabled'}`, targetType: 'coupon', targetId: id, before, after: couponOut(c) });
      return c;
    });
  }

  /** Locks and returns the coupon with this code (checkout commit). */
  async lockCoupon(tx: EntityManager, businessId: string, code: string): Promise<Coupon | null> {
    const qb = tx.getRepository(Coupon).createQueryBuilder('c').where('c.businessId = :b AND c.code = :code', { b: businessId, code: code.trim().toUpperCase() });
    if (this.db.kind === 'mysql') qb.setLock('pessimistic_write');
    return qb.getOne();
  }

  /** A coupon by its code, without a lock (quotes). */
  async findCoupon(ctx: Ctx, code: string, tx?: EntityManager): Promise<Coupon | null> {
    return (tx ?? ctx.tx ?? this.db.manager).getRepository(Coupon).findOneBy({ businessId: ctx.businessId, code: code.trim().toUpperCase() });
  }

  /** Records one use of a coupon the caller locked (`lockCoupon`); the last allowed use marks it used up. */
  async useCoupon(tx: EntityManager, coupon: Coupon): Promise<void> {
    const uses = coupon.uses + 1;
    const usedUp = coupon.maxUses !== null && uses >= coupon.maxUses;
    await tx.getRepository(Coupon).update({ id: coupon.id }, { uses, ...(usedUp ? { status: 'used_up' } : {}) });
    coupon.uses = uses;
    if (usedUp) coupon.status = 'used_up';
  }

  /** Gives one use back (a canceled hold): a used-up code becomes usable again; a disabled one stays disabled. */
  async releaseCoupon(tx: EntityManager, ctx: Ctx, couponId: string): Promise<void> {
    const coupon = await tx.getRepository(Coupon).findOneBy({ id: couponId, businessId: ctx.businessId });
    if (!coupon) return;
    await tx.getRepository(Coupon).update({ id: coupon.id }, { uses: Math.max(0, coupon.uses - 1), ...(coupon.status === 'used_up' ? { status: 'active' } : {}) });
  }
}
