import type { Logger } from 'pino';
import { Cron } from 'croner';
import { Db } from '../db/db';
import { systemClock, type Clock } from './clock';
import { acquireLease, instanceId, renewLease } from './lease';

/** What every run is told. */
export interface JobRun {
  /** The scheduler's clock at the start of the run (tests move it). */
  now: Date;
}

/** A run of a cron job: the scheduled time it is for (may be a little before `now`). */
export interface CronRun extends JobRun {
  slot: Date;
}

/** A run of a per-business cron job, for one business, at that business's local time. */
export interface BusinessRun extends CronRun {
  businessId: string;
  /** The business's IANA time zone the expression was read in. */
  timezone: string;
}

/** A global job every `everyMs` (purges, expiry sweeps, queues). */
export interface IntervalJob {
  name: string;
  everyMs: number;
  run(r: JobRun): Promise<unknown>;
}

/** A global job at the times of a cron expression, read in `timezone` (default UTC). */
export interface CronJob {
  name: string;
  /** Five fields (minute hour day month weekday), or six with seconds first; croner syntax. */
  cron: string;
  timezone?: string;
  /** A slot missed by up to this long (a restart, a busy hub) still runs once, late (default 1 hour). */
  catchUpMs?: number;
  run(r: CronRun): Promise<unknown>;
}

/** A job per business at the times of a cron expression read in each business's own time zone. */
export interface BusinessCronJob {
  name: string;
  cron: string;
  perBusiness: true;
  catchUpMs?: number;
  run(r: BusinessRun): Promise<unknown>;
}

export type Job = IntervalJob | CronJob | BusinessCronJob;

export interface SchedulerOptions {
  db: Db;
  log: Logger;
  clock?: Clock;
  /** Names this instance in leases (default: host, pid and a random suffix). */
  holder?: string;
  /** How often due jobs are looked for (default 1 s). */
  tickMs?: number;
  /** The businesses and their time zones, for per-business jobs (cached for a minute). */
  businesses?: () => Promise<{ id: string; timezone: string }[]>;
}

const HOUR = 3_600_000;
const NAME = /^[a-z][a-z0-9-]{1,29}$/;

const isBusinessJob = (j: Job): j is BusinessCronJob => 'perBusiness' in j && j.perBusiness === true;
const isCronJob = (j: Job): j is CronJob => 'cron' in j && !isBusinessJob(j);

/**
 * Periodic jobs, registered by the modules that own them (`registerXJobs(scheduler, service)`).
 * Every run takes a lease row first, so with N hub instances a job runs once across all of them:
 * - interval jobs hold `job:<name>` for one interval;
 * - cron jobs hold `cron:<name>[:<businessId>]` until the next slot, so each slot runs once;
 * - a run that outlasts its lease renews it while it runs (never two runs at once).
 * Time comes from an injectable {@link Clock}; `tick()` evaluates what is due now.
 */
export class Scheduler {
  private readonly db: Db;
  private readonly log: Logger;
  readonly clock: Clock;
  readonly holder: string;
  private readonly tickMs: number;
  private readonly jobs: Job[] = [];
  private readonly intervalNext = new Map<string, number>();
  private readonly cronNext = new Map<string, number | null>();
  private readonly crons = new Map<string, Cron>();
  private readonly running = new Map<string, Promise<void>>();
  private business?: { at: number; list: { id: string; timezone: string }[] };
  private cancelLoop?: () => void;
  private started = false;
  private evaluating = false;

  constructor(private readonly o: SchedulerOptions) {
    this.db = o.db;
    this.log = o.log;
    this.clock = o.clock ?? systemClock;
    this.holder = o.holder ?? instanceId;
    this.tickMs = o.tickMs ?? 1000;
  }

  /** Adds a job; a bad name, interval, cron expression or time zone is refused here, at composition. */
  register(job: IntervalJob): this;
  register(job: BusinessCronJob): this;
  register(job: CronJob): this;
  register(job: Job): this {
    if (!NAME.test(job.name)) throw new Error(`Job name ${job.name}: lower-case letters, digits and dashes, up to 30`);
    if (this.jobs.some((j) => j.name === job.name)) throw new Error(`Job ${job.name} is registered twice`);
    if ('everyMs' in job && !(Number.isInteger(job.everyMs) && job.everyMs >= 100)) throw new Error(`Job ${job.name}: everyMs must be an integer ≥ 100`);
    if ('cron' in job) this.cronFor(job.cron, isCronJob(job) ? (job.timezone ?? 'UTC') : 'UTC');
    if (isBusinessJob(job) && !this.o.businesses) throw new Error(`Job ${job.name} runs per business: give the scheduler the businesses`);
    this.jobs.push(job);
    // An interval job first runs one interval after it is registered (at composition).
    if ('everyMs' in job) this.intervalNext.set(job.name, this.clock.now().getTime() + job.everyMs);
    return this;
  }

  /** Registered job names (documentation, health). */
  get names(): string[] {
    return this.jobs.map((j) => j.name);
  }

  private cronFor(expr: string, timezone: string): Cron {
    const key = `${expr}\u0000${timezone}`;
    let c = this.crons.get(key);
    if (!c) {
      c = new Cron(expr, { timezone, paused: true });
      // croner reads the zone lazily: ask for a run now, so a bad zone fails here, not at the first slot.
      c.nextRun();
      this.crons.set(key, c);
    }
    return c;
  }

