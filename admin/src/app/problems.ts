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
};

/** Codes that belong to one form field rather than to the whole form. */
const FIELD_OF_CODE: Record<string, string> = { email_taken: 'email' };

/** A sentence for a person, in the console's language. */
export function problemMessage(e: unknown, t: Translate): string {
  if (!isApiError(e)) return t('error.title');
  const key = KNOWN[e.code];
  if (key) return t(key);
  if (e.status === 403) return t('error.forbidden');
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
