import type { Ctx } from '../../shared/context';
import type { AnalyticsService } from '../analytics/analytics.service';
import type { GuestsService } from '../guests/guests.service';
import type { ProgramsService } from '../programs/programs.service';
import type { TenantsService } from '../tenants/tenants.service';
import type { WalletService } from '../wallet/wallet.service';
import { addDays, compared, dayStart, homePeriods, pointsAsMoney, shareBp, type Compared, type HomePeriods } from './home.rules';

export interface HomeDeps {
  analytics: AnalyticsService;
  guests: GuestsService;
  programs: ProgramsService;
  tenants: TenantsService;
  wallet: WalletService;
}

export interface HomeFigures {
  currency: string;
  timezone: string;
  periods: HomePeriods;
  sales: Compared;
  revenueMinor: Compared;
  averageCheckMinor: Compared;
  /** Share of card holders' purchases made by guests who had bought before, in basis points. */
  returningShareBp: Compared;
  cardRevenueMinor: Compared;
  /** Points on cards at the end of each period, valued at each program's point value (the liability). */
  outstandingPointsMinor: Compared;
  outstandingPoints: Compared;
  walletInstalls: Compared;
  newGuests: Compared;
  birthdaysThisWeek: number;
  notBack30Days: number;
  /** When `notBack30Days` was counted (it is kept up to `NOT_BACK_TTL_MS` old). */
  notBack30DaysAsOf: string;
}

/**
 * How long a business's "not back for 30 days" count is reused. The count is the one COUNT here that
 * grows with the guest base (it reads the guests' last-purchase index from the start up to 30 days
 * ago: ~0.6 s for 900k guests), so Home serves the last count and recounts in the background once it
 * is older than this; a new day (the 30 days move) always recounts.
 */
export const NOT_BACK_TTL_MS = 5 * 60_000;

/**
 * One answer for the console's Home. Sales figures come from the analytics rollups (per day,
 * location and program, so two weeks are a few dozen rows); counts of guests are indexed COUNTs.
 */
export class HomeService {
  private readonly notBack = new Map<string, { day: string; value: number; at: number; refreshing?: Promise<void> }>();

  constructor(
    private readonly d: HomeDeps,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The "not back for 30 days" count of `today` (business-local day), recounted when older than the TTL (stale while it recounts). */
  private async notBack30(ctx: Ctx, today: string): Promise<{ value: number; at: number }> {
    const hit = this.notBack.get(ctx.businessId);
    const count = async () => {
      const at = this.clock();
      const value = await this.d.guests.count(ctx, { notBackDays: 30 });
      if (this.notBack.size > 10_000) this.notBack.clear();
      this.notBack.set(ctx.businessId, { day: today, value, at });
      return { value, at };
    };
    if (!hit || hit.day !== today) return count();
    if (this.clock() - hit.at >= NOT_BACK_TTL_MS && !hit.refreshing) {
      hit.refreshing = count().then(
        () => undefined,
        () => void (hit.refreshing = undefined),
      );
    }
    return { value: hit.value, at: hit.at };
  }

  async figures(ctx: Ctx, now = new Date()): Promise<HomeFigures> {
    const business = await this.d.tenants.getBusiness(ctx);
    const p = homePeriods(business.timezone, now);
    const period = (from: string, to: string) => this.d.analytics.dashboard(ctx, { from, to, interval: 'week' });
    const bonus = (await this.d.programs.list(ctx)).filter((x) => x.kind === 'bonus');
    // Liability per bonus program: its lifetime points up to each period's end, valued at its point value.
    const liability = (to: string) =>
      Promise.all(
        bonus.map(async (prog) => ({
          points: (await this.d.analytics.dashboard(ctx, { from: to, to, interval: 'day', programId: [prog.id] })).kpis.liabilityPoints,
          pointValueMinor: Number(prog.rules?.pointValueMinor ?? 100),
        })),
      );
    const start = (day: string) => dayStart(business.timezone, day);
    const [cur, prev, liabNow, liabThen, installs, installsBefore, birthdays, notBack] = await Promise.all([
      period(p.from, p.to),
      period(p.previousFrom, p.previousTo),
      liability(p.to),
      liability(p.previousTo),
      this.d.wallet.installsBetween(ctx, start(p.from), start(addDays(p.to, 1))),
      this.d.wallet.installsBetween(ctx, start(p.previousFrom), start(p.from)),
      this.d.guests.count(ctx, { birthdayIn: 'this_week' }),
      this.notBack30(ctx, p.to),
    ]);
    const a = cur.totals;
    const b = prev.totals;
    const returning = (t: typeof a) => shareBp(Math.max(0, t.cardSales - t.firstPurchases), t.cardSales);
    const sum = (xs: { points: number }[]) => xs.reduce((s, x) => s + x.points, 0);
    return {
      currency: business.currency,
      timezone: business.timezone,
      periods: p,
      sales: compared(a.sales, b.sales),
      revenueMinor: compared(a.revenueMinor, b.revenueMinor),
      averageCheckMinor: compared(cur.kpis.averageCheckMinor, prev.kpis.averageCheckMinor),
      returningShareBp: compared(returning(a), returning(b)),
      cardRevenueMinor: compared(a.cardRevenueMinor, b.cardRevenueMinor),
      outstandingPointsMinor: compared(pointsAsMoney(liabNow), pointsAsMoney(liabThen)),
      outstandingPoints: compared(sum(liabNow), sum(liabThen)),
      walletInstalls: compared(installs, installsBefore),
      newGuests: compared(a.newGuests, b.newGuests),
      birthdaysThisWeek: birthdays,
      notBack30Days: notBack.value,
      notBack30DaysAsOf: new Date(notBack.at).toISOString(),
    };
  }
}
