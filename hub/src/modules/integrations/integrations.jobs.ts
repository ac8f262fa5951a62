import type { Scheduler } from '../../jobs/scheduler';
import type { IntegrationsService } from './integrations.service';

/** The connector runtime's dedupe rows are kept a week (longer than any redelivery). */
export function registerIntegrationsJobs(scheduler: Pick<Scheduler, 'register'>, integrations: IntegrationsService): void {
  scheduler.register({ name: 'connector-dedupe-purge', everyMs: 3_600_000, run: () => integrations.purgeProcessed() });
}
