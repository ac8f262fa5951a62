import type { Logger } from 'pino';
import { Db } from '../db/db';
import { acquireLease } from './lease';

export interface Job {
  name: string;
  everyMs: number;
  run: () => Promise<unknown>;
}

/**
 * Periodic jobs (expiry, holds, purges). Each run takes the job's lease row first, so with N hub
 * instances a job runs once per period across all of them.
 */
export class Scheduler {
  private timers: NodeJS.Timeout[] = [];
  private running = new Set<Promise<unknown>>();

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly jobs: Job[],
  ) {}

  start(): void {
    for (const job of this.jobs) {
      const t = setInterval(() => this.runOnce(job), job.everyMs);
      t.unref();
      this.timers.push(t);
    }
  }

  async runOnce(job: Job): Promise<void> {
    const p = (async () => {
      try {
        if (!(await acquireLease(this.db, `job:${job.name}`, job.everyMs))) return;
        const out = await job.run();
        if (out) this.log.info({ job: job.name, result: out }, 'job ran');
      } catch (e) {
        this.log.warn({ job: job.name, err: e }, 'job failed');
      }
    })();
    this.running.add(p);
    await p;
    this.running.delete(p);
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.allSettled([...this.running]);
  }
}
