import { hostname } from 'node:os';
import { newId } from '../shared/ids';
import { Db } from '../db/db';
import { JobLease } from './lease.entity';

export const instanceId = `${hostname()}:${process.pid}:${newId().slice(-6)}`;

/**
 * Takes or renews the lease `name` for `ttlMs` from `now`. Returns true when this instance holds it.
 * A single conditional UPDATE decides, so two instances never both win.
 */
export async function acquireLease(db: Db, name: string, ttlMs: number, holder = instanceId, now = new Date()): Promise<boolean> {
  const expires = new Date(now.getTime() + ttlMs);
  const repo = db.manager.getRepository(JobLease);
  const res = await repo
    .createQueryBuilder()
    .update(JobLease)
    .set({ holder, expiresAt: expires })
    .where('name = :name AND (holder = :holder OR expiresAt < :now)', { name, holder, now })
    .execute();
  if ((res.affected ?? 0) > 0) return true;
  try {
    await repo.insert({ name, holder, expiresAt: expires });
    return true;
  } catch {
    return false;
  }
}

/**
 * Extends a lease this instance holds to at least `until`, so a job running longer than its
 * interval keeps it. False when the lease was lost (another instance took it after it expired).
 */
export async function renewLease(db: Db, name: string, until: Date, holder = instanceId): Promise<boolean> {
  const repo = db.manager.getRepository(JobLease);
  const res = await repo
    .createQueryBuilder()
    .update(JobLease)
    .set({ expiresAt: until })
    .where('name = :name AND holder = :holder AND expiresAt < :until', { name, holder, until })
    .execute();
  if ((res.affected ?? 0) > 0) return true;
  const row = await repo.findOneBy({ name });
  return !!row && row.holder === holder;
}

export async function releaseLease(db: Db, name: string, holder = instanceId): Promise<void> {
  await db.manager.getRepository(JobLease).delete({ name, holder });
}
