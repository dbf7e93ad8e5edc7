// Headless Chromium from Debian's `chromium` package, driven by playwright-core (browser downloads do not
// work on these machines; RECIPES.md). One browser per test file, a fresh context per test. The console is
// the one `npm test` built into dist/console (scripts/build-console.ts).
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { onPath } from '../../scripts/test-prereqs.js';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export interface TestBrowser {
  browser: Browser;
  /** A fresh context (cookies, storage) with a page at `url`. */
  page(url: string, opts?: { width?: number; height?: number }): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const executablePath = onPath('chromium') ?? onPath('chromium-browser');
  if (!executablePath) throw new Error('chromium is not installed: npm test installs it (scripts/test-prereqs.ts)');
  // Playwright gives the browser a fresh profile of its own.
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  const contexts: BrowserContext[] = [];
  return {
    browser,
    async page(url, opts = {}) {
      const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 } });
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(url);
      return { context, page };
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
    },
  };
}

/** Signs in through the form, as a user would. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/**
 * The README's screenshots come from the browser tests: with CONSOLE_SCREENSHOTS=<folder> (npm run
 * screenshots sets docs/img) each named view is saved there; otherwise nothing is written.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.CONSOLE_SCREENSHOTS;
  if (!dir) return;
  await page.screenshot({ path: `${dir}/console-${name}.png` });
}
