import QRCode from 'qrcode';
import { langOf, ledgerReason, t, type Lang, type MessageKey } from '../../shared/i18n';
import { currencyDigits, defaultRulesText, type FrontValue, type PassContent } from '../wallet/wallet.rules';
import type { Badge } from './engagement.badges';
import type { RegistrationForm } from './engagement.entity';
import { consentShown, escapeHtml as e, type Platform } from './engagement.rules';
import type { FieldMode } from './engagement.schemas';
import type { CardAccount } from './engagement.service';

/*
 * Server-rendered guest pages, every word from the shared catalog (hub/src/shared/i18n) in the
 * business's language. No inline scripts (the CSP allows only our own script files): the
 * registration page loads /static/engagement/register.js and reads its texts from the form's
 * `data-i18n` attribute (JSON); the card page loads only a 1 KB script that registers its offline service worker.
 * Weight budgets (a test measures them): /join ≤ 20 KB, /card ≤ 8 KB on a cold load.
 */

const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='22' y='5' rx='4' fill='%231e66f5'/%3E%3Crect width='32' height='4' y='10' fill='%23fff'/%3E%3C/svg%3E";

const STYLE = `
:root{color-scheme:light;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif}
[hidden]{display:none!important}
body{margin:0;background:#f4f4f7;color:#1e1e2e}
main{max-width:440px;margin:0 auto;padding:16px}
.box{background:#fff;border-radius:16px;padding:20px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:1.4rem;margin:0 0 4px}
.muted{color:#5c5f77;margin:0 0 12px}
label{display:block;margin:12px 0 4px;font-weight:600}
label.check{display:flex;gap:10px;font-weight:400;align-items:flex-start;min-height:44px;font-size:.85rem;line-height:1.35}
input,select{width:100%;box-sizing:border-box;min-height:44px;padding:10px;border:1px solid #6c6f85;border-radius:10px;font-size:1rem}
label.check input{width:24px;height:24px;min-height:24px;margin:0;flex:none}
label.check:before{content:"";display:none}
input[aria-invalid=true],select[aria-invalid=true]{border:2px solid #d20f39}
.err{color:#d20f39;margin:4px 0 0;font-size:.9rem}
button,.btn{display:block;width:100%;box-sizing:border-box;min-height:48px;margin-top:16px;padding:12px;border:0;border-radius:12px;background:#1e66f5;color:#fff;font-size:1rem;text-align:center;text-decoration:none;cursor:pointer}
button:disabled{background:#8c8fa1}
button.link{display:inline;width:auto;min-height:44px;margin:0;padding:0 8px;background:none;color:#1e66f5;text-decoration:underline}
button.ghost{background:#e6e9ef;color:#1e1e2e}
.btn.apple{background:#000}.btn.google{background:#1f1f1f}
a.badge{display:flex;justify-content:center;align-items:center;min-height:48px;margin-top:16px}a.badge img{display:block;height:48px;width:auto;max-width:100%;object-fit:contain}
.row{display:flex;align-items:center;flex-wrap:wrap}
#msg{color:#d20f39;min-height:1.2em}
#note{color:#1e1e2e;background:#eff1f5;border-radius:10px;padding:8px}
details{margin-top:12px}summary{min-height:44px;padding:12px 0;box-sizing:border-box;cursor:pointer;color:#1e66f5}
.pass{border-radius:16px;padding:16px;background:#1e1e2e;color:#fff;margin:12px 0}
.pass img{max-height:40px;max-width:160px;display:block;margin-bottom:6px}
.pass dl{display:grid;grid-template-columns:1fr 1fr;gap:8px;margin:8px 0 0}
.pass dt{font-size:.75rem}.pass dd{margin:0;font-size:1.1rem;font-weight:600}
.pass .f-number{grid-column:1/-1}
.qr{display:flex;justify-content:center;margin:12px 0}.qr svg{width:220px;height:220px}
.hint{text-align:center;color:#5c5f77}
.state{border-radius:12px;padding:12px;background:#fde8ec;color:#8a0c25;font-weight:600}
.ok{color:#40a02b;font-size:1.2rem;font-weight:700;margin:0 0 4px}
footer a,.links a{display:inline-block;min-height:44px;line-height:44px;color:#1e66f5}
h2{font-size:1rem;margin:16px 0 4px}.pre{white-space:pre-line;margin:0}
.list{list-style:none;padding:0;margin:0}.list li{display:flex;justify-content:space-between;gap:8px;padding:6px 0;border-bottom:1px solid #e6e9ef}
.list b{white-space:nowrap}progress{width:100%;height:12px;accent-color:#1e66f5}
`;

