/**
 * Pure rules of staff accounts: the password policy, the login back-off and recovery-code shapes.
 * No I/O here; tenants.service applies them.
 */

/** Fewest characters a staff password may have (ASVS 2.1.1 asks for at least 8; we ask for 10). */
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 200;

let commonPasswords: Set<string> | undefined;

/**
 * The bundled list of common and breached passwords: the ~49k passwords that zxcvbn ranks as most
 * used (from public breach corpora), shipped inside @zxcvbn-ts/language-common, so no network is
 * needed at run time. Loaded on first use.
 */
export function commonPasswordList(): Set<string> {
  if (!commonPasswords) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { dictionary } = require('@zxcvbn-ts/language-common') as { dictionary: Record<string, string[]> };
    commonPasswords = new Set((dictionary['passwords-common'] ?? []).map((p) => p.toLowerCase()));
  }
  return commonPasswords;
}

/**
 * Why a new staff password is refused, in words for the person typing it, or null when it is fine.
 * Refused: shorter than 10 characters, one character repeated, a common or breached password (also
 * with digits or symbols appended, "password12", "qwerty123!"), or the account's own e-mail or name.
 */
export function passwordWeakness(password: string, about: { email?: string; name?: string } = {}): string | null {
  const chars = [...password];
  if (chars.length < MIN_PASSWORD_LENGTH) return `At least ${MIN_PASSWORD_LENGTH} characters`;
  if (chars.length > MAX_PASSWORD_LENGTH) return `At most ${MAX_PASSWORD_LENGTH} characters`;
  if (new Set(chars).size === 1) return 'Not one character repeated';
  if (new Set(chars).size < 4) return 'Use at least 4 different characters';
  const lower = password.toLowerCase();
  const list = commonPasswordList();
  const stem = lower.replace(/[\d\W_]+$/u, '');
  if (list.has(lower) || (stem.length >= 4 && list.has(stem)) || isSequence(lower))
    return 'This password is too common (it appears in lists of breached passwords)';
  const local = about.email?.toLowerCase().split('@')[0];
  if ((local && (lower === local || stem === local)) || (about.email && lower.includes(about.email.toLowerCase())))
    return 'Do not use your e-mail address in the password';
  const name = about.name?.toLowerCase().replace(/\s+/g, '');
  if (name && name.length >= 4 && lower.replace(/\s+/g, '') === name) return 'Do not use your name as the password';
  return null;
}

/** "1234567890", "abcdefghij", "0987654321": one step up or down every character. */
function isSequence(s: string): boolean {
  const codes = [...s].map((c) => c.codePointAt(0)!);
  const step = codes[1]! - codes[0]!;
  if (Math.abs(step) !== 1) return false;
  return codes.every((c, i) => i === 0 || c - codes[i - 1]! === step);
}

/**
 * Login back-off for one key (an e-mail and IP pair, an IP, an e-mail): how long after the last
 * failure the next attempt must wait. Below `free` failures there is no wait; then it doubles from
 * one second up to `capMs`. Nothing ever locks an account for good: a correct password after the
 * wait (or from another address, where only the e-mail's short cap applies) signs in.
 */
export interface BackoffPolicy {
  free: number;
  capMs: number;
}

export const LOGIN_BACKOFF = {
  /** One e-mail from one address: 5 free tries, then 1 s, 2 s, 4 s … up to 15 minutes. */
  emailAndIp: { free: 5, capMs: 15 * 60_000 },
  /** One address over all e-mails (an office shares one): 50 free tries, then up to 15 minutes. */
  ip: { free: 50, capMs: 15 * 60_000 },
  /** One e-mail over all addresses (a spray from many IPs): 10 free tries, then at most 30 s apart. */
  email: { free: 10, capMs: 30_000 },
} as const satisfies Record<string, BackoffPolicy>;

/** Failures are forgotten this long after the last one. */
export const BACKOFF_FORGET_MS = 15 * 60_000;

export function backoffMs(failures: number, p: BackoffPolicy): number {
  if (failures < p.free) return 0;
  return Math.min(1000 * 2 ** Math.min(failures - p.free, 30), p.capMs);
}

/** Milliseconds still to wait before the next try on this key (0 = may try now). */
export function waitMs(state: { failures: number; lastFailAt: number } | undefined, p: BackoffPolicy, now: number): number {
  if (!state || now - state.lastFailAt > BACKOFF_FORGET_MS) return 0;
  return Math.max(0, state.lastFailAt + backoffMs(state.failures, p) - now);
}

/** Recovery codes: `xxxx-xxxx-xxxx` in lower-case base32 without look-alikes (60 random bits each). */
export const RECOVERY_CODE_COUNT = 10;
export const RECOVERY_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
export const recoveryCodePattern = /^[a-z2-9]{4}-?[a-z2-9]{4}-?[a-z2-9]{4}$/;

/** A recovery code as typed (any case, with or without dashes or spaces) in its stored form. */
export function normalizeRecoveryCode(input: string): string | null {
  const s = input.trim().toLowerCase().replace(/[\s]/g, '');
  if (!recoveryCodePattern.test(s)) return null;
  const bare = s.replace(/-/g, '');
  return `${bare.slice(0, 4)}-${bare.slice(4, 8)}-${bare.slice(8, 12)}`;
}

/** A TOTP code as typed: six digits, spaces allowed. */
export function normalizeTotp(input: string): string | null {
  const s = input.replace(/\s/g, '');
  return /^\d{6}$/.test(s) ? s : null;
}

/** Roles a business's `requireMfaForAdmins` setting applies to. */
export const MFA_REQUIRED_ROLES = ['owner', 'admin'] as const;
