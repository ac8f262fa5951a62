import type { Db } from '../../db/db';
import type { Scheduler } from '../../jobs/scheduler';
import { purgeExpiredKeyValues } from './integrations.runtime';
import type { IntegrationsService } from './integrations.service';

/**
 * The connector runtime's housekeeping: dedupe rows are kept a week (longer than any redelivery);
 * key/value entries past their TTL (expired tokens) are deleted rather than left in the database.
 */
export function registerIntegrationsJobs(scheduler: Pick<Scheduler, 'register'>, integrations: IntegrationsService, db: Db): void {
  scheduler.register({ name: 'connector-dedupe-purge', everyMs: 3_600_000, run: () => integrations.purgeProcessed() });
  scheduler.register({ name: 'connector-kv-purge', everyMs: 3_600_000, run: ({ now }) => purgeExpiredKeyValues(db, now) });
}
