/**
 * Every screen of the console, read as a person reads it (issue 18, «Russian done right»): on the
 * embedded demo in Russian and on the English demo in English, each page's visible text is scanned
 * for a number followed by the wrong plural form («62 баллов», "1 points"), «хаб», a space before a
 * colon, English words left in the Russian console (and Russian in the English one), message keys
 * shown instead of texts, and "undefined" / "NaN" / "Invalid Date". The Russian walk also saves
 * the documentation screenshots: Home, guests, operations, the form's table tent and the scanner
 * (docs/screenshots/console).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createTestHub, TestHub } from '../../hub/test/harness';
import { seedDemo, type DemoInfo, type DemoLocale } from '../../hub/src/seed';
import { en as keys } from '../src/app/messages';
import { Browser, openBrowser, stepOf } from './kit';

jest.setTimeout(240_000);

const DOCS = path.resolve(__dirname, '../../docs/screenshots/console');

/** The console's pages (admin/src/app/sections.tsx); `:guest`, `:program` are filled from the demo. */
const ROUTES = [
  '',
  'analytics',
  'clients/guests',
  'clients/guests/:guest',
  'clients/import',
  'blacklist',
  'history/operations',
  'history/admin',
  'history/deleted',
  'marketing',
  'utm',
  'cards/list',
  'cards/design',
  'forms',
  'reviews',
  'mechanics',
  'mechanics/new/bonus',
  'mechanics/:program',
  'integrations',
  'settings/business',
  'settings/locations',
  'settings/terminals',
  'settings/apple-wallet',
  'settings/google-wallet',
  'settings/staff',
  'settings/security',
];

/** Russian nouns after a number: the form each CLDR category takes (nominative, and genitive after «до», «из», «от», «более» …). */
const RU_NOUNS: { forms: Record<'one' | 'few' | 'many' | 'other', string>; genitive: Record<'one' | 'few' | 'many' | 'other', string> }[] = [
  { forms: { one: 'балл', few: 'балла', many: 'баллов', other: 'балла' }, genitive: { one: 'балла', few: 'баллов', many: 'баллов', other: 'балла' } },
  { forms: { one: 'штамп', few: 'штампа', many: 'штампов', other: 'штампа' }, genitive: { one: 'штампа', few: 'штампов', many: 'штампов', other: 'штампа' } },
  { forms: { one: 'гость', few: 'гостя', many: 'гостей', other: 'гостя' }, genitive: { one: 'гостя', few: 'гостей', many: 'гостей', other: 'гостя' } },
  { forms: { one: 'визит', few: 'визита', many: 'визитов', other: 'визита' }, genitive: { one: 'визита', few: 'визитов', many: 'визитов', other: 'визита' } },
  {
    forms: { one: 'покупка', few: 'покупки', many: 'покупок', other: 'покупки' },
    genitive: { one: 'покупки', few: 'покупок', many: 'покупок', other: 'покупки' },
  },
  { forms: { one: 'карта', few: 'карты', many: 'карт', other: 'карты' }, genitive: { one: 'карты', few: 'карт', many: 'карт', other: 'карты' } },
  { forms: { one: 'день', few: 'дня', many: 'дней', other: 'дня' }, genitive: { one: 'дня', few: 'дней', many: 'дней', other: 'дня' } },
  {
    forms: { one: 'операция', few: 'операции', many: 'операций', other: 'операции' },
    genitive: { one: 'операции', few: 'операций', many: 'операций', other: 'операции' },
  },
  { forms: { one: 'минута', few: 'минуты', many: 'минут', other: 'минуты' }, genitive: { one: 'минуты', few: 'минут', many: 'минут', other: 'минуты' } },
];
const RU_ALL = [...new Set(RU_NOUNS.flatMap((n) => [...Object.values(n.forms), ...Object.values(n.genitive)]))];
const ruRules = new Intl.PluralRules('ru-RU');

/** «62 баллов» and the like: the number's CLDR category against the noun's form (both cases of the noun are accepted where the preposition asks for the genitive). */
export function ruPluralProblems(text: string): string[] {
  const problems: string[] = [];
  const re = new RegExp(
    `(?:^|[^\\d,])((?:до|из|от|более|менее|свыше|больше|меньше|[Сс]тоимость|[Цц]ена)[ \\u00a0]+)?(\\d{1,3}(?:[ \\u00a0\\u202f]\\d{3})*(?:,\\d+)?)[ \\u00a0]+(${RU_ALL.join('|')})(?![а-яё])`,
    'g',
  );
  for (const m of text.matchAll(re)) {
    const n = Number(m[2]!.replace(/[ \u00a0\u202f]/g, '').replace(',', '.'));
    const cat = ruRules.select(n) as 'one' | 'few' | 'many' | 'other';
    const word = m[3]!;
    const noun = RU_NOUNS.find((x) => Object.values(x.forms).includes(word) || Object.values(x.genitive).includes(word))!;
    const ok = m[1] ? noun.genitive[cat] === word || noun.forms[cat] === word : noun.forms[cat] === word;
    if (!ok) problems.push(`«${m[0].trim()}» (${n} takes «${m[1] ? noun.genitive[cat] : noun.forms[cat]}») in «${around(text, m.index!, m[0].length)}»`);
  }
  return problems;
}

