import type { CardView } from '../cards/cards.service';
import type { FrontField, WalletDesign } from './wallet.schemas';
import { rgbCss } from './wallet.images';

/*
 * Pure rules of the wallet module: what a card's pass says (Apple pass.json, Google classes and
 * objects), which fields announce their changes, the Last-Modified clock of a pass and Google's
 * notification quota. No I/O: the service feeds them data and ships what they return.
 */

export type ProgramKind = 'discount' | 'bonus' | 'gift' | 'coupon' | 'stamp';

export interface PassProgram {
  id: string;
  name: string;
  kind: ProgramKind;
  rules: any;
  levels: { code: string; name: string; discountPercent?: number; accrualPercent?: number }[];
}

export interface PassBusiness {
  name: string;
  locale: string;
  currency: string;
}

export interface PassLocation {
  latitude: number;
  longitude: number;
  name?: string;
}

/** Everything a pass is made of, for either platform. */
export interface PassContent {
  business: PassBusiness;
  program: PassProgram;
  card: CardView;
  guestName: string | null;
  design: WalletDesign;
  locations: PassLocation[];
}

// ---------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------

type Words = Record<
  | 'points'
  | 'balance'
  | 'level'
  | 'discount'
  | 'stamps'
  | 'expiry'
  | 'number'
  | 'name'
  | 'rules'
  | 'contacts'
  | 'website'
  | 'buyPoints'
  | 'review'
  | 'freeItem'
  | 'changed',
  string
>;

const WORDS: Record<'en' | 'ru', Words> = {
  en: {
    points: 'Points',
    balance: 'Balance',
    level: 'Level',
    discount: 'Discount',
    stamps: 'Stamps',
    expiry: 'Valid until',
    number: 'Card',
    name: 'Name',
    rules: 'Rules',
    contacts: 'Contacts',
    website: 'Website',
    buyPoints: 'Buy points',
    review: 'Leave a review',
    freeItem: 'Free item',
    changed: '%s: %@',
  },
  ru: {
    points: 'Баллы',
    balance: 'Баланс',
    level: 'Уровень',
    discount: 'Скидка',
    stamps: 'Штампы',
    expiry: 'Действует до',
    number: 'Карта',
    name: 'Имя',
    rules: 'Правила',
    contacts: 'Контакты',
    website: 'Сайт',
    buyPoints: 'Купить баллы',
    review: 'Оставить отзыв',
    freeItem: 'Подарок',
    changed: '%s: %@',
  },
};

export const wordsFor = (locale: string): Words => (locale.toLowerCase().startsWith('ru') ? WORDS.ru : WORDS.en);

/** Minor-unit digits of a currency (RUB 2, JPY 0). */
export function currencyDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

export function formatMoney(minor: number, currency: string, locale: string): string {
  const d = currencyDigits(currency);
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency, maximumFractionDigits: d }).format(minor / 10 ** d);
  } catch {
    return `${(minor / 10 ** d).toFixed(d)} ${currency}`;
  }
}

/** The card number in groups of four, as printed. */
export const groupedNumber = (n: string) => n.replace(/(\d{4})(?=\d)/g, '$1 ');

// ---------------------------------------------------------------------------------------------
// Fields
// ---------------------------------------------------------------------------------------------

export const DEFAULT_FRONT: Record<ProgramKind, FrontField[]> = {
  bonus: ['balance', 'level', 'number'],
  discount: ['discount', 'level', 'number'],
  stamp: ['stamps', 'number'],
  gift: ['balance', 'expiry', 'number'],
  coupon: ['discount', 'expiry', 'number'],
};

/** A field of the pass front, platform-neutral. `announce` fields tell the holder when they change. */
export interface FrontValue {
  key: FrontField;
  label: string;
  /** Display text (Google, messages). */
  text: string;
  /** Apple value: a number for balances (with `currencyCode` for money), an ISO date for expiry. */
  value: string | number;
  currencyCode?: string;
  isDate?: boolean;
  announce: boolean;
}

function discountText(c: PassContent): string | null {
  const { program, card, business } = c;
  const w = wordsFor(business.locale);
  if (program.kind === 'discount') {
    const level = program.levels.find((l) => l.code === card.levelCode);
    const p = level?.discountPercent ?? program.rules.discountPercent ?? 0;
    return `${p}%`;
  }
  if (program.kind === 'coupon') {
    const d = program.rules.discount;
    if (!d) return null;
    if (d.type === 'percent') return `${d.percent}%`;
    if (d.type === 'fixed') return formatMoney(d.amountMinor, business.currency, business.locale);
    return w.freeItem;
  }
  return null;
}

