import type { Lang } from './types';

const cache = new Map<string, Intl.DateTimeFormat>();

/** A date and time in the business's time zone, in the console's language. */
export function formatDateTime(iso: string | null | undefined, lang: Lang, timeZone?: string): string {
  if (!iso) return '—';
  const key = `${lang}|${timeZone ?? ''}`;
  let f = cache.get(key);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone });
    } catch {
      f = new Intl.DateTimeFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
    }
    cache.set(key, f);
  }
  return f.format(new Date(iso));
}

/** A date alone, in the same style as `formatDateTime` («8 дек. 2026 г.», "8 Dec 2026"): one date style across the console. */
export function formatDate(iso: string | null | undefined, lang: Lang, timeZone?: string): string {
  if (!iso) return '—';
  try {
    return new Intl.DateTimeFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', { dateStyle: 'medium', timeZone }).format(new Date(iso));
  } catch {
    return new Date(iso).toLocaleDateString();
  }
}

export function formatNumber(n: number, lang: Lang): string {
  return new Intl.NumberFormat(lang === 'ru' ? 'ru-RU' : 'en-US').format(n);
}

/** Russian names of the time zones a business here is likely to be in (the rest show their IANA city). */
const ZONE_RU: Record<string, string> = {
  'Europe/Kaliningrad': 'Калининград',
  'Europe/Moscow': 'Москва',
  'Europe/Simferopol': 'Симферополь',
  'Europe/Kirov': 'Киров',
  'Europe/Volgograd': 'Волгоград',
  'Europe/Astrakhan': 'Астрахань',
  'Europe/Saratov': 'Саратов',
  'Europe/Ulyanovsk': 'Ульяновск',
  'Europe/Samara': 'Самара',
  'Asia/Yekaterinburg': 'Екатеринбург',
  'Asia/Omsk': 'Омск',
  'Asia/Novosibirsk': 'Новосибирск',
  'Asia/Barnaul': 'Барнаул',
  'Asia/Tomsk': 'Томск',
  'Asia/Novokuznetsk': 'Новокузнецк',
  'Asia/Krasnoyarsk': 'Красноярск',
  'Asia/Irkutsk': 'Иркутск',
  'Asia/Chita': 'Чита',
  'Asia/Yakutsk': 'Якутск',
  'Asia/Khandyga': 'Хандыга',
  'Asia/Vladivostok': 'Владивосток',
  'Asia/Ust-Nera': 'Усть-Нера',
  'Asia/Magadan': 'Магадан',
  'Asia/Sakhalin': 'Сахалин',
  'Asia/Srednekolymsk': 'Среднеколымск',
  'Asia/Kamchatka': 'Петропавловск-Камчатский',
  'Asia/Anadyr': 'Анадырь',
  'Europe/Minsk': 'Минск',
  'Europe/Kyiv': 'Киев',
  'Europe/Kiev': 'Киев',
  'Europe/Chisinau': 'Кишинёв',
  'Europe/Riga': 'Рига',
  'Europe/Vilnius': 'Вильнюс',
  'Europe/Tallinn': 'Таллин',
  'Europe/Helsinki': 'Хельсинки',
  'Europe/Istanbul': 'Стамбул',
  'Europe/Berlin': 'Берлин',
  'Europe/Paris': 'Париж',
  'Europe/London': 'Лондон',
  'Europe/Belgrade': 'Белград',
  'Asia/Tbilisi': 'Тбилиси',
  'Asia/Yerevan': 'Ереван',
  'Asia/Baku': 'Баку',
  'Asia/Almaty': 'Алматы',
  'Asia/Aqtobe': 'Актобе',
  'Asia/Tashkent': 'Ташкент',
  'Asia/Samarkand': 'Самарканд',
  'Asia/Bishkek': 'Бишкек',
  'Asia/Dushanbe': 'Душанбе',
  'Asia/Ashgabat': 'Ашхабад',
  'Asia/Dubai': 'Дубай',
  'Asia/Bangkok': 'Бангкок',
  'Asia/Shanghai': 'Шанхай',
  'America/New_York': 'Нью-Йорк',
  UTC: 'UTC',
};

/** A zone's offset from UTC now, as «UTC+3», «UTC+5:30», «UTC−5» or «UTC». */
export function utcOffset(zone: string, at = new Date()): string {
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'shortOffset' }).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    const offset = part.replace(/^GMT/, '').replace('-', '−');
    return offset ? `UTC${offset}` : 'UTC';
  } catch {
    return 'UTC';
  }
}

/** A time zone as a person names it: «Москва (UTC+3)», "Moscow (UTC+3)". */
export function zoneLabel(zone: string, lang: Lang): string {
  const city = (lang === 'ru' ? ZONE_RU[zone] : undefined) ?? (zone === 'UTC' ? 'UTC' : (zone.split('/').pop() ?? zone).replace(/_/g, ' '));
  const offset = utcOffset(zone);
  return city === 'UTC' ? offset : `${city} (${offset})`;
}

/** Minutes east of UTC now (sorting zones from west to east). */
export function offsetMinutes(zone: string, at = new Date()): number {
  const m = /([+−-])(\d+)(?::(\d+))?/.exec(utcOffset(zone, at));
  return m ? (m[1] === '+' ? 1 : -1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) : 0;
}

/** A card number in groups of four from the left («1053 3224 2740 0»), for reading; lookups take it with or without the spaces. */
export function formatCardNumber(n: string): string {
  return /^\d{8,}$/.test(n) ? n.replace(/(\d{4})(?=\d)/g, '$1 ') : n;
}
