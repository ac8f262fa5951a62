/**
 * Guest privacy in the console, in real headless Chromium against the real hub: Home warns that
 * today's SMS budget is spent and that a page registers without SMS verification; the SMS policy on
 * the Forms page shows today's spending and raising the budget clears the alert.
 */
import type { Page } from 'playwright-core';
import { createTestHub, TestBusiness, TestHub } from '../../hub/test/harness';
import { Browser, helpers, loginUi, openBrowser, shot, stepOf } from './kit';

jest.setTimeout(30_000);

describe('SMS policy and privacy warnings in the console', () => {
  let t: TestHub;
  let biz: TestBusiness;
  let base: string;
  let b: Browser;
  let page: Page;
  const step = stepOf(() => page);
  const h = () => helpers(page);

  beforeAll(async () => {
    t = await createTestHub();
    base = await t.listen();
    biz = await t.business('Кофейня «Тишина»');
    const api = (method: 'post' | 'patch', path: string) => t.http[method](path).set('Cookie', biz.ownerCookie);
    const program = await api('post', '/v1/admin/programs')
      .send({ name: 'Клуб', rules: { kind: 'bonus', accrualPercent: 5 } })
      .expect(201);
    const form = (slug: string, smsVerification: boolean) =>
      api('post', '/v1/admin/engagement/forms').send({ programId: program.body.id, slug, title: 'Вступайте', smsVerification }).expect(201);
    await form('quiet-join', true);
    await form('quiet-fast', false);
    // A budget of one SMS, spent; the next request is refused and raises the alert.
    await api('patch', '/v1/admin/engagement/sms-policy').send({ dailyBudget: 1 }).expect(200);
    await t.http.post('/v1/public/forms/quiet-join/sms-codes').send({ phone: '+79990001001' }).expect(201);
    await t.http.post('/v1/public/forms/quiet-join/sms-codes').send({ phone: '+79990001002' }).expect(429);
    b = await openBrowser();
    page = b.page;
  });
  afterAll(async () => {
    await b?.close();
    await t?.close();
  });

  it(
    'warns on Home: the SMS budget is spent, and a page registers without SMS verification',
    step(async () => {
      await loginUi(page, base, biz.ownerEmail, biz.ownerPassword);
      await page.getByTestId('notice-sms_budget_exhausted').getByText('Дневной лимит SMS исчерпан', { exact: false }).waitFor();
      await page.getByTestId('notice-sms_verification_off').getByText('/join/quiet-fast', { exact: false }).waitFor();
      expect(await page.getByTestId('notice-sms_verification_off').count()).toBe(1);
      await shot(page, 'home-privacy-notices', { fullPage: false });
    }),
  );

  it(
    'shows today’s SMS spending on the Forms page; raising the budget clears the alert',
    step(async () => {
      await page.getByTestId('notice-sms_budget_exhausted').getByRole('button', { name: 'Страницы регистрации' }).click();
      await h().heading('Формы регистрации');
      const card = page.getByTestId('sms-policy');
      await card.getByTestId('sms-today').getByText('/ 1').waitFor();
      await card.getByLabel('Дневной лимит (SMS в день)').fill('300');
      await card.getByTestId('sms-policy-save').click();
      await h().toast('SMS-политика сохранена');
      await card.getByTestId('sms-today').getByText('/ 300').waitFor();
      await shot(page, 'forms-sms-policy');
      const policy = await t.http.get('/v1/admin/engagement/sms-policy').set('Cookie', biz.ownerCookie).expect(200);
      expect(policy.body).toMatchObject({ dailyBudget: 300, today: { sent: 1, exhaustedAt: null } });
      await h().menu('Главная');
      await page.getByTestId('notice-sms_verification_off').waitFor();
      expect(await page.getByTestId('notice-sms_budget_exhausted').count()).toBe(0);
    }),
  );

  it(
    'logged no console errors and met no refusal but the anonymous probe on the first visit',
    step(() => {
      expect(b.consoleErrors).toEqual([]);
      expect(b.refusals).toEqual([]);
    }),
  );
});
