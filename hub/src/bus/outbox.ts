import { insertRows } from '../db/columns';
import type { EntityManager } from 'typeorm';
import { eventSchemas, type Envelope, type EventData, type EventType } from '@loyalty/sdk';
import { newId } from '../shared/ids';
import { beforeCommit, Db, transactionLocal } from '../db/db';
import { acquireLease } from '../jobs/lease';
import type { Bus } from './bus';
import { OutboxMessage } from './outbox.entity';
import type { Logger } from 'pino';

/**
 * Writes an event into the outbox inside the caller's transaction. The payload is validated
 * against the SDK contract, so a malformed event fails the write instead of reaching consumers.
 */
export async function emit<T extends EventType>(tx: EntityManager, businessId: string, type: T, data: EventData<T>, correlationId?: string): Promise<string> {
  const parsed = eventSchemas[type].parse(data);
  const eventId = newId();
  const row = {
    eventId,
    businessId,
    type,
    data: parsed as object,
    correlationId: correlationId ?? null,
    occurredAt: new Date(),
    sentAt: null,
  } as OutboxMessage;
  if (!defer(tx, [row])) await insertRows(tx.getRepository(OutboxMessage), row);
  return eventId;
}

/** Key of a transaction's queued events (see {@link defer}). */
const QUEUED = {};
const FLUSH_BATCH = 250;

/**
 * Queues rows of a {@link Db.transaction} to be written in it, just before COMMIT, with multi-row
 * INSERTs (a sale's three events are one statement instead of three); order is kept. False outside
 * such a transaction (the caller inserts at once).
 */
function defer(tx: EntityManager, rows: OutboxMessage[]): boolean {
  let first = false;
  const list = transactionLocal(tx, QUEUED, () => {
    first = true;
    return [] as OutboxMessage[];
  });
  if (!list) return false;
  if (first)
    beforeCommit(tx, async () => {
      const repo = tx.getRepository(OutboxMessage);
      for (let i = 0; i < list.length; i += FLUSH_BATCH) await insertRows(repo, list.slice(i, i + FLUSH_BATCH));
    });
  list.push(...rows);
  return true;
}

/** One event for {@link emitMany}. */
export type OutboxEvent = { [T in EventType]: { type: T; data: EventData<T>; correlationId?: string } }[EventType];

/**
 * Writes many events in the caller's transaction with multi-row inserts (bulk work such as a CSV
 * import emits the same events as one-by-one changes without a statement per event). Each payload
 * is validated like {@link emit}'s; order is kept.
 */
export async function emitMany(tx: EntityManager, businessId: string, events: OutboxEvent[], batch = 250): Promise<void> {
  const occurredAt = new Date();
  const rows = events.map(
    (e) =>
      ({
        eventId: newId(),
        businessId,
        type: e.type,
        data: eventSchemas[e.type].parse(e.data) as object,
        correlationId: e.correlationId ?? null,
        occurredAt,
        sentAt: null,
      }) as OutboxMessage,
  );
  if (defer(tx, rows)) return;
  const repo = tx.getRepository(OutboxMessage);
  for (let i = 0; i < rows.length; i += batch) await repo.insert(rows.slice(i, i + batch));
}

export function toEnvelope(row: OutboxMessage): Envelope {
  return {
    id: row.eventId,
    type: row.type,
    businessId: row.businessId,
    occurredAt: new Date(row.occurredAt).toISOString(),
    ...(row.correlationId ? { correlationId: row.correlationId } : {}),
    data: row.data,
  };
}

export interface RelayOptions {
  pollMs: number;
  batch?: number;
  leaseMs?: number;
}

/**
 * Publishes outbox rows in order and marks them sent only after the bus confirmed them.
 * One instance at a time holds the `outbox-relay` lease; a failed publish stops the batch
 * (order is kept) and is retried on the next tick.
 */
export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = true;
  private hasLease = false;
  private leaseCheckedAt = 0;

  constructor(
    private readonly db: Db,
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly opts: RelayOptions,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Asks for a pass soon (called after commits so events leave with low latency). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = this.runOnce()
      .then(() => undefined)
      .catch((e) => this.log.warn({ err: e }, 'outbox relay pass failed'));
    await this.running;
    this.running = undefined;
    const again = this.again;
    this.again = false;
    this.schedule(again ? 0 : this.opts.pollMs);
  }

  /** One pass: publishes up to `batch` rows; returns how many were sent. */
  async runOnce(): Promise<number> {
    const now = Date.now();
    const leaseMs = this.opts.leaseMs ?? 15000;
    if (!this.hasLease || now - this.leaseCheckedAt > leaseMs / 3) {
      this.hasLease = await acquireLease(this.db, 'outbox-relay', leaseMs);
      this.leaseCheckedAt = now;
    }
    if (!this.hasLease) return 0;
    let total = 0;
    for (;;) {
      const rows = await this.db.manager
        .getRepository(OutboxMessage)
        .createQueryBuilder('o')
        .where('o.sentAt IS NULL')
        .orderBy('o.seq', 'ASC')
        .limit(this.opts.batch ?? 200)
        .getMany();
      if (!rows.length) return total;
      // Publish the whole batch on the channel in order and wait for every confirm; rows are marked
      // sent up to the first failure (later ones may be published again: delivery is at-least-once).
      const results = await Promise.allSettled(rows.map((row) => this.bus.publish(toEnvelope(row))));
      const sent: string[] = [];
      let failed: unknown;
      for (let i = 0; i < rows.length; i++) {
        const r = results[i]!;
        if (r.status === 'fulfilled') {
          sent.push(rows[i]!.seq);
          continue;
        }
        failed = r.reason;
        const row = rows[i]!;
        await this.db.manager
          .getRepository(OutboxMessage)
          .update({ seq: row.seq }, { attempts: row.attempts + 1, lastError: String((r.reason as Error)?.message ?? r.reason).slice(0, 500) });
        break;
      }
      if (sent.length) {
        await this.db.manager.getRepository(OutboxMessage).createQueryBuilder().update().set({ sentAt: new Date() }).whereInIds(sent).execute();
        total += sent.length;
      }
      if (failed) throw failed;
      if (rows.length < (this.opts.batch ?? 200)) return total;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
