import type { Db } from '../db/db';
import type { Scheduler } from '../jobs/scheduler';
import { purgePublishedOutbox } from './outbox.privacy';

/** Retention (README, "Retention"): published events are deleted after 7 days. */
export function registerOutboxJobs(scheduler: Pick<Scheduler, 'register'>, db: Db): void {
  scheduler.register({ name: 'outbox-retention', everyMs: 3_600_000, run: ({ now }) => purgePublishedOutbox(db, now) });
}
