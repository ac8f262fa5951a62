import type { Scheduler } from '../../jobs/scheduler';
import type { CheckoutService } from './checkout.service';

/** Checkout's periodic work: holds never captured are released; periodic level downgrades are reviewed. */
export function registerCheckoutJobs(scheduler: Pick<Scheduler, 'register'>, checkout: CheckoutService): void {
  scheduler.register({ name: 'hold-expiry', everyMs: 15_000, run: ({ now }) => checkout.expireHolds(now) });
  scheduler.register({ name: 'level-review', everyMs: 6 * 3_600_000, run: ({ now }) => checkout.reviewLevels(now) });
}
