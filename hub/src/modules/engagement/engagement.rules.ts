import { createHash, randomInt } from 'node:crypto';
import { getCountryCallingCode, isSupportedCountry, type CountryCode } from 'libphonenumber-js';
import type { FieldProblem } from '../../shared/errors';
import { t } from '../../shared/i18n';
import { defaultConsent, type FormFields, type FormVariable, type PublicRegistration } from './engagement.schemas';

/*
 * Pure rules of registration: SMS limits, code generation, what a form requires, UTM tags from a
 * page address, platform detection for the card page, HTML escaping.
 */

/**
 * At most 3 codes per phone per hour, 5 attempts per code, a code lives 10 minutes. A phone gets
 * no second code within `resendAfterSeconds` of the last one (the hub refuses it, and the page
 * counts down), so quick taps do not spend the hourly cap.
 */
export const SMS_LIMITS = { codesPerHour: 3, attemptsPerCode: 5, ttlMinutes: 10, codeLength: 6, resendAfterSeconds: 60 } as const;

/** How long an SMS code row (phone, requesting IP) is kept: see the README's retention table. */
export const SMS_CODE_RETENTION_MS = 24 * 3600_000;

export type CodeRequestDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/** Why a phone gets no code now: a resend too soon after the last one, or the hourly cap. */
export type PhoneCodeDecision = { ok: true } | { ok: false; reason: 'cooldown' | 'hourly_cap'; retryAfterSeconds: number };

/**
 * Whether another code may be sent to one phone, given its send times of the last hour: first the
 * resend cooldown (`resendAfterSeconds` after the newest send), then the hourly cap. A refusal
 * records no send, so a refused tap never counts towards the cap.
 */
export function mayRequestCode(sentAt: Date[], now: Date): PhoneCodeDecision {
  const cooldownMs = SMS_LIMITS.resendAfterSeconds * 1000;
  const newest = sentAt.reduce((m, d) => Math.max(m, d.getTime()), -Infinity);
  // A send stamped a little in the future (another hub's clock) waits at most the full cooldown.
  const wait = Math.min(cooldownMs, newest + cooldownMs - now.getTime());
  if (wait > 0) return { ok: false, reason: 'cooldown', retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)) };
  const cap = slidingCap(sentAt, SMS_LIMITS.codesPerHour, now);
  return cap.ok ? cap : { ok: false, reason: 'hourly_cap', retryAfterSeconds: cap.retryAfterSeconds };
}

/**
 * A sliding-window cap: at most `cap` events in any `windowMs`; when full, how long until the
 * oldest event that counts leaves the window.
 */
export function slidingCap(times: Date[], cap: number, now: Date, windowMs = 3600_000): CodeRequestDecision {
  const since = now.getTime() - windowMs;
  const recent = times
    .map((d) => d.getTime())
    .filter((t) => t > since)
    .sort((a, b) => a - b);
  if (recent.length < cap) return { ok: true };
  const oldest = recent[recent.length - cap]!;
  return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((oldest + windowMs - now.getTime()) / 1000)) };
}

/**
 * Defaults of a business's SMS policy. A café's registrations are a few dozen a day; an SMS pumping
 * bot asks thousands of codes an hour. 10 codes per IP per hour leaves room for a venue's guest
 * Wi-Fi (one address for everyone in the room); 100 per page per hour for an opening-day queue.
 */
export const SMS_POLICY_DEFAULTS = { dailyBudget: 500, codesPerIpPerHour: 10, codesPerFormPerHour: 100 } as const;

/**
 * The calling code of the business's own country, from its currency: an ISO 4217 code of a
 * national currency starts with the ISO 3166 country (RUB -> RU -> +7, KZT -> KZ -> +7,
 * BYN -> BY -> +375). Currencies of several countries (EUR, XOF) give none: any country is allowed
 * until the business lists its prefixes.
 */
export function homePrefixes(currency: string): string[] | null {
  const country = currency.slice(0, 2).toUpperCase();
  if (!isSupportedCountry(country)) return null;
  return [`+${getCountryCallingCode(country as CountryCode)}`];
}

/** Whether an E.164 phone starts with one of the prefixes (null = no restriction). */
export function phoneAllowed(phone: string, prefixes: readonly string[] | null): boolean {
  return !prefixes || prefixes.some((p) => phone.startsWith(p));
}

