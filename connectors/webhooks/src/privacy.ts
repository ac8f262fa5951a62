import { In, LessThan } from 'typeorm';
import type { ConnectorStore } from '@loyalty/sdk';
import { WebhookAttemptEntity, WebhookDeliveryEntity } from './entities';

/** A finished delivery (its payload and attempt log) is kept 30 days for the console's log and replays. */
export const DELIVERY_RETENTION_MS = 30 * 24 * 3600_000;

const PERSONAL = new Set(['phone', 'name', 'email', 'birthday', 'gender']);

/** The payload with the guest's personal fields nulled in every object about that guest. */
export function redactPayload(payload: string, guestId: string): string {
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    return payload;
  }
  const walk = (x: unknown, mine: boolean): unknown => {
    if (Array.isArray(x)) return x.map((y) => walk(y, mine));
    if (x && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      const about = typeof o.guestId === 'string' ? o.guestId === guestId : mine;
      return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, about && PERSONAL.has(k) && v !== null ? null : walk(v, about)]));
    }
    return x;
  };
  return JSON.stringify(walk(body, false));
}

/**
 * On `guest.erased`: the stored deliveries about the guest keep their event but lose the guest's
 * phone, name, e-mail and birthday (a replay sends the redacted body). Returns how many changed.
 */
export async function redactGuestDeliveries(store: ConnectorStore, businessId: string, guestId: string): Promise<number> {
  const like = `%${guestId.replace(/[!%_]/g, (c) => `!${c}`)}%`;
  const rows = await store
    .repository(WebhookDeliveryEntity)
    .createQueryBuilder('d')
    .select(['d.id', 'd.payload'])
    .where(`d.businessId = :b AND d.payload LIKE :like ESCAPE '!'`, { b: businessId, like })
    .getMany();
  let changed = 0;
  for (const d of rows) {
    const payload = redactPayload(d.payload, guestId);
    if (payload === d.payload) continue;
    await store.transaction((tx) => tx.repository(WebhookDeliveryEntity).update({ id: d.id }, { payload }));
    changed++;
  }
  return changed;
}

/** Retention: finished deliveries older than the retention go, with their attempts. Returns how many. */
export async function purgeOldDeliveries(store: ConnectorStore, now: Date, retentionMs = DELIVERY_RETENTION_MS): Promise<number> {
  const before = new Date(now.getTime() - retentionMs);
  let total = 0;
  for (;;) {
    const ids = (
      await store.repository(WebhookDeliveryEntity).find({
        select: { id: true },
        where: { status: In(['succeeded', 'failed', 'canceled']), updatedAt: LessThan(before) },
        take: 500,
      })
    ).map((d) => d.id);
    if (!ids.length) return total;
    await store.transaction(async (tx) => {
      await tx.repository(WebhookAttemptEntity).delete({ deliveryId: In(ids) });
      await tx.repository(WebhookDeliveryEntity).delete({ id: In(ids) });
    });
    total += ids.length;
    if (ids.length < 500) return total;
  }
}