function expiryOf(c: PassContent): Date | null {
  if (c.program.kind === 'gift') return c.card.giftExpiresAt ? new Date(c.card.giftExpiresAt) : null;
  if (c.program.kind === 'coupon') return c.program.rules.validTo ? new Date(c.program.rules.validTo) : null;
  return null;
}

/** The front values of a card, in the design's order (fields a kind does not have are skipped). */
export function frontValues(c: PassContent): FrontValue[] {
  const { program, card, business, design } = c;
  const w = wordsFor(business.locale);
  const label = (k: FrontField, dflt: string) => design.texts.labels[k] ?? dflt;
  const order = design.front.length ? design.front : DEFAULT_FRONT[program.kind];
  const out: FrontValue[] = [];
  for (const key of order) {
    switch (key) {
      case 'balance':
        if (program.kind === 'bonus') {
          out.push({ key, label: label(key, w.points), text: String(card.pointsBalance), value: card.pointsBalance, announce: true });
        } else if (program.kind === 'gift') {
          const d = currencyDigits(business.currency);
          out.push({
            key,
            label: label(key, w.balance),
            text: formatMoney(card.giftBalanceMinor, business.currency, business.locale),
            value: card.giftBalanceMinor / 10 ** d,
            currencyCode: business.currency,
            announce: true,
          });
        }
        break;
      case 'level':
        if (program.levels.length && card.levelName) out.push({ key, label: label(key, w.level), text: card.levelName, value: card.levelName, announce: true });
        break;
      case 'discount': {
        const t = discountText(c);
        if (t) out.push({ key, label: label(key, w.discount), text: t, value: t, announce: program.kind === 'discount' });
        break;
      }
      case 'stamps':
        if (program.kind === 'stamp') {
          const t = `${card.stamps} / ${card.stampsGoal ?? '?'}`;
          out.push({ key, label: label(key, w.stamps), text: t, value: t, announce: true });
        }
        break;
      case 'expiry': {
        const d = expiryOf(c);
        if (d) out.push({ key, label: label(key, w.expiry), text: d.toISOString().slice(0, 10), value: d.toISOString(), isDate: true, announce: false });
        break;
      }
      case 'number':
        out.push({ key, label: label(key, w.number), text: groupedNumber(card.number), value: groupedNumber(card.number), announce: false });
        break;
      case 'name':
        if (c.guestName) out.push({ key, label: label(key, w.name), text: c.guestName, value: c.guestName, announce: false });
        break;
    }
  }
  return out;
}

/** A one-line summary of what changed, for Google messages: e.g. "Points: 120 · Level: Gold". */
export function summaryLine(c: PassContent): string {
  return frontValues(c)
    .filter((f) => f.announce)
    .map((f) => `${f.label}: ${f.text}`)
    .join(' · ');
}

/** Default rules text for the back of the card, from the program's rules. */
export function defaultRulesText(program: PassProgram, business: PassBusiness): string {
  const ru = wordsFor(business.locale) === WORDS.ru;
  const r = program.rules ?? {};
  switch (program.kind) {
    case 'bonus':
      return ru
        ? `${r.accrualPercent ?? 0}% от покупки возвращается баллами. Баллами можно оплатить до ${r.maxRedeemPercent ?? 100}% чека.`
        : `${r.accrualPercent ?? 0}% of each purchase comes back in points. Points pay up to ${r.maxRedeemPercent ?? 100}% of a bill.`;
    case 'discount':
      return ru ? `Скидка ${r.discountPercent ?? 0}% по карте.` : `${r.discountPercent ?? 0}% off with this card.`;
    case 'stamp':
      return ru ? `Соберите ${r.stampsRequired} штампов и получите подарок.` : `Collect ${r.stampsRequired} stamps for a reward.`;
    case 'gift':
      return ru ? 'Подарочный сертификат: оплачивайте им покупки до окончания срока.' : 'Gift certificate: pay with it until it expires.';
    case 'coupon':
      return ru ? 'Покажите купон на кассе.' : 'Show this coupon at the till.';
  }
}

// ---------------------------------------------------------------------------------------------
// Apple pass.json
// ---------------------------------------------------------------------------------------------

export interface AppleIds {
  passTypeId: string;
  teamId: string;
  serial: string;
  authToken: string;
  webServiceUrl: string;
}

