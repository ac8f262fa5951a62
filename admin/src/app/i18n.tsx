import { createContext, ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import ruRU from 'antd/locale/ru_RU';
import dayjs from 'dayjs';
import { formatMessage } from '../../../hub/src/shared/i18n';
import 'dayjs/locale/ru';
import { dictionaries, MessageKey } from './messages';
import type { Lang } from './types';

const STORAGE_KEY = 'loyalty.console.lang';
const ANTD_LOCALES = { ru: ruRU, en: enUS };

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

interface I18n {
  lang: Lang;
  t: Translate;
  /** The user's explicit choice; remembered in this browser. */
  setLang(lang: Lang): void;
  /** The business default: applies only while the user has not chosen a language. */
  adoptDefault(locale: string): void;
}

const I18nContext = createContext<I18n | undefined>(undefined);

const isLang = (v: unknown): v is Lang => v === 'ru' || v === 'en';

function stored(): Lang | undefined {
  try {
    const v = window.localStorage.getItem(STORAGE_KEY);
    return isLang(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A console text in `lang`. A message with a plural or a select (`{n, plural, one {# балл} few {# балла} …}`)
 * is ICU MessageFormat, formatted by FormatJS with CLDR plural rules like the shared catalog; the others
 * fill their `{name}`s as written.
 */
export function translate(lang: Lang, key: MessageKey, vars?: Record<string, string | number>): string {
  const text = dictionaries[lang][key] ?? key;
  if (vars && /\{\w+, (plural|select|selectordinal),/.test(text)) return formatMessage(lang, text, vars);
  return vars ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m)) : text;
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(() => stored() ?? (navigator.language.toLowerCase().startsWith('en') ? 'en' : 'ru'));

  useEffect(() => {
    document.documentElement.lang = lang;
    dayjs.locale(lang);
  }, [lang]);

  const setLang = useCallback((l: Lang) => {
    try {
      window.localStorage.setItem(STORAGE_KEY, l);
    } catch {
      // private mode: the choice lasts for this page only
    }
    setLangState(l);
  }, []);

  const adoptDefault = useCallback((locale: string) => {
    if (!stored() && isLang(locale)) setLangState(locale);
  }, []);

  const value = useMemo<I18n>(() => ({ lang, setLang, adoptDefault, t: (key, vars) => translate(lang, key, vars) }), [lang, setLang, adoptDefault]);

  return (
    <I18nContext.Provider value={value}>
      <ConfigProvider
        locale={ANTD_LOCALES[lang]}
        theme={{
          token: {
            colorPrimary: '#5b47e0',
            colorLink: '#5b47e0',
            borderRadius: 8,
            colorBgLayout: '#f5f6fa',
            fontSize: 14,
          },
          components: {
            Layout: { siderBg: '#ffffff', headerBg: '#ffffff', headerHeight: 56, headerPadding: '0 24px' },
            Menu: { itemBorderRadius: 8, itemMarginInline: 8, itemHeight: 38, itemMarginBlock: 2, subMenuItemBg: '#ffffff' },
            Table: { headerBg: '#fafafc' },
          },
        }}
      >
        {children}
      </ConfigProvider>
    </I18nContext.Provider>
  );
}

export function useI18n(): I18n {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error('useI18n outside I18nProvider');
  return ctx;
}
