/**
 * The admin console in real headless Chromium against the real hub: log in, walk every built
 * page, create a location, a terminal (its key shown once) and a staff member, find them in the
 * administrator history, switch the language, and log in as a cashier to see a narrower console.
 * Screenshots of each section land in test-artifacts/admin/<section>.png.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, BrowserContext, ConsoleMessage, Page, Response } from 'playwright-core';
import { createTestHub, TestBusiness, TestHub } from '../../hub/test/harness';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureAdmin } = require('../../scripts/ensure-admin.js') as { ensureAdmin: (o?: { log?: (m: string) => void }) => boolean };

// Debian's chromium package (`apt-get install -y chromium`); CHROMIUM_PATH points elsewhere on other machines.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/admin');
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Refusals the steps below provoke on purpose; any other 4xx/5xx answer fails the test. */
const EXPECTED_REFUSALS = [
  'POST /v1/admin/session 401', // the wrong password
  'POST /v1/admin/locations 400', // a name of spaces, refused by the hub's schema
  'POST /v1/admin/staff 409', // an e-mail that is taken
];

// Per step; Playwright's own waits (10 s) fail first, with a message naming what was not found.
jest.setTimeout(30_000);

describe('admin console in Chromium', () => {
  let t: TestHub;
  let biz: TestBusiness;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  let userDir: string;
  const consoleErrors: string[] = [];
  const refusals: string[] = [];

  /** A screenshot of the whole page as a person sees it: from the top, settled, without toasts left from earlier steps. */
  const shot = async (name: string, opts: { toasts?: boolean } = {}) => {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({
      path: path.join(ARTIFACTS, `${name}.png`),
      fullPage: true,
      animations: 'disabled',
      style: opts.toasts ? undefined : '.ant-message { display: none !important; }',
    });
  };
  const visible = (text: string | RegExp) => page.getByText(text).first().waitFor({ state: 'visible' });
  const heading = (text: string) => page.getByRole('heading', { name: text, exact: true }).waitFor();
  const toast = (text: string) => page.locator('.ant-message-notice').filter({ hasText: text }).first().waitFor();
  const nav = () => page.getByTestId('nav');
  const openDropdownOption = async (field: string, option: string) => {
    await page
      .locator('.ant-form-item')
      .filter({ has: page.getByLabel(field, { exact: true }) })
      .locator('.ant-select-selector')
      .click();
    await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option').filter({ hasText: option }).first().click();
  };
  /** Opens a page from the left navigation (expanding its section first) and waits for its URL. */
  const menuLink = async (section: string, item?: string) => {
    if (item) {
      const title = nav().getByRole('menuitem', { name: section }).first();
      if ((await title.getAttribute('aria-expanded')) !== 'true') await title.click();
    }
    const link = nav().getByRole('link', { name: item ?? section, exact: true });
    const href = await link.getAttribute('href');
    await link.click();
    await page.waitForURL((u) => u.pathname === href);
  };
  const row = (testId: string, text: string) => page.getByTestId(testId).locator('tbody tr').filter({ hasText: text });

  /** Runs a step; when it fails, the page as it was is saved beside the other screenshots. */
  const step = (fn: () => Promise<void> | void) => async () => {
    try {
      await fn();
    } catch (e) {
      const name = (expect.getState().currentTestName ?? 'step').replace(/[^\p{L}\p{N}]+/gu, '-').slice(-60);
      await page?.screenshot({ path: path.join(ARTIFACTS, `failed-${name}.png`), fullPage: true }).catch(() => undefined);
      throw e;
    }
  };

  function watch(p: Page) {
    p.on('console', (m: ConsoleMessage) => {
      if (m.type() !== 'error') return;
      // The browser logs every refused fetch; those are checked one by one against EXPECTED_REFUSALS.
      if (/^Failed to load resource: the server responded with a status of (400|401|409)/.test(m.text())) return;
      consoleErrors.push(`${m.text()} @ ${m.location().url}`);
    });
    p.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    p.on('response', (r: Response) => {
      if (r.status() >= 400) refusals.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`);
    });
  }

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}: the console's browser test needs it. Install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH).`,
      );
    }
    ensureAdmin({ log: () => undefined });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    t = await createTestHub();
    base = await t.listen();
    biz = await t.business('Кофейня «Зерно»');
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'admin-e2e-'));
    // A fresh profile each run: nothing remembered (language, cookies) leaks between runs.
    context = await chromium.launchPersistentContext(userDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1440, height: 900 },
      locale: 'ru-RU',
      timezoneId: 'Europe/Moscow',
    });
    context.setDefaultTimeout(10_000);
    page = context.pages()[0] ?? (await context.newPage());
    watch(page);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await t?.close();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  it(
    'sends an anonymous visitor to the login form and refuses a wrong password',
    step(async () => {
      await page.goto(`${base}/admin/settings/locations`);
      await page.waitForURL(/\/admin\/login$/);
      await heading('Вход в консоль');
      await shot('login');
      await page.getByLabel('E-mail').fill(biz.ownerEmail);
      await page.getByLabel('Пароль').fill('not-the-password');
      await page.getByRole('button', { name: 'Войти' }).click();
      await page.getByTestId('login-error').filter({ hasText: 'Неверный e-mail или пароль.' }).waitFor();
    }),
  );

  it(
    'logs the owner in, back to the page asked for, and shows Home with the business counts',
    step(async () => {
      await page.getByLabel('Пароль').fill(biz.ownerPassword);
      await page.getByRole('button', { name: 'Войти' }).click();
      await page.waitForURL(/\/admin\/settings\/locations$/);
      await heading('Точки продаж');

      await menuLink('Главная');
      await page.waitForURL(/\/admin\/?$/);
      await heading('Здравствуйте, Owner');
      expect(await page.getByTestId('header-business').textContent()).toBe('Кофейня «Зерно»');
      for (const [id, n] of [
        ['stat-locations', '1'],
        ['stat-terminals', '1'],
        ['stat-staff', '1'],
      ]) {
        expect(await page.getByTestId(id).locator('.ant-statistic-content-value').textContent()).toBe(n);
      }
      await visible('Активности гостей пока нет');
      await shot('home');
    }),
  );

  it(
    'lists the product sections in order, the ones without an API disabled as "coming soon"',
    step(async () => {
      const labels = await nav().evaluate((ul) =>
        Array.from(ul.children).map((li) => {
          const title = li.querySelector(':scope > .ant-menu-submenu-title .ant-menu-title-content, :scope > .ant-menu-title-content');
          const soon = title?.querySelector('.menu-soon > span');
          return (soon ?? title)?.textContent?.trim();
        }),
      );
      expect(labels).toEqual([
        'Главная',
        'Аналитика',
        'Клиенты',
        'Чёрный список',
        'История',
        'Маркетинг',
        'UTM-метки',
        'Карты',
        'Формы',
        'Отзывы',
        'Механики',
        'Интеграции',
        'Настройки',
      ]);
      // Marketing (triggers, notifications) has no API yet; Analytics, UTM and Reviews have theirs now.
      expect(await page.getByTestId('menu-soon-analytics').count()).toBe(0);
      const marketing = nav().locator('li', { has: page.getByTestId('menu-soon-marketing') });
      expect(await marketing.getAttribute('aria-disabled')).toBe('true');
      await page.getByTestId('menu-soon-marketing').hover();
      await page.locator('.ant-tooltip:not(.ant-tooltip-hidden)').filter({ hasText: 'Скоро' }).waitFor();
      await page.mouse.move(900, 600);

      await page.goto(`${base}/admin/marketing`);
      await visible('Маркетинг: скоро');
      await visible('Этот раздел пока недоступен в этой версии консоли.');
      await shot('coming-soon');
      await page.goto(`${base}/admin/no-such-page`);
      await visible('Такой страницы нет.');
    }),
  );

  it(
    'changes the business settings',
    step(async () => {
      await page.goto(`${base}/admin`);
      await heading('Здравствуйте, Owner');
      await menuLink('Настройки', 'Бизнес');
      await heading('Настройки бизнеса');
      expect(await page.getByLabel('Валюта').inputValue()).toBe('RUB');
      await page.getByLabel('Название бизнеса').fill('Кофейня «Зерно» на Арбате');
      await page.getByLabel('Операций по карте в час').fill('30');
      await page.getByLabel('Списаний баллов по карте в день').fill('');
      await page.getByRole('button', { name: 'Сохранить' }).click();
      await toast('Настройки сохранены');
      await page.getByTestId('header-business').filter({ hasText: 'Кофейня «Зерно» на Арбате' }).waitFor();
      const saved = await t.http.get('/v1/admin/business').set('Cookie', biz.ownerCookie).expect(200);
      expect(saved.body.name).toBe('Кофейня «Зерно» на Арбате');
      expect(saved.body.settings.fraudLimits).toMatchObject({ opsPerCardPerHour: 30, redemptionsPerCardPerDay: null });
      await shot('settings-business');
    }),
  );

  it(
    'adds and edits a location, showing the hub’s field errors on the form',
    step(async () => {
      await menuLink('Настройки', 'Точки продаж');
      await heading('Точки продаж');
      await row('locations-table', 'Main').waitFor();
      await page.getByRole('button', { name: 'Добавить точку' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Название').fill('   ');
      const refused = page.waitForResponse((r) => r.url().endsWith('/v1/admin/locations') && r.request().method() === 'POST');
      await dialog.getByRole('button', { name: 'Создать' }).click();
      const problem = (await (await refused).json()) as { errors: { field: string; message: string }[] };
      expect(problem.errors[0]!.field).toBe('name');
      await dialog
        .locator('.ant-form-item')
        .filter({ has: page.getByLabel('Название') })
        .locator('.ant-form-item-explain-error')
        .filter({ hasText: problem.errors[0]!.message })
        .waitFor();

      await dialog.getByLabel('Название').fill('Кофейня на Арбате');
      await dialog.getByLabel('Адрес').fill('Москва, ул. Арбат, 10');
      await dialog.getByLabel('Широта').fill('55.7513');
      await dialog.getByLabel('Долгота').fill('37.5926');
      await dialog.getByRole('button', { name: 'Создать' }).click();
      await toast('Точка «Кофейня на Арбате» добавлена');
      await row('locations-table', 'Москва, ул. Арбат, 10').filter({ hasText: '55.751300, 37.592600' }).waitFor();

      await page.getByRole('button', { name: 'Изменить Кофейня на Арбате' }).click();
      await page.getByRole('dialog').getByLabel('Название').fill('Арбат, 10');
      await page.getByRole('dialog').getByRole('button', { name: 'Сохранить' }).click();
      await toast('Точка «Арбат, 10» сохранена');
      await row('locations-table', 'Арбат, 10').filter({ hasText: 'Активна' }).waitFor();
      await shot('settings-locations');
    }),
  );

  it(
    'creates a terminal, shows its key once with a copy button, and revokes another',
    step(async () => {
      await menuLink('Настройки', 'Терминалы');
      await heading('Терминалы');
      await row('terminals-table', 'Till').waitFor();
      await page.getByRole('button', { name: 'Создать терминал' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Название').fill('Касса бара');
      await openDropdownOption('Точка продаж', 'Арбат, 10');
      await dialog.getByRole('button', { name: 'Создать' }).click();

      const keyModal = page.getByRole('dialog').filter({ hasText: 'Терминал «Касса бара» создан' });
      await keyModal.waitFor();
      await keyModal.getByText('он показывается только один раз').waitFor();
      const key = (await keyModal.getByTestId('terminal-key').innerText()).trim().split(/\s/)[0]!;
      expect(key).toMatch(/^lk_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}$/);
      await keyModal.locator('.ant-typography-copy').click();
      await keyModal.getByText('Скопировано').waitFor();
      await shot('settings-terminal-key');
      // The key shown is a working one.
      const who = await t.http.get('/v1/pos/terminal').set('Authorization', `Bearer ${key}`).expect(200);
      expect(who.body).toMatchObject({ name: 'Касса бара', businessName: 'Кофейня «Зерно» на Арбате' });
      await keyModal.getByRole('button', { name: 'Я сохранил ключ' }).click();
      await keyModal.waitFor({ state: 'detached' });
      await row('terminals-table', 'Касса бара')
        .filter({ hasText: 'Арбат, 10' })
        .filter({ hasText: key.slice(0, 11) })
        .waitFor();

      await row('terminals-table', 'Till').getByRole('button', { name: 'Отозвать' }).click();
      await page.locator('.ant-popconfirm').filter({ hasText: 'Отозвать ключ «Till»?' }).getByRole('button', { name: 'Отозвать' }).click();
      await toast('Ключ «Till» отозван');
      await row('terminals-table', 'Till').filter({ hasText: 'Отозван' }).waitFor();
      await t.http.get('/v1/pos/terminal').set('Authorization', `Bearer ${biz.terminalKey}`).expect(401);
      await shot('settings-terminals');
    }),
  );

  it(
    'adds a staff member (a taken e-mail is shown on the field) and changes the role',
    step(async () => {
      await menuLink('Настройки', 'Сотрудники');
      await heading('Сотрудники');
      await page.getByRole('button', { name: 'Добавить сотрудника' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Имя').fill('Анна Смирнова');
      await dialog.getByLabel('E-mail').fill(biz.ownerEmail);
      await openDropdownOption('Роль', 'Маркетолог');
      await dialog.getByLabel('Пароль').fill('marketer-pass-1');
      await dialog.getByRole('button', { name: 'Добавить' }).click();
      await dialog.locator('.ant-form-item-explain-error').filter({ hasText: 'Сотрудник с таким e-mail уже есть.' }).waitFor();
      await dialog.getByLabel('E-mail').fill('anna@example.com');
      await dialog.getByRole('button', { name: 'Добавить' }).click();
      await toast('Анна Смирнова: сотрудник добавлен');
      await row('staff-table', 'anna@example.com').filter({ hasText: 'Маркетолог' }).waitFor();

      await page.getByRole('button', { name: 'Изменить Анна Смирнова' }).click();
      await openDropdownOption('Роль', 'Администратор');
      await page.getByRole('dialog').getByRole('button', { name: 'Сохранить' }).click();
      await toast('Анна Смирнова: изменения сохранены');
      await row('staff-table', 'anna@example.com').filter({ hasText: 'Администратор' }).waitFor();
      await shot('settings-staff');
    }),
  );

  it(
    'shows the changes in the administrator history, with filters and cursor pages',
    step(async () => {
      await menuLink('История', 'Администраторы');
      await heading('История действий администраторов');
      const rows = page.getByTestId('audit-table').locator('tr.audit-row');
      const rowCount = (n: number) => page.waitForFunction((want) => document.querySelectorAll('[data-testid=audit-table] tr.audit-row').length === want, n);
      await rows.filter({ hasText: 'Добавлен сотрудник' }).first().waitFor();
      for (const text of [
        'Создан терминал',
        'Отозван ключ терминала',
        'Добавлена точка продаж',
        'Изменена точка продаж',
        'Изменены настройки',
        'Неудачный вход',
      ]) {
        await rows.filter({ hasText: text }).first().waitFor();
      }
      await page.getByTestId('audit-table').locator('.ant-spin-spinning').waitFor({ state: 'detached' });
      // The role change, expanded: before and after.
      const change = rows.filter({ hasText: 'Изменён сотрудник' }).first();
      await change.locator('.ant-table-row-expand-icon').click();
      await page.locator('.diff-table tr').filter({ hasText: 'role' }).filter({ hasText: 'marketer' }).filter({ hasText: 'admin' }).waitFor();
      await shot('history-admin');

      await page.getByTestId('filter-action').click();
      await page.keyboard.type('Добавлен сотр');
      await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option').filter({ hasText: 'staff.created' }).click();
      await page.waitForURL(/action=staff\.created/);
      await rowCount(2);
      expect(await rows.allInnerTexts()).toEqual([expect.stringContaining('Добавлен сотрудник'), expect.stringContaining('Добавлен сотрудник')]);
      await page.getByRole('button', { name: 'Сбросить' }).click();
      await page.waitForURL((u) => !u.search.includes('action='));

      await page.getByTestId('page-size').click();
      await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option').filter({ hasText: '10 на странице' }).click();
      await rowCount(10);
      const first = await rows.first().innerText();
      await page.getByTestId('audit-next').click();
      await page.getByTestId('audit-page').filter({ hasText: 'Страница 2' }).waitFor();
      await page.waitForFunction((f) => (document.querySelector('[data-testid=audit-table] tr.audit-row') as HTMLElement | null)?.innerText !== f, first);
      await page.getByTestId('audit-prev').click();
      await page.getByTestId('audit-page').filter({ hasText: 'Страница 1' }).waitFor();
      await page.waitForFunction((f) => (document.querySelector('[data-testid=audit-table] tr.audit-row') as HTMLElement | null)?.innerText === f, first);
    }),
  );

  it(
    'switches the interface to English and back',
    step(async () => {
      await page.getByTestId('lang-switch').getByText('EN', { exact: true }).click();
      await heading('Administrator history');
      await nav().getByText('Clients', { exact: true }).waitFor();
      await visible('10 per page');
      await shot('history-admin-en');
      await menuLink('Home');
      await heading('Hello, Owner');
      await visible('No guest activity yet');
      await shot('home-en');
      await page.getByTestId('lang-switch').getByText('RU', { exact: true }).click();
      await heading('Здравствуйте, Owner');
      await nav().getByText('Клиенты', { exact: true }).waitFor();
    }),
  );

  it(
    'gives a cashier a narrower console: no terminals, staff or history',
    step(async () => {
      await page.getByTestId('user-menu').click();
      await page.getByRole('menuitem', { name: 'Выйти' }).click();
      await heading('Вход в консоль');

      await t.http
        .post('/v1/admin/staff')
        .set('Cookie', biz.ownerCookie)
        .send({ name: 'Кассир Пётр', email: 'petr@example.com', role: 'cashier', password: 'cashier-pass-1' })
        .expect(201);
      await page.getByLabel('E-mail').fill('petr@example.com');
      await page.getByLabel('Пароль').fill('cashier-pass-1');
      await page.getByRole('button', { name: 'Войти' }).click();
      await heading('Здравствуйте, Кассир Пётр');
      await page.getByTestId('stat-locations').waitFor();
      expect(await page.getByTestId('stat-terminals').count()).toBe(0);

      await nav().getByRole('menuitem', { name: 'Настройки' }).first().click();
      await nav().getByRole('link', { name: 'Бизнес', exact: true }).waitFor();
      for (const hidden of ['Терминалы', 'Сотрудники', 'Администраторы']) {
        expect(await nav().getByRole('link', { name: hidden, exact: true }).count()).toBe(0);
      }
      await shot('cashier-home');
      await nav().getByRole('link', { name: 'Бизнес', exact: true }).click();
      await visible('Изменять это может только владелец или администратор.');
      expect(await page.getByLabel('Название бизнеса').isDisabled()).toBe(true);
      expect(await page.getByRole('button', { name: 'Сохранить' }).count()).toBe(0);

      await page.goto(`${base}/admin/settings/staff`);
      await visible('Ваша роль не позволяет это действие.');
      await shot('cashier-forbidden');
    }),
  );

  it(
    'logged no console errors and met only the refusals it provoked',
    step(() => {
      expect(consoleErrors).toEqual([]);
      expect([...refusals].sort()).toEqual([...EXPECTED_REFUSALS].sort());
    }),
  );
});