function page(lang: Lang, title: string, body: string, script?: string): string {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(title)}</title><link rel="icon" href="${FAVICON}"><style>${STYLE}</style></head><body><main>${body}</main>${script ? `<script src="${script}"></script>` : ''}</body></html>`;
}

/** 404: no such page (a typo, or a card link that is wrong), in the business's language when known. */
export function notFoundPage(locale = 'en'): string {
  const lang = langOf(locale);
  return page(
    lang,
    t(lang, 'guest.notFound.title'),
    `<div class="box" id="not-found"><h1>${e(t(lang, 'guest.notFound.title'))}</h1><p>${e(t(lang, 'guest.notFound.text'))}</p></div>`,
  );
}

/** A form that exists but was switched off: «акция завершена», not the typo page. */
export function closedFormPage(f: { businessName: string; locale: string; website?: string | null }): string {
  const lang = langOf(f.locale);
  const link = f.website
    ? `<p class="links"><a href="${e(f.website)}" rel="noopener">${e(f.businessName)}</a></p>`
    : `<p class="muted">${e(f.businessName)}</p>`;
  return page(
    lang,
    t(lang, 'guest.closed.title'),
    `<div class="box" id="form-closed"><h1>${e(t(lang, 'guest.closed.title'))}</h1><p>${e(t(lang, 'guest.closed.text'))}</p>${link}</div>`,
  );
}

/** Any other failure (503 while the database reconnects, 500): a human page with a retry. */
export function errorPage(locale = 'en', retryUrl?: string): string {
  const lang = langOf(locale);
  const retry = retryUrl ? `<a class="btn" id="retry" href="${e(retryUrl)}">${e(t(lang, 'guest.error.retry'))}</a>` : '';
  return page(
    lang,
    t(lang, 'guest.error.title'),
    `<div class="box" id="error-page"><h1>${e(t(lang, 'guest.error.title'))}</h1><p>${e(t(lang, 'guest.error.text'))}</p>${retry}</div>`,
  );
}

/** A pass or Google link of a card that cannot have one (blocked, deleted, Wallet not set up). */
export function passUnavailablePage(locale: string, reason: string, cardPageUrl?: string): string {
  const lang = langOf(locale);
  const back = cardPageUrl ? `<a class="btn ghost" href="${e(cardPageUrl)}">${e(t(lang, 'guest.card'))}</a>` : '';
  return page(
    lang,
    t(lang, 'guest.passUnavailable'),
    `<div class="box" id="pass-unavailable"><h1>${e(t(lang, 'guest.passUnavailable'))}</h1><p>${e(reason)}</p>${back}</div>`,
  );
}

const err = (id: string) => `<p class="err" id="e-${id}" hidden></p>`;

function fieldInput(lang: Lang, name: 'name' | 'birthday' | 'email' | 'gender', mode: FieldMode): string {
  if (mode === 'hidden') return '';
  const req = mode === 'required' ? ' required' : '';
  const label = `${e(t(lang, `guest.${name}`))}${mode === 'optional' ? ` <small>(${e(t(lang, 'guest.optional'))})</small>` : ''}`;
  const a = `id="f-${name}" name="${name}" aria-describedby="e-${name}"${req}`;
  switch (name) {
    case 'name':
      return `<label for="f-${name}">${label}</label><input ${a} autocomplete="given-name" maxlength="200">${err(name)}`;
    case 'birthday':
      return `<label for="f-${name}">${label}</label><input ${a} type="date" min="1900-01-01" max="${new Date().toISOString().slice(0, 10)}">${err(name)}`;
    case 'email':
      return `<label for="f-${name}">${label}</label><input ${a} type="email" autocomplete="email" maxlength="200">${err(name)}`;
    case 'gender':
      return `<label for="f-${name}">${label}</label><select ${a}><option value="">${t(lang, 'guest.any')}</option><option value="female">${e(t(lang, 'guest.female'))}</option><option value="male">${e(t(lang, 'guest.male'))}</option></select>${err(name)}`;
  }
}

/** Texts the registration script needs, pre-formatted (plural forms for 0–5 attempts). */
function scriptTexts(lang: Lang): Record<string, string | string[]> {
  const keys: MessageKey[] = [
    'guest.codeSent',
    'guest.resendIn',
    'guest.resend',
    'guest.getCode',
    'guest.register',
    'guest.recover',
    'guest.sending',
    'guest.err.phone',
    'guest.err.phoneCountry',
    'guest.err.code',
    'guest.err.required',
    'guest.err.email',
    'guest.err.date',
    'guest.err.number',
    'guest.err.consent',
    'guest.err.invalid',
    'guest.problem.sms_cooldown',
    'guest.problem.sms_limit',
    'guest.problem.sms_ip_limit',
    'guest.problem.sms_form_limit',
    'guest.problem.sms_budget_exhausted',
    'guest.problem.too_many_attempts',
    'guest.problem.code_expired',
    'guest.problem.code_used',
    'guest.problem.unknown_code_request',
    'guest.problem.phone_blacklisted',
    'guest.problem.sms_failed',
    'guest.problem.sms_rejected',
    'guest.problem.form_not_found',
    'guest.problem.no_card',
    'guest.problem.network',
    'guest.problem.generic',
    'guest.linkSent',
  ];
  const out: Record<string, string | string[]> = {};
  // Arguments stay as `{name}` for the script to fill in.
  for (const k of keys) out[k.replace(/^guest\./, '')] = t(lang, k, { phone: '{phone}', time: '{time}' });
  out['err.wrongCode'] = [0, 1, 2, 3, 4, 5].map((n) => t(lang, 'guest.err.wrongCode', { n }));
  return out;
}

/** JSON in a single-quoted attribute: only `&`, `'` and `<` need escaping (half the bytes of &quot;). */
const jsonAttr = (v: unknown) => JSON.stringify(v).replace(/&/g, '&amp;').replace(/'/g, '&#39;').replace(/</g, '&lt;');

/**
 * The registration page of a form, phone first: phone → SMS code → card on the first screen; the
 * owner's required questions stay in the flow, optional ones fold under «Расскажите о себе».
 * `query` carries UTM tags and `ref` (invite code) from the link.
 */
export function registrationPage(
  f: { form: RegistrationForm; businessName: string; programName: string; locale: string; privacyPolicyUrl?: string | null },
  query: { utm: Record<string, string>; ref?: string },
): string {
  const lang = langOf(f.locale);
  const { form } = f;
  const sms = form.smsVerification;
  const optional: string[] = [];
  const required: string[] = [];
  for (const name of ['name', 'birthday', 'email', 'gender'] as const) {
    const html = fieldInput(lang, name, form.fields[name]);
    (form.fields[name] === 'required' ? required : optional).push(html);
  }
  for (const v of form.variables) {
    const id = `v-${v.key}`;
    const req = v.required ? ' required' : '';
    const label = `${e(v.label)}${v.required ? '' : ` <small>(${e(t(lang, 'guest.optional'))})</small>`}`;
    const data = `data-var="${e(v.key)}" data-type="${e(v.type)}" aria-describedby="e-${id}"`;
    let html: string;
    switch (v.type) {
      case 'checkbox':
        html = `<label class="check"><input type="checkbox" id="${id}" ${data}${req}> <span>${e(v.label)}</span></label>`;
        break;
      case 'select':
        html = `<label for="${id}">${label}</label><select id="${id}" ${data}${req}><option value=""></option>${(v.options ?? []).map((o) => `<option>${e(o)}</option>`).join('')}</select>`;
        break;
      case 'number':
        html = `<label for="${id}">${label}</label><input id="${id}" type="number" inputmode="decimal" ${data}${req}>`;
        break;
      case 'date':
        html = `<label for="${id}">${label}</label><input id="${id}" type="date" ${data}${req}>`;
        break;
      default:
        html = `<label for="${id}">${label}</label><input id="${id}" maxlength="500" ${data}${req}>`;
    }
    (v.required ? required : optional).push(html + err(id));
  }
  optional.push(
    `<label for="f-ref">${e(t(lang, 'guest.referral'))}</label><input id="f-ref" name="referralCode" maxlength="16" autocapitalize="characters" value="${e(query.ref ?? '')}" aria-describedby="e-ref">${err('ref')}`,
  );
  const utm = Object.entries(query.utm)
    .map(([k, v]) => `<input type="hidden" data-utm="${e(k)}" value="${e(v)}">`)
    .join('');
  // 152-ФЗ: the default consent names the operator, purpose, data, retention; the owner's own text is shown as written.
  const consentText = consentShown(form, f.businessName, f.locale);
  const policy = f.privacyPolicyUrl ? ` <a href="${e(f.privacyPolicyUrl)}" target="_blank" rel="noopener">${e(t(lang, 'guest.privacyPolicy'))}</a>` : '';
  const phoneRow = `<div id="phone-row"><label for="f-phone">${e(t(lang, 'guest.phone'))}</label><input id="f-phone" name="phone" type="tel" autocomplete="tel" inputmode="tel" maxlength="40" placeholder="+7 900 000-00-00" required aria-describedby="e-phone">${err('phone')}</div>`;
  const codeRow = sms
    ? `<div id="code-row" hidden><p class="row"><span id="code-sent"></span><button type="button" class="link" id="change">${e(t(lang, 'guest.change'))}</button></p><label for="f-code">${e(t(lang, 'guest.code'))}</label><input id="f-code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" aria-describedby="e-code">${err('code')}<button type="button" class="ghost" id="resend" disabled></button></div>`
    : '';
  const body = `<div class="box">
<h1>${e(form.title)}</h1><p class="muted">${e(f.businessName)} · ${e(f.programName)}</p>
${form.description ? `<p>${e(form.description)}</p>` : ''}
<form id="reg" data-slug="${e(form.slug)}" data-sms="${sms}" data-i18n='${jsonAttr(scriptTexts(lang))}' novalidate>
${phoneRow}
${codeRow}
<div id="reg-only">
${required.join('')}
<label class="check"><input type="checkbox" id="f-consent" name="consent" required aria-describedby="e-consent"> <span>${e(consentText)}${policy}</span></label>${err('consent')}
${form.marketingConsentText ? `<label class="check"><input type="checkbox" name="marketingConsent"> <span>${e(form.marketingConsentText)}</span></label>` : ''}
</div>
<p id="msg" role="alert"></p>
${sms ? `<button type="button" id="send-code">${e(t(lang, 'guest.getCode'))}</button>` : `<p class="muted" id="by-sms">${e(t(lang, 'guest.linkBySms'))}</p>`}
<button type="submit" id="submit"${sms ? ' hidden' : ''}>${e(t(lang, 'guest.register'))}</button>
<details id="more"><summary>${e(t(lang, 'guest.more'))} (${e(t(lang, 'guest.optional'))})</summary>${optional.join('')}</details>
${utm}
</form>
<p class="links"><button type="button" class="link" id="have-card">${e(t(lang, 'guest.haveCard'))}</button><button type="button" class="link" id="new-card" hidden>${e(t(lang, 'guest.backToJoin'))}</button></p>
</div>`;
  return page(lang, form.title, body, '/static/engagement/register.js');
}

async function qrSvg(text: string, label: string): Promise<string> {
  const svg = await QRCode.toString(text, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
  // A named image for screen readers.
  return svg.replace('<svg ', `<svg role="img" aria-label="${e(label)}" `);
}

function passBox(c: PassContent, values: FrontValue[], logoUrl: string | null): string {
  const { foreground: fg, background: bg, label } = c.design.colors;
  const logo = logoUrl ? `<img src="${e(logoUrl)}" alt="${e(c.business.name)}">` : '';
  return `<div class="pass" style="background:${e(bg)};color:${e(fg)}">${logo}<strong>${e(c.design.texts.logoText ?? c.program.name)}</strong><dl>${values
    .map((v) => `<div class="f-${v.key}"><dt style="color:${e(label)}">${e(v.label)}</dt><dd>${e(v.text)}</dd></div>`)
    .join('')}</dl></div>`;
}

/** The back side of the pass, on the web: rules, contacts, links (the same data, the same words). */
function backSide(c: PassContent): string {
  const lang = langOf(c.business.locale);
  const b = c.design.back;
  const parts = [`<h2>${e(t(lang, 'guest.rules'))}</h2><p class="pre">${e(b.rules ?? defaultRulesText(c.program, c.business))}</p>`];
  if (b.contacts) parts.push(`<h2>${e(t(lang, 'guest.contacts'))}</h2><p class="pre">${e(b.contacts)}</p>`);
  for (const x of b.extra) parts.push(`<h2>${e(x.label)}</h2><p class="pre">${e(x.value)}</p>`);
  const links = [
    b.website ? `<a href="${e(b.website)}" rel="noopener">${e(new URL(b.website).host)}</a>` : '',
    b.reviewUrl ? `<a id="review" href="${e(b.reviewUrl)}" rel="noopener">${e(t(lang, 'guest.review'))}</a>` : '',
  ].filter(Boolean);
  if (links.length) parts.push(`<p class="links">${links.join(' · ')}</p>`);
  return `<section id="back">${parts.join('')}</section>`;
}

/** Money in the business's currency and language, without a fraction when there is none (10 000 ₽). */
function money(minor: number, currency: string, locale: string): string {
  const d = currencyDigits(currency);
  const v = minor / 10 ** d;
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: Number.isInteger(v) ? 0 : d, maximumFractionDigits: d }).format(
      v,
    );
  } catch {
    return `${v} ${currency}`;
  }
}

