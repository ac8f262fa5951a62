import type { Scheduler } from '../../jobs/scheduler';
import type { EngagementService } from './engagement.service';

/** Retention (README, "Retention"): SMS codes are deleted after a day. */
export function registerEngagementJobs(scheduler: Pick<Scheduler, 'register'>, engagement: EngagementService): void {
  scheduler.register({ name: 'sms-code-retention', everyMs: 3_600_000, run: ({ now }) => engagement.purgeExpiredCodes(now) });
}
