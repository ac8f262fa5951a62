import QRCode from 'qrcode';
import type { FrontValue, PassContent } from '../wallet/wallet.rules';
import type { RegistrationForm } from './engagement.entity';
import { escapeHtml as e, type Platform } from './engagement.rules';
import type { FieldMode } from './engagement.schemas';

/*
 * Server-rendered guest pages. No inline scripts (the CSP allows only our own script files): the
 * registration page loads /static/engagement/register.js; the card page needs no script at all.
 */

type Lang = 'ru' | 'en';
const langOf = (locale: string): Lang => (locale.toLowerCase().startsWith('ru') ? 'ru' : 'en');

const T = {
  en: {
    phone: 'Phone',
    code: 'Code from the SMS',
    getCode: 'Get a code',
    linkBySms: 'The link to your card will come by SMS to this phone.',
    register: 'Get my card',
    name: 'Name',
    birthday: 'Birthday',
    email: 'E-mail',
    gender: 'Gender',
    male: 'Male',
    female: 'Female',
    any: '—',
    referral: 'Referral code (if a friend invited you)',
    optional: 'optional',
    notFound: 'This page does not exist or is closed.',
    addApple: 'Add to Apple Wallet',
    saveGoogle: 'Save to Google Wallet',
    scan: 'Scan with your phone to add the card to its wallet',
    showAtTill: 'Show this code at the till',
    noWallet: 'Wallet cards are not available yet: show this page at the till.',
    card: 'Card',
  },
  ru: {
    phone: 'Телефон',
    code: 'Код из SMS',
    getCode: 'Получить код',
    linkBySms: 'Ссылка на вашу карту придёт SMS на этот номер.',
    register: 'Получить карту',
    name: 'Имя',
    birthday: 'Дата рождения',
    email: 'E-mail',
    gender: 'Пол',
    male: 'Мужской',
    female: 'Женский',
    any: '—',
    referral: 'Код приглашения (если вас пригласил друг)',
    optional: 'необязательно',
    notFound: 'Такой страницы нет или регистрация закрыта.',
    addApple: 'Добавить в Apple Wallet',
    saveGoogle: 'Сохранить в Google Wallet',
    scan: 'Отсканируйте телефоном, чтобы добавить карту в кошелёк',
    showAtTill: 'Покажите этот код на кассе',
    noWallet: 'Карты для кошелька пока недоступны: покажите эту страницу на кассе.',
    card: 'Карта',
  },
} as const;

const STYLE = `
:root{color-scheme:light;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif}
[hidden]{display:none!important}
body{margin:0;background:#f4f4f7;color:#1e1e2e}
main{max-width:440px;margin:0 auto;padding:24px 16px}
.box{background:#fff;border-radius:16px;padding:20px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:1.4rem;margin:0 0 4px}
.muted{color:#6c6f85;margin:0 0 16px}
label{display:block;margin:12px 0 4px;font-weight:600}
label.check{display:flex;gap:8px;font-weight:400;align-items:flex-start}
input,select{width:100%;box-sizing:border-box;padding:10px;border:1px solid #ccd0da;border-radius:10px;font-size:1rem}
label.check input{width:auto;margin-top:3px}
button,.btn{display:block;width:100%;box-sizing:border-box;margin-top:16px;padding:12px;border:0;border-radius:12px;background:#1e66f5;color:#fff;font-size:1rem;text-align:center;text-decoration:none;cursor:pointer}
.btn.apple{background:#000}.btn.google{background:#1a73e8}
#msg{color:#d20f39;min-height:1.2em}
.pass{border-radius:16px;padding:16px;background:#1e1e2e;color:#fff;margin:12px 0}
.pass dl{display:grid;grid-template-columns:1fr 1fr;gap:8px;margin:8px 0 0}
.pass dt{font-size:.75rem;opacity:.75}.pass dd{margin:0;font-size:1.1rem;font-weight:600}
.pass .f-number{grid-column:1/-1}
.qr{display:flex;justify-content:center;margin:12px 0}.qr svg{width:220px;height:220px}
.hint{text-align:center;color:#6c6f85}
`;

function page(lang: Lang, title: string, body: string, script?: string): string {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(title)}</title><style>${STYLE}</style></head><body><main>${body}</main>${script ? `<script src="${script}"></script>` : ''}</body></html>`;
}

export function notFoundPage(locale = 'en'): string {
  const lang = langOf(locale);
  return page(lang, '404', `<div class="box"><h1>404</h1><p>${e(T[lang].notFound)}</p></div>`);
}

function fieldInput(lang: Lang, name: 'name' | 'birthday' | 'email' | 'gender', mode: FieldMode): string {
  if (mode === 'hidden') return '';
  const t = T[lang];
  const req = mode === 'required' ? ' required' : '';
  const label = `${t[name]}${mode === 'optional' ? ` <small>(${t.optional})</small>` : ''}`;
  switch (name) {
    case 'name':
      return `<label for="f-name">${label}</label><input id="f-name" name="name" autocomplete="given-name" maxlength="200"${req}>`;
    case 'birthday':
      return `<label for="f-birthday">${label}</label><input id="f-birthday" name="birthday" type="date"${req}>`;
    case 'email':
      return `<label for="f-email">${label}</label><input id="f-email" name="email" type="email" autocomplete="email"${req}>`;
    case 'gender':
      return `<label for="f-gender">${label}</label><select id="f-gender" name="gender"${req}><option value="">${t.any}</option><option value="female">${t.female}</option><option value="male">${t.male}</option></select>`;
  }
}

/** The registration page of a form; `query` carries UTM tags and `ref` (referral code) from the link. */
export function registrationPage(
  f: { form: RegistrationForm; businessName: string; programName: string; locale: string },
  query: { utm: Record<string, string>; ref?: string },
): string {
  const lang = langOf(f.locale);
  const t = T[lang];
  const { form } = f;
  const variables = form.variables
    .map((v) => {
      const id = `v-${v.key}`;
      const req = v.required ? ' required' : '';
      const label = `${e(v.label)}${v.required ? '' : ` <small>(${t.optional})</small>`}`;
      const data = `data-var="${e(v.key)}" data-type="${e(v.type)}"`;
      switch (v.type) {
        case 'checkbox':
          return `<label class="check"><input type="checkbox" id="${id}" ${data}> ${e(v.label)}</label>`;
        case 'select':
          return `<label for="${id}">${label}</label><select id="${id}" ${data}${req}><option value=""></option>${(v.options ?? []).map((o) => `<option>${e(o)}</option>`).join('')}</select>`;
        case 'number':
          return `<label for="${id}">${label}</label><input id="${id}" type="number" ${data}${req}>`;
        case 'date':
          return `<label for="${id}">${label}</label><input id="${id}" type="date" ${data}${req}>`;
        default:
          return `<label for="${id}">${label}</label><input id="${id}" maxlength="500" ${data}${req}>`;
      }
    })
    .join('');
  const utm = Object.entries(query.utm)
    .map(([k, v]) => `<input type="hidden" data-utm="${e(k)}" value="${e(v)}">`)
    .join('');
  const sms = form.smsVerification;
  const body = `<div class="box">