/** A ledger change in words: signed, in its unit (points and stamps with plural forms, money formatted). */
function change(lang: Lang, a: CardAccount, unit: CardAccount['history'][number]['unit'], n: number): string {
  const abs = Math.abs(n);
  const text =
    unit === 'points' ? t(lang, 'plural.points', { n: abs }) : unit === 'stamps' ? t(lang, 'plural.stamps', { n: abs }) : money(abs, a.currency, a.locale);
  return `${n < 0 ? '−' : '+'}${text}`;
}

/** The guest's account: progress to the next level, points that expire and when, the last operations. */
function accountSections(lang: Lang, a: CardAccount): string {
  const parts: string[] = [];
  if (a.progress) {
    const p = a.progress;
    const amount = p.metric === 'spend' ? money(p.left, a.currency, a.locale) : t(lang, 'guest.purchases', { n: p.left });
    parts.push(
      `<section id="progress"><p>${e(t(lang, 'guest.nextLevel', { level: p.level, amount }))}</p><progress value="${p.value}" max="${p.threshold}" aria-label="${e(t(lang, 'guest.progressLabel', { level: p.level }))}"></progress></section>`,
    );
  }
  if (a.expiring.length) {
    const day = new Intl.DateTimeFormat(a.locale, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
    parts.push(
      `<section id="expiring"><h2>${e(t(lang, 'guest.expiringTitle'))}</h2><ul class="list">${a.expiring
        .map(
          (x) =>
            `<li>${e(t(lang, 'guest.expiring', { points: t(lang, 'plural.points', { n: x.points }), date: day.format(new Date(`${x.day}T00:00:00Z`)) }))}</li>`,
        )
        .join('')}</ul></section>`,
    );
  }
  const when = new Intl.DateTimeFormat(a.locale, { day: 'numeric', month: 'short', timeZone: a.timeZone });
  // A reason the hub wrote (welcome_bonus, points_expired …) in the reader's words; else the kind of the entry
  // (a staff member's own words are for the console, not for the guest).
  const what = (h: CardAccount['history'][number]) => {
    const said = h.reason ? ledgerReason(lang, h.reason) : null;
    return said && said !== h.reason ? said : t(lang, 'guest.op', { kind: h.kind });
  };
  const items = a.history.map((h) => `<li><span>${e(when.format(h.at))} · ${e(what(h))}</span><b>${e(change(lang, a, h.unit, h.amount))}</b></li>`).join('');
  parts.push(
    `<section id="history"><h2>${e(t(lang, 'guest.history'))}</h2>${items ? `<ul class="list">${items}</ul>` : `<p class="muted">${e(t(lang, 'guest.historyEmpty'))}</p>`}</section>`,
  );
  return parts.join('');
}

/**
 * The guest's card page: the card as on the pass (logo, name, label colour), its state in words
 * when blocked or deleted (then no QR and no Wallet buttons), the wallet button for their platform
 * (Apple on iOS, Google on Android, both plus a QR of this page on a desktop), the till QR, and
 * the pass's back side. `note`: `new` after registration (the moment of success), `ref` when the
 * link's invite code was ignored, `badges` the official Wallet badges the success screen shows instead
 * of the light buttons (Google's always, Apple's when the operator put it in place: engagement.badges.ts).
 */
export async function cardPage(
  d: {
    content: PassContent;
    values: FrontValue[];
    availability: { apple: boolean; google: boolean };
    links: { cardPageUrl: string; applePassUrl: string | null; googleSaveUrl: string | null };
    logoUrl?: string | null;
    /** The guest's own invite code; the share button sends the registration link with it. */
    inviteCode?: string | null;
    /** Where friends register (a /join page of the program), for the share button. */
    joinUrl?: string | null;
    /** Progress, operations and expiring points (an active card). */
    account?: CardAccount | null;
  },
  platform: Platform,
  note: { isNew?: boolean; refIgnored?: boolean; badges?: { apple?: Badge | null; google?: Badge | null } } = {},
): Promise<string> {
  const lang = langOf(d.content.business.locale);
  const { card } = d.content;
  // Buttons link within this hub (same origin as the page); the desktop QR needs the public address.
  const local = (url: string) => {
    const u = new URL(url);
    return u.pathname + u.search;
  };
  const title = d.content.design.texts.organizationName ?? d.content.business.name;
  let actions: string;
  if (card.status !== 'active') {
    actions = `<p class="state" id="card-state" role="status">${e(t(lang, card.status === 'blocked' ? 'guest.blocked' : 'guest.deleted'))}</p>`;
  } else {
    // The success screen shows the official badge artwork where the hub has it; the card page the light buttons.
    const link = (id: string, cls: string, href: string, text: string, badge?: Badge | null) =>
      badge
        ? `<a class="badge" id="${id}" href="${e(href)}"><img src="${e(badge.url)}" alt="${e(text)}"${badge.width && badge.height ? ` width="${badge.width}" height="${badge.height}"` : ''}></a>`
        : `<a class="btn ${cls}" id="${id}" href="${e(href)}">${e(text)}</a>`;
    const apple = d.links.applePassUrl ? link('add-apple', 'apple', local(d.links.applePassUrl), t(lang, 'guest.addApple'), note.badges?.apple) : '';
    const gBadge = note.badges?.google;
    const google = d.links.googleSaveUrl
      ? link('add-google', 'google', local(d.links.googleSaveUrl), t(lang, gBadge ? 'guest.addGoogleBadge' : 'guest.saveGoogle'), gBadge)
      : '';
    const none = `<p class="hint" id="no-wallet">${e(t(lang, 'guest.noWallet'))}</p>`;
    const mine = platform === 'ios' ? apple : platform === 'android' ? google : '';
    const wallet =
      platform === 'ios' || platform === 'android'
        ? mine
          ? `${mine}<p class="hint">${e(t(lang, 'guest.walletNudge'))}</p>`
          : none
        : apple || google
          ? `<p class="hint">${e(t(lang, 'guest.scan'))}</p><div class="qr" id="page-qr">${await qrSvg(d.links.cardPageUrl, t(lang, 'guest.pageQrAlt'))}</div>${apple}${google}`
          : none;
    const tillQr =
      platform === 'desktop'
        ? ''
        : `<p class="hint">${e(t(lang, 'guest.showAtTill'))}</p><div class="qr" id="card-qr">${await qrSvg(card.qr, t(lang, 'guest.qrAlt', { number: card.number }))}</div>`;
    // Shared through the system sheet (navigator.share), else copied to the clipboard (card.js).
    const invite = d.inviteCode
      ? `<section id="invite"><h2>${e(t(lang, 'guest.invite'))}</h2><p>${e(t(lang, 'guest.inviteText', { code: d.inviteCode }))}</p><button type="button" class="ghost" id="share" data-code="${e(d.inviteCode)}"${d.joinUrl ? ` data-url="${e(`${d.joinUrl}?ref=${d.inviteCode}`)}"` : ''} data-text="${e(t(lang, 'guest.shareText', { business: title, code: d.inviteCode }))}" data-copied="${e(t(lang, 'guest.copied'))}" hidden>${e(t(lang, 'guest.share'))}</button></section>`
      : '';
    actions = wallet + tillQr + (d.account ? accountSections(lang, d.account) : '') + invite;
  }
  const welcome = card.pointsBalance > 0 ? t(lang, 'guest.readyPoints', { n: card.pointsBalance }) : t(lang, 'guest.ready');
  const success = note.isNew && card.status === 'active' ? `<p class="ok" id="card-ready">${e(welcome)}</p>` : '';
  const refNote = note.refIgnored ? `<p id="note" role="status">${e(t(lang, 'guest.refIgnored'))}</p>` : '';
  const body = `<div class="box" data-platform="${platform}" data-status="${card.status}">
${success}<h1>${e(title)}</h1><p class="muted">${e(d.content.program.name)}</p>
${refNote}
<p id="offline" class="hint" hidden>${e(t(lang, 'guest.offline'))}</p>
${passBox(d.content, d.values, d.logoUrl ?? null)}
${actions}
${backSide(d.content)}
</div>`;
  return page(lang, `${t(lang, 'guest.card')} · ${title}`, body, '/static/engagement/card.js');
}
