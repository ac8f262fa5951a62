import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { makeAppleTestCerts, type AppleTestCerts } from '../../../fixtures/src/apple/certs';
import type { SmsProvider } from '../../src/modules/engagement/engagement.sms';
import { createTestHub, TestBusiness, TestHub } from '../harness';
import { uploadAppleCert } from '../wallet/wallet-fixtures';

// Debian's chromium package (`apt-get install -y chromium`); CHROMIUM_PATH points elsewhere.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.resolve(__dirname, '../../../docs/screenshots/guest');

const DEVICES = {
  iphone: {
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    viewport: { width: 390, height: 844 },
  },
  android: {
    userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36',
    viewport: { width: 412, height: 915 },
  },
} as const;

const WORDS = {
  ru: {
    title: 'Вступайте в клуб',
    codeSent: /^Код отправлен на \+7 916 \*\*\*-\*\*-\d\d$/,
    resendIn: /^Отправить ещё раз через \d:\d\d$/,
    wrong: 'Неверный код: осталось 4 попытки',
    consent: 'Без этого согласия мы не можем выпустить карту',
    phone: 'Введите номер полностью',
    ready: 'Карта готова, +100 бонусов',
    refIgnored: 'Код приглашения не найден',
    blocked: 'Карта заблокирована',
    deleted: 'Карта удалена',
    offline: 'Нет связи',
    notFound: 'Страница не найдена',
    closed: 'Акция завершена',
    noCard: 'Для этого номера карты пока нет',
    cooldown: /^Код только что отправлен\. Новый можно запросить через (1:00|0:[0-5]\d)\.$/,
    progress: 'До уровня «Серебряный» осталось 10\u00a0000\u00a0₽',
    welcome: 'Приветственный бонус',
    points100: '+100 баллов',
    expires: /^100 баллов сгорят \d{1,2} [а-я]+ \d{4} г\.$/,
    copied: 'Скопировано: отправьте другу',
    apple: 'Добавить в Apple Wallet',
    googleBadge: 'Добавить в Google Кошелек',
  },
  en: {
    title: 'Join the club',
    codeSent: /^Code sent to \+7 916 \*\*\*-\*\*-\d\d$/,
    resendIn: /^Send again in \d:\d\d$/,
    wrong: 'The code is wrong: 4 attempts left',
    consent: 'We cannot issue a card without this consent',
    phone: 'Enter the whole phone number',
    ready: 'Your card is ready, +100 points',
    refIgnored: 'The invite code was not found',
    blocked: 'This card is blocked',
    deleted: 'This card has been deleted',
    offline: 'You are offline',
    notFound: 'Page not found',
    closed: 'This offer has ended',
    noCard: 'There is no card for this phone yet',
    cooldown: /^The code has just been sent\. You can ask for another in (1:00|0:[0-5]\d)\.$/,
    progress: 'RUB\u00a010,000 more to Silver',
    welcome: 'Welcome bonus',
    points100: '+100 points',
    expires: /^100 points will expire on [A-Z][a-z]+ \d{1,2}, \d{4}$/,
    copied: 'Copied: send it to a friend',
    apple: 'Add to Apple Wallet',
    googleBadge: 'Add to Google Wallet',
  },
} as const;

/**
 * The guest's side in Chromium, as a guest of a Moscow café would use it from a phone: iPhone in
 * Russian, Android in English. Each state is saved as a screenshot in docs/screenshots/guest/.
 */
