import { z } from 'zod';
import type { Api } from '../../http/api';
import { ROLE_SETS } from '../../http/auth';
import { badRequest } from '../../shared/errors';
import type { TenantsService } from '../tenants/tenants.service';
import { dayIn } from './summary.rules';
import type { AnalyticsService } from './analytics.service';

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

/** Key figures per day for the console's home page, read from the analytics rollups. */
export function summaryRoutes(api: Api, analytics: AnalyticsService, tenants: TenantsService): void {
  api.route(
    {
      method: 'get',
      path: '/v1/admin/summary',
      summary: 'Sales, revenue, points and new guests per day, in the business time zone',
      description: 'Every business-local day the range touches. Revenue is paid after discounts; a refund counts on the day it was made.',
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
      if (to.getTime() - from.getTime() > MAX_DAYS * 86_400_000)
        throw badRequest('range_too_long', `At most ${MAX_DAYS} days`, [{ field: 'from', message: `At most ${MAX_DAYS} days` }]);
      const d = await analytics.dashboard(req.ctx, {
        from: dayIn(business.timezone, from),
        to: dayIn(business.timezone, new Date(to.getTime() - 1)),
        interval: 'day',
      });
      const pick = (f: (typeof d.series)[number] | typeof d.totals) => ({
        sales: f.sales,
        revenueMinor: f.revenueMinor,
        discountMinor: f.discountMinor,
        pointsAccrued: f.pointsAccrued,
        pointsRedeemed: f.pointsRedeemed,
        newGuests: f.newGuests,
      });
      return { currency: business.currency, timezone: business.timezone, days: d.series.map((p) => ({ date: p.start, ...pick(p) })), totals: pick(d.totals) };
    },
  );
}
