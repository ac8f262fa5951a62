import type { FormInstance } from 'antd';
import { isApiError } from './api';
import type { Translate } from './i18n';
import type { MessageKey } from './messages';

/** Problem codes the console words itself; others show the hub's own `detail`. */
const KNOWN: Record<string, MessageKey> = {
  network_error: 'error.network',
  forbidden: 'error.forbidden',
  invalid_credentials: 'error.invalidCredentials',
  login_throttled: 'error.loginThrottled',
  email_taken: 'error.emailTaken',
  last_owner: 'error.lastOwner',
  session_expired: 'error.sessionExpired',
  validation_failed: 'error.validation',
  guest_exists: 'error.guestExists',
  phone_blacklisted: 'error.phoneBlacklisted',
  invalid_phone: 'error.invalidPhone',
  already_blacklisted: 'error.alreadyBlacklisted',
  guest_erased: 'error.guestErased',
  card_deleted: 'error.cardDeleted',
  card_blocked: 'error.cardBlocked',
  card_not_found: 'error.cardNotFound',
  invalid_qr: 'error.invalidQr',
  invalid_card_number: 'error.cardNotFound',
  insufficient_points: 'error.insufficientPoints',
  insufficient_balance: 'error.insufficientBalance',
  insufficient_gift_balance: 'error.insufficientGift',
  redeem_over_cap: 'error.redeemOverCap',
  below_min_check: 'error.belowMinCheck',
  fraud_limit_exceeded: 'error.fraudLimit',
  coupon_not_found: 'error.couponNotFound',
  coupon_expired: 'error.couponExpired',
  coupon_not_yet_valid: 'error.couponNotYetValid',
  coupon_inactive: 'error.couponInactive',
  coupon_used_up: 'error.couponUsedUp',
  coupon_redemptions: 'error.couponUsedUp',
  code_used: 'error.couponUsedUp',
  coupon_min_check: 'error.couponMinCheck',
  coupon_not_applicable: 'error.couponNotApplicable',
  coupon_other_guest: 'error.couponOtherGuest',
  coupon_guest_limit: 'error.couponGuestLimit',
  stamps_over_limit: 'error.stampsOverLimit',
  operation_not_supported: 'error.operationNotSupported',
  not_refundable: 'error.notRefundable',
  program_inactive: 'error.programInactive',
  unknown_level: 'error.unknownLevel',
  wrong_unit: 'error.wrongUnit',
  coupon_code_taken: 'error.codeTaken',
  slug_taken: 'error.slugTaken',
  unsupported_media_type: 'error.unsupportedMedia',
  empty_file: 'error.fileEmpty',
  malformed_csv: 'error.fileMalformed',
  missing_phone_column: 'error.fileNoPhone',
  too_many_rows: 'error.fileTooBig',
  idempotency_key_reused: 'error.idempotencyReused',
  unknown_location: 'error.unknownLocation',
  gift_expired: 'error.giftExpired',
  integration_not_installed: 'error.integrationNotInstalled',
  integration_already_installed: 'error.integrationInstalled',
  weak_password: 'error.weakPassword',
  wrong_password: 'error.wrongPassword',
  invalid_mfa_code: 'error.invalidMfaCode',
  mfa_challenge_invalid: 'error.mfaChallenge',
  mfa_attempts_exceeded: 'error.mfaAttempts',
  mfa_enrolment_required: 'error.mfaEnrolmentRequired',
  mfa_not_enrolled: 'error.mfaNotEnrolled',
  mfa_required_by_business: 'error.mfaRequiredByBusiness',
  exact_lookup_only: 'error.exactLookupOnly',
};

/** Codes that belong to one form field rather than to the whole form. */
const FIELD_OF_CODE: Record<string, string> = {
  email_taken: 'email',
  guest_exists: 'phone',
  phone_blacklisted: 'phone',
  already_blacklisted: 'phone',
  coupon_code_taken: 'code',
  slug_taken: 'slug',
};

/** A sentence for a person, in the console's language. */
export function problemMessage(e: unknown, t: Translate): string {
  if (!isApiError(e)) return t('error.title');
  const key = KNOWN[e.code];
  if (key) return t(key);
  if (e.status === 403) return t('error.forbidden');
  if (e.status === 429) return t('error.tooManyRequests');
  if (e.status === 404) return t('error.notFound');
  if (e.status >= 500) return t('error.server', { id: e.requestId ?? '—' });
  return e.message;
}

/** `settings.fraudLimits.opsPerCardPerHour` / `items[0].name` -> antd name path. */
export function toNamePath(field: string): (string | number)[] {
  return field
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/**
 * Puts a problem's field errors under the matching form fields. Returns the message for the
 * rest (a problem with no field of this form, or none at all), or undefined when every error found its field.
 */
export function applyProblem(form: FormInstance, e: unknown, t: Translate): string | undefined {
  if (!isApiError(e)) return problemMessage(e, t);
  const registered = new Set(form.getFieldsError().map((f) => f.name.join('.')));
  const fieldErrors = [...e.errors];
  const codeField = FIELD_OF_CODE[e.code];
  if (codeField && registered.has(codeField)) fieldErrors.push({ field: codeField, message: problemMessage(e, t) });
  const placed: { name: (string | number)[]; errors: string[] }[] = [];
  const rest: string[] = [];
  for (const fe of fieldErrors) {
    const path = toNamePath(fe.field);
    if (registered.has(path.join('.'))) {
      const existing = placed.find((p) => p.name.join('.') === path.join('.'));
      if (existing) existing.errors.push(fe.message);
      else placed.push({ name: path, errors: [fe.message] });
    } else rest.push(`${fe.field}: ${fe.message}`);
  }
  if (placed.length) form.setFields(placed);
  if (rest.length) return `${problemMessage(e, t)} ${rest.join('; ')}`;
  if (placed.length) return undefined;
  return problemMessage(e, t);
}
