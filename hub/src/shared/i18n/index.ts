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