<h1>${e(form.title)}</h1><p class="muted">${e(f.businessName)} · ${e(f.programName)}</p>
${form.description ? `<p>${e(form.description)}</p>` : ''}
<form id="reg" data-slug="${e(form.slug)}" data-sms="${sms}" novalidate>
<label for="f-phone">${t.phone}</label><input id="f-phone" name="phone" type="tel" autocomplete="tel" inputmode="tel" maxlength="40" required>
${sms ? `<div id="code-row" hidden><label for="f-code">${t.code}</label><input id="f-code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="8"></div>` : ''}
${fieldInput(lang, 'name', form.fields.name)}${fieldInput(lang, 'birthday', form.fields.birthday)}${fieldInput(lang, 'email', form.fields.email)}${fieldInput(lang, 'gender', form.fields.gender)}
${variables}
<label for="f-ref">${t.referral}</label><input id="f-ref" name="referralCode" maxlength="16" value="${e(query.ref ?? '')}">
${utm}
<label class="check"><input type="checkbox" name="consent" required> <span>${e(form.consentText)}</span></label>
${form.marketingConsentText ? `<label class="check"><input type="checkbox" name="marketingConsent"> <span>${e(form.marketingConsentText)}</span></label>` : ''}
<p id="msg" role="alert"></p>
${sms ? `<button type="button" id="send-code">${t.getCode}</button>` : `<p class="muted">${t.linkBySms}</p>`}
<button type="submit" id="submit"${sms ? ' hidden' : ''}>${t.register}</button>
</form></div>`;
  return page(lang, form.title, body, '/static/engagement/register.js');
}

async function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
}

function passBox(c: PassContent, values: FrontValue[]): string {
  const fg = c.design.colors.foreground;
  const bg = c.design.colors.background;
  return `<div class="pass" style="background:${e(bg)};color:${e(fg)}"><strong>${e(c.design.texts.logoText ?? c.program.name)}</strong><dl>${values
    .map((v) => `<div class="f-${v.key}"><dt>${e(v.label)}</dt><dd>${e(v.text)}</dd></div>`)
    .join('')}</dl></div>`;
}

/**
 * The guest's card page: the wallet button for their platform (Apple on iOS, Google on Android),
 * both plus a QR of this page on a desktop (to open it on the phone), and the card's own QR.
 */
export async function cardPage(
  d: {
    content: PassContent;
    values: FrontValue[];
    availability: { apple: boolean; google: boolean };
    links: { cardPageUrl: string; applePassUrl: string | null; googleSaveUrl: string | null };
  },
  platform: Platform,
): Promise<string> {
  const lang = langOf(d.content.business.locale);
  const t = T[lang];
  // Buttons link within this hub (same origin as the page); the desktop QR needs the public address.
  const local = (url: string) => {
    const u = new URL(url);
    return u.pathname + u.search;
  };
  const apple = d.links.applePassUrl ? `<a class="btn apple" id="add-apple" href="${e(local(d.links.applePassUrl))}">${t.addApple}</a>` : '';
  const google = d.links.googleSaveUrl ? `<a class="btn google" id="add-google" href="${e(local(d.links.googleSaveUrl))}">${t.saveGoogle}</a>` : '';
  const none = `<p class="hint" id="no-wallet">${t.noWallet}</p>`;
  const wallet =
    platform === 'ios'
      ? apple || none
      : platform === 'android'
        ? google || none
        : apple || google
          ? `<p class="hint">${t.scan}</p><div class="qr" id="page-qr">${await qrSvg(d.links.cardPageUrl)}</div>${apple}${google}`
          : none;
  const tillQr = platform === 'desktop' ? '' : `<p class="hint">${t.showAtTill}</p><div class="qr" id="card-qr">${await qrSvg(d.content.card.qr)}</div>`;
  const body = `<div class="box" data-platform="${platform}">
<h1>${e(d.content.program.name)}</h1><p class="muted">${e(d.content.design.texts.organizationName ?? d.content.business.name)}</p>
${passBox(d.content, d.values)}
${wallet}
${tillQr}
</div>`;
  return page(lang, `${t.card} · ${d.content.program.name}`, body);
}
