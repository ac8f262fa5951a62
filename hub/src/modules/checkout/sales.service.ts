import type { SelectQueryBuilder } from 'typeorm';
import { z } from 'zod';
import type { Db } from '../../db/db';
import type { Ctx } from '../../shared/context';
import type { ProgramsService } from '../programs/programs.service';
import { Checkout } from './checkout.entity';

/**
 * The console's sales history (History › Operations): one filter for the list, its totals row and
 * the CSV export — period, status, location, terminal, cashier, guest, card.
 */
export const saleFilterFields = {
  cardId: z.uuid().optional(),
  guestId: z.uuid().optional(),
  status: z.enum(['held', 'committed', 'canceled']).optional(),
  from: z.iso.datetime({ offset: true }).optional().describe('Sales at or after this time'),
  to: z.iso.datetime({ offset: true }).optional().describe('Sales before this time'),
  locationId: z.uuid().optional().describe('Sales at this location'),
  terminalId: z.uuid().optional().describe('Sales through this terminal (POS or web scanner)'),
  cashierId: z.string().max(64).optional().describe('Sales made by this staff member (the web scanner’s cashier)'),
};
export const saleFilter = z.strictObject(saleFilterFields);
export type SaleFilter = z.infer<typeof saleFilter>;

/** What the totals row sums (in the database) for a filter. */
export interface SaleTotals {
  sales: number;
  totalMinor: number;
  discountMinor: number;
  pointsRedeemed: number;
  /** Points paid with, valued at each program's point value. */
  pointsValueMinor: number;
  pointsAccrued: number;
  refundedMinor: number;
}

export class SalesHistory {
  constructor(
    private readonly db: Db,
    private readonly programs: Pick<ProgramsService, 'list'>,
  ) {}

  private query(ctx: Ctx, f: SaleFilter): SelectQueryBuilder<Checkout> {
    const qb = this.db.manager.getRepository(Checkout).createQueryBuilder('c').where('c.businessId = :b', { b: ctx.businessId });
    if (f.cardId) qb.andWhere('c.cardId = :card', { card: f.cardId });
    if (f.guestId) qb.andWhere('c.guestId = :g', { g: f.guestId });
    if (f.status) qb.andWhere('c.status = :s', { s: f.status });
    if (f.from) qb.andWhere('c.createdAt >= :from', { from: new Date(f.from) });
    if (f.to) qb.andWhere('c.createdAt < :to', { to: new Date(f.to) });
    if (f.locationId) qb.andWhere('c.locationId = :loc', { loc: f.locationId });
    if (f.terminalId) qb.andWhere('c.terminalId = :term', { term: f.terminalId });
    if (f.cashierId) qb.andWhere("c.actorType = 'staff' AND c.actorId = :cashier", { cashier: f.cashierId });
    return qb;
  }

  /** Sales matching the filter, newest first, by keyset cursor (the last id). */
  async list(ctx: Ctx, f: SaleFilter & { limit: number; cursor?: string }): Promise<{ items: Checkout[]; nextCursor: string | null }> {
    const qb = this.query(ctx, f).orderBy('c.id', 'DESC').limit(f.limit + 1);
    if (f.cursor) qb.andWhere('c.id < :cur', { cur: f.cursor });
    const rows = await qb.getMany();
    const items = rows.slice(0, f.limit);
    return { items, nextCursor: rows.length > f.limit ? items[items.length - 1]!.id : null };
  }

  /**
   * The totals row: sums over every sale of the filter, computed by the database (grouped by
   * program, so points paid with are valued at each program's point value). Canceled sales count
   * only when the filter asks for them.
   */
  async totals(ctx: Ctx, f: SaleFilter): Promise<SaleTotals> {
    const qb = this.query(ctx, f)
      .select('c.programId', 'programId')
      .addSelect('COUNT(*)', 'sales')
      .addSelect('SUM(c.totalMinor)', 'totalMinor')
      .addSelect('SUM(c.discountMinor)', 'discountMinor')
      .addSelect('SUM(c.pointsRedeemed)', 'pointsRedeemed')
      .addSelect('SUM(c.pointsAccrued)', 'pointsAccrued')
      .addSelect('SUM(c.refundedMinor)', 'refundedMinor')
      .groupBy('c.programId');
    if (!f.status) qb.andWhere("c.status <> 'canceled'");
    const rows = await qb.getRawMany<Record<string, string | number | null>>();
    const programs = rows.some((r) => r.programId) ? await this.programs.list(ctx) : [];
    const pointValue = new Map(programs.map((p) => [p.id, Number((p.rules as { pointValueMinor?: number } | null)?.pointValueMinor ?? 100)]));
    const out: SaleTotals = { sales: 0, totalMinor: 0, discountMinor: 0, pointsRedeemed: 0, pointsValueMinor: 0, pointsAccrued: 0, refundedMinor: 0 };
    for (const r of rows) {
      const n = (k: string) => Number(r[k] ?? 0);
      out.sales += n('sales');
      out.totalMinor += n('totalMinor');
      out.discountMinor += n('discountMinor');
      out.pointsRedeemed += n('pointsRedeemed');
      out.pointsAccrued += n('pointsAccrued');
      out.refundedMinor += n('refundedMinor');
      out.pointsValueMinor += n('pointsRedeemed') * (r.programId ? (pointValue.get(String(r.programId)) ?? 100) : 100);
    }
    return out;
  }
}
