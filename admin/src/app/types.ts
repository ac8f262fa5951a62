// Wire shapes of the hub's /v1/admin API (see GET /v1/openapi.json); dates arrive as ISO strings.
import type { operations } from './api-types';

/** The JSON body of an operation's success reply, from the types generated out of /v1/openapi.json. */
type Reply<O extends keyof operations> = operations[O]['responses'] extends { 200: { content: { 'application/json': infer B } } } ? B : never;

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
  settings: { fraudLimits: FraudLimits; holdTtlMinutes: number; requireMfaForAdmins: boolean; privacyPolicyUrl?: string | null };
  createdAt: string;
}

export interface Staff {
  id: string;
  email: string;
  name: string;
  role: Role;
  active: boolean;
  /** Signs in with a second factor (TOTP). */
  mfaEnabled: boolean;
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

export interface CursorPage<T> extends Items<T> {
  nextCursor: string | null;
}

// ---------- clients ----------

/** A guest as the API shows one (generated from the hub's OpenAPI document: api-types.ts). */
export type Guest = Reply<'get_v1_admin_guests_id'>['guest'];

export type CardStatus = 'active' | 'blocked' | 'deleted';

/** A card as the API shows one (generated). */
export type Card = Reply<'get_v1_admin_cards_id'>;

export interface LedgerEntry {
  id: string;
  kind: string;
  unit: 'points' | 'minor' | 'stamps' | string;
  amount: number;
  balanceAfter: number;
  checkoutId: string | null;
  refundId: string | null;
  linkedEntryId: string | null;
  reason: string | null;
  actorType: string;
  actorId: string;
  createdAt: string;
}

export interface BlacklistEntry {
  id: string;
  phone: string;
  reason: string | null;
  createdAt: string;
}

export interface GuestImport {
  id: string;
  state: 'queued' | 'running' | 'done' | 'failed' | 'canceled';
  dryRun: boolean;
  programId: string | null;
  fileName: string | null;
  columns: string[];
  totalRows: number;
  processedRows: number;
  progress: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  errors: { row: number; field: string; message: string }[];
  lastError: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

// ---------- mechanics ----------

export const PROGRAM_KINDS = ['bonus', 'discount', 'stamp', 'coupon', 'gift'] as const;
export type ProgramKind = (typeof PROGRAM_KINDS)[number];

export interface Level {
  code: string;
  name: string;
  threshold: number;
  discountPercent?: number;
  accrualPercent?: number;
}

export interface LevelPolicy {
  metric: 'spend' | 'visits';
  window: 'all_time' | { days: number };
  downgrade: 'never' | 'periodic';
}

export interface Program {
  id: string;
  name: string;
  kind: ProgramKind;
  rules: Record<string, unknown> & { kind: ProgramKind };
  levels: Level[];
  levelPolicy: LevelPolicy | null;
  welcomeBonusPoints: number;
  referral: { referrerPoints: number; refereePoints: number } | null;
  active: boolean;
  cardPrefix: string;
  createdAt: string;
  updatedAt: string;
}

export interface Coupon {
  id: string;
  programId: string;
  code: string;
  status: 'active' | 'disabled' | string;
  maxUses: number | null;
  uses: number;
  guestId: string | null;
  validFrom: string | null;
  validTo: string | null;
  note: string | null;
  createdAt: string;
}

// ---------- sales ----------

/** A sale as the POS API answers it (generated). */
export type Checkout = Reply<'get_v1_pos_checkouts_id'>;

export interface Refund {
  id: string;
  checkoutId: string;
  amountMinor: number;
  payableReturnedMinor: number;
  pointsReturned: number;
  pointsReversed: number;
  pointsShortfall: number;
  giftReturnedMinor: number;
  stampsReversed: number;
  full: boolean;
  createdAt: string;
}

export interface Quote {
  currency: string;
  cardId: string | null;
  totalMinor: number;
  discountMinor: number;
  couponDiscountMinor: number;
  pointsRedeemed: number;
  maxRedeemablePoints: number;
  redeemValueMinor: number;
  giftSpentMinor: number;
  payableMinor: number;
  pointsAccrued: number;
  stampsAdded: number;
  lines: Record<string, unknown>[];
}

/** What the till sees of a card it found (`GET /v1/scanner/cards/lookup`, generated). */
export type CardLookup = Reply<'get_v1_scanner_cards_lookup'>;
