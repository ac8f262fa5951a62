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

export interface Guest {
  id: string;
  phone: string | null;
  name: string | null;
  birthday: string | null;
  email: string | null;
  gender: string | null;
  marketingConsent: boolean;
  source: string | null;
  utm: Record<string, string> | null;
  attributes: Record<string, unknown> | null;
  referralCode: string;
  referrerGuestId: string | null;
  status: 'active' | 'erased' | string;
  visits: number;
  spendMinor: number;
  firstPurchaseAt: string | null;
  lastPurchaseAt: string | null;
  createdAt: string;
}

export type CardStatus = 'active' | 'blocked' | 'deleted';

export interface Card {
  id: string;
  number: string;
  qr: string;
  status: CardStatus;
  programId: string;
  programName: string;
  kind: ProgramKind | string;
  guestId: string | null;
  levelCode: string | null;
  levelName: string | null;
  pointsBalance: number;
  pointsAvailable: number;
  pointsPending: number;
  pointsHeld: number;
  giftBalanceMinor: number;
  giftExpiresAt: string | null;
  stamps: number;
  stampsGoal: number | null;
  spendMinor: number;
  visits: number;
  createdAt: string;
  lastOperationAt: string | null;
}

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

export interface Checkout {
  id: string;
  status: 'held' | 'committed' | 'canceled';
  replayed?: boolean;
  cardId: string | null;
  guestId: string | null;
  currency: string;
  totalMinor: number;
  discountMinor: number;
  couponDiscountMinor: number;
  pointsRedeemed: number;
  redeemValueMinor: number;
  giftSpentMinor: number;
  payableMinor: number;
  pointsAccrued: number;
  pointsAvailableAt: string | null;
  stampsAdded: number;
  stampRewards: number;
  couponCode: string | null;
  lines: Record<string, unknown>[];
  balanceAfter: { points: number; giftMinor: number; stamps: number; levelCode: string | null } | null;
  holdExpiresAt: string | null;
  refunded: { amountMinor: number; payableMinor: number; pointsReturned: number; pointsReversed: number; giftMinor: number };
  receipt: Record<string, unknown> | null;
  createdAt: string;
}

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

export interface CardLookup {
  card: Card;
  guest: Guest | null;
}
