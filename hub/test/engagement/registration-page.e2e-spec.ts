import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import type { SmsProvider } from '../../src/modules/engagement/engagement.sms';
import { Guest } from '../../src/modules/guests/guests.entity';
import { createTestHub, TestBusiness, TestHub } from '../harness';

// Debian's chromium package (`apt-get install -y chromium`); CHROMIUM_PATH points elsewhere.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

/** The registration page in a real browser: its script file asks for the code, registers, opens the card page. */
describe('registration page in Chromium', () => {
  let t: TestHub;
  let b: TestBusiness;
  let base: string;
  let context: BrowserContext;
  let userDir: string;
  const texts: { to: string; text: string }[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM))
      throw new Error(`Chromium is not installed at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH).`);
    t = await createTestHub();
    // Capture the texts instead of a provider (the console provider writes them to the hub log).
    const capture: SmsProvider = {
      name: 'capture',
      send: async (m) => {
        texts.push(m);
        return { id: null };
      },
    };
    t.hub.services.engagement.d.sms = capture;
    base = await t.listen();
    b = await t.business('Кофейня «Зерно»');
    const program = await t.http
      .post('/v1/admin/programs')
      .set('Cookie', b.ownerCookie)
      .send({ name: 'Кофейный клуб', rules: { kind: 'bonus', accrualPercent: 5 }, welcomeBonusPoints: 100 })
      .expect(201);
    await t.http
      .post('/v1/admin/engagement/forms')
      .set('Cookie', b.ownerCookie)
      .send({
        programId: program.body.id,
        slug: 'zerno',
        title: 'Вступайте в клуб',
        marketingConsentText: 'Присылать мне предложения',
        variables: [{ key: 'drink', label: 'Любимый напиток', type: 'select', options: ['Латте', 'Эспрессо'] }],
      })
      .expect(201);
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'join-e2e-'));
    context = await chromium.launchPersistentContext(userDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
      userAgent: IPHONE,
      locale: 'ru-RU',
    });
    context.setDefaultTimeout(10_000);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await t?.close();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('registers through the form (SMS code, consent, UTM from the link) and lands on the card page', async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) errors.push(m.text());
    });
    await page.goto(`${base}/join/zerno?utm_source=vk&utm_campaign=spring`);
    await page.fill('#f-phone', '8 916 777-66-55');
    await page.click('#more summary');
    await page.fill('#f-name', 'Анна');
    await page.selectOption('#v-drink', 'Латте');
    // Without consent the page says why, on the checkbox, before any SMS is sent.
    await page.click('#send-code');
    await page.waitForSelector('#e-consent:not([hidden])');
    expect(await page.getAttribute('#f-consent', 'aria-invalid')).toBe('true');
    expect(texts).toEqual([]);
    await page.check('input[name="consent"]');
    await page.click('#send-code');
    await page.waitForSelector('#code-row:not([hidden])');
    const code = /\b(\d{6})\b/.exec(texts[texts.length - 1]!.text)![1]!;
    expect(texts[texts.length - 1]!.to).toBe('+79167776655');
    // The sixth digit sends the form.
    await page.fill('#f-code', code);
    await page.waitForURL(/\/card\//);
    await page.waitForSelector('#add-apple, #no-wallet');
    expect(await page.textContent('h1')).toBe('Кофейня «Зерно»');
    expect(errors).toEqual([]);
    const guest = await t.hub.db.manager.getRepository(Guest).findOneByOrFail({ phone: '+79167776655' });
    expect(guest).toMatchObject({ name: 'Анна', source: 'form', utm: { source: 'vk', campaign: 'spring' }, attributes: { drink: 'Латте' } });
  });
});