/** "1 points", "2 point". */
export function enPluralProblems(text: string): string[] {
  const nouns = ['point', 'stamp', 'guest', 'visit', 'purchase', 'card', 'day', 'operation', 'minute', 'row', 'code'];
  const problems: string[] = [];
  for (const m of text.matchAll(new RegExp(`(?:^|[^\\d.,])(\\d[\\d,]*(?:\\.\\d+)?) (${nouns.join('|')})(s?)\\b`, 'g'))) {
    const one = m[1] === '1';
    if (one === (m[3] === 's')) problems.push(`"${m[0].trim()}"`);
  }
  return problems;
}

/** English UI words that would mean a text was left untranslated in the Russian console. */
const ENGLISH_UI =
  /\b(the|and|of|for|with|points?|guests?|cards?|save|cancel|delete|edit|search|loading|error|yes|active|inactive|total|amount|balance|level|program(me)?|settings|reason|page|next|previous|welcome|purchase|refund|expired|bonus|discount|gift|coupon|stamps?|status|created|never|today|yesterday|week|month)\b/i;
/** Words in the Russian console that are English on purpose: product and protocol names. */
const ALLOWED_LATIN =
  /^(Apple|Google|Wallet|QR|SMS|CSV|UTM|API|HTTPS?|URL|RFM|PNG|SVG|ID|POS|JSON|TOTP|iOS|Android|Standard|Webhooks|E-mail|RU|EN|L|PEM|p12|Pass|Type|Team)$/;

/** A few words either side of a finding, on one line. */
const around = (text: string, at: number, length: number) => text.slice(Math.max(0, at - 30), at + length + 30).replace(/\s+/g, ' ');

function textProblems(lang: 'ru' | 'en', text: string): string[] {
  const problems: string[] = [];
  if (lang === 'ru') {
    problems.push(...ruPluralProblems(text));
    for (const m of text.matchAll(/(^|[^а-яё])(хаб[а-яё]*)/gi)) problems.push(`«${m[2]}»`);
    // English words, once addresses, e-mails and identifiers are taken out.
    const words = text.replace(/\b\S+@\S+\b|https?:\/\/\S+|\b[\w-]+\.(local|com|ru|example)\S*|\b[a-z]+_[a-z_]+\b/g, ' ');
    for (const m of words.matchAll(/\b[A-Za-z][A-Za-z-]+\b/g))
      if (!ALLOWED_LATIN.test(m[0]) && ENGLISH_UI.test(m[0])) problems.push(`English "${m[0]}" in «${around(words, m.index!, m[0].length)}»`);
  } else {
    problems.push(...enPluralProblems(text));
    for (const m of text.matchAll(/[А-Яа-яЁё][А-Яа-яЁё-]*/g)) if (!/^(Русский)$/.test(m[0])) problems.push(`Russian «${m[0]}»`);
  }
  for (const m of text.matchAll(/[^\s\d] :(?=\s|$)/g)) problems.push(`space before a colon: "${m[0]}"`);
  for (const m of text.matchAll(/\b(undefined|NaN|Invalid Date|null)\b/g)) problems.push(m[0]);
  for (const key of Object.keys(keys)) if (key.includes('.') && text.includes(key)) problems.push(`message key ${key}`);
  return [...new Set(problems)];
}

/**
 * The text a person reads on the page in the console's language: code samples (CSV columns in <code>),
 * machine values (`.diff-value`: card numbers, audit action codes) and text marked with its own
 * language (a connector's description, `lang="en"`) are left out.
 */
function readable(): string {
  const copy = document.body.cloneNode(true) as HTMLElement;
  for (const el of copy.querySelectorAll('code, kbd, pre, script, style, .diff-value, [lang]:not(html)')) el.remove();
  document.body.appendChild(copy);
  copy.style.cssText = 'position:absolute;left:-99999px;top:0;width:1440px';
  const text = copy.innerText;
  copy.remove();
  return text;
}

/** The page once its data is in: no spinner, no skeleton, the network quiet. */
async function settled(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.waitForFunction(() => !document.querySelector('.ant-spin-spinning, .ant-skeleton-active, .ant-table-placeholder .ant-spin'), undefined, {
    timeout: 20_000,
  });
}

