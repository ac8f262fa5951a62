// Wire shapes of the hub's /v1/admin API (see GET /v1/openapi.json); dates arrive as ISO strings.

export const ROLES = ['owner', 'admin', 'marketer', 'cashier'] as const;
export type Role = (typeof ROLES)[number];
export type Lang = 'ru' | 'en';

export interface FraudLimits {
  opsPerCardPerHour: number | null;
  redemptionsPerCardPerDay: number | null;
  adjustmentsPerStaffPerDay: number | null;
  scannerOpsPerStaffPerHour: number | null;
}

export interface Business {
  id: string;
  name: string;
  currency: string;
  timezone: string;
  locale: string;
  settings: { fraudLimits: FraudLimits; holdTtlMinutes: number };
  createdAt: string;
}

export interface Staff {
  id: string;
  email: string;
  name: string;
  role: Role;
  active: boolean;
  lastLoginAt: string | null;
  createdAt: string;
}

export interface Me {
  staff: Staff;
  business: Business;
}

export interface Location {
  id: string;
  name: string;
  address: string | null;
  latitude: number | null;
  longitude: number | null;
  active: boolean;
}

export const TERMINAL_SCOPES = ['pos', 'pos:refund', 'scanner'] as const;
export type TerminalScope = (typeof TERMINAL_SCOPES)[number];

export interface Terminal {
  id: string;
  name: string;
  locationId: string | null;
  keyPrefix: string;
  scopes: string[];
  revokedAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}

export interface TerminalCreated extends Terminal {
  key: string;
}

export interface AuditEntry {
  id: string;
  createdAt: string;
  actorType: string;
  actorId: string;
  actorLabel: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  before: unknown;
  after: unknown;
  ip: string | null;
}

export interface Items<T> {
  items: T[];
}

export interface AuditPage extends Items<AuditEntry> {
  nextCursor: string | null;
}
