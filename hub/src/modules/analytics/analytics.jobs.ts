import type { Scheduler } from '../../jobs/scheduler';
import type { AnalyticsService } from './analytics.service';

/** RFM every night at 04:10 business-local time; the consumer's inbox keeps 30 days. */
export function registerAnalyticsJobs(scheduler: Pick<Scheduler, 'register'>, analytics: AnalyticsService): void {
  scheduler.register({
    name: 'rfm-nightly',
    cron: '10 4 * * *',
    perBusiness: true,
    run: ({ businessId, now }) => analytics.recomputeRfm({ businessId, actor: { type: 'system', id: 'rfm-nightly', label: 'nightly RFM' } }, now),
  });
  scheduler.register({ name: 'analytics-inbox-retention', everyMs: 3_600_000, run: ({ now }) => analytics.purgeInbox(now) });
}
