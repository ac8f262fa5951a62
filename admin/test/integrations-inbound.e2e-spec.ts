/**
 * Integrations in real headless Chromium: a connector from outside the repository (CONNECTOR_PATHS)
 * is installed through its form — labels from its schema, its secret drawn as a password box — and
 * its settings then show the full address its vendor calls (PUBLIC_URL, the connector, the business).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createTestHub, TestBusiness, TestHub } from '../../hub/test/harness';
import { Browser, helpers, loginUi, openBrowser, shot, stepOf } from './kit';

const REPO = path.resolve(__dirname, '../..');
const PUBLIC_URL = 'https://loyalty.example.com';
/** Refusals the steps provoke on purpose; any other 4xx/5xx answer fails the test. */
const EXPECTED_REFUSALS: string[] = [];

jest.setTimeout(30_000);

/** A connector package outside the repository, plain JavaScript, with the SDK and zod installed beside it. */
function outsidePackage(root: string): string {
  const dir = path.join(root, 'loyalty-connector-url-demo');
  fs.mkdirSync(path.join(dir, 'node_modules/@loyalty'), { recursive: true });
  fs.symlinkSync(path.join(REPO, 'connectors/sdk'), path.join(dir, 'node_modules/@loyalty/sdk'), 'dir');
  for (const m of ['zod', 'express']) fs.symlinkSync(path.join(REPO, 'node_modules', m), path.join(dir, 'node_modules', m), 'dir');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'loyalty-connector-url-demo', version: '1.0.0', main: 'index.js' }));
  fs.writeFileSync(
    path.join(dir, 'index.js'),
    `const { CONTRACT_VERSION, defineConnector, secret } = require('@loyalty/sdk');
const { Router } = require('express');
const { z } = require('zod');
exports.connector = defineConnector({
  manifest: {
    id: 'url-demo', name: 'URL Demo', category: 'crm', version: '1.0.0', contractVersion: CONTRACT_VERSION, consumes: [],
    description: 'Shows where its vendor calls.',
    inbound: [{ method: 'post', path: '/:businessId/hooks', summary: 'Signed order webhooks' }],
  },
  configSchema: z.object({ apiKey: secret(z.string().min(8)).meta({ title: 'Ключ API', description: 'Из кабинета URL Demo' }) }),
  handlers: {},
  inbound: () => Router(),
});
`,
  );
  return dir;
}

describe('a connector’s inbound address in the console', () => {
  let t: TestHub;
  let biz: TestBusiness;
  let base: string;
  let b: Browser;
  let page: Page;
  let root: string;
  const step = stepOf(() => page);

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'admin-inbound-'));
    t = await createTestHub({ env: { CONNECTOR_PATHS: outsidePackage(root), PUBLIC_URL } });
    await t.hub.connectors.start();
    base = await t.listen();
    biz = await t.business('Кофейня «Адрес»');
    b = await openBrowser();
    page = b.page;
    await loginUi(page, base, biz.ownerEmail, biz.ownerPassword);
  });
  afterAll(async () => {
    await b?.close();
    await t?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it(
    'installs it through a form drawn from its schema, then shows the URL to give the vendor',
    step(async () => {
      const h = helpers(page);
      await h.menu('Интеграции');
      const card = page.locator('.ant-card').filter({ hasText: 'URL Demo' }).first();
      await card.getByRole('button', { name: 'Установить' }).click();
      const dialog = page.getByRole('dialog');
      const key = dialog.getByLabel('Ключ API');
      expect(await key.getAttribute('type')).toBe('password');
      await dialog.getByText('Из кабинета URL Demo').waitFor();
      await key.fill('ak_0123456789');
      await dialog.getByTestId('integration-save').click();

      const url = `${PUBLIC_URL}/connectors/url-demo/${biz.businessId}/hooks`;
      const installed = page.getByTestId('installed-url-demo');
      await installed.getByTestId('inbound-urls').getByText(url).waitFor();
      await installed.getByRole('button', { name: 'Настройки' }).click();
      await page.getByRole('dialog').getByTestId('inbound-urls').getByText(url).waitFor();
      await page.getByRole('dialog').getByText('Signed order webhooks').waitFor();
      await shot(page, 'integrations-inbound');
      expect(b.consoleErrors).toEqual([]);
      expect(b.refusals.filter((r) => !EXPECTED_REFUSALS.includes(r))).toEqual([]);
    }),
  );
});
