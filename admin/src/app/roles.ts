import type { Role } from './types';

/** Role sets as the hub enforces them (hub/src/http/auth.ts ROLE_SETS); an owner passes every set. */
export const ROLE_SETS = {
  owner: ['owner'],
  admins: ['owner', 'admin'],
  marketing: ['owner', 'admin', 'marketer'],
  staff: ['owner', 'admin', 'marketer', 'cashier'],
} as const satisfies Record<string, readonly Role[]>;

export function allows(roles: readonly Role[], role: Role | undefined): boolean {
  return role === 'owner' || (role !== undefined && roles.includes(role));
}
