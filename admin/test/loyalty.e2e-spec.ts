/**
 * The loyalty sections of the console in real headless Chromium against the real hub: create a
 * bonus program (the hub's field errors shown on the form), register a guest, a sale through the
 * POS API and another through the web scanner (the QR payload typed in), both seen in the guest's
 * ledger and in History › Operations; a manual balance change seen in History › Administrator; a
 * CSV import with a dry run; the blacklist; cards and the designer; a registration form; a webhook
 * endpoint with a delivery in its log; Home's figures. A screenshot per section.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { createTestHub, TestBusiness, TestHub } from '../../hub/test/harness';
import { Browser, helpers, loginUi, openBrowser, shot, stepOf } from './kit';

/** A card number as the console shows it: groups of four. */
const grouped = (n: string) => n.replace(/(\d{4})(?=\d)/g, '$1 ');

/** Refusals the steps provoke on purpose; any other 4xx/5xx answer fails the test. */
const EXPECTED_REFUSALS = [
  'POST /v1/admin/programs 400', // level thresholds that do not increase
];

jest.setTimeout(30_000);

describe('loyalty sections of the console', () => {
  let t: TestHub;
  let biz: TestBusiness;
  let base: string;
  let b: Browser;
  let page: Page;
  let h: ReturnType<typeof helpers>;
  let rx: { url: string; got: string[]; close(): Promise<void> };
  let programId = '';
  let guestId = '';
  let card: { id: string; number: string; qr: string };
  const step = stepOf(() => page);
  const PHONE = '+79991234567';

  beforeAll(async () => {
    t = await createTestHub({ env: { WEBHOOKS_ALLOW_PRIVATE: 'true' } });
    t.hub.relay.start();
    await t.hub.connectors.start();
    base = await t.listen();
    biz = await t.business('Кофейня «Зерно»');
    const got: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        got.push(body);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    rx = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
      got,
      close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
    };
    b = await openBrowser();
    page = b.page;
    h = helpers(page);
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    await rx?.close();
    await t?.close();
  });

  it(
    'creates a bonus program with levels and a welcome bonus, the hub’s field errors on the form',
    step(async () => {
      await loginUi(page, base, biz.ownerEmail, biz.ownerPassword);
      await h.menu('Механики');
      await h.heading('Механики');
      await page.getByTestId('program-new').click();
      await page.getByRole('menuitem', { name: /Бонусные баллы/ }).click();
      await page.waitForURL(/\/admin\/mechanics\/new\/bonus$/);
      await page.locator('#program_name').fill('Кофейный клуб');
      await page.locator('#program_rules_maxRedeemPercent').fill('50');
      await page.getByRole('tab', { name: 'Уровни' }).click();
      await page.getByTestId('level-add').click();
      await page.locator('#program_levels_0_code').fill('base');
      await page.locator('#program_levels_0_name').fill('Базовый');
      await page.getByTestId('level-add').click();
      await page.locator('#program_levels_1_code').fill('gold');
      await page.locator('#program_levels_1_name').fill('Золотой');
      await page.locator('#program_levels_1_threshold').fill('0');
      await page.locator('#program_levels_1_accrualPercent').fill('10');
      await page.getByRole('tab', { name: 'Приветственный и реферальный' }).click();
      await page.locator('#program_welcomeBonusPoints').fill('100');
      const refused = page.waitForResponse((r) => r.url().endsWith('/v1/admin/programs') && r.request().method() === 'POST');
      await page.getByTestId('program-save').click();
      const problem = (await (await refused).json()) as { errors: { field: string; message: string }[] };
      expect(problem.errors.map((e) => e.field)).toEqual([expect.stringMatching(/^levels[.[]1\]?\.threshold$/)]);
      // The form shows the levels tab again, the hub's words under the threshold.
      await page.getByTestId('levels-table').locator('.ant-form-item-explain-error').filter({ hasText: problem.errors[0]!.message }).waitFor();
      await page.locator('#program_levels_1_threshold').fill('5000');
      await page.getByTestId('program-save').click();
      await h.toast('Программа «Кофейный клуб» создана');
      await page.waitForURL(/\/admin\/mechanics\/[0-9a-f-]{36}$/);
      programId = page.url().split('/').pop()!;
      const saved = await t.http.get(`/v1/admin/programs/${programId}`).set('Cookie', biz.ownerCookie).expect(200);
      expect(saved.body).toMatchObject({
        kind: 'bonus',
        welcomeBonusPoints: 100,
        rules: { accrualPercent: 5, maxRedeemPercent: 50, pointValueMinor: 100, minCheckMinor: 0 },
        levels: [
          { code: 'base', threshold: 0 },
          { code: 'gold', threshold: 500000, accrualPercent: 10 },
        ],
      });
      await page.getByRole('tab', { name: 'Правила' }).click();
      await shot(page, 'mechanics-program');
      await h.menu('Механики');
      await h.row('programs-table', 'Кофейный клуб').filter({ hasText: '5 % баллами' }).waitFor();
      await shot(page, 'mechanics');
    }),
  );

  it(
    'registers a guest through the console, issuing a card with the welcome bonus',
    step(async () => {
      await h.menu('Клиенты', 'Гости');
      await h.heading('Клиенты');
      await h.visible('Гостей пока нет. Зарегистрируйте первого или импортируйте базу.');
      await page.getByRole('button', { name: 'Зарегистрировать гостя' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Телефон').fill('+7 999 123-45-67');
      await dialog.getByLabel('Имя').fill('Анна Петрова');
      await dialog.getByLabel('E-mail').fill('anna@example.com');
      await h.choose(dialog, 'Выпустить карту', /Кофейный клуб/);
      await dialog.getByRole('button', { name: 'Зарегистрировать' }).click();
      await dialog.getByText('Для регистрации нужно согласие гостя').waitFor();
      await dialog.getByText('Гость согласен на обработку персональных данных').click();
      await dialog.getByText('Согласен получать новости и предложения').click();
      await dialog.getByRole('button', { name: 'Зарегистрировать' }).click();
      await h.toast(/Гость зарегистрирован, выпущена карта \d+/);
      await page.waitForURL(/\/admin\/clients\/guests\/[0-9a-f-]{36}$/);
      guestId = page.url().split('/').pop()!;
      await h.heading('Анна Петрова');
      expect(await page.getByTestId('card-points').locator('.ant-statistic-content-value').textContent()).toBe('100');
      const g = await t.http.get(`/v1/admin/guests/${guestId}`).set('Cookie', biz.ownerCookie).expect(200);
      expect(g.body.guest).toMatchObject({ phone: PHONE, name: 'Анна Петрова', marketingConsent: true, source: 'console' });
      card = g.body.cards[0];
    }),
  );

  it(
    'shows a sale through the POS API and one through the web scanner in the guest’s ledger and in History',
    step(async () => {
      await t.http
        .post('/v1/pos/checkouts')
        .set('Authorization', `Bearer ${biz.terminalKey}`)
        .set('Idempotency-Key', 'pos-sale-1')
        .send({
          card: { number: card.number },
          basket: { items: [{ sku: 'LATTE', name: 'Латте', qty: 2, unitPriceMinor: 25000, amountMinor: 50000 }] },
          receipt: { number: 'A-1001', date: '2026-11-25' },
        })
        .expect(201);

      // The till with no POS integration: the cashier types the QR payload in.
      await page.goto(`${base}/scanner`);
      await page.getByRole('button', { name: /Main/ }).click();
      await page.getByTestId('scan-input').fill(card.qr);
      await page.getByTestId('scan-find').click();
      await page.getByTestId('scanner-guest').getByText('Анна Петрова').waitFor();
      await page.getByTestId('scanner-amount').fill('450,50');
      await page.getByTestId('op-accrue').click();
      await page.getByTestId('scanner-quote').getByText('22').first().waitFor();
      await page.getByTestId('scanner-confirm-button').click();
      await page.getByTestId('scanner-done').getByText('Начислено 22 балла').waitFor();

      await page.goto(`${base}/admin/clients/guests`);
      await page.getByPlaceholder('Телефон, имя, e-mail, номер карты или 4 последние цифры').fill('+7 999 123-45-67');
      await page.getByPlaceholder('Телефон, имя, e-mail, номер карты или 4 последние цифры').press('Enter');
      await h.row('guests-table', 'Анна Петрова').getByTestId('guest-link').click();
      await h.heading('Анна Петрова');
      const ledger = page.getByTestId('ledger-table').locator('tbody tr');
      await ledger.filter({ hasText: 'Начисление' }).filter({ hasText: '+22 б.' }).waitFor();
      await ledger.filter({ hasText: 'Начисление' }).filter({ hasText: '+25 б.' }).waitFor();
      await ledger.filter({ hasText: 'Награда' }).filter({ hasText: 'Приветственный бонус' }).waitFor();
      expect(await page.getByTestId('card-points').locator('.ant-statistic-content-value').textContent()).toBe('147');
      const purchases = page.getByTestId('sales-table').locator('tr.sale-row');
      await purchases.filter({ hasText: '450,50' }).waitFor();
      await purchases.filter({ hasText: '500,00' }).waitFor();
      await shot(page, 'clients-guest');

      await h.menu('История', 'Операции');
      await h.heading('Операции');
      const sales = page.getByTestId('sales-table').locator('tr.sale-row');
      await sales.filter({ hasText: '500,00' }).filter({ hasText: 'Анна Петрова' }).filter({ hasText: grouped(card.number) }).filter({ hasText: '+25' }).waitFor();
      await sales.filter({ hasText: '450,50' }).filter({ hasText: '+22' }).waitFor();
      await sales.filter({ hasText: '500,00' }).locator('.ant-table-row-expand-icon').click();
      await page.getByTestId('sale-details').getByText('Латте').waitFor();
      await page.getByTestId('sale-details').getByText('A-1001').waitFor();
      await shot(page, 'history-operations');
    }),
  );

  it(
    'changes a balance by hand with a reason and shows the audit row',
    step(async () => {
      await page.goto(`${base}/admin/clients/guests/${guestId}`);
      await h.heading('Анна Петрова');
      await page.getByRole('button', { name: 'Изменить баланс' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Баллы').fill('25');
      await dialog.getByLabel('Причина').fill('Компенсация за ожидание');
      await dialog.getByRole('button', { name: 'Изменить баланс' }).click();
      await h.toast('Баланс изменён; изменение записано в историю администраторов');
      await page
        .getByTestId('ledger-table')
        .locator('tbody tr')
        .filter({ hasText: 'Ручное изменение' })
        .filter({ hasText: 'Компенсация за ожидание' })
        .filter({ hasText: 'Owner' })
        .waitFor();
      expect(await page.getByTestId('card-points').locator('.ant-statistic-content-value').textContent()).toBe('172');

      await h.menu('История', 'Администраторы');
      const row = page.getByTestId('audit-table').locator('tr.audit-row').filter({ hasText: 'Баланс изменён вручную' }).first();
      await row.waitFor();
      await row.locator('.ant-table-row-expand-icon').click();
      await page.locator('.diff-table tr').filter({ hasText: 'reason' }).filter({ hasText: 'Компенсация за ожидание' }).first().waitFor();
      await page.getByTestId('audit-table').locator('tr.audit-row').filter({ hasText: 'Гость зарегистрирован' }).first().waitFor();
      await page.getByTestId('audit-table').locator('tr.audit-row').filter({ hasText: 'Создана программа' }).first().waitFor();
    }),
  );

  it(
    'imports a CSV of guests: a dry run with its errors, then for real',
    step(async () => {
      await h.menu('Клиенты', 'Импорт');
      await h.heading('Импорт клиентов');
      const csv = [
        'phone;name;email;points',
        '+79990000101;Иван Иванов;ivan@example.com;150',
        '+79990000102;Мария Смирнова;maria@example.com;0',
        'not-a-phone;Плохая строка;;10',
      ].join('\n');
      await page.locator('input[type=file]').setInputFiles({ name: 'guests.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
      await page.getByTestId('import-program').click();
      await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option').filter({ hasText: 'Кофейный клуб' }).click();
      await page.getByTestId('import-dry').click();
      const report = page.getByTestId('import-report');
      await report.getByText('Проверка').first().waitFor();
      await report.locator('.ant-tag').filter({ hasText: 'Готово' }).waitFor();
      expect(await page.getByTestId('import-created').locator('.ant-statistic-content-value').textContent()).toBe('2');
      expect(await page.getByTestId('import-failed').locator('.ant-statistic-content-value').textContent()).toBe('1');
      await page.getByTestId('import-errors').locator('tbody tr').filter({ hasText: '4' }).filter({ hasText: 'phone' }).waitFor();
      expect((await t.http.get('/v1/admin/guests?q=Иван').set('Cookie', biz.ownerCookie)).body.items).toHaveLength(0);
      await shot(page, 'clients-import-dry-run');

      await page.getByTestId('import-run').click();
      await report.locator('.ant-tag').filter({ hasText: 'Импорт' }).waitFor();
      await report.locator('.ant-tag').filter({ hasText: 'Готово' }).waitFor();
      await page.locator('[data-testid=import-progress].ant-progress-status-success').waitFor();
      expect(await page.getByTestId('import-created').locator('.ant-statistic-content-value').textContent()).toBe('2');
      await h.row('imports-table', 'guests.csv').filter({ hasText: 'Импорт' }).filter({ hasText: 'Готово' }).waitFor();
      await h.row('imports-table', 'guests.csv').filter({ hasText: 'Проверка' }).waitFor();
      const ivan = await t.http.get('/v1/admin/guests?q=Иван').set('Cookie', biz.ownerCookie).expect(200);
      expect(ivan.body.items).toHaveLength(1);
      const withCards = await t.http.get(`/v1/admin/guests/${ivan.body.items[0].id}`).set('Cookie', biz.ownerCookie).expect(200);
      expect(withCards.body.cards[0]).toMatchObject({ programId, pointsBalance: 150 });
      await shot(page, 'clients-import');

      await h.menu('Клиенты', 'Гости');
      await h.row('guests-table', 'Иван Иванов').waitFor();
      await h.row('guests-table', 'Анна Петрова').waitFor();
      await shot(page, 'clients');
    }),
  );

  it(
    'adds a phone to the blacklist and removes it',
    step(async () => {
      await h.menu('Чёрный список');
      await h.heading('Чёрный список');
      await h.visible('Чёрный список пуст');
      await page.getByRole('button', { name: 'Добавить телефон' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Телефон').fill('+7 900 000-00-13');
      await dialog.getByLabel('Причина').fill('Злоупотребление купонами');
      await dialog.getByRole('button', { name: 'Добавить' }).click();
      await h.toast('+7 900 000-00-13 добавлен в чёрный список');
      await h.row('blacklist-table', '+7 900 000-00-13').filter({ hasText: 'Злоупотребление купонами' }).waitFor();
      await t.http.post('/v1/admin/blacklist').set('Cookie', biz.ownerCookie).send({ phone: '+79000000014', reason: 'Мошенничество' }).expect(201);
      await page.reload();
      await h.row('blacklist-table', '+7 900 000-00-14').waitFor();
      await shot(page, 'blacklist');
      await page.getByRole('button', { name: 'Убрать +79000000014' }).click();
      await page.locator('.ant-popconfirm').getByRole('button', { name: 'Убрать' }).click();
      await h.toast('+7 900 000-00-14 убран из чёрного списка');
      await h.row('blacklist-table', '+7 900 000-00-14').waitFor({ state: 'detached' });
    }),
  );

  it(
    'lists cards, opens one, and shows the card designer with a live pass preview',
    step(async () => {
      await h.menu('Карты', 'Все карты');
      await h.heading('Карты');
      await h.row('cards-table', grouped(card.number)).filter({ hasText: '172 балла' }).waitFor();
      await page.getByText(grouped(card.number), { exact: true }).click();
      await page.getByTestId('card-drawer').getByText(card.qr).waitFor();
      await shot(page, 'cards', { fullPage: false });
      await page.keyboard.press('Escape');

      await h.menu('Карты', 'Дизайн карты');
      await h.heading('Дизайн карты');
      const preview = page.getByTestId('pass-preview');
      await preview.getByText('Кофейный клуб').waitFor();
      await page.locator('#design_texts_logoText').fill('Зерно: клуб');
      await preview.getByText('Зерно: клуб').waitFor();
      await preview.locator('svg').first().waitFor();
      await page.getByRole('button', { name: 'Сохранить' }).click();
      await h.toast('Дизайн сохранён; выпущенные пассы обновятся');
      const d = await t.http.get(`/v1/admin/wallet/designs/${programId}`).set('Cookie', biz.ownerCookie).expect(200);
      expect(d.body.design.texts.logoText).toBe('Зерно: клуб');
      await shot(page, 'cards-design');
    }),
  );

  it(
    'creates a registration form',
    step(async () => {
      await h.menu('Формы');
      await h.heading('Формы регистрации');
      await page.getByRole('button', { name: 'Новая форма' }).click();
      const drawer = page.locator('.ant-drawer');
      await h.choose(drawer, 'Программа', 'Кофейный клуб');
      await drawer.getByLabel('Адрес страницы').fill('coffee-club');
      await drawer.getByLabel('Заголовок').fill('Вступайте в Кофейный клуб');
      await page.getByTestId('form-preview').getByText('Вступайте в Кофейный клуб').waitFor();
      await shot(page, 'forms-editor', { fullPage: false });
      await page.getByTestId('form-save').click();
      await h.toast('Форма «Вступайте в Кофейный клуб» сохранена');
      await h.row('forms-table', 'Вступайте в Кофейный клуб').filter({ hasText: '/join/coffee-club' }).waitFor();
      await shot(page, 'forms');
    }),
  );

  it(
    'installs the webhooks connector, adds an endpoint and shows a delivery in its log',
    step(async () => {
      await h.menu('Интеграции');
      await h.heading('Интеграции');
      await page.getByTestId('catalog-webhooks').getByRole('button', { name: 'Установить' }).click();
      await page.getByTestId('integration-save').click();
      await h.toast('Webhooks установлен');
      await page.getByTestId('installed-webhooks').waitFor();
      await page.getByRole('button', { name: 'Добавить адрес' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('URL').fill(rx.url);
      await dialog.getByLabel('Описание').fill('CRM партнёра');
      await dialog.getByRole('button', { name: 'Добавить' }).click();
      const secret = page.getByTestId('webhook-secret');
      await secret.waitFor();
      expect(await secret.innerText()).toMatch(/^whsec_/);
      await page.getByRole('button', { name: 'Я сохранил ключ' }).click();
      await h.row('endpoints-table', rx.url).waitFor();

      // Something happens in the hub: a guest registers at the till.
      await t.http
        .post('/v1/pos/guests')
        .set('Authorization', `Bearer ${biz.terminalKey}`)
        .send({ phone: '+79990000777', name: 'Гость с кассы' })
        .catch(() => undefined);
      await t.http.post('/v1/admin/guests').set('Cookie', biz.ownerCookie).send({ phone: '+79990000778', name: 'Пётр' }).expect(201);
      const deadline = Date.now() + 15_000;
      while (!rx.got.some((x) => x.includes('guest.registered')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(rx.got.some((x) => x.includes('guest.registered'))).toBe(true);

      await h.row('endpoints-table', rx.url).locator('.ant-table-row-expand-icon').click();
      const deliveries = page.getByTestId('deliveries-table').locator('tbody tr');
      await deliveries.filter({ hasText: 'guest.registered' }).filter({ hasText: 'Доставлено' }).filter({ hasText: '200' }).first().waitFor();
      await shot(page, 'integrations');
    }),
  );

  it(
    'shows today’s figures and the week’s chart on Home',
    step(async () => {
      await h.menu('Главная');
      await h.heading('Здравствуйте, Owner');
      await page.getByTestId('home-chart').locator('.recharts-bar-rectangle').first().waitFor();
      expect(await page.getByTestId('today-sales').locator('.ant-statistic-content-value').textContent()).toBe('2');
      expect((await page.getByTestId('today-revenue').locator('.ant-statistic-content-value').textContent())?.replace(/\s/g, ' ')).toBe('950,50 ₽');
      expect(await page.getByTestId('today-accrued').locator('.ant-statistic-content-value').textContent()).toBe('47');
      expect(Number(await page.getByTestId('today-guests').locator('.ant-statistic-content-value').textContent())).toBeGreaterThanOrEqual(4);
      await shot(page, 'home-today');
      await h.menu('История', 'Удалённые карты');
      await h.visible('Удалённых карт нет');
      await shot(page, 'history-deleted');
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