describe.each([
  ['iphone', 'ru'],
  ['android', 'en'],
] as const)('guest pages in Chromium (%s, %s)', (device, lang) => {
  const w = WORDS[lang];
  let t: TestHub;
  let b: TestBusiness;
  let certs: AppleTestCerts;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  let userDir: string;
  let dataDir: string;
  const slug = `club-${device}`;
  const texts: { to: string; text: string }[] = [];
  const errors: string[] = [];
  const lastCode = (phone: string) => /\b(\d{6})\b/.exec([...texts].reverse().find((m) => m.to === phone)!.text)![1]!;
  /** Moves the hub's SMS clock forward (a phone's resend cooldown is a minute), as the page's clock moves. */
  const later = (seconds: number) => {
    const e = t.hub.services.engagement;
    const before = e.now;
    e.now = () => new Date(before().getTime() + seconds * 1000);
  };
  const shot = (name: string) =>
    page.screenshot({ path: path.join(SHOTS, `${device}-${lang}-${name}.png`), scale: 'css', fullPage: false, animations: 'disabled' });

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM))
      throw new Error(`Chromium is not installed at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH).`);
    fs.mkdirSync(SHOTS, { recursive: true });
    certs = makeAppleTestCerts();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'guest-data-'));
    t = await createTestHub({ env: { APPLE_WWDR_CERT_FILE: certs.wwdrFile, DATA_DIR: dataDir } });
    const capture: SmsProvider = {
      name: 'capture',
      send: async (m) => {
        texts.push(m);
        return { id: null };
      },
    };
    t.hub.services.engagement.d.sms = capture;
    base = await t.listen();
    b = await t.business(lang === 'ru' ? 'Кофейня «Зерно»' : 'Grain Coffee');
    await t.http.patch('/v1/admin/business').set('Cookie', b.ownerCookie).send({ locale: lang }).expect(200);
    await uploadAppleCert(t, b, certs, false);
    // Google Wallet set up too (a service account of our own; nothing here calls Google).
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const account = {
      type: 'service_account',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: 'wallet@loyalty-test.iam.gserviceaccount.com',
      token_uri: 'https://oauth2.googleapis.com/token',
    };
    await t.http
      .put('/v1/admin/wallet/google')
      .set('Cookie', b.ownerCookie)
      .send({ issuerId: '3388000000012345678', serviceAccount: JSON.stringify(account) })
      .expect(200);
    const program = await t.http
      .post('/v1/admin/programs')
      .set('Cookie', b.ownerCookie)
      .send({
        name: lang === 'ru' ? 'Кофейный клуб' : 'Coffee club',
        rules: { kind: 'bonus', accrualPercent: 5, expiryDays: 180 },
        welcomeBonusPoints: 100,
        levels: [
          { code: 'base', name: lang === 'ru' ? 'Базовый' : 'Base', threshold: 0 },
          { code: 'silver', name: lang === 'ru' ? 'Серебряный' : 'Silver', threshold: 1_000_000 },
        ],
        levelPolicy: { metric: 'spend', window: 'all_time', downgrade: 'never' },
      })
      .expect(201);
    for (const [s, active] of [
      [slug, true],
      [`${slug}-old`, false],
    ] as const)
      await t.http
        .post('/v1/admin/engagement/forms')
        .set('Cookie', b.ownerCookie)
        .send({
          programId: program.body.id,
          slug: s,
          title: w.title,
          active,
          marketingConsentText: lang === 'ru' ? 'Присылать мне предложения' : 'Send me offers',
        })
        .expect(201);
    await t.http.patch('/v1/admin/engagement/sms-policy').set('Cookie', b.ownerCookie).send({ codesPerIpPerHour: 1000 }).expect(200);
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'guest-e2e-'));
    context = await chromium.launchPersistentContext(userDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
      ...DEVICES[device],
      isMobile: true,
      hasTouch: true,
      locale: lang === 'ru' ? 'ru-RU' : 'en-GB',
    });
    context.setDefaultTimeout(10_000);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      // Refusals and the simulated 503 are expected (each is checked on its page).
      if (m.type() === 'error' && !/status of [45]\d\d|ERR_INTERNET_DISCONNECTED/.test(m.text())) errors.push(m.text());
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await t?.close();
    certs?.cleanup();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  afterEach(() => expect(errors).toEqual([]));

  let cardUrl = '';
  let successUrl = '';
  const phone = '+79161234566';

  it('first visit: every field problem at once on its field, then phone → code (masked, locked, countdown) → wrong code → card with the Wallet button', async () => {
    await page.goto(`${base}/join/${slug}`);
    // The whole first step fits the first screen.
    const box = (await page.locator('#send-code').boundingBox())!;
    expect(box.y + box.height).toBeLessThanOrEqual(DEVICES[device].viewport.height);
    expect(box.height).toBeGreaterThanOrEqual(44);
    await shot('1-join');
    await page.fill('#f-phone', '916 12');
    await page.click('#send-code');
    await page.waitForSelector('#e-phone:not([hidden])');
    expect(await page.textContent('#e-phone')).toContain(w.phone);
    expect(await page.textContent('#e-consent')).toBe(w.consent);
    expect(await page.getAttribute('#f-phone', 'aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-phone');
    expect(texts).toEqual([]);
    await shot('2-errors');
    await page.fill('#f-phone', '8 916 123-45-66');
    await page.check('#f-consent');
    await page.click('#send-code');
    await page.waitForSelector('#code-row:not([hidden])');
    expect(await page.textContent('#code-sent')).toMatch(w.codeSent);
    expect(await page.getAttribute('#f-phone', 'readonly')).not.toBeNull();
    expect(await page.isDisabled('#resend')).toBe(true);
    expect(await page.textContent('#resend')).toMatch(w.resendIn);
    expect(await page.isHidden('#send-code')).toBe(true);
    await shot('3-code');
    const right = lastCode(phone);
    // A wrong code: said on the code field, which is emptied for another try.
    await page.fill('#f-code', right === '000000' ? '111111' : '000000');
    await page.waitForSelector('#e-code:not([hidden])');
    expect(await page.textContent('#e-code')).toBe(w.wrong);
    await shot('4-wrong-code');
    await page.fill('#f-code', right);
    await page.waitForURL(/\/card\//);
    // The success screen is the card page with `new=1`; later visits open it without.
    successUrl = page.url();
    expect(successUrl).toContain('&new=1');
    cardUrl = successUrl.replace('&new=1', '');
    await page.waitForSelector('#card-ready');
    expect(await page.textContent('#card-ready')).toBe(w.ready);
    if (device === 'iphone') {
      // No Apple badge in the operator's folder: the plain button (the repo cannot ship Apple's artwork).
      expect(await page.isVisible('#add-apple.btn')).toBe(true);
      expect((await page.locator('#add-apple').boundingBox())!.height).toBeGreaterThanOrEqual(44);
      expect(await page.locator('#add-google').count()).toBe(0);
    } else {
      // Google's official button artwork, in the page's language, from the hub's own origin.
      const img = page.locator('#add-google.badge img');
      expect(await img.getAttribute('src')).toMatch(new RegExp(`^/static/engagement/badges/google-wallet-${lang}\\.[0-9a-f]{12}\\.svg$`));
      expect(await img.getAttribute('alt')).toBe(w.googleBadge);
      await page.waitForFunction(() => (document.querySelector('#add-google img') as HTMLImageElement | null)?.complete === true);
      expect(await img.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBeGreaterThan(0);
      const box = (await img.boundingBox())!;
      expect(box.height).toBeGreaterThanOrEqual(44);
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(DEVICES[device].viewport.width);
      expect((await page.locator('#add-google').boundingBox())!.height).toBeGreaterThanOrEqual(44);
      expect(await page.locator('#add-apple').count()).toBe(0);
    }
    expect(await page.getAttribute('#card-qr svg', 'role')).toBe('img');
    await shot('5-card');
    // The card page itself (no `new=1`) keeps the light buttons.
    await page.goto(cardUrl);
    expect(await page.locator('a.badge').count()).toBe(0);
    expect(await page.isVisible(device === 'iphone' ? '#add-apple.btn' : '#add-google.btn')).toBe(true);
  });

  it('Apple’s badge: the plain button by default, the operator’s files from DATA_DIR/wallet-badges when present', async () => {
    const dir = path.join(dataDir, 'wallet-badges');
    fs.mkdirSync(dir, { recursive: true });
    // A stand-in of the operator's file (Apple's artwork itself is not in the repo): a black pill that declares its size.
    const file = path.join(dir, `apple-${lang}.svg`);
    fs.writeFileSync(
      file,
      '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40"><rect width="120" height="40" rx="8" fill="#000"/></svg>',
    );
    try {
      await page.goto(successUrl);
      if (device === 'iphone') {
        const img = page.locator('#add-apple.badge img');
        const src = (await img.getAttribute('src'))!;
        expect(src).toMatch(new RegExp(`^/static/engagement/badges/apple-${lang}\\.[0-9a-f]{12}\\.svg$`));
        expect(await img.getAttribute('alt')).toBe(w.apple);
        await page.waitForFunction(() => (document.querySelector('#add-apple img') as HTMLImageElement | null)?.complete === true);
        expect(await img.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBe(120);
        expect((await img.boundingBox())!.height).toBeGreaterThanOrEqual(44);
        const res = await t.http.get(src).expect(200);
        expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
        expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
        // The card page itself keeps the light button.
        await page.goto(cardUrl);
        expect(await page.isVisible('#add-apple.btn')).toBe(true);
      } else {
        // Android shows Google's badge only.
        expect(await page.locator('#add-apple').count()).toBe(0);
        expect(await page.isVisible('#add-google.badge')).toBe(true);
      }
    } finally {
      fs.rmSync(file, { force: true });
    }
    // The file taken away: the button again.
    await page.goto(successUrl);
    if (device === 'iphone') expect(await page.isVisible('#add-apple.btn')).toBe(true);
  });

  it('the card page opens offline once visited', async () => {
    await page.goto(cardUrl);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    // The service worker takes over the page, then keeps the copy it fetched.
    await page.reload();
    await page.waitForFunction(() => !!navigator.serviceWorker.controller);
    await page.reload();
    await context.setOffline(true);
    try {
      await page.reload();
      await page.waitForSelector('#offline:not([hidden])');
      expect(await page.textContent('#offline')).toContain(w.offline);
      expect(await page.isVisible('.pass')).toBe(true);
      await shot('6-offline');
    } finally {
      await context.setOffline(false);
    }
  });

  it('the card page is the guest’s account: progress to the next level, operations, points that expire, an invite to share or copy', async () => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    await page.goto(cardUrl);
    expect(await page.textContent('#progress p')).toBe(w.progress);
    expect(await page.getAttribute('#progress progress', 'max')).toBe('1000000');
    expect(await page.locator('#history li').count()).toBe(1);
    expect(await page.textContent('#history li span')).toMatch(new RegExp(` · ${w.welcome}$`));
    expect(await page.textContent('#history li b')).toBe(w.points100);
    expect(await page.textContent('#expiring li')).toMatch(w.expires);
    // No share sheet in this browser: the invite (text and link) is copied.
    expect(await page.evaluate(() => 'share' in navigator)).toBe(false);
    await page.evaluate(() => document.getElementById('progress')!.scrollIntoView());
    await shot('15-account');
    await page.click('#share');
    await page.waitForFunction((text) => document.getElementById('share')?.textContent === text, w.copied);
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toMatch(new RegExp(`\\?ref=[A-Z0-9]{6,16}$`));
    expect(copied).toContain(await page.getAttribute('#share', 'data-text'));
    await shot('16-invite-copied');
    // Where there is a share sheet, the system one is used.
    await page.evaluate(() => {
      (navigator as unknown as { share: (d: unknown) => Promise<void> }).share = (d) => {
        (window as unknown as { shared: unknown }).shared = d;
        return Promise.resolve();
      };
    });
    await page.click('#share');
    const shared = (await page.evaluate(() => (window as unknown as { shared: unknown }).shared)) as { text: string; url: string };
    expect(shared.url).toMatch(new RegExp(`/join/${slug}\\?ref=`));
    expect(copied).toBe(`${shared.text} ${shared.url}`);
  });

  it('a returning guest gets their card back through «Already have a card?»; a phone without one is told so after its code', async () => {
    // A minute after the registration's code (the hub's resend cooldown).
    later(61);
    await page.goto(`${base}/join/${slug}`);
    await page.click('#have-card');
    expect(await page.isHidden('#reg-only')).toBe(true);
    await page.fill('#f-phone', '+7 916 123-45-66');
    await page.click('#send-code');
    await page.waitForSelector('#code-row:not([hidden])');
    await shot('7-recover');
    await page.fill('#f-code', lastCode(phone));
    await page.waitForURL(/\/card\//);
    expect(new URL(page.url()).pathname).toBe(new URL(cardUrl).pathname);
    expect(await page.isVisible('#card-ready')).toBe(false);
    await page.goto(`${base}/join/${slug}`);
    await page.click('#have-card');
    await page.fill('#f-phone', '+7 916 765-43-21');
    await page.click('#send-code');
    await page.waitForSelector('#code-row:not([hidden])');
    await page.fill('#f-code', lastCode('+79167654321'));
    await page.waitForFunction((text) => (document.getElementById('msg')?.textContent ?? '').startsWith(text), w.noCard);
  });

  it('the resend button counts down, then sends again', async () => {
    await page.clock.install();
    await page.goto(`${base}/join/${slug}`);
    await page.fill('#f-phone', '+7 916 555-44-33');
    await page.check('#f-consent');
    await page.click('#send-code');
    await page.waitForSelector('#code-row:not([hidden])');
    expect(await page.textContent('#resend')).toMatch(w.resendIn);
    await page.clock.runFor(30_000);
    expect(await page.textContent('#resend')).toMatch(/0:3\d|0:29/);
    await shot('8-countdown');
    const sent = texts.length;
    await page.clock.runFor(31_000);
    later(61);
    expect(await page.isDisabled('#resend')).toBe(false);
    await page.click('#resend');
    await page.waitForFunction(() => /1:00$/.test(document.getElementById('resend')?.textContent ?? ''));
    expect(texts.length).toBe(sent + 1);
    // «change» unlocks the phone.
    await page.click('#change');
    expect(await page.getAttribute('#f-phone', 'readonly')).toBeNull();
    expect(await page.isVisible('#send-code')).toBe(true);
    // The same phone again at once: the hub refuses a second code within the minute and says how long is left;
    // the page goes back to the code it sent, counting down from the hub's seconds.
    await page.click('#send-code');
    await page.waitForFunction(() => (document.getElementById('msg')?.textContent ?? '') !== '');
    expect(await page.textContent('#msg')).toMatch(w.cooldown);
    expect(await page.isVisible('#code-row')).toBe(true);
    expect(await page.getAttribute('#f-phone', 'readonly')).not.toBeNull();
    expect(await page.textContent('#resend')).toMatch(/(1:00|0:[0-5]\d)$/);
    expect(texts.length).toBe(sent + 1);
    await shot('17-cooldown');
  });

  it('a link with an unknown invite code registers anyway, with a note', async () => {
    await page.goto(`${base}/join/${slug}?ref=NOSUCH99`);
    await page.fill('#f-phone', '+7 916 222-33-44');
    await page.check('#f-consent');
    await page.click('#send-code');
    await page.waitForSelector('#code-row:not([hidden])');
    await page.fill('#f-code', lastCode('+79162223344'));
    await page.waitForURL(/\/card\//);
    expect(await page.textContent('#note')).toContain(w.refIgnored);
    await shot('9-bad-invite');
  });

  it('blocked and deleted cards say so, with no QR and no Wallet button', async () => {
    const cardId = new URL(cardUrl).pathname.split('/')[3]!;
    for (const [status, words] of [
      ['blocked', w.blocked],
      ['deleted', w.deleted],
    ] as const) {
      await t.http.post(`/v1/admin/cards/${cardId}/status`).set('Cookie', b.ownerCookie).send({ status }).expect(200);
      await page.goto(cardUrl);
      expect(await page.textContent('#card-state')).toContain(words);
      expect(await page.locator('#card-qr, #add-apple, #add-google').count()).toBe(0);
      await shot(`10-${status}`);
      if (status === 'blocked') {
        // Its pass link, followed in the browser, is a page in words too.
        const { searchParams } = new URL(cardUrl);
        await page.goto(`${base}/v1/public/cards/${b.businessId}/${cardId}/apple.pkpass?t=${searchParams.get('t')}`);
        expect(await page.textContent('#pass-unavailable')).toContain(words);
        await shot('11-pass-blocked');
        await t.http.post(`/v1/admin/cards/${cardId}/status`).set('Cookie', b.ownerCookie).send({ status: 'active' }).expect(200);
      }
    }
  });

  it('a typo, a closed form and a failure are pages in the business’s language', async () => {
    await page.goto(`${base}/join/${slug}-typo`);
    expect(await page.textContent('h1')).toBe(WORDS[lang].notFound);
    await shot('12-not-found');
    await page.goto(`${base}/join/${slug}-old`);
    expect(await page.textContent('h1')).toBe(w.closed);
    await shot('13-closed');
    const real = t.hub.services.engagement.cardPage.bind(t.hub.services.engagement);
    t.hub.services.engagement.cardPage = async () => {
      throw Object.assign(new Error('database reconnecting'), { status: 503 });
    };
    try {
      await page.goto(cardUrl);
      expect(await page.isVisible('#retry')).toBe(true);
      await shot('14-error');
    } finally {
      t.hub.services.engagement.cardPage = real;
    }
  });
});
