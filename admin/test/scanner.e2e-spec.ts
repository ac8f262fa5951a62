/**
 * The cashier's web scanner at /scanner in headless Chromium on a phone-sized screen, against the
 * real hub: sign-in, a remembered location, no camera -> typing, the guest found by phone, QR or
 * card number, accrue and redeem (within the cap), one request id per confirm tap (a lost answer
 * retried with the same id counts once), the hub's refusals in words, and reversal by a manager only.
 */
import type { Page } from 'playwright-core';
import { createTestHub, TestBusiness, TestHub } from '../../hub/test/harness';
import { Browser, helpers, openBrowser, shot, stepOf } from './kit';

const EXPECTED_REFUSALS = [
  'GET /v1/scanner/cards/lookup 400', // a QR code of something else
  'GET /v1/scanner/cards/lookup 404', // a card number that does not exist
  'POST /v1/scanner/operations 429', // over the per-cashier hourly limit
];

jest.setTimeout(30_000);

describe('web scanner in Chromium (phone screen)', () => {
  let t: TestHub;
  let biz: TestBusiness;
  let base: string;
  let b: Browser;
  let page: Page;
  let h: ReturnType<typeof helpers>;
  let card: { id: string; number: string; qr: string };
  const step = stepOf(() => page);
  const owner = () => ({ Cookie: biz.ownerCookie });
  const ops = async () =>
    (await t.http.get('/v1/scanner/operations?limit=50').set(owner())).body.items as {
      id: string;
      totalMinor: number;
      pointsAccrued: number;
      pointsRedeemed: number;
    }[];
  const signIn = async (email: string, password: string) => {
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Пароль').fill(password);
    await page.getByRole('button', { name: 'Войти' }).click();
  };

  beforeAll(async () => {
    t = await createTestHub();
    base = await t.listen();
    biz = await t.business('Кофейня «Зерно»');
    await t.http.post('/v1/admin/locations').set(owner()).send({ name: 'Арбат, 10', address: 'Москва, ул. Арбат, 10' }).expect(201);
    const program = await t.http
      .post('/v1/admin/programs')
      .set(owner())
      .send({ name: 'Кофейный клуб', rules: { kind: 'bonus', accrualPercent: 5, maxRedeemPercent: 50 }, welcomeBonusPoints: 100 })
      .expect(201);
    const reg = await t.http.post('/v1/admin/guests').set(owner()).send({ phone: '+79991112233', name: 'Ольга', programId: program.body.id }).expect(201);
    card = reg.body.card;
    await t.http
      .post('/v1/admin/staff')
      .set(owner())
      .send({ name: 'Кассир Пётр', email: 'petr@example.com', role: 'cashier', password: 'cashier-pass-1' })
      .expect(201);
    b = await openBrowser({ viewport: { width: 390, height: 844 }, mobile: true });
    page = b.page;
    h = helpers(page);
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    await t?.close();
  });

  it(
    'signs the cashier in and remembers the location chosen',
    step(async () => {
      await page.goto(`${base}/scanner`);
      await h.heading('Вход кассира');
      await shot(page, 'scanner-login');
      await signIn('petr@example.com', 'cashier-pass-1');
      await h.visible('Где вы сегодня работаете?');
      await page.getByRole('button', { name: /Арбат, 10/ }).click();
      await page.getByTestId('scanner-location').filter({ hasText: 'Арбат, 10' }).waitFor();
      await page.reload();
      await page.getByTestId('scanner-location').filter({ hasText: 'Арбат, 10' }).waitFor();
      await h.visible('Найдите гостя');
    }),
  );

  it(
    'falls back to typing when the device has no camera, and words the lookup refusals',
    step(async () => {
      await page.getByTestId('scan-camera').click();
      await page.getByTestId('camera-problem').getByText('Введите код, номер карты или телефон ниже.').waitFor();
      await shot(page, 'scanner-no-camera');
      await page.getByRole('button', { name: 'Закрыть камеру' }).click();
      await page.getByTestId('scan-input').fill('https://example.com/not-a-card');
      await page.getByTestId('scan-find').click();
      await page.getByTestId('scan-problem').filter({ hasText: 'Этот QR-код — не карта этого бизнеса.' }).waitFor();
      await page.getByTestId('scan-input').fill('1010 0000 0000 0');
      await page.getByTestId('scan-find').click();
      await page.getByTestId('scan-problem').filter({ hasText: 'Карта не найдена' }).waitFor();
    }),
  );

  it(
    'accrues points for a typed amount; a lost answer retried with the same request id counts once',
    step(async () => {
      await page.getByTestId('scan-input').fill('+7 (999) 111-22-33');
      await page.getByTestId('scan-find').click();
      await page.getByTestId('scanner-guest').getByText('Ольга').waitFor();
      expect(await page.getByTestId('scanner-points').locator('.ant-statistic-content-value').textContent()).toBe('100');
      // The cashier confirms who is there by the phone's last digits, and sees what the points are worth.
      expect(await page.getByTestId('scanner-phone-tail').textContent()).toBe('Телефон на …2233');
      expect(await page.getByTestId('scanner-points-worth').textContent()).toMatch(/^это \d[\d\s]*(,\d\d)?\s₽$/);
      await page.getByTestId('scanner-amount').fill('1 000,5');
      await page.getByTestId('op-accrue').click();
      await page.getByTestId('scanner-quote').getByText('1 000,50 ₽').first().waitFor();
      await page.getByTestId('scanner-quote').getByText('+50').waitFor();
      await shot(page, 'scanner-confirm');

      // The first tap reaches the hub, but its answer is lost on the way back.
      const keys: string[] = [];
      let lose = true;
      await page.route('**/v1/scanner/operations', async (route) => {
        if (route.request().method() !== 'POST') return route.continue();
        keys.push(route.request().headers()['idempotency-key']!);
        if (lose) {
          lose = false;
          await route.fetch();
          return route.abort('connectionreset');
        }
        return route.continue();
      });
      await page.getByTestId('scanner-confirm-button').click();
      await page.getByTestId('scanner-problem').filter({ hasText: 'Сервер недоступен' }).waitFor();
      // The cashier taps again (twice, quickly): the same request, once.
      await page.getByTestId('scanner-confirm-button').dblclick();
      await page.getByTestId('scanner-done').getByText('Начислено 50 баллов').waitFor();
      await page.unroute('**/v1/scanner/operations');
      expect(keys.length).toBeGreaterThanOrEqual(2);
      expect(new Set(keys).size).toBe(1);
      expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const done = await ops();
      expect(done).toHaveLength(1);
      expect(done[0]).toMatchObject({ totalMinor: 100050, pointsAccrued: 50 });
      await shot(page, 'scanner-done');
    }),
  );

  it(
    'redeems points within the cap, by the QR payload typed in',
    step(async () => {
      await page.getByTestId('scanner-next').click();
      await page.getByTestId('scan-input').fill(card.qr);
      await page.getByTestId('scan-find').click();
      expect(await page.getByTestId('scanner-points').locator('.ant-statistic-content-value').textContent()).toBe('150');
      await page.getByTestId('scanner-amount').fill('200');
      await page.getByTestId('op-redeem').click();
      await h.visible('С этой покупки можно списать до 100 баллов');
      expect(await page.getByTestId('scanner-redeem-points').inputValue()).toBe('100');
      await page.getByTestId('scanner-pay').filter({ hasText: '100,00 ₽' }).waitFor();
      await page.getByTestId('scanner-confirm-button').click();
      await page.getByTestId('scanner-done').getByText('Списано 100 баллов').waitFor();
      const done = await ops();
      expect(done).toHaveLength(2);
      expect(done[0]).toMatchObject({ totalMinor: 20000, pointsRedeemed: 100 });
    }),
  );

  it(
    'shows the hub’s refusal over the hourly limit, and no reversal to a cashier',
    step(async () => {
      await t.http
        .patch('/v1/admin/business')
        .set(owner())
        .send({ settings: { fraudLimits: { scannerOpsPerStaffPerHour: 2 } } })
        .expect(200);
      await page.getByTestId('scanner-next').click();
      await page.getByTestId('scan-input').fill(card.number);
      await page.getByTestId('scan-find').click();
      await page.getByTestId('scanner-amount').fill('300');
      await page.getByTestId('op-accrue').click();
      await page.getByTestId('scanner-confirm-button').click();
      await page.getByTestId('scanner-problem').filter({ hasText: 'Лимит исчерпан' }).waitFor();
      await shot(page, 'scanner-refused');
      expect(await ops()).toHaveLength(2);
      const recent = page.getByTestId('scanner-recent');
      await recent.getByText('1 000,50 ₽').waitFor();
      expect(await recent.getByRole('button', { name: 'Отменить' }).count()).toBe(0);
    }),
  );

  it(
    'lets a manager reverse an operation',
    step(async () => {
      await page.getByTestId('scanner-user').click();
      await page.getByRole('menuitem', { name: 'Выйти' }).click();
      await h.heading('Вход кассира');
      await signIn(biz.ownerEmail, biz.ownerPassword);
      await page.getByTestId('scanner-location').waitFor();
      const recent = page.getByTestId('scanner-recent');
      const item = recent.locator('.ant-list-item').filter({ hasText: '200,00 ₽' });
      // The guest is named before the reversal.
      expect(await item.getByTestId('recent-guest').textContent()).toMatch(/…\d{4}$/);
      await item.getByRole('button', { name: 'Отменить' }).click();
      await page.getByTestId('reverse-reason').fill('Гость передумал');
      await page.getByRole('dialog').getByRole('button', { name: 'Отменить' }).click();
      await h.toast('Операция отменена');
      await item.getByText('Отменена').waitFor();
      const g = await t.http.get(`/v1/admin/cards/${card.id}`).set(owner()).expect(200);
      expect(g.body.pointsAvailable).toBe(150);
      await shot(page, 'scanner');
    }),
  );

  it(
    'sells with the keyboard alone: the scan field and then the amount take the focus, Enter runs and confirms, Escape steps back',
    step(async () => {
      const focused = (id: string) => page.waitForFunction((x) => document.activeElement?.getAttribute('data-testid') === x, id);
      // Arrival: the scan field has the focus without a click.
      await page.reload();
      await focused('scan-input');
      await page.keyboard.type(card.number);
      await page.keyboard.press('Enter');
      await page.getByTestId('scanner-guest').waitFor();
      await focused('scanner-amount');
      await page.keyboard.type('300');
      await page.keyboard.press('Enter');
      await page.getByTestId('scanner-quote').getByText('+15').waitFor();
      await page.waitForFunction(() => !document.querySelector('[data-testid="scanner-confirm-button"]')?.hasAttribute('disabled'));
      await page.keyboard.press('Enter');
      await page.getByTestId('scanner-done').getByText('Начислено 15 баллов').waitFor();
      const done = await ops();
      expect(done[0]).toMatchObject({ totalMinor: 30000, pointsAccrued: 15 });
      // Enter on the result: the next guest, the scan field focused again.
      await page.keyboard.press('Enter');
      await focused('scan-input');
      // Escape: from the quote back to the amount, then back to the scan field; nothing is sold.
      await page.keyboard.type(card.number);
      await page.keyboard.press('Enter');
      await focused('scanner-amount');
      await page.keyboard.type('100');
      await page.keyboard.press('Enter');
      await page.getByTestId('scanner-confirm').waitFor();
      await page.keyboard.press('Escape');
      await page.getByTestId('scanner-amount').waitFor();
      await page.keyboard.press('Escape');
      await focused('scan-input');
      expect(await ops()).toHaveLength(done.length);
    }),
  );

  it(
    'logged no console errors and met only the refusals it provoked',
    step(() => {
      // The one connection reset is the lost answer provoked on purpose above.
      expect(b.consoleErrors.filter((e) => !/ERR_CONNECTION_RESET @ .*\/v1\/scanner\/operations$/.test(e))).toEqual([]);
      expect(b.consoleErrors).toHaveLength(1);
      expect([...b.refusals].sort()).toEqual([...EXPECTED_REFUSALS].sort());
    }),
  );
});
