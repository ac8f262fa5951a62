import type { Scheduler } from '../../jobs/scheduler';
import type { CheckoutService } from './checkout.service';

/**
 * Checkout's periodic work: holds never captured are released; periodic level downgrades are
 * reviewed nightly, at 04:00 in each business's own time zone (guests wake up to the new level, and
 * the load spreads across zones).
 */
export function registerCheckoutJobs(scheduler: Pick<Scheduler, 'register'>, checkout: CheckoutService): void {
  scheduler.register({ name: 'hold-expiry', everyMs: 15_000, run: ({ now }) => checkout.expireHolds(now) });
  scheduler.register({ name: 'level-review', cron: '0 4 * * *', perBusiness: true, run: ({ now, businessId }) => checkout.reviewLevels(now, 500, businessId) });
}
