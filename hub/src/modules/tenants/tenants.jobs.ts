import type { Scheduler } from '../../jobs/scheduler';
import type { TenantsService } from './tenants.service';

/** Staff sessions past their lifetime or idle timeout are deleted. */
export function registerTenantsJobs(scheduler: Pick<Scheduler, 'register'>, tenants: TenantsService): void {
  scheduler.register({ name: 'session-purge', everyMs: 3_600_000, run: () => tenants.purgeSessions() });
}
