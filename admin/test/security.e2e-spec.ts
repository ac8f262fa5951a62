/**
 * Account security in real headless Chromium against the real hub: change one's password, turn on
 * two-factor sign-in (QR, key, code, recovery codes), sign in in two steps, require it for owners and
 * admins (an admin without it lands on Security), and a cashier's exact guest look-up.
 */
import type { Page } from 'playwright-core';
import { Secret, TOTP } from 'otpauth';
import { createTestHub, TestBusiness, TestHub } from '../../hub/test/harness';
import { Browser, helpers, loginUi, openBrowser, shot, stepOf } from './kit';

/** Refusals the steps provoke on purpose; any other 4xx/5xx answer fails the test. */
const EXPECTED_REFUSALS = [
  'POST /v1/admin/me/password 422', // the wrong current password
  'POST /v1/admin/me/password 422', // a common password
  'POST /v1/admin/session/mfa 401', // a wrong code at sign-in
];

// Each sign-in and password change runs scrypt at N=2^17: on a busy machine that is seconds, not milliseconds.
jest.setTimeout(120_000);

const totp = (secret: string) => new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) });

describe('account security in the console', () => {
  let t: TestHub;
  let biz: TestBusiness;
  let base: string;
  let b: Browser;
  let page: Page;
  let secret = '';
  let password = '';
  let recoveryCodes: string[] = [];
  const step = stepOf(() => page);

  beforeAll(async () => {
    t = await createTestHub();
    base = await t.listen();
    biz = await t.business('Кофейня «Замок»');
    password = biz.ownerPassword;
    b = await openBrowser();
    page = b.page;
    b.context.setDefaultTimeout(30_000);
  }, 180_000);
  afterAll(async () => {
    await b?.close();
    await t?.close();
  });

  const h = () => helpers(page);
  /** The owner's API session: the harness's one ended with the password change; the second step takes a recovery code. */
  const ownerApi = async () => {
    const step1 = await t.http.post('/v1/admin/session').send({ email: biz.ownerEmail, password }).expect(200);
    const step2 = await t.http.post('/v1/admin/session/mfa').send({ challenge: step1.body.challenge, code: recoveryCodes.pop() }).expect(200);
    const cookie = (step2.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
    return (path: string) => t.http.post(path).set('Cookie', cookie);
  };
  const logout = async () => {
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Выйти' }).click();
    await h().heading('Вход в консоль');
  };

  it(
    'changes the owner’s password: the current one is checked, a common one is refused',
    step(async () => {
      await loginUi(page, base, biz.ownerEmail, password);
      await h().menu('Настройки', 'Безопасность');
      await h().heading('Безопасность');
      const form = page.locator('form[id=password]');
      await form.getByLabel('Текущий пароль').fill('not-the-password');
      await form.getByLabel('Новый пароль', { exact: true }).fill('Tverskaya-coffee-2026');
      await form.getByLabel('Повторите новый пароль').fill('Tverskaya-coffee-2026');
      await form.getByRole('button', { name: 'Сменить пароль' }).click();
      await h().visible('Wrong password');
      await form.getByLabel('Текущий пароль').fill(password);
      await form.getByLabel('Новый пароль', { exact: true }).fill('password12');
      await form.getByLabel('Повторите новый пароль').fill('password12');
      await form.getByRole('button', { name: 'Сменить пароль' }).click();
      await h().visible(/too common/);
      await form.getByLabel('Новый пароль', { exact: true }).fill('Tverskaya-coffee-2026');
      await form.getByLabel('Повторите новый пароль').fill('Tverskaya-coffee-2026');
      await form.getByRole('button', { name: 'Сменить пароль' }).click();
      await h().toast('Пароль изменён');
      password = 'Tverskaya-coffee-2026';
    }),
  );

  it(
    'turns on two-factor sign-in with a QR code and shows ten recovery codes once',
    step(async () => {
      await page.getByTestId('mfa-start').click();
      await page.getByTestId('mfa-qr').waitFor();
      secret = (await page.getByTestId('mfa-secret').innerText()).trim();
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      await shot(page, 'security-enrol');
      await page.locator('form[id=mfa-confirm]').getByLabel('Код из приложения').fill(totp(secret).generate());
      await page.getByRole('button', { name: 'Подтвердить' }).click();
      await page.getByTestId('recovery-codes').waitFor();
      recoveryCodes = await page.getByTestId('recovery-codes').locator('code').allInnerTexts();
      expect(recoveryCodes).toHaveLength(10);
      await shot(page, 'security-recovery-codes');
      await page.getByRole('button', { name: 'Я сохранил коды' }).click();
      await page.getByTestId('mfa-status').filter({ hasText: 'Включён' }).waitFor();
    }),
  );

  it(
    'signs in in two steps: the password, then a code from the app',
    step(async () => {
      await logout();
      await page.getByLabel('E-mail').fill(biz.ownerEmail);
      await page.getByLabel('Пароль').fill(password);
      await page.getByRole('button', { name: 'Войти' }).click();
      await page.getByTestId('mfa-step').waitFor();
      await page.getByTestId('mfa-code').fill('000000');
      await page.getByRole('button', { name: 'Подтвердить' }).click();
      await page.getByTestId('login-error').waitFor();
      await shot(page, 'login-mfa');
      await page.getByTestId('mfa-code').fill(totp(secret).generate({ timestamp: Date.now() + 30_000 }));
      await page.getByRole('button', { name: 'Подтвердить' }).click();
      // Back where the owner was before signing out.
      await page.getByTestId('user-menu').waitFor();
      await h().heading('Безопасность');
    }),
  );

  it(
    'requires it for owners and admins: an admin without it can open only Security',
    step(async () => {
      await h().menu('Настройки', 'Бизнес');
      await page.getByTestId('require-mfa').click();
      await page.getByRole('button', { name: 'Сохранить' }).click();
      await h().toast(/сохранен/i);
      const api = await ownerApi();
      await api('/v1/admin/staff').send({ name: 'Админ Анна', email: 'anna@example.com', role: 'admin', password: 'anna-admin-pass-7' }).expect(201);
      await logout();
      await page.getByLabel('E-mail').fill('anna@example.com');
      await page.getByLabel('Пароль').fill('anna-admin-pass-7');
      await page.getByRole('button', { name: 'Войти' }).click();
      await page.getByTestId('mfa-required').waitFor();
      await page.waitForURL((u) => u.pathname === '/admin/settings/security');
      await shot(page, 'security-required');
      await page.goto(`${base}/admin/settings/staff`);
      await page.getByTestId('mfa-required').waitFor();
    }),
  );

  it(
    'gives a cashier an exact guest look-up instead of the guest list',
    step(async () => {
      const admin = await ownerApi();
      const program = (
        await admin('/v1/admin/programs')
          .send({ name: 'Клуб', rules: { kind: 'bonus', accrualPercent: 5 } })
          .expect(201)
      ).body as { id: string };
      const guest = (await admin('/v1/admin/guests').send({ phone: '+79995550123', name: 'Вера Гостева', programId: program.id }).expect(201)).body.guest as {
        id: string;
      };
      await admin('/v1/admin/staff').send({ name: 'Кассир Пётр', email: 'petr@example.com', role: 'cashier', password: 'cashier-pass-1' }).expect(201);
      await page.getByTestId('user-menu').click();
      await page.getByRole('menuitem', { name: 'Выйти' }).click();
      await h().heading('Вход в консоль');
      await page.getByLabel('E-mail').fill('petr@example.com');
      await page.getByLabel('Пароль').fill('cashier-pass-1');
      await page.getByRole('button', { name: 'Войти' }).click();
      await page.getByTestId('user-menu').waitFor();
      const nav = page.getByTestId('nav');
      for (const hidden of ['Все карты', 'Операции', 'Удалённые карты']) expect(await nav.getByRole('link', { name: hidden, exact: true }).count()).toBe(0);
      await h().menu('Клиенты', 'Гости');
      await h().heading('Найти гостя');
      await page.getByTestId('guest-lookup').fill('+7 999 555-01-23');
      await page.getByRole('button', { name: 'Найти' }).click();
      await page.waitForURL((u) => u.pathname === `/admin/clients/guests/${guest.id}`);
      await h().visible('Вера Гостева');
      await shot(page, 'cashier-lookup');
    }),
  );

  it(
    'logged no console errors and met only the refusals it provoked',
    step(() => {
      expect(b.consoleErrors).toEqual([]);
      expect([...b.refusals].sort()).toEqual([...EXPECTED_REFUSALS].sort());
    }),
  );
});
