import { IntlMessageFormat } from 'intl-messageformat';
import { en, type MessageKey } from './messages.en';
import { ru } from './messages.ru';

/**
 * The one message catalog of the project: ICU MessageFormat (FormatJS `intl-messageformat`), so
 * plural forms follow CLDR rules (ru: one/few/many/other; 1,5 балла). Used by the hub (guest pages,
 * SMS, pass texts) and importable by the console (admin/ imports this folder by a relative path;
 * it has no Node-only code). Add a key to `messages.en.ts` first; `messages.ru.ts` must follow.
 */
export type { MessageKey } from './messages.en';
export type Lang = 'ru' | 'en';
export type Values = Record<string, string | number | Date>;

export const messages: Record<Lang, Record<MessageKey, string>> = { en, ru };
export const LANGS: readonly Lang[] = ['ru', 'en'];

/** The catalog language of a BCP 47 locale (`ru-RU` → `ru`); anything we do not have falls back to English. */
export const langOf = (locale: string | null | undefined): Lang => ((locale ?? '').toLowerCase().startsWith('ru') ? 'ru' : 'en');

const cache = new Map<string, IntlMessageFormat>();

/** Formats a catalog message in the locale's language; `values` fill its `{arguments}`. */
export function t(locale: string | null | undefined, key: MessageKey, values?: Values): string {
  const lang = langOf(locale);
  const id = `${lang}\u0000${key}`;
  let f = cache.get(id);
  if (!f) {
    f = new IntlMessageFormat(messages[lang][key], lang === 'ru' ? 'ru-RU' : 'en-GB');
    cache.set(id, f);
  }
  return String(f.format(values));
}

/** The reasons the hub itself writes on ledger entries: stored as these codes, shown through `ledger.reason.<code>`. */
export const LEDGER_REASONS = [
  'welcome_bonus',
  'gift_nominal',
  'points_expired',
  'gift_forfeited',
  'stamp_rewards',
  'stamp_card_completed',
  'referral_invited',
  'referral_inviter',
  'refund_voided',
  'import_opening_balance',
] as const;
export type LedgerReason = (typeof LEDGER_REASONS)[number];

/** English texts older hubs stored instead of a code, read as the code they meant. */
const LEGACY_REASONS: [RegExp, LedgerReason][] = [
  [/^welcome bonus$/, 'welcome_bonus'],
  [/^gift certificate nominal$/, 'gift_nominal'],
  [/^\d+ lot\(s\) expired$/, 'points_expired'],
  [/^single-use certificate: the rest is forfeited$/, 'gift_forfeited'],
  [/^\d+ reward\(s\) completed$/, 'stamp_rewards'],
  [/^stamp card completed$/, 'stamp_card_completed'],
  [/^referral: invited guest$/, 'referral_invited'],
  [/^referral: inviting guest$/, 'referral_inviter'],
  [/^refund voided$/, 'refund_voided'],
  [/^import: opening balance$/, 'import_opening_balance'],
];

/**
 * A ledger entry's reason for a reader: a code the hub wrote (or an English text an older hub
 * stored) in the reader's language; a person's own words (a manual adjustment) as written.
 */
export function ledgerReason(locale: string | null | undefined, reason: string): string {
  const code = (LEDGER_REASONS as readonly string[]).includes(reason) ? (reason as LedgerReason) : LEGACY_REASONS.find(([re]) => re.test(reason))?.[1];
  return code ? t(locale, `ledger.reason.${code}`) : reason;
}

const adhoc = new Map<string, IntlMessageFormat>();

/** Formats an ICU message that is not in this catalog (the console's own texts with plurals), with the same rules. */
export function formatMessage(locale: string | null | undefined, text: string, values?: Values): string {
  const lang = langOf(locale);
  const id = `${lang}\u0000${text}`;
  let f = adhoc.get(id);
  if (!f) adhoc.set(id, (f = new IntlMessageFormat(text, lang === 'ru' ? 'ru-RU' : 'en-GB')));
  return String(f.format(values));
}
