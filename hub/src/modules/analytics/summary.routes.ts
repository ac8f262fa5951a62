import { z } from 'zod';
import type { Api } from '../../http/api';
import { ROLE_SETS } from '../../http/auth';
import { Db } from '../../db/db';
import { badRequest } from '../../shared/errors';
import { Checkout } from '../checkout/checkout.entity';
import { Guest } from '../guests/guests.entity';
import type { TenantsService } from '../tenants/tenants.service';
import { dailyFigures } from './summary.rules';

const dayView = z.object({
  date: z.string(),
  sales: z.number().int(),
  revenueMinor: z.number().int(),
  discountMinor: z.number().int(),
  pointsAccrued: z.number().int(),
  pointsRedeemed: z.number().int(),
  newGuests: z.number().int(),
});

const MAX_DAYS = 92;

/** Key figures per day for the console's home page (the analytics issue builds on this). */
export function summaryRoutes(api: Api, db: Db, tenants: TenantsService): void {
  api.route(
    {
      method: 'get',
      path: '/v1/admin/summary',
      summary: 'Sales, revenue, points and new guests per day, in the business time zone',
      tags: ['Analytics'],
      auth: { roles: ROLE_SETS.staff },
      query: z.strictObject({
        from: z.iso.datetime({ offset: true }).optional().describe('Default: 6 days before now'),
        to: z.iso.datetime({ offset: true }).optional().describe('Default: now'),
      }),
      response: z.object({ currency: z.string(), timezone: z.string(), days: z.array(dayView), totals: dayView.omit({ date: true }) }),
      errors: [400],
    },
    async (req) => {
      const business = await tenants.getBusiness(req.ctx);
      const to = req.valid.query.to ? new Date(req.valid.query.to) : new Date();
      const from = req.valid.query.from ? new Date(req.valid.query.from) : new Date(to.getTime() - 6 * 86_400_000);
      if (from >= to) throw badRequest('invalid_range', '`from` must be before `to`', [{ field: 'from', message: 'Must be before to' }]);
      if (to.getTime() - from.getTime() > MAX_DAYS * 86_400_000) throw badRequest('range_too_long', `At most ${MAX_DAYS} days`, [{ field: 'from', message: `At most ${MAX_DAYS} days` }]);
      const sales = await db.manager
        .getRepository(Checkout)
        .createQueryBuilder('c')
        .select(['c.createdAt', 'c.totalMinor', 'c.discountMinor', 'c.refundedMinor', 'c.pointsRedeemed', 'c.pointsAccrued'])
        .where("c.businessId = :b AND c.status = 'committed' AND c.createdAt >= :from AND c.createdAt < :to", { b: business.id, from, to })
        .getMany();
      const guests = await db.manager
        .getRepository(Guest)
        .createQueryBuilder('g')
        .select(['g.createdAt'])
        .where('g.businessId = :b AND g.createdAt >= :from AND g.createdAt < :to', { b: business.id, from, to })
        .getMany();
      const days = dailyFigures(business.timezone, from, to, sales, guests.map((g) => g.createdAt));
      const totals = days.reduce(
        (t, d) => ({
          sales: t.sales + d.sales,
          revenueMinor: t.revenueMinor + d.revenueMinor,
          discountMinor: t.discountMinor + d.discountMinor,
          pointsAccrued: t.pointsAccrued + d.pointsAccrued,
          pointsRedeemed: t.pointsRedeemed + d.pointsRedeemed,
          newGuests: t.newGuests + d.newGuests,
        }),
        { sales: 0, revenueMinor: 0, discountMinor: 0, pointsAccrued: 0, pointsRedeemed: 0, newGuests: 0 },
      );
      return { currency: business.currency, timezone: business.timezone, days, totals };
    },
  );
}