const BARCODE_FORMAT = { QR: 'PKBarcodeFormatQR', PDF417: 'PKBarcodeFormatPDF417', Aztec: 'PKBarcodeFormatAztec', Code128: 'PKBarcodeFormatCode128' } as const;

/** The Apple style of a card kind: coupons are `coupon`, every other kind a `storeCard`. */
export const appleStyle = (kind: ProgramKind): 'storeCard' | 'coupon' => (kind === 'coupon' ? 'coupon' : 'storeCard');

type AppleField = Record<string, unknown>;

function appleField(f: FrontValue, w: Words): AppleField {
  const out: AppleField = { key: f.key, label: f.label, value: f.value };
  if (f.currencyCode) out.currencyCode = f.currencyCode;
  if (f.isDate) {
    out.dateStyle = 'PKDateStyleMedium';
    out.timeStyle = 'PKDateStyleNone';
  }
  // The lock screen says e.g. "Points: 120" when an update changes this value.
  if (f.announce) out.changeMessage = w.changed.replace('%s', f.label);
  return out;
}

/**
 * The pass.json of a card: style by kind, front fields (the first is the primary one), back fields
 * (rules, contacts, links), barcode with the card's QR payload, venues, colours, web service.
 */
export function applePassJson(c: PassContent, ids: AppleIds): Record<string, unknown> {
  const { design, program, business, card } = c;
  const w = wordsFor(business.locale);
  const fields = frontValues(c).map((f) => appleField(f, w));
  // With a stamps strip the strip shows the progress; the count still changes with a message.
  const primary = program.kind === 'stamp' ? [] : fields.slice(0, 1);
  const rest = program.kind === 'stamp' ? fields : fields.slice(1);
  const back: AppleField[] = [];
  back.push({ key: 'rules', label: w.rules, value: design.back.rules ?? defaultRulesText(program, business) });
  if (design.back.contacts)
    back.push({
      key: 'contacts',
      label: w.contacts,
      value: design.back.contacts,
      dataDetectorTypes: ['PKDataDetectorTypePhoneNumber', 'PKDataDetectorTypeLink'],
    });
  const link = (key: string, label: string, url?: string) => {
    if (url)
      back.push({
        key,
        label,
        value: url,
        attributedValue: `<a href="${escapeAttr(url)}">${escapeText(label)}</a>`,
        dataDetectorTypes: ['PKDataDetectorTypeLink'],
      });
  };
  link('website', w.website, design.back.website);
  link('buyPoints', w.buyPoints, program.kind === 'bonus' ? design.back.buyPointsUrl : undefined);
  link('review', w.review, design.back.reviewUrl);
  design.back.extra.forEach((e, i) => back.push({ key: `extra${i}`, label: e.label, value: e.value }));
  back.push({ key: 'cardNumber', label: w.number, value: card.number });

  const style = appleStyle(program.kind);
  const pass: Record<string, unknown> = {
    formatVersion: 1,
    passTypeIdentifier: ids.passTypeId,
    teamIdentifier: ids.teamId,
    serialNumber: ids.serial,
    organizationName: design.texts.organizationName ?? business.name,
    description: design.texts.description ?? program.name,
    logoText: design.texts.logoText ?? program.name,
    foregroundColor: rgbCss(design.colors.foreground),
    backgroundColor: rgbCss(design.colors.background),
    labelColor: rgbCss(design.colors.label),
    webServiceURL: ids.webServiceUrl,
    authenticationToken: ids.authToken,
    sharingProhibited: true,
    barcodes: [
      {
        format: BARCODE_FORMAT[design.barcode.format],
        message: card.qr,
        messageEncoding: 'iso-8859-1',
        ...(design.barcode.showNumber ? { altText: groupedNumber(card.number) } : {}),
      },
    ],
    [style]: {
      headerFields: [],
      primaryFields: primary,
      secondaryFields: rest.slice(0, 2),
      auxiliaryFields: rest.slice(2, 4),
      backFields: back,
    },
  };
  const locations = c.locations.slice(0, 10).map((l) => ({
    latitude: l.latitude,
    longitude: l.longitude,
    ...(design.relevantText ? { relevantText: design.relevantText } : l.name ? { relevantText: l.name } : {}),
  }));
  if (locations.length) pass.locations = locations;
  const expiry = expiryOf(c);
  if (expiry) pass.expirationDate = expiry.toISOString();
  if (card.status !== 'active') pass.voided = true;
  return pass;
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * `Last-Modified` of a pass after a change: HTTP dates have one-second resolution, so the value
 * must move by at least a second each time, or a device that fetched the pass earlier in the same
 * second would be answered 304 and miss the change.
 */
export function nextLastModified(prev: Date | null, now: Date): Date {
  const nowSec = Math.floor(now.getTime() / 1000) * 1000;
  if (!prev) return new Date(nowSec);
  const prevSec = Math.floor(prev.getTime() / 1000) * 1000;
  return new Date(Math.max(nowSec, prevSec + 1000));
}

/** Whether a device's `If-Modified-Since` already has this version (HTTP dates: whole seconds). */
export function notModifiedSince(lastModified: Date, ifModifiedSince: string | undefined): boolean {
  if (!ifModifiedSince) return false;
  const ims = Date.parse(ifModifiedSince);
  if (Number.isNaN(ims)) return false;
  return Math.floor(lastModified.getTime() / 1000) * 1000 <= ims;
}

/** The ApplePass authorization header's token, or null. */
export function applePassToken(header: string | undefined): string | null {
  const m = /^ApplePass\s+(\S+)\s*$/.exec(header ?? '');
  return m ? m[1]! : null;
}

// ---------------------------------------------------------------------------------------------
// Google Wallet
// ---------------------------------------------------------------------------------------------

export type GoogleType = 'loyalty' | 'giftCard' | 'offer' | 'generic';

/** Google's pass type for a card kind. */
export function googleType(kind: ProgramKind): GoogleType {
  switch (kind) {
    case 'bonus':
    case 'discount':
      return 'loyalty';
    case 'gift':
      return 'giftCard';
    case 'coupon':
      return 'offer';
    case 'stamp':
      return 'generic';
  }
}

/** Ids are `issuerId.suffix`, the suffix of letters, digits, `.`, `_`, `-`. */
export const googleClassId = (issuerId: string, programId: string) => `${issuerId}.lh_${programId.replace(/[^A-Za-z0-9._-]/g, '_')}`;
export const googleObjectId = (issuerId: string, cardId: string) => `${issuerId}.lh_${cardId.replace(/[^A-Za-z0-9._-]/g, '_')}`;

const localized = (value: string, locale: string) => ({ defaultValue: { language: locale.slice(0, 2) || 'en', value } });
const image = (uri: string, description: string, locale: string) => ({ sourceUri: { uri }, contentDescription: localized(description, locale) });

export interface GoogleUrls {
  /** Absolute https URL of the logo (Google fetches it). */
  logoUrl: string;
  heroUrl?: string;
  /** Where Google sends save / delete callbacks (`callbackOptions.url`). */
  callbackUrl?: string;
}

/** The class of a program (shared look: issuer, logo, colour, links). */
export function googleClass(c: Omit<PassContent, 'card' | 'guestName'>, issuerId: string, urls: GoogleUrls): Record<string, unknown> {
  const { program, business, design } = c;
  const w = wordsFor(business.locale);
  const id = googleClassId(issuerId, program.id);
  const issuerName = design.texts.organizationName ?? business.name;
  const links = [
    design.back.website && { uri: design.back.website, description: w.website, id: 'website' },
    program.kind === 'bonus' && design.back.buyPointsUrl && { uri: design.back.buyPointsUrl, description: w.buyPoints, id: 'buy_points' },
    design.back.reviewUrl && { uri: design.back.reviewUrl, description: w.review, id: 'review' },
  ].filter(Boolean);
  const common: Record<string, unknown> = {
    id,
    issuerName,
    reviewStatus: 'UNDER_REVIEW',
    hexBackgroundColor: design.colors.background,
    textModulesData: [{ id: 'rules', header: w.rules, body: design.back.rules ?? defaultRulesText(program, business) }],
    ...(links.length ? { linksModuleData: { uris: links } } : {}),
    ...(c.locations.length ? { locations: c.locations.slice(0, 10).map((l) => ({ latitude: l.latitude, longitude: l.longitude })) } : {}),
    ...(urls.callbackUrl ? { callbackOptions: { url: urls.callbackUrl } } : {}),
  };
  switch (googleType(program.kind)) {
    case 'loyalty':
      return { ...common, programName: design.texts.logoText ?? program.name, programLogo: image(urls.logoUrl, program.name, business.locale) };
    case 'giftCard':
      return { ...common, merchantName: issuerName, programLogo: image(urls.logoUrl, program.name, business.locale) };
    case 'offer':
      return {
        ...common,
        provider: issuerName,
        title: design.texts.description ?? program.name,
        redemptionChannel: 'INSTORE',
        titleImage: image(urls.logoUrl, program.name, business.locale),
      };
    case 'generic': {
      // Generic classes carry only an id (and templates); the look goes on the object.
      const { id: genericId, callbackOptions } = common;
      return { id: genericId, ...(links.length ? { linksModuleData: { uris: links } } : {}), ...(callbackOptions ? { callbackOptions } : {}) };
    }
  }
}

/** The object of a card (its own values). PATCH sends the same shape without the ids. */
export function googleObject(c: PassContent, issuerId: string, urls: GoogleUrls, now: Date): Record<string, unknown> {
  const { program, business, design, card } = c;
  const w = wordsFor(business.locale);
  const values = frontValues(c);
  const state = card.status === 'active' ? (expiryOf(c) && expiryOf(c)!.getTime() < now.getTime() ? 'EXPIRED' : 'ACTIVE') : 'INACTIVE';
  const base: Record<string, unknown> = {
    id: googleObjectId(issuerId, card.id),
    classId: googleClassId(issuerId, program.id),
    state,
    barcode: {
      type:
        design.barcode.format === 'QR' ? 'QR_CODE' : design.barcode.format === 'PDF417' ? 'PDF_417' : design.barcode.format === 'Aztec' ? 'AZTEC' : 'CODE_128',
      value: card.qr,
      ...(design.barcode.showNumber ? { alternateText: groupedNumber(card.number) } : {}),
    },
  };
  const expiry = expiryOf(c);
  if (expiry) base.validTimeInterval = { end: { date: expiry.toISOString() } };
  const find = (k: FrontField) => values.find((v) => v.key === k);
  switch (googleType(program.kind)) {
    case 'loyalty': {
      const main = program.kind === 'bonus' ? find('balance') : find('discount');
      const level = find('level');
      return {
        ...base,
        accountId: card.number,
        accountName: c.guestName ?? groupedNumber(card.number),
        ...(main ? { loyaltyPoints: { label: main.label, balance: program.kind === 'bonus' ? { int: card.pointsBalance } : { string: main.text } } } : {}),
        ...(level ? { secondaryLoyaltyPoints: { label: level.label, balance: { string: level.text } } } : {}),
      };
    }
    case 'giftCard': {
      const d = currencyDigits(business.currency);
      return {
        ...base,
        cardNumber: card.number,
        balance: { micros: String(card.giftBalanceMinor * 10 ** (6 - d)), currencyCode: business.currency },
        balanceUpdateTime: { date: (card.lastOperationAt ? new Date(card.lastOperationAt) : now).toISOString() },
      };
    }
    case 'offer':
      return base;
    case 'generic': {
      const stamps = find('stamps');
      return {
        ...base,
        cardTitle: localized(design.texts.organizationName ?? business.name, business.locale),
        header: localized(design.texts.logoText ?? program.name, business.locale),
        ...(stamps ? { subheader: localized(stamps.label, business.locale) } : {}),
        hexBackgroundColor: design.colors.background,
        logo: image(urls.logoUrl, program.name, business.locale),
        ...(urls.heroUrl ? { heroImage: image(urls.heroUrl, program.name, business.locale) } : {}),
        textModulesData: [
          ...(stamps ? [{ id: 'stamps', header: stamps.label, body: stamps.text }] : []),
          { id: 'number', header: w.number, body: groupedNumber(card.number) },
        ],
      };
    }
  }
}

/** Google's save-link JWT payload key for a type: plural `…Objects`. */
export const googlePayloadKey = (t: GoogleType) => `${t}Objects` as const;

export const GOOGLE_NOTIFY_LIMIT = 3;
const DAY_MS = 24 * 3600 * 1000;

/**
 * Google lets a pass notify (TEXT_AND_NOTIFY) at most 3 times in 24 hours; beyond that a message
 * is added as TEXT (shown on the pass, no notification). Returns the type and the updated log.
 */
export function googleMessageType(log: string[] | null, now: Date): { messageType: 'TEXT_AND_NOTIFY' | 'TEXT'; log: string[] } {
  const recent = (log ?? []).filter((t) => now.getTime() - Date.parse(t) < DAY_MS);
  if (recent.length >= GOOGLE_NOTIFY_LIMIT) return { messageType: 'TEXT', log: recent };
  return { messageType: 'TEXT_AND_NOTIFY', log: [...recent, now.toISOString()] };
}
