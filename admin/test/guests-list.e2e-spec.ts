/**
 * Clients › Guests as an owner works the list (issue 18), in real headless Chromium against the real
 * hub, in Russian and in English: phones formatted, the points and level of each guest's card, a
 * click on a column header sorts on the server, a filter narrows the sorted list, four digits find a
 * guest by the end of a phone or card number, and the export downloads the list as filtered.
 */
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { createTestHub, TestBusiness, TestHub } from '../../hub/test/harness';
import { Card } from '../../hub/src/modules/cards/cards.entity';
import { Guest } from '../../hub/src/modules/guests/guests.entity';
import { Browser, loginUi, openBrowser, shot, stepOf } from './kit';

const DAY = 24 * 3600 * 1000;

jest.setTimeout(30_000);

describe('guest list: sort, filter, last digits, export', () => {
  let t: TestHub;
  let biz: TestBusiness;
  let base: string;
  let b: Browser;
  let page: Page;
  let veraCard = '';
  const step = stepOf(() => page);

  const names = () => page.getByTestId('guests-table').locator('tbody tr.ant-table-row').getByTestId('guest-link').allTextContents();
  /** Waits until the table (no spinner) shows exactly these names in this order; fails naming what it shows. */
  const rows = async (want: string[]): Promise<void> => {
    const ok = await page
      .waitForFunction(
        (w) =>
          !document.querySelector('[data-testid=guests-table] .ant-spin-spinning') &&
          JSON.stringify(Array.from(document.querySelectorAll('[data-testid=guests-table] tbody tr.ant-table-row [data-testid=guest-link]'), (a) => a.textContent)) === w,
        JSON.stringify(want),
      )
      .then(() => true)
      .catch(() => false);
    if (!ok) expect(await names()).toEqual(want);
  };
  const header = (title: string) => page.getByTestId('guests-table').locator('thead th').filter({ hasText: title }).first();
  const search = async (q: string) => {
    await page.getByTestId('guests-search').fill(q);
    await page.getByTestId('guests-search').press('Enter');
  };
  const exported = async (): Promise<string[]> => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('guests-export').click()]);
    const file = await download.path();
    return fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '').trimEnd().split('\r\n');
  };

  beforeAll(async () => {
    t = await createTestHub();
    base = await t.listen();
    biz = await t.business('Кофейня «Список»');
    const admin = (path: string) => t.http.post(path).set('Cookie', biz.ownerCookie);
    const program = (
      await admin('/v1/admin/programs')
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
    // name, phone, points (null: no card), days since the last purchase
    const people: [string, string, number | null, number][] = [
      ['Анна', '+79990001234', 500, 2],
      ['Борис', '+79990002222', 120, 40],
      ['Вера', '+79990003333', 900, 45],
      ['Глеб', '+79990004444', null, 60],
    ];
    for (const [name, phone, points, daysAgo] of people) {
      const res = await admin('/v1/admin/guests')
        .send({ phone, name, ...(points !== null ? { programId: program.id } : {}) })
        .expect(201);
      if (res.body.card) await t.hub.db.manager.getRepository(Card).update({ id: res.body.card.id }, { pointsBalance: points! });
      if (name === 'Вера') veraCard = res.body.card.number;
      await t.hub.db.manager.getRepository(Guest).update({ id: res.body.guest.id }, { visits: 1, lastPurchaseAt: new Date(Date.now() - daysAgo * DAY) });
      if (name === 'Анна') await admin(`/v1/admin/cards/${res.body.card.id}/level`).send({ levelCode: 'gold', reason: 'test' }).expect(200);
    }
    b = await openBrowser();
    page = b.page;
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    await t?.close();
  });

  it(
    'in Russian: formatted phones, points and level, sorted by points on the server, filtered, found by last digits and exported',
    step(async () => {
      await loginUi(page, base, biz.ownerEmail, biz.ownerPassword);
      await page.goto(`${base}/admin/clients/guests`);
      await rows(['Глеб', 'Вера', 'Борис', 'Анна']);
      const anna = page.getByTestId('guests-table').locator('tbody tr').filter({ hasText: 'Анна' });
      await anna.getByText('+7 999 000-12-34', { exact: true }).waitFor();
      await anna.getByText('Золото', { exact: true }).waitFor();

      await header('Баллы').click();
      await page.waitForURL(/sort=balance/);
      await rows(['Вера', 'Анна', 'Борис', 'Глеб']);
      await header('Баллы').click();
      await page.waitForURL(/order=asc/);
      await rows(['Борис', 'Анна', 'Вера', 'Глеб']);
      await header('Баллы').click();
      await page.waitForURL((u) => !u.search.includes('sort='));
      await header('Баллы').click();
      await page.waitForURL(/sort=balance/);

      // Not back for 30 days, still by points: Вера, Борис, then Глеб (no card).
      const notBack = page.locator('[data-testid=guests-filter-notback] input, input[data-testid=guests-filter-notback]').first();
      await notBack.fill('30');
      await notBack.blur();
      await page.waitForURL(/notBackDays=30/);
      await rows(['Вера', 'Борис', 'Глеб']);
      await shot(page, 'guests-list-ru');
      const csv = await exported();
      expect(csv[0]).toContain('id,phone,name');
      expect(csv.slice(1).map((l) => l.split(',')[2]).sort()).toEqual(['Борис', 'Вера', 'Глеб']);

      await page.getByTestId('guests-filter-reset').click();
      await search('1234');
      await rows(['Анна']);
      const one = await exported();
      expect(one).toHaveLength(2);
      expect(one[1]).toContain('+79990001234');
    }),
  );

  it(
    'in English: sorted by last purchase, found by the last digits of a card number, exported',
    step(async () => {
      await page.goto(`${base}/admin/clients/guests`);
      await page.getByTestId('lang-switch').getByText('EN', { exact: true }).click();
      await header('Points').waitFor();
      await header('Last purchase').click();
      await page.waitForURL(/sort=lastVisit/);
      await rows(['Анна', 'Борис', 'Вера', 'Глеб']);
      await search(veraCard.replace(/\D/g, '').slice(-4));
      await rows(['Вера']);
      await shot(page, 'guests-list-en');
      const csv = await exported();
      expect(csv).toHaveLength(2);
      expect(csv[1]!.split(',').slice(16, 18)).toEqual([veraCard, '900']);
      await page.getByTestId('lang-switch').getByText('RU', { exact: true }).click();
    }),
  );
});