/** The calendar day (YYYY-MM-DD) of `now` in a time zone. */
export function localDay(now: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** Seconds until the next midnight in a time zone (at least 1). */
export function secondsToLocalMidnight(now: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(now);
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return Math.max(1, 86_400 - (n('hour') * 3600 + n('minute') * 60 + n('second')));
}

export type BudgetDecision = { ok: true; sentToday: number } | { ok: false; firstRefusal: boolean; retryAfterSeconds: number };

/**
 * The daily SMS budget: counts reset on a new business-local day; past the budget every request is
 * refused, and only the first refusal of the day is reported (one audit row, one alert).
 */
export function budgetDecision(
  state: { day: string | null; sentOnDay: number; exhaustedAt: Date | null; dailyBudget: number },
  now: Date,
  timeZone: string,
): BudgetDecision {
  const today = localDay(now, timeZone);
  const sent = state.day === today ? state.sentOnDay : 0;
  if (sent < state.dailyBudget) return { ok: true, sentToday: sent };
  const firstRefusal = !(state.day === today && state.exhaustedAt);
  return { ok: false, firstRefusal, retryAfterSeconds: secondsToLocalMidnight(now, timeZone) };
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
  return t(locale, 'sms.code', { code, business: businessName.slice(0, 30) });
}

export function smsLinkText(url: string, businessName: string, locale: string): string {
  return t(locale, 'sms.cardLink', { url, business: businessName.slice(0, 30) });
}

export function linkSentText(locale: string): string {
  return t(locale, 'guest.linkSent');
}

/**
 * The personal-data consent a page shows (152-ФЗ): the catalog's full text — operator, purpose, data,
 * retention — while the form keeps the default; the owner's own text as written otherwise.
 */
export function consentShown(form: { consentText: string }, businessName: string, locale: string): string {
  return form.consentText === defaultConsent(locale) ? t(locale, 'guest.consentPd', { operator: businessName }) : form.consentText;
}

/** A short version id of a consent text (first 16 hex of its SHA-256). */
export const consentVersion = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** E.164 with all but the last four digits masked (logs). */
export { maskPhone } from '../../shared/privacy';

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

// ---------------------------------------------------------------------------------------------
// The card page as the guest's account
// ---------------------------------------------------------------------------------------------

/** Where a card stands against the program's next level. */
export interface LevelProgress {
  /** The next level's name, as the owner wrote it. */
  level: string;
  metric: 'spend' | 'visits';
  /** The card's figure and the next level's threshold (spend in minor units, or purchases). */
  value: number;
  threshold: number;
  /** What is left to reach it. */
  left: number;
}

/**
 * The next level above the card's: the first level whose threshold is above both the card's figure
 * and its current level (a level set by hand counts). Null without levels, on the top level, or
 * when the policy counts a rolling window (the card's all-time figures would mislead the guest).
 */
export function levelProgress(
  levels: readonly { code: string; name: string; threshold: number }[],
  policy: { metric: 'spend' | 'visits'; window: unknown } | null,
  card: { levelCode: string | null; spendMinor: number; visits: number },
): LevelProgress | null {
  const metric = policy?.metric ?? 'spend';
  if (policy && policy.window !== 'all_time') return null;
  const value = metric === 'spend' ? card.spendMinor : card.visits;
  const current = levels.find((l) => l.code === card.levelCode)?.threshold ?? -1;
  const next = [...levels].sort((a, b) => a.threshold - b.threshold).find((l) => l.threshold > value && l.threshold > current);
  return next ? { level: next.name, metric, value, threshold: next.threshold, left: next.threshold - value } : null;
}

/**
 * Points that expire, per business-local day, soonest first: lots with points left whose expiry is
 * still ahead (`max` days at most).
 */
export function expiringPoints(
  lots: readonly { remaining: number; expiresAt: Date | null }[],
  now: Date,
  timeZone: string,
  max = 3,
): { day: string; points: number }[] {
  const byDay = new Map<string, number>();
  const ahead = lots
    .filter((l) => l.remaining > 0 && l.expiresAt && l.expiresAt.getTime() > now.getTime())
    .sort((a, b) => a.expiresAt!.getTime() - b.expiresAt!.getTime());
  for (const l of ahead) {
    const day = localDay(l.expiresAt!, timeZone);
    byDay.set(day, (byDay.get(day) ?? 0) + l.remaining);
  }
  return [...byDay].slice(0, max).map(([day, points]) => ({ day, points }));
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
