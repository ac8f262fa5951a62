/**
 * Analytics, UTM tags and Reviews in real headless Chromium against the real hub: the dashboard
 * shows the period's figures from the rollups, the funnel and the RFM grid (a segment opens its
 * guests); a UTM tag is created with its link and counted; review settings warn before review
 * gating. Screenshots of the three sections go to test-artifacts/admin (copied to docs/screenshots).
 */
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { createTestHub, TestBusiness, TestHub } from '../../hub/test/harness';
import { Guest } from '../../hub/src/modules/guests/guests.entity';
import { WalletRegistration } from '../../hub/src/modules/wallet/wallet.entity';
import { Browser, loginUi, openBrowser, shot, stepOf } from './kit';

const EXPECTED_REFUSALS: string[] = [];
const DAY = 86_400_000;

jest.setTimeout(120_000);

describe('analytics, UTM and reviews sections', () => {
  let t: TestHub;
  let biz: TestBusiness;
  let base: string;
  let b: Browser;
  let page: Page;
  const step = stepOf(() => page);

  beforeAll(async () => {
    t = await createTestHub();
    base = await t.listen();
    biz = await t.business('Кофейня «Аналитика»');
    const admin = (method: 'post' | 'put', path: string) => t.http[method](path).set('Cookie', biz.ownerCookie);
    const program = (
      await admin('post', '/v1/admin/programs')
        .send({ name: 'Клуб', rules: { kind: 'bonus', accrualPercent: 10 } })
        .expect(201)
    ).body as { id: string };
    await admin('post', '/v1/admin/engagement/forms')
      .send({
        programId: program.id,
        slug: 'cafe-join',
        title: 'Вступить в клуб',
        fields: { name: 'optional', birthday: 'hidden', email: 'hidden' },
        consentText: 'Согласен на обработку персональных данных.',
      })
      .expect(201);
    const guest = async (phone: string, name: string, utm?: Record<string, string>) =>
      (
        await admin('post', '/v1/admin/guests')
          .send({ phone, name, programId: program.id, ...(utm ? { utm } : {}) })
          .expect(201)
      ).body as {
        guest: { id: string };
        card: { id: string; number: string };
      };
    const anna = await guest('+79990000201', 'Анна', { source: 'tabletent', campaign: 'spring' });
    const boris = await guest('+79990000202', 'Борис', { source: 'tabletent', campaign: 'spring' });
    const vera = await guest('+79990000203', 'Вера');
    const sale = (card: string, amount: number) =>
      t.http
        .post('/v1/pos/checkouts')
        .set('Authorization', `Bearer ${biz.terminalKey}`)
        .set('Idempotency-Key', randomUUID())
        .send({ card: { number: card }, basket: { items: [{ sku: 'LATTE', qty: 1, unitPriceMinor: amount, amountMinor: amount }] } })
        .expect(201);
    await sale(anna.card.number, 120000);
    await sale(anna.card.number, 45000);
    await sale(boris.card.number, 30000);
    const regs = t.hub.db.manager.getRepository(WalletRegistration);
    await regs.insert(
      regs.create({ businessId: biz.businessId, cardId: anna.card.id, deviceLibraryId: 'd', passTypeId: 'p', serial: anna.card.id, pushToken: 'x' }),
    );
    // Vera bought a lot, long ago: "can't lose" in RFM.
    await t.hub.db.manager
      .getRepository(Guest)
      .update({ id: vera.guest.id }, { visits: 12, spendMinor: 5_000_000, lastPurchaseAt: new Date(Date.now() - 400 * DAY) });
    for (let i = 0; i < 100; i++) {
      if ((await t.hub.relay.runOnce()) === 0) break;
    }
    await new Promise((r) => setTimeout(r, 300));
    await admin('post', '/v1/admin/analytics/rfm/recompute').expect(200);
    await admin('put', '/v1/admin/reviews/settings')
      .send({ yandexUrl: 'https://yandex.ru/maps/org/42', twogisUrl: null, googleUrl: null, onlyHighRatings: false })
      .expect(200);
    for (const [rating, text] of [
      ['5', 'Лучший латте в городе'],
      ['3', 'Долго ждали заказ'],
    ])
      await t.http.post(`/review/${biz.businessId}`).type('form').send({ rating, text, ch: 'pass' }).expect(200);
    b = await openBrowser();
    // Charts and three sections on a shared, busy machine: waits get more room than the kit's 10 s.
    b.context.setDefaultTimeout(30_000);
    page = b.page;
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    await t?.close();
  });

  it(
    'shows the period’s figures, the chart, the funnel and the RFM grid',
    step(async () => {
      await loginUi(page, base, biz.ownerEmail, biz.ownerPassword);
      await page.goto(`${base}/admin/analytics`);
      await page.getByTestId('kpi-sales').getByText('3', { exact: true }).waitFor();
      await page
        .getByTestId('kpi-revenue')
        .getByText(/1\s?950/)
        .waitFor();
      await page.getByTestId('kpi-guests').getByText('3', { exact: true }).waitFor();
      await page.getByTestId('analytics-chart').locator('.recharts-bar-rectangle').first().waitFor();
      const funnel = page.getByTestId('analytics-funnel');
      await funnel.getByTestId('funnel-registered').getByText('3', { exact: true }).waitFor();
      await funnel.getByTestId('funnel-wallet_installed').getByText('1', { exact: true }).waitFor();
      await funnel.getByTestId('funnel-repeat_purchase').getByText('2', { exact: true }).waitFor();
      await page.getByTestId('rfm-1-5').getByText('Нельзя потерять').waitFor();
      await shot(page, 'analytics');
      await page.getByTestId('analytics-interval').getByText('Месяцы').click();
      await page.getByTestId('kpi-sales').getByText('3', { exact: true }).waitFor();
    }),
  );

  it(
    'opens the guests of an RFM segment',
    step(async () => {
      await page.getByTestId('rfm-1-5').click();
      await page.waitForURL((u) => u.pathname.endsWith('/clients/guests') && u.searchParams.get('rfm') === 'cant_lose');
      await page.locator('[data-testid=guests-count][data-count="1"][aria-busy=false]').waitFor();
      expect(await page.getByTestId('guests-table').getByTestId('guest-link').allTextContents()).toEqual(['Вера']);
    }),
  );

  it(
    'creates a UTM tag with its link and counts the guests it brought',
    step(async () => {
      await page.goto(`${base}/admin/utm`);
      await page.getByTestId('utm-new').click();
      await page.locator('#utm-name').fill('Тейбл-тенты');
      await page.locator('#utm-source').fill('tabletent');
      await page.locator('#utm-campaign').fill('spring');
      await page.locator('#utm-medium').fill('print');
      await page.locator('.ant-modal .ant-select-selector').click();
      await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option').filter({ hasText: 'cafe-join' }).click();
      await page.getByRole('button', { name: 'Создать' }).click();
      const row = page.getByTestId('utm-table').locator('tbody tr').filter({ hasText: 'Тейбл-тенты' });
      await row.getByText(/\/join\/cafe-join\?utm_source=tabletent&utm_campaign=spring&utm_medium=print$/).waitFor();
      await row.locator('td').nth(2).getByText('2', { exact: true }).waitFor();
      await row.locator('td').nth(3).getByText('1', { exact: true }).waitFor();
      const svg = await page.request.get(`${base}${await row.getByTestId('utm-qr-svg').getAttribute('href')}`);
      expect(svg.status()).toBe(200);
      expect(await svg.text()).toContain('<svg');
      await shot(page, 'utm');
    }),
  );

  it(
    'lists reviews and warns before sending only happy reviewers to the maps',
    step(async () => {
      await page.goto(`${base}/admin/reviews`);
      await page.getByTestId('reviews-table').getByText('Лучший латте в городе').waitFor();
      await page.getByTestId('reviews-table').getByText('Долго ждали заказ').waitFor();
      await page
        .getByTestId('reviews-link-pass')
        .getByText(new RegExp(`/review/${biz.businessId}\\?ch=pass$`))
        .waitFor();
      expect(await page.locator('#reviews-yandex').inputValue()).toBe('https://yandex.ru/maps/org/42');
      await page.getByTestId('reviews-gating').click();
      await page
        .getByTestId('reviews-gating-warning')
        .getByText(/review gating/)
        .waitFor();
      expect(await page.getByTestId('reviews-save').isDisabled()).toBe(true);
      await shot(page, 'reviews');
      await page.getByTestId('reviews-gating-ack').click();
      await page.getByTestId('reviews-save').click();
      await page.locator('.ant-message-notice').filter({ hasText: 'Сохранено' }).waitFor();
      const s = await t.http.get('/v1/admin/reviews/settings').set('Cookie', biz.ownerCookie).expect(200);
      expect(s.body.onlyHighRatings).toBe(true);
    }),
  );

  it('logs no errors and meets only the expected refusals', () => {
    expect(b.consoleErrors).toEqual([]);
    expect([...new Set(b.refusals)].filter((r) => !EXPECTED_REFUSALS.includes(r))).toEqual([]);
  });
});
