import type { Scheduler } from '../../jobs/scheduler';
import type { LedgerService } from './ledger.service';

/** The ledger's periodic work: points whose lots reached their expiry date leave the balances. */
export function registerLedgerJobs(scheduler: Pick<Scheduler, 'register'>, ledger: LedgerService): void {
  scheduler.register({ name: 'points-expiry', everyMs: 60_000, run: ({ now }) => ledger.expireDue(now) });
}
