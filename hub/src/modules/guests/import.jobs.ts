import type { Scheduler } from '../../jobs/scheduler';
import type { GuestImportService } from './import.service';

/** Queued CSV imports advance in short passes (each import also takes its own lease per pass). */
export function registerImportJobs(scheduler: Pick<Scheduler, 'register'>, imports: GuestImportService): void {
  scheduler.register({ name: 'guest-imports', everyMs: 2_000, run: () => imports.work(1_500) });
}
