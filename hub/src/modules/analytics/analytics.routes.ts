import { z } from 'zod';
import type { Api } from '../../http/api';
import { ROLE_SETS } from '../../http/auth';
import type { Ctx } from '../../shared/context';
import { Problem } from '../../shared/errors';
import { addDays, dayIn } from '../guests/guests.segments';
import type { TenantsService } from '../tenants/tenants.service';
import { daysBetween } from './analytics.rules';
import type { AnalyticsService } from './analytics.service';
import { dashboardQuery, dashboardView, funnelView, MAX_RANGE_DAYS, periodQuery, rfmSettingsBody, rfmView } from './analytics.schemas';

/** A period of business-local days: defaults to the last 30 days; `to` before `from` or too long is a 422 naming the field. */
async function period(tenants: TenantsService, ctx: Ctx, q: { from?: string; to?: string }): Promise<{ from: string; to: string }> {
  const b = await tenants.getBusiness(ctx);
  const to = q.to ?? dayIn(b.timezone, new Date());
  const from = q.from ?? addDays(to, -29);
  if (from > to) throw new Problem(422, 'invalid_period', '`to` is before `from`', [{ field: 'to', message: 'Must not be before from' }]);
  if (daysBetween(from, to) > MAX_RANGE_DAYS)
    throw new Problem(422, 'period_too_long', `At most ${MAX_RANGE_DAYS} days`, [{ field: 'from', message: `At most ${MAX_RANGE_DAYS} days before to` }]);
  return { from, to };
}

export function analyticsRoutes(api: Api, analytics: AnalyticsService, tenants: TenantsService): void {
  const tags = ['Analytics'];
  api.route(
    {
      method: 'get',
      path: '/v1/admin/analytics/dashboard',
      summary: 'Sales, revenue, average check, LTV, frequency, cards, points and liability for a period, with a series',
      description:
        'Read from daily rollups kept from events. A refund counts on the day it was made, at the sale’s location and program. Registrations and cards have no location: a location filter leaves them out.',
      tags,
      auth: { roles: ROLE_SETS.marketing },
      query: dashboardQuery,
      response: dashboardView,
      errors: [422],
    },
    async (req) => {
      const q = req.valid.query as z.infer<typeof dashboardQuery>;
      return analytics.dashboard(req.ctx, { ...q, ...(await period(tenants, req.ctx, q)) });
    },
  );
  api.route(
    {
      method: 'get',
      path: '/v1/admin/analytics/funnel',
      summary: 'Guests registered in a period: how many installed a card in a wallet, bought once, bought again',
      tags,
      auth: { roles: ROLE_SETS.marketing },
      query: periodQuery,
      response: funnelView,
      errors: [422],
    },
    async (req) => analytics.funnel(req.ctx, await period(tenants, req.ctx, req.valid.query as z.infer<typeof periodQuery>)),
  );
  api.route(
    {
      method: 'get',
      path: '/v1/admin/analytics/rfm',
      summary: 'RFM: guests and lifetime revenue per segment and per R × FM cell (the last computation)',
      tags,
      auth: { roles: ROLE_SETS.marketing },
      response: rfmView,
    },
    async (req) => analytics.rfm(req.ctx),
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/analytics/rfm/recompute',
      summary: 'Recompute RFM now (it is also recomputed every night)',
      tags,
      auth: { roles: ROLE_SETS.marketing },
      response: rfmView,
    },
    async (req) => analytics.recomputeRfm(req.ctx),
  );
  api.route(
    {
      method: 'get',
      path: '/v1/admin/analytics/rfm/settings',
      summary: 'RFM thresholds (fixed bounds or quintiles)',
      tags,
      auth: { roles: ROLE_SETS.marketing },
      response: rfmSettingsBody,
    },
    async (req) => analytics.rfmSettings(req.ctx),
  );
  api.route(
    {
      method: 'put',
      path: '/v1/admin/analytics/rfm/settings',
      summary: 'Set RFM thresholds; RFM is recomputed with them',
      tags,
      auth: { roles: ROLE_SETS.admins },
      body: rfmSettingsBody,
      response: rfmView,
      errors: [422],
    },
    async (req) => analytics.setRfmSettings(req.ctx, req.valid.body as z.infer<typeof rfmSettingsBody>),
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/analytics/rebuild',
      summary: 'Recompute the daily rollups from the raw sales, refunds, guests, cards and points ledger',
      tags,
      auth: { roles: ROLE_SETS.admins },
      response: z.object({ rows: z.number().int(), sales: z.number().int(), before: z.string() }),
    },
    async (req) => analytics.rebuild(req.ctx),
  );
}
