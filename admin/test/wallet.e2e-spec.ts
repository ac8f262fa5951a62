/**
 * Wallet from the console in real headless Chromium against the real hub: the card designer warns
 * while no wallet is set up; Settings › Apple Wallet takes a .p12 made by openssl in this test (a
 * wrong password is refused under its field, nothing kept), shows the certificate's subject, expiry
 * and fingerprint, and issues a test pass that verifies; Settings › Google Wallet in English refuses
 * a malformed key and keeps a good one. RU and EN. Screenshot: wallet-settings (RU).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { makeAppleTestCerts, type AppleTestCerts } from '../../fixtures/src/apple/certs';
import { createTestHub, TestBusiness, TestHub } from '../../hub/test/harness';
import { loyalty } from '../../hub/test/loyalty/fixtures';
import { Browser, helpers, loginUi, openBrowser, shot, stepOf } from './kit';

const PASS_TYPE = 'pass.ru.example.coffee';
const TEAM = 'TEAMRU1234';

/** Refusals the steps provoke on purpose; any other 4xx/5xx answer fails the test. */
const EXPECTED_REFUSALS = [
  'PUT /v1/admin/wallet/apple 422', // the wrong .p12 password
  'PUT /v1/admin/wallet/apple 422', // a key that is not the certificate's (EN)
  'PUT /v1/admin/wallet/google 400', // a malformed key file (EN)
];

jest.setTimeout(120_000);

