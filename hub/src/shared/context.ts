import type { EntityManager } from 'typeorm';

export const ROLES = ['owner', 'admin', 'marketer', 'cashier'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Who is acting: a staff member (console), a terminal (POS key), a guest (public pages), a connector
 * (a bus command sent by an installed connector; `id` is the connector id) or the system (jobs).
 */
export interface Actor {
  type: 'staff' | 'terminal' | 'guest' | 'connector' | 'system';
  id: string;
  role?: Role;
  /** Display label for history: e-mail of a staff member, terminal name. */
  label?: string;
  ip?: string;
  /** For terminals: the location the terminal belongs to. */
  locationId?: string;
  scopes?: string[];
}

/**
 * Every service call carries the tenant and the actor; `tx` is the transaction the call
 * must write in (when absent the service opens its own).
 */
export interface Ctx {
  businessId: string;
  actor: Actor;
  tx?: EntityManager;
  requestId?: string;
}

export const systemActor = (label = 'system'): Actor => ({ type: 'system', id: 'system', label });
