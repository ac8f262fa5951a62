import { randomInt } from 'node:crypto';
import type { FieldProblem } from '../../shared/errors';
import type { FormFields, FormVariable, PublicRegistration } from './engagement.schemas';

/*
 * Pure rules of registration: SMS limits, code generation, what a form requires, UTM tags from a
 * page address, platform detection for the card page, HTML escaping.
 */

/** At most 3 codes per phone per hour, 5 attempts per code, a code lives 10 minutes. */
export const SMS_LIMITS = { codesPerHour: 3, attemptsPerCode: 5, ttlMinutes: 10, codeLength: 6 } as const;

export type CodeRequestDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/** Whether another code may be sent, given the send times of the last hour. */
export function mayRequestCode(sentAt: Date[], now: Date): CodeRequestDecision {
  const hourAgo = now.getTime() - 3600_000;
  const recent = sentAt
    .map((d) => d.getTime())
    .filter((t) => t > hourAgo)
    .sort((a, b) => a - b);
  if (recent.length < SMS_LIMITS.codesPerHour) return { ok: true };
  const oldest = recent[recent.length - SMS_LIMITS.codesPerHour]!;
  return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((oldest + 3600_000 - now.getTime()) / 1000)) };
}

export type CodeCheck = { ok: true } | { ok: false; code: 'code_used' | 'code_expired' | 'too_many_attempts' | 'wrong_code'; attemptsLeft: number };

/** The verdict on an entered code: state of the stored code, then the comparison. */
export function checkCode(stored: { attempts: number; expiresAt: Date; usedAt: Date | null }, matches: boolean, now: Date): CodeCheck {
  if (stored.usedAt) return { ok: false, code: 'code_used', attemptsLeft: 0 };
  if (stored.attempts >= SMS_LIMITS.attemptsPerCode) return { ok: false, code: 'too_many_attempts', attemptsLeft: 0 };
  if (stored.expiresAt.getTime() <= now.getTime()) return { ok: false, code: 'code_expired', attemptsLeft: 0 };
  if (matches) return { ok: true };
  const left = SMS_LIMITS.attemptsPerCode - stored.attempts - 1;
  return { ok: false, code: left <= 0 ? 'too_many_attempts' : 'wrong_code', attemptsLeft: Math.max(0, left) };
}

/** A numeric code of `SMS_LIMITS.codeLength` digits, uniformly random. */
export function generateCode(rand: (max: number) => number = (max) => randomInt(max)): string {
  return String(rand(10 ** SMS_LIMITS.codeLength)).padStart(SMS_LIMITS.codeLength, '0');
}

/** The SMS text in the business's language. */
export function smsText(code: string, businessName: string, locale: string): string {
  const name = businessName.slice(0, 30);
  return locale.toLowerCase().startsWith('ru') ? `Код ${code} для регистрации в ${name}` : `${code} is your ${name} registration code`;
}

/** E.164 with all but the last four digits masked (logs). */
export const maskPhone = (phone: string) =>
  phone.replace(/^(\+?\d{2})\d+(\d{4})$/, (_m, a: string, b: string) => `${a}${'*'.repeat(Math.max(0, phone.length - a.length - 4))}${b}`);

/**
 * What a form requires beyond the schema: its required standard fields and its own variables,
 * typed as declared. Unknown variables are refused; hidden fields are ignored.
 */
export function checkAgainstForm(
  form: { fields: FormFields; variables: FormVariable[] },
  body: PublicRegistration,
): { problems: FieldProblem[]; attributes: Record<string, string | number | boolean | null> } {
  const problems: FieldProblem[] = [];
  for (const f of ['name', 'birthday', 'email', 'gender'] as const) {
    if (form.fields[f] === 'required' && (body[f] === undefined || body[f] === null || body[f] === '')) problems.push({ field: f, message: 'Required' });
  }
  const attributes: Record<string, string | number | boolean | null> = {};
  const given = body.variables ?? {};
  const known = new Map(form.variables.map((v) => [v.key, v]));
  for (const key of Object.keys(given)) if (!known.has(key)) problems.push({ field: `variables.${key}`, message: 'Unknown field' });
  for (const v of form.variables) {
    const raw = given[v.key];
    const empty = raw === undefined || raw === null || raw === '';
    if (empty) {
      if (v.required) problems.push({ field: `variables.${v.key}`, message: 'Required' });
      continue;
    }
    switch (v.type) {
      case 'number': {
        const n = typeof raw === 'number' ? raw : Number(raw);
        if (!Number.isFinite(n)) problems.push({ field: `variables.${v.key}`, message: 'A number' });
        else attributes[v.key] = n;
        break;
      }
      case 'checkbox':
        if (typeof raw !== 'boolean') problems.push({ field: `variables.${v.key}`, message: 'true or false' });
        else attributes[v.key] = raw;
        break;
      case 'date':
        if (typeof raw !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(raw) || Number.isNaN(Date.parse(raw)))
          problems.push({ field: `variables.${v.key}`, message: 'A date as YYYY-MM-DD' });
        else attributes[v.key] = raw;
        break;
      case 'select':
        if (typeof raw !== 'string' || !v.options!.includes(raw)) problems.push({ field: `variables.${v.key}`, message: 'One of the listed options' });
        else attributes[v.key] = raw;
        break;
      case 'text':
        if (typeof raw !== 'string') problems.push({ field: `variables.${v.key}`, message: 'Text' });
        else attributes[v.key] = raw.trim().slice(0, 500);
        break;
    }
  }
  return { problems, attributes };
}

const UTM_KEYS = ['source', 'medium', 'campaign', 'term', 'content'] as const;

/** `utm_*` parameters of a page address, trimmed to 100 characters (unknown ones are dropped). */
export function utmFromQuery(query: Record<string, unknown>): Partial<Record<(typeof UTM_KEYS)[number], string>> {
  const out: Partial<Record<(typeof UTM_KEYS)[number], string>> = {};
  for (const k of UTM_KEYS) {
    const v = query[`utm_${k}`];
    if (typeof v === 'string' && v.trim()) out[k] = v.trim().slice(0, 100);
  }
  return out;
}

export type Platform = 'ios' | 'android' | 'desktop';

/** The wallet a visitor's device has, from its User-Agent. iPadOS may claim to be a Mac with `Mobile/`. */
export function detectPlatform(userAgent: string | undefined): Platform {
  const ua = userAgent ?? '';
  if (/\b(iPhone|iPad|iPod)\b/.test(ua)) return 'ios';
  if (/\bMacintosh\b/.test(ua) && /\bMobile\//.test(ua)) return 'ios';
  if (/\bAndroid\b/i.test(ua)) return 'android';
  return 'desktop';
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string | null | undefined) => String(s ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