describe('Wallet settings in the console', () => {
  let certs: AppleTestCerts;
  let t: TestHub;
  let biz: TestBusiness;
  let base: string;
  let b: Browser;
  let page: Page;
  let p12File: string;
  let googleKey: string;
  const step = stepOf(() => page);
  const h = () => helpers(page);

  beforeAll(async () => {
    certs = makeAppleTestCerts({ passTypeId: PASS_TYPE, teamId: TEAM });
    const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: certs.dir, stdio: ['ignore', 'ignore', 'pipe'] });
    openssl(['pkcs12', '-export', '-in', 'signer.pem', '-inkey', 'signer.key', '-passout', 'pass:kofe-2026', '-out', 'coffee.p12']);
    p12File = path.join(certs.dir, 'coffee.p12');
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'google.key']);
    googleKey = fs.readFileSync(path.join(certs.dir, 'google.key'), 'utf8');
    t = await createTestHub({ env: { APPLE_WWDR_CERT_FILE: certs.wwdrFile } });
    base = await t.listen();
    biz = await t.business('Кофейня «Замок»');
    b = await openBrowser();
    page = b.page;
    b.context.setDefaultTimeout(30_000);
  }, 180_000);
  afterAll(async () => {
    await b?.close();
    await t?.close();
    certs?.cleanup();
  });

  const fileInput = () => page.locator('form#apple-wallet input[type=file]').first();

  it(
    'warns in the card designer while no wallet is set up',
    step(async () => {
      await loginUi(page, base, biz.ownerEmail, biz.ownerPassword);
      await h().menu('Карты', 'Дизайн карты');
      await page.getByTestId('wallet-not-configured').getByText('Apple Wallet и Google Wallet ещё не настроены', { exact: false }).waitFor();
      await page.getByTestId('wallet-not-configured').getByRole('button', { name: 'Настроить Wallet' }).click();
      await h().heading('Apple Wallet');
    }),
  );

  it(
    'refuses a wrong .p12 password under its field and keeps nothing (RU)',
    step(async () => {
      await expect(page.getByTestId('wallet-state').textContent()).resolves.toBe('Не настроен');
      await fileInput().setInputFiles(p12File);
      await page.getByText('coffee.p12').waitFor();
      await page.getByLabel('Пароль .p12').fill('не-тот-пароль');
      await page.getByTestId('wallet-save').click();
      await page.locator('.ant-form-item-explain-error').filter({ hasText: 'Неверный пароль .p12.' }).waitFor();
      await expect(page.getByTestId('wallet-state').textContent()).resolves.toBe('Не настроен');
      expect((await t.http.get('/v1/admin/wallet/status').set('Cookie', biz.ownerCookie).expect(200)).body.apple.configured).toBe(false);
    }),
  );

  it(
    'keeps the .p12 with its Team ID, shows subject, expiry and fingerprint, and issues a test pass that verifies (RU)',
    step(async () => {
      await page.getByLabel('Пароль .p12').fill('kofe-2026');
      await page.getByLabel(/^Team ID/).fill(TEAM);
      await page.getByLabel(/^Pass Type ID/).fill(PASS_TYPE);
      await page.getByTestId('wallet-save').click();
      await h().toast('Сертификат проверен и сохранён');
      await expect(page.getByTestId('wallet-state').textContent()).resolves.toBe('Настроен');
      const state = page.getByTestId('wallet-apple-state');
      await state.getByText(PASS_TYPE, { exact: true }).waitFor();
      await expect(page.getByTestId('wallet-subject').textContent()).resolves.toContain(`UID=${PASS_TYPE}`);
      await expect(page.getByTestId('wallet-expires').textContent()).resolves.toMatch(/^\d{1,2} [а-я]+\.? \d{4} г\. \(осталось дней: 36[45]\)$/);
      await state.getByText(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/).waitFor();
      await page.getByTestId('wallet-test').click();
      await page
        .getByTestId('wallet-test-result')
        .getByText(/^Тестовая карта подписана, подпись верна: .*manifest\.json.*signature/)
        .waitFor();
      // Nothing secret on the page: the key and the password were write-only.
      expect(await page.content()).not.toMatch(/PRIVATE KEY|kofe-2026/);
      await shot(page, 'wallet-settings');
    }),
  );

  it(
    'refuses a key that is not the certificate’s in English, naming the field',
    step(async () => {
      await page.getByTestId('lang-switch').getByText('EN', { exact: true }).click();
      await h().heading('Apple Wallet');
      await page.getByText('PEM certificate and key', { exact: true }).click();
      await page.getByLabel('Certificate (PEM)').fill(certs.signerCertPem);
      await page.getByLabel('Private key (PEM)').fill(certs.strangerKeyPem);
      await page.getByTestId('wallet-save').click();
      await page.locator('.ant-form-item-explain-error').filter({ hasText: 'The private key does not belong to this certificate.' }).waitFor();
      await expect(page.getByTestId('wallet-state').textContent()).resolves.toBe('Configured');
    }),
  );

  it(
    'refuses a malformed Google key and keeps a good one; the signed save link verifies (EN)',
    step(async () => {
      await h().menu('Settings', 'Google Wallet');
      await h().heading('Google Wallet');
      await expect(page.getByTestId('wallet-state').textContent()).resolves.toBe('Not configured');
      await page.getByLabel('Issuer id').fill('3388000000012345678');
      await page.getByLabel('Service account key (JSON)').fill('{"client_email": "wallet@coffee.iam.gserviceaccount.com", ');
      await page.getByTestId('wallet-save').click();
      await page.locator('.ant-form-item-explain-error').filter({ hasText: 'This is not a service account key file' }).waitFor();
      const key = { type: 'service_account', client_email: 'wallet@coffee.iam.gserviceaccount.com', private_key: googleKey, private_key_id: 'k1' };
      await page.getByLabel('Service account key (JSON)').fill(JSON.stringify(key, null, 2));
      await page.getByTestId('wallet-save').click();
      await h().toast('The Google Wallet account is checked and saved');
      await expect(page.getByTestId('wallet-state').textContent()).resolves.toBe('Configured');
      await page.getByTestId('wallet-google-state').getByText('wallet@coffee.iam.gserviceaccount.com').waitFor();
      await page.getByTestId('wallet-test').click();
      await page.getByTestId('wallet-test-result').getByText('is signed by wallet@coffee.iam.gserviceaccount.com and verifies', { exact: false }).waitFor();
      expect(await page.content()).not.toMatch(/PRIVATE KEY/);
      await page.getByTestId('lang-switch').getByText('RU', { exact: true }).click();
      await h().heading('Google Wallet');
    }),
  );

  it(
    'no longer warns in the designer once a wallet is set up',
    step(async () => {
      await h().menu('Карты', 'Дизайн карты');
      await h().heading('Дизайн карты');
      await page.waitForLoadState('networkidle');
      expect(await page.getByTestId('wallet-not-configured').count()).toBe(0);
    }),
  );

  it(
    'shows on the guest profile and in the card list whether the card is in a wallet, and copies the card link',
    step(async () => {
      const l = loyalty(t, biz);
      const program = await l.program({ name: 'Баллы', rules: { kind: 'bonus', accrualPercent: 5, maxRedeemPercent: 50 } });
      const { guest, card } = await l.guestWithCard(program.id, { name: 'Анна' });
      await b.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
      await page.goto(`${base}/admin/clients/guests/${guest.id}`);
      const cards = page.getByTestId('guest-cards');
      await expect(cards.getByTestId('wallet-installs').textContent()).resolves.toBe('Не установлена');
      await cards.getByTestId('wallet-send-link').click();
      await page.getByRole('menuitem', { name: 'Скопировать ссылку' }).click();
      await h().toast('Ссылка на карту скопирована');
      expect(await page.evaluate(() => navigator.clipboard.readText())).toMatch(new RegExp(`/card/${biz.businessId}/${card.id}\\?t=`));
      // SMS is offered only with a provider: the hub here has none.
      await cards.getByTestId('wallet-send-link').click();
      await expect(page.getByRole('menuitem', { name: 'Отправить по SMS' }).getAttribute('aria-disabled')).resolves.toBe('true');
      await page.keyboard.press('Escape');
      // A device registers the card's pass: the card list says Apple Wallet.
      await t.http.get(`/v1/admin/cards/${card.id}/wallet/apple.pkpass`).set('Cookie', biz.ownerCookie).expect(200);
      const token = t.hub.services.wallet.tokens.authToken(card.id);
      await t.http
        .post(`/v1/wallet/apple/v1/devices/iphone-1/registrations/${PASS_TYPE}/${card.id}`)
        .set('Authorization', `ApplePass ${token}`)
        .send({ pushToken: 'abc123def456' })
        .expect(201);
      await h().menu('Карты', 'Все карты');
      await h().row('cards-table', 'Анна').getByText('Apple Wallet').waitFor();
    }),
  );

  it('logs no console errors and meets only the refusals it provoked', () => {
    expect(b.consoleErrors).toEqual([]);
    expect([...b.refusals].sort()).toEqual([...EXPECTED_REFUSALS].sort());
  });
});
