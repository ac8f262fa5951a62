import { In, LessThan, Not, IsNull, type EntityManager } from 'typeorm';
import type { Db } from '../db/db';
import { likeAnywhere, redactValue, type GuestPii } from '../shared/privacy';
import { OutboxMessage } from './outbox.entity';

/** Published events are kept a week (a consumer's replay window), then deleted: see the README's retention table. */
export const OUTBOX_RETENTION_MS = 7 * 24 * 3600_000;

/**
 * Erasure: the outbox rows that carry the guest (their id, phone or e-mail) lose the personal
 * values; the contract's personal fields are nullable, so a row not yet published still validates
 * and leaves without them. Runs in the erase transaction. Returns how many rows changed.
 */
export async function redactGuestInOutbox(tx: EntityManager, businessId: string, g: GuestPii): Promise<number> {
  const needles = [g.guestId, g.phone, g.email].filter((x): x is string => !!x);
  const qb = tx.getRepository(OutboxMessage).createQueryBuilder('o').where('o.businessId = :b', { b: businessId });
  qb.andWhere(
    `(${needles.map((_, i) => `o.data LIKE :n${i} ESCAPE '!'`).join(' OR ')})`,
    Object.fromEntries(needles.map((n, i) => [`n${i}`, likeAnywhere(n)])),
  );
  let changed = 0;
  for (const row of await qb.getMany()) {
    const data = redactValue(row.data, g, false, null);
    if (JSON.stringify(data) === JSON.stringify(row.data)) continue;
    await tx.getRepository(OutboxMessage).update({ seq: row.seq }, { data: data as object });
    changed++;
  }
  return changed;
}

/** Retention job: deletes events published longer ago than the retention (in batches). Returns how many. */
export async function purgePublishedOutbox(db: Db, now = new Date(), retentionMs = OUTBOX_RETENTION_MS): Promise<number> {
  const before = new Date(now.getTime() - retentionMs);
  let total = 0;
  for (;;) {
    const seqs = (
      await db.manager.getRepository(OutboxMessage).find({ select: { seq: true }, where: { sentAt: LessThan(before) as unknown as Date }, take: 1000 })
    ).map((r) => r.seq);
    if (!seqs.length) return total;
    await db.transaction((tx) => tx.getRepository(OutboxMessage).delete({ seq: In(seqs), sentAt: Not(IsNull()) as unknown as Date }));
    total += seqs.length;
    if (seqs.length < 1000) return total;
  }
}