describe.each<[DemoLocale]>([['ru'], ['en']])('every console screen in %s', (lang) => {
  let t: TestHub;
  let b: Browser | undefined;
  let base: string;
  let demo: DemoInfo;
  const step = stepOf(() => b?.page);

  beforeAll(async () => {
    t = await createTestHub();
    base = await t.listen();
    demo = (await seedDemo(t.hub, base, lang))!;
    b = await openBrowser();
    await b.page.addInitScript((l) => window.localStorage.setItem('loyalty.console.lang', l), lang);
    // Signed in through the API (the login form is tested elsewhere): the session cookie handed to the browser.
    const cookie = await t.login(demo.ownerEmail, demo.ownerPassword);
    await b.context.addCookies(
      cookie.split('; ').map((c) => {
        const [name, ...value] = c.split('=');
        return { name: name!, value: value.join('='), url: base };
      }),
    );
  });
  afterAll(async () => {
    await b?.close();
    await t?.close();
  });

  it(
    'reads right on every page: plurals agree with their numbers, no «хаб», no space before a colon, nothing left in the other language',
    step(async () => {
      const page = b!.page;
      const cookie = await t.login(demo.ownerEmail, demo.ownerPassword);
      const guests = await t.http.get('/v1/admin/guests').set('Cookie', cookie).expect(200);
      const guest = (guests.body.items as { id: string; visits: number }[]).sort((x, y) => y.visits - x.visits)[0]!.id;
      const program = (demo.programs as Record<string, string>).bonus!;
      const found: string[] = [];
      for (const route of ROUTES) {
        await page.goto(`${base}/admin/${route.replace(':guest', guest).replace(':program', program)}`);
        await settled(page);
        const text = await page.evaluate(readable);
        for (const p of textProblems(lang, text)) found.push(`/${route}: ${p}`);
      }
      // The scanner, a separate page for the till.
      await page.goto(`${base}/scanner`);
      await settled(page);
      for (const p of textProblems(lang, await page.evaluate(readable))) found.push(`/scanner: ${p}`);
      expect(found).toEqual([]);
    }),
  );

  // The documentation shows the Russian console only: the English walk has no screenshot step.
  if (lang === 'ru')
    it(
      'saves the documentation screenshots: Home, guests, operations, the table tent and the scanner',
      step(async () => {
        const page = b!.page;
        fs.mkdirSync(DOCS, { recursive: true });
        const save = async (name: string, fullPage = false) => {
          await page.evaluate(() => window.scrollTo(0, 0));
          await page.screenshot({
            path: path.join(DOCS, `${name}.png`),
            fullPage,
            animations: 'disabled',
            style: '.ant-message { display: none !important; }',
          });
        };
        await page.goto(`${base}/admin/`);
        await settled(page);
        await save('home');
        await page.goto(`${base}/admin/clients/guests`);
        await settled(page);
        await save('guests');
        await page.goto(`${base}/admin/history/operations`);
        await settled(page);
        await save('operations');
        await page.goto(`${base}/admin/forms`);
        await settled(page);
        await page.getByTestId('form-qr').first().click();
        const tent = page.getByTestId('table-tent');
        await tent.waitFor();
        await page
          .getByTestId('table-tent-qr')
          .evaluate((img: HTMLImageElement) => (img.complete ? undefined : new Promise((r) => img.addEventListener('load', r))));
        await page.waitForTimeout(400); // the drawer's slide-in
        await tent.screenshot({ path: path.join(DOCS, 'table-tent.png'), animations: 'disabled' });
        // PNG and SVG downloads of the same code.
        for (const [id, type] of [
          ['qr-png', 'image/png'],
          ['qr-svg', 'image/svg+xml'],
        ] as const) {
          const href = await page.getByTestId(id).getAttribute('href');
          const res = await page.request.get(`${base}${href}`, { timeout: 60_000 });
          expect([res.status(), res.headers()['content-type']]).toEqual([200, expect.stringContaining(type)]);
        }
        // The scanner on the till's tablet: the guest found and an amount typed.
        await page.setViewportSize({ width: 820, height: 1180 });
        await page.goto(`${base}/scanner`);
        await settled(page);
        const pickLocation = page.getByRole('button', { name: /Зерно на Тверской/ });
        if (await pickLocation.isVisible()) await pickLocation.click();
        await page.getByTestId('scan-input').fill(String(demo.sampleGuestPhone));
        await page.keyboard.press('Enter');
        await page.getByTestId('scanner-guest').waitFor();
        await page.getByTestId('scanner-amount').fill('1250');
        await page.keyboard.press('Enter');
        await page.getByTestId('scanner-confirm').waitFor();
        await settled(page);
        await save('scanner');
      }),
    );
});
