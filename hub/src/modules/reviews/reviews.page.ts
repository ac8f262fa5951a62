import { escapeHtml as e } from '../engagement/engagement.rules';
import type { MapId } from './reviews.rules';

type Lang = 'ru' | 'en';
const T = {
  en: {
    title: 'How was your visit?',
    rating: 'Your rating',
    text: 'Tell us more',
    optional: 'optional',
    send: 'Send',
    thanks: 'Thank you for your review!',
    share: 'Would you share it on a map too?',
    stars: ['1 — poor', '2', '3', '4', '5 — excellent'],
  },
  ru: {
    title: 'Как вам у нас?',
    rating: 'Ваша оценка',
    text: 'Расскажите подробнее',
    optional: 'необязательно',
    send: 'Отправить',
    thanks: 'Спасибо за отзыв!',
    share: 'Поделитесь им и на карте?',
    stars: ['1 — плохо', '2', '3', '4', '5 — отлично'],
  },
} as const;
const MAP_NAMES: Record<MapId, string> = { yandex: 'Яндекс Карты', '2gis': '2ГИС', google: 'Google Maps' };

export interface ReviewBrand {
  businessName: string;
  locale: string;
  background: string;
  foreground: string;
  logoUrl: string | null;
}

const langOf = (locale: string): Lang => (locale.toLowerCase().startsWith('ru') ? 'ru' : 'en');
const color = (c: string, fallback: string) => (/^#[0-9a-f]{6}$/i.test(c) ? c : fallback);

function shell(b: ReviewBrand, body: string): string {
  const lang = langOf(b.locale);
  const bg = color(b.background, '#1E1E2E');
  const fg = color(b.foreground, '#FFFFFF');
  const style = `:root{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif}body{margin:0;background:#f4f4f7;color:#1e1e2e}main{max-width:440px;margin:0 auto;padding:24px 16px}
header{background:${bg};color:${fg};border-radius:16px 16px 0 0;padding:16px;display:flex;gap:12px;align-items:center}header img{max-height:40px;max-width:120px}header h1{font-size:1.2rem;margin:0}
.box{background:#fff;border-radius:0 0 16px 16px;padding:20px;box-shadow:0 1px 3px rgba(0,0,0,.08)}label{display:block;margin:12px 0 4px;font-weight:600}
.stars{display:flex;flex-direction:row-reverse;justify-content:flex-end;gap:4px}.stars input{position:absolute;opacity:0}.stars label{font-size:2rem;margin:0;color:#ccd0da;cursor:pointer}
.stars input:checked~label,.stars label:hover,.stars label:hover~label{color:#df8e1d}textarea{width:100%;box-sizing:border-box;min-height:96px;padding:10px;border:1px solid #ccd0da;border-radius:10px;font:inherit}
button,.btn{display:block;width:100%;box-sizing:border-box;margin-top:16px;padding:12px;border:0;border-radius:12px;background:${bg};color:${fg};font-size:1rem;text-align:center;text-decoration:none}`;
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(b.businessName)}</title><style>${style}</style></head><body><main><header>${b.logoUrl ? `<img src="${e(b.logoUrl)}" alt="">` : ''}<h1>${e(b.businessName)}</h1></header><div class="box">${body}</div></main></body></html>`;
}

/** The review form: 1–5 stars and a text; a plain form post (no script: the CSP allows none inline). */
export function reviewFormPage(b: ReviewBrand, hidden: Record<string, string>): string {
  const t = T[langOf(b.locale)];
  const stars = [5, 4, 3, 2, 1]
    .map((n) => `<input type="radio" id="r${n}" name="rating" value="${n}" required><label for="r${n}" title="${e(t.stars[n - 1]!)}">★</label>`)
    .join('');
  const inputs = Object.entries(hidden)
    .map(([k, v]) => `<input type="hidden" name="${e(k)}" value="${e(v)}">`)
    .join('');
  return shell(
    b,
    `<form method="post"><h2>${e(t.title)}</h2><fieldset style="border:0;padding:0"><legend><b>${e(t.rating)}</b></legend><div class="stars">${stars}</div></fieldset><label for="text">${e(t.text)} <small>(${e(t.optional)})</small></label><textarea id="text" name="text" maxlength="2000"></textarea>${inputs}<button type="submit">${e(t.send)}</button></form>`,
  );
}

export function reviewThanksPage(b: ReviewBrand, maps: { map: MapId; href: string }[]): string {
  const t = T[langOf(b.locale)];
  const links = maps.map((m) => `<a class="btn" href="${e(m.href)}">${e(MAP_NAMES[m.map])}</a>`).join('');
  return shell(b, `<h2>${e(t.thanks)}</h2>${maps.length ? `<p>${e(t.share)}</p>${links}` : ''}`);
}