  /** Looks for due jobs every `tickMs` until stopped. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const loop = () => {
      if (!this.started) return;
      void this.evaluate()
        .catch((e) => this.log.warn({ err: e }, 'scheduler pass failed'))
        .finally(() => {
          if (this.started) this.cancelLoop = this.clock.setTimer(loop, this.tickMs);
        });
    };
    this.cancelLoop = this.clock.setTimer(loop, this.tickMs);
  }

  /** Starts every job due now; resolves when those runs have finished (tests drive time with it). */
  async tick(): Promise<void> {
    await Promise.all(await this.evaluate());
  }

  private async evaluate(): Promise<Promise<void>[]> {
    if (this.evaluating) return [];
    this.evaluating = true;
    try {
      const now = this.clock.now().getTime();
      const runs: Promise<void>[] = [];
      for (const job of this.jobs) {
        if ('everyMs' in job) {
          const next = this.intervalNext.get(job.name) ?? now + job.everyMs;
          this.intervalNext.set(job.name, next);
          if (next > now) continue;
          this.intervalNext.set(job.name, now + job.everyMs);
          runs.push(this.launch(`job:${job.name}`, job.name, now + job.everyMs, (at) => job.run({ now: at })));
        } else if (isCronJob(job)) {
          const cron = this.cronFor(job.cron, job.timezone ?? 'UTC');
          const slot = this.dueSlot(job.name, cron, now, job.catchUpMs ?? HOUR);
          if (slot) runs.push(this.launchSlot(`cron:${job.name}`, job.name, cron, slot, (at) => job.run({ now: at, slot: new Date(slot) })));
        } else {
          for (const b of await this.businesses(now)) {
            let cron: Cron;
            try {
              cron = this.cronFor(job.cron, b.timezone);
            } catch (e) {
              this.log.warn({ job: job.name, businessId: b.id, timezone: b.timezone, err: (e as Error).message }, 'job skipped: unusable time zone');
              continue;
            }
            // Keyed by zone too: after a business changes its time zone, its next slot is read in the new one
            // (the lease, still named per business, keeps a slot already run today from running twice).
            const slot = this.dueSlot(`${job.name}:${b.id}:${b.timezone}`, cron, now, job.catchUpMs ?? HOUR);
            if (slot)
              runs.push(
                this.launchSlot(`cron:${job.name}:${b.id}`, job.name, cron, slot, (at) =>
                  job.run({ now: at, slot: new Date(slot), businessId: b.id, timezone: b.timezone }),
                ),
              );
          }
        }
      }
      return runs;
    } finally {
      this.evaluating = false;
    }
  }

  private async businesses(now: number): Promise<{ id: string; timezone: string }[]> {
    if (!this.business || now - this.business.at >= 60_000 || now < this.business.at) {
      this.business = { at: now, list: await this.o.businesses!() };
    }
    return this.business.list;
  }

  /**
   * The slot of `key` due at `now`, if any, advancing past it. A first look (or a long pause) only
   * goes back `catchUpMs`: older slots are skipped, not replayed.
   */
  private dueSlot(key: string, cron: Cron, now: number, catchUpMs: number): number | undefined {
    let next = this.cronNext.get(key);
    if (next === undefined) next = cron.nextRun(new Date(now - catchUpMs - 1))?.getTime() ?? null;
    while (next !== null && next < now - catchUpMs) next = cron.nextRun(new Date(next))?.getTime() ?? null;
    if (next === null || next > now) {
      this.cronNext.set(key, next);
      return undefined;
    }
    this.cronNext.set(key, cron.nextRun(new Date(next))?.getTime() ?? null);
    return next;
  }

  /** A cron slot's lease lasts until the following slot: whoever runs a slot, nobody runs it again. */
  private launchSlot(lease: string, name: string, cron: Cron, slot: number, run: (at: Date) => Promise<unknown>): Promise<void> {
    const following = cron.nextRun(new Date(slot))?.getTime() ?? slot + 24 * HOUR;
    return this.launch(lease, name, Math.max(following, this.clock.now().getTime() + 1000), run);
  }

  /**
   * Runs once under the lease `lease` held until `until`; while the run lasts the lease is renewed,
   * so a run longer than its interval is never joined by a second one on another instance.
   */
  private launch(lease: string, name: string, until: number, run: (at: Date) => Promise<unknown>): Promise<void> {
    if (this.running.has(lease)) return Promise.resolve();
    const p = (async () => {
      const at = this.clock.now();
      try {
        if (!(await acquireLease(this.db, lease, Math.max(until - at.getTime(), 1000), this.holder, at))) return;
      } catch (e) {
        this.log.warn({ job: name, err: e }, 'job lease unavailable');
        return;
      }
      const renewEvery = Math.min(Math.max(Math.floor((until - at.getTime()) / 2), 500), 60_000);
      let stopped = false;
      let cancel: () => void;
      const beat = async () => {
        if (stopped) return;
        const to = new Date(this.clock.now().getTime() + 2 * renewEvery);
        const held = await renewLease(this.db, lease, to, this.holder).catch(() => false);
        if (!held) this.log.warn({ job: name, lease }, 'job lease lost while running');
        if (!stopped) cancel = this.clock.setTimer(beat, renewEvery);
      };
      cancel = this.clock.setTimer(beat, renewEvery);
      try {
        const out = await run(at);
        if (out) this.log.info({ job: name, lease, result: out }, 'job ran');
      } catch (e) {
        this.log.warn({ job: name, lease, err: e }, 'job failed');
      } finally {
        stopped = true;
        cancel();
      }
    })().finally(() => this.running.delete(lease));
    this.running.set(lease, p);
    return p;
  }

  /** Stops looking for due jobs and waits for the runs in progress. */
  async stop(): Promise<void> {
    this.started = false;
    this.cancelLoop?.();
    await Promise.allSettled([...this.running.values()]);
  }
}
