import { z } from 'zod';
import type { Api } from '../../http/api';
import { ROLE_SETS } from '../../http/auth';
import { HomeService, type HomeDeps } from './home.service';
import { qrRoutes } from './qr.routes';

const comparedView = z.object({
  value: z.number().int(),
  previous: z.number().int().describe('The same figure for the seven days before'),
  changeBp: z.number().int().nullable().describe('Change against the previous week in basis points (1/100 %); null when it was 0'),
});

export const homeView = z.object({
  currency: z.string(),
  timezone: z.string(),
  periods: z.object({ from: z.iso.date(), to: z.iso.date(), previousFrom: z.iso.date(), previousTo: z.iso.date() }),
  sales: comparedView,
  revenueMinor: comparedView,
  averageCheckMinor: comparedView,
  returningShareBp: comparedView.describe("Share of card holders' purchases by guests who had bought before (basis points)"),
  cardRevenueMinor: comparedView.describe('Revenue from sales with a card'),
  outstandingPointsMinor: comparedView.describe('Points on cards valued at their program’s point value: what the business owes'),
  outstandingPoints: comparedView,
  walletInstalls: comparedView.describe('Cards newly installed in Apple or Google Wallet'),
  newGuests: comparedView,
  birthdaysThisWeek: z.number().int().describe('Guests whose birthday falls this week (Monday to Sunday): filter birthdayIn=this_week'),
  notBack30Days: z.number().int().describe('Guests who bought before but not in the last 30 days: filter notBackDays=30'),
  notBack30DaysAsOf: z.iso.datetime().describe('When notBack30Days was counted: it is reused for up to 5 minutes within a day, then recounted in the background'),
});

/** `GET /v1/admin/home`: the console's "is it working?" figures in one call; and the QR generator its pages print. */
export function homeRoutes(api: Api, deps: HomeDeps): HomeService {
  const home = new HomeService(deps);
  api.route(
    {
      method: 'get',
      path: '/v1/admin/home',
      summary: 'Is it working? The last seven days against the seven before, with guests to act on',
      description:
        'Average check, returning-guest share, revenue from card holders, outstanding points as money and wallet installs, each beside the same seven weekdays a week earlier (business-local days, read from the analytics rollups); birthdays this week and guests not back for 30 days (the guest filters `birthdayIn=this_week` and `notBackDays=30`).',
      tags: ['Analytics'],
      auth: { roles: ROLE_SETS.marketing },
      response: homeView,
    },
    async (req) => home.figures(req.ctx),
  );
  qrRoutes(api);
  return home;
}
