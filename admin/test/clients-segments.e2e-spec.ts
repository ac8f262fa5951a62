/**
 * Clients › Guests with the segment filter bar, in real headless Chromium against the real hub:
 * each filter narrows the table to the expected guests, the count beside it agrees, the filter
 * lives in the page's address (a link opens the same segment), and "reset" brings everyone back.
 */
import type { Page } from 'playwright-core';
import { createTestHub, TestBusiness, TestHub } from '../../hub/test/harness';
import { Guest } from '../../hub/src/modules/guests/guests.entity';
import { WalletRegistration } from '../../hub/src/modules/wallet/wallet.entity';
import { Browser, loginUi, openBrowser, shot, stepOf } from './kit';

/** Refusals the steps provoke on purpose; any other 4xx/5xx answer fails the test. */
const EXPECTED_REFUSALS: string[] = [];
const DAY = 24 * 3600 * 1000;

jest.setTimeout(30_000);

describe('client list filters', () => {
  let t: TestHub;
  let biz: TestBusiness;
  let base: string;
  let b: Browser;
  let page: Page;
  const step = stepOf(() => page);

  /** Names in the table, sorted, once the count beside it says `n`. */
  const shown = async (n: number): Promise<string[]> => {
    await page.locator(`[data-testid=guests-count][data-count="${n}"][aria-busy=false]`).waitFor();
    await page.waitForFunction(
      (want) =>
        !document.querySelector('[data-testid=guests-table] .ant-spin-spinning') &&
        document.querySelectorAll('[data-testid=guests-table] tbody tr.ant-table-row').length === want,
      n,
    );
    const names = await page.getByTestId('guests-table').locator('tbody tr.ant-table-row').getByTestId('guest-link').allTextContents();
    return names.sort();
  };
  const pick = async (testId: string, option: string) => {
    await page.getByTestId(testId).click();
    await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option').filter({ hasText: option }).first().click();
    await page.keyboard.press('Escape');
  };
  const reset = async () => {
    await page.getByTestId('guests-filter-reset').click();
    expect(await shown(3)).toEqual(['Анна', 'Борис', 'Вера']);
  };

  beforeAll(async () => {
    t = await createTestHub();
    base = await t.listen();
    biz = await t.business('Кофейня «Сегмент»');
    const admin = (method: 'post', path: string) => t.http[method](path).set('Cookie', biz.ownerCookie);
    const program = (
      await admin('post', '/v1/admin/programs')
        .send({
          name: 'Клуб',
          rules: { kind: 'bonus', accrualPercent: 5 },
          levels: [
            { code: 'base', name: 'Базовый', threshold: 0 },
            { code: 'gold', name: 'Золото', threshold: 500000 },
          ],
        })
        .expect(201)
    ).body as { id: string };
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Moscow' }).format(new Date());
    const otherMonth = String(((Number(today.slice(5, 7)) + 5) % 12) + 1).padStart(2, '0');
    const anna = (
      await admin('post', '/v1/admin/guests')
        .send({
          phone: '+79990000101',
          name: 'Анна',
          gender: 'female',
          birthday: `${Number(today.slice(0, 4)) - 30}-${today.slice(5, 7)}-01`,
          programId: program.id,
        })
        .expect(201)
    ).body;
    const boris = (
      await admin('post', '/v1/admin/guests')
        .send({
          phone: '+79990000102',
          name: 'Борис',
          gender: 'male',
          birthday: `1980-${otherMonth}-15`,
          source: 'form',
          utm: { source: 'vk', campaign: 'spring' },
          programId: program.id,
        })
        .expect(201)
    ).body;
    const vera = (await admin('post', '/v1/admin/guests').send({ phone: '+79990000103', name: 'Вера' }).expect(201)).body;
    await admin('post', `/v1/admin/cards/${anna.card.id}/level`).send({ levelCode: 'gold', reason: 'test' }).expect(200);
    const regs = t.hub.db.manager.getRepository(WalletRegistration);
    await regs.insert(
      regs.create({
        businessId: biz.businessId,
        cardId: anna.card.id,
        deviceLibraryId: 'device',
        passTypeId: 'pass.test',
        serial: anna.card.id,
        pushToken: 'token',
      }),
    );
    const guests = t.hub.db.manager.getRepository(Guest);
    await guests.update({ id: anna.guest.id }, { visits: 4, spendMinor: 120000, lastPurchaseAt: new Date(Date.now() - 2 * DAY) });
    await guests.update({ id: boris.guest.id }, { visits: 1, spendMinor: 30000, lastPurchaseAt: new Date(Date.now() - 40 * DAY) });
    expect(vera.guest.id).toBeTruthy();
    b = await openBrowser();
    page = b.page;
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    await t?.close();
  });

  it(
    'shows every guest and how many there are',
    step(async () => {
      await loginUi(page, base, biz.ownerEmail, biz.ownerPassword);
      await page.goto(`${base}/admin/clients/guests`);
      expect(await shown(3)).toEqual(['Анна', 'Борис', 'Вера']);
      await page.getByTestId('guests-count').getByText('Найдено: 3').waitFor();
    }),
  );

  it(
    'birthday this month, kept in the address',
    step(async () => {
      await pick('guests-filter-birthday', 'ДР в этом месяце');
      expect(await shown(1)).toEqual(['Анна']);
      expect(new URL(page.url()).searchParams.get('birthdayIn')).toBe('this_month');
      await shot(page, 'clients-segment-birthday');
      await reset();
    }),
  );

  it(
    'not back for 30 days, then UTM source, then wallet installed',
    step(async () => {
      await page.locator('[data-testid=guests-filter-notback] input, input[data-testid=guests-filter-notback]').first().fill('30');
      expect(await shown(1)).toEqual(['Борис']);
      await reset();
      await page.getByTestId('guests-filter-utm-source').fill('vk');
      await page.getByTestId('guests-filter-utm-source').press('Enter');
      expect(await shown(1)).toEqual(['Борис']);
      await reset();
      await pick('guests-filter-wallet', 'Карта в кошельке');
      expect(await shown(1)).toEqual(['Анна']);
      await reset();
    }),
  );

  it(
    'program, level, gender, age band and source',
    step(async () => {
      await pick('guests-filter-program', 'Клуб');
      expect(await shown(2)).toEqual(['Анна', 'Борис']);
      await pick('guests-filter-level', 'Золото');
      expect(await shown(1)).toEqual(['Анна']);
      await reset();
      await pick('guests-filter-gender', 'Не указан');
      expect(await shown(1)).toEqual(['Вера']);
      await reset();
      await pick('guests-filter-age', '45–54');
      expect(await shown(1)).toEqual(['Борис']);
      await pick('guests-filter-source', 'Страница регистрации');
      expect(await shown(1)).toEqual(['Борис']);
      await pick('guests-filter-gender', 'Женский');
      expect(await shown(0)).toEqual([]);
      await page.getByText('Под эти фильтры никто не подходит').waitFor();
      await reset();
    }),
  );

  it(
    'opens a segment from a link',
    step(async () => {
      await page.goto(`${base}/admin/clients/guests?walletInstalled=false&gender=male`);
      expect(await shown(1)).toEqual(['Борис']);
      await page.getByTestId('guests-filter-wallet').getByText('Карты нет в кошельке').waitFor();
    }),
  );

  it(
    'logged no console errors and met only the refusals it provoked',
    step(async () => {
      expect(b.consoleErrors).toEqual([]);
      expect([...b.refusals].sort()).toEqual([...EXPECTED_REFUSALS].sort());
    }),
  );
});
