import type { Checkout } from './checkout.entity';

/** Where a sale came from: pos (terminal key), web_scanner, console, connector:<id>, system. */
export function checkoutSource(c: Pick<Checkout, 'actorType' | 'actorId' | 'idempotencyKey'>): string {
  if (c.actorType === 'terminal') return 'pos';
  if (c.actorType === 'connector') return `connector:${c.actorId}`;
  if (c.idempotencyKey.startsWith('scanner:')) return 'web_scanner';
  return c.actorType === 'staff' ? 'console' : c.actorType;
}
