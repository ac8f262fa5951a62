/**
 * Shared pieces of the console's browser tests: Chromium with a fresh profile, screenshots,
 * console-error and refusal watching, and the small Playwright helpers the specs use.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, BrowserContext, ConsoleMessage, Page, Response } from 'playwright-core';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureAdmin } = require('../../scripts/ensure-admin.js') as { ensureAdmin: (o?: { log?: (m: string) => void }) => boolean };

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/admin');
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  consoleErrors: string[];
  refusals: string[];
  close(): Promise<void>;
}

/** A fresh Chromium profile (nothing remembered between runs) and its first page, watched. */
export async function openBrowser(opts: { viewport?: { width: number; height: number }; mobile?: boolean } = {}): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: the console's browser tests need it. Install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH).`,
    );
  }
  ensureAdmin({ log: () => undefined });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'admin-e2e-'));
  const context = await chromium.launchPersistentContext(userDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: opts.viewport ?? { width: 1440, height: 900 },
    isMobile: opts.mobile,
    hasTouch: opts.mobile,
    locale: 'ru-RU',
    timezoneId: 'Europe/Moscow',
    acceptDownloads: true,
  });
  context.setDefaultTimeout(10_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors: string[] = [];
  const refusals: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() !== 'error') return;
    // The browser logs every refused fetch; those are checked one by one against the expected refusals.
    if (/^Failed to load resource: the server responded with a status of (4\d\d)/.test(m.text())) return;
    consoleErrors.push(`${m.text()} @ ${m.location().url}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on('response', (r: Response) => {
    if (r.status() >= 400)
      refusals.push(
        `${r.request().method()} ${new URL(r.url()).pathname.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, ':id')} ${r.status()}`,
      );
  });
  return {
    context,
    page,
    consoleErrors,
    refusals,
    close: async () => {
      await context.close();
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}

/** A screenshot of the whole page as a person sees it: from the top, settled, without toasts. */
export async function shot(page: Page, name: string, opts: { toasts?: boolean; fullPage?: boolean } = {}): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(150);
  await page.screenshot({
    path: path.join(ARTIFACTS, `${name}.png`),
    fullPage: opts.fullPage ?? true,
    animations: 'disabled',
    style: opts.toasts ? undefined : '.ant-message { display: none !important; }',
  });
}

/** Runs a test step; when it fails, the page as it was is saved beside the screenshots. */
export const stepOf = (page: () => Page | undefined) => (fn: () => Promise<void> | void) => async () => {
  try {
    await fn();
  } catch (e) {
    const name = (expect.getState().currentTestName ?? 'step').replace(/[^\p{L}\p{N}]+/gu, '-').slice(-60);
    await page()
      ?.screenshot({ path: path.join(ARTIFACTS, `failed-${name}.png`), fullPage: true })
      .catch(() => undefined);
    throw e;
  }
};

export const helpers = (page: Page) => ({
  visible: (text: string | RegExp) => page.getByText(text).first().waitFor({ state: 'visible' }),
  heading: (text: string) => page.getByRole('heading', { name: text, exact: true }).waitFor(),
  toast: (text: string | RegExp) => page.locator('.ant-message-notice').filter({ hasText: text }).first().waitFor(),
  row: (testId: string, text: string | RegExp) => page.getByTestId(testId).locator('tbody tr').filter({ hasText: text }),
  /** The open option list of an antd Select, by the form item's label. */
  choose: async (scope: Page | ReturnType<Page['locator']>, label: string, option: string | RegExp) => {
    await scope
      .locator('.ant-form-item')
      .filter({ has: page.getByLabel(label, { exact: true }) })
      .locator('.ant-select-selector')
      .first()
      .click();
    await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option').filter({ hasText: option }).first().click();
  },
  /** Opens a page from the left navigation, expanding its section first. */
  menu: async (section: string, item?: string) => {
    const nav = page.getByTestId('nav');
    if (item) {
      const title = nav.getByRole('menuitem', { name: section }).first();
      if ((await title.getAttribute('aria-expanded')) !== 'true') await title.click();
    }
    const link = nav.getByRole('link', { name: item ?? section, exact: true });
    const href = await link.getAttribute('href');
    await link.click();
    await page.waitForURL((u) => u.pathname === href);
  },
});

/** Logs in through the console's form. */
export async function loginUi(page: Page, base: string, email: string, password: string): Promise<void> {
  await page.goto(`${base}/admin/login`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Пароль').fill(password);
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.getByRole('heading', { name: /^Здравствуйте/ }).waitFor();
}
