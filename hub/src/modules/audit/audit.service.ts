import { insertRows } from '../../db/columns';
import { Brackets, type EntityManager } from 'typeorm';
import type { Ctx } from '../../shared/context';
import { Db } from '../../db/db';
import { AuditEntry } from './audit.entity';
import { ERASED, likeAnywhere, maskPhone, redactValue, type GuestPii } from '../../shared/privacy';

export type { GuestPii } from '../../shared/privacy';

export interface AuditRecord {
  action: string;
  targetType: string;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
}

export interface AuditQuery {
  limit: number;
  cursor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  actorId?: string;
}

/** Values that must never reach the history (hashes, secrets) are cut out. */
const SECRET_KEYS = /password|secret|token|hash|key$/i;
function scrub(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(scrub);
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, SECRET_KEYS.test(k) ? '[redacted]' : scrub(x)]));
  }
  return v;
}

export class AuditService {
  constructor(private readonly db: Db) {}

  /** Records an entry in the transaction `tx` — the same one that makes the change. */
  async record(ctx: Ctx, tx: EntityManager, r: AuditRecord): Promise<void> {
    const repo = tx.getRepository(AuditEntry);
    await insertRows(
      repo,
      repo.create({
        businessId: ctx.businessId,
        actorType: ctx.actor.type,
        actorId: ctx.actor.id,
        actorLabel: ctx.actor.label ?? null,
        action: r.action,
        targetType: r.targetType,
        targetId: r.targetId ?? null,
        before: r.before === undefined ? null : scrub(r.before),
        after: r.after === undefined ? null : scrub(r.after),
        ip: ctx.actor.ip ?? null,
      }),
    );
  }

  /** Records outside any business transaction (refusals: the refused change itself is not written). */
  async recordAlone(ctx: Ctx, r: AuditRecord): Promise<void> {
    await this.db.transaction((tx) => this.record(ctx, tx, r));
  }

  /**
   * Erasure: the history keeps what was done to the guest, not who they were. In the erased guest's
   * entries (the guest as target, or any entry holding their id, phone or e-mail) the phone, name
   * and e-mail become "[erased]", and so does an anonymous guest label holding the masked phone.
   * Runs in the erase transaction `tx`. Returns how many entries changed.
   */
  async redactGuest(ctx: Ctx, tx: EntityManager, g: GuestPii): Promise<number> {
    const qb = tx
      .getRepository(AuditEntry)
      .createQueryBuilder('a')
      .where('a.businessId = :b', { b: ctx.businessId })
      .andWhere(
        new Brackets((w) => {
          w.where('a.targetId = :gid', { gid: g.guestId });
          const needles = [g.guestId, g.phone, g.email].filter((x): x is string => !!x);
          needles.forEach((n, i) => {
            w.orWhere(`a.before LIKE :n${i} ESCAPE '!'`, { [`n${i}`]: likeAnywhere(n) });
            w.orWhere(`a.after LIKE :n${i} ESCAPE '!'`);
          });
          if (g.phone) w.orWhere('a.actorLabel = :masked', { masked: maskPhone(g.phone) });
        }),
      );
    const rows = await qb.getMany();
    let changed = 0;
    for (const r of rows) {
      const about = r.targetId === g.guestId;
      const masked = g.phone ? [maskPhone(g.phone)] : [];
      const before = r.before === null ? null : redactValue(r.before, g, about, ERASED, masked);
      const after = r.after === null ? null : redactValue(r.after, g, about, ERASED, masked);
      const label = g.phone && r.actorLabel === maskPhone(g.phone) ? ERASED : r.actorLabel;
      if (JSON.stringify([before, after, label]) === JSON.stringify([r.before, r.after, r.actorLabel])) continue;
      await tx.getRepository(AuditEntry).update({ id: r.id }, { before: before as object, after: after as object, actorLabel: label });
      changed++;
    }
    return changed;
  }

  async list(ctx: Ctx, q: AuditQuery): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    const qb = this.db.manager
      .getRepository(AuditEntry)
      .createQueryBuilder('a')
      .where('a.businessId = :b', { b: ctx.businessId })
      .orderBy('a.id', 'DESC')
      .limit(q.limit + 1);
    if (q.cursor) qb.andWhere('a.id < :c', { c: q.cursor });
    if (q.action) qb.andWhere('a.action = :action', { action: q.action });
    if (q.targetType) qb.andWhere('a.targetType = :tt', { tt: q.targetType });
    if (q.targetId) qb.andWhere('a.targetId = :tid', { tid: q.targetId });
    if (q.actorId) qb.andWhere('a.actorId = :aid', { aid: q.actorId });
    const rows = await qb.getMany();
    const items = rows.slice(0, q.limit);
    return { items, nextCursor: rows.length > q.limit ? items[items.length - 1]!.id : null };
  }
}
