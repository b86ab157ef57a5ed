import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core. Nothing is downloaded: `.ci/run` installs the
 * `chromium` package with apt, and tests that need it skip loudly (fail under CI=true) without it.
 */
export const CHROMIUM_PATH = process.env.HERALD_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function launchBrowser(options: { baseURL: string; width?: number }): Promise<BrowserSession> {
  const profile = mkdtempSync(join(tmpdir(), 'herald-chromium-'));
  const removeProfile = () => rmSync(profile, { recursive: true, force: true });
  // A persistent context is how playwright takes a fresh --user-data-dir of our own.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    baseURL: options.baseURL,
    viewport: { width: options.width ?? 1280, height: 900 },
    locale: 'en-GB',
    timezoneId: 'UTC',
  }).catch((error: unknown) => {
    removeProfile();
    throw error;
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: options.baseURL });
  context.setDefaultTimeout(10_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close().catch(() => undefined);
      removeProfile();
    },
  };
}

const REPO_ROOT = new URL('../../../', import.meta.url).pathname;
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-output', 'screenshots');
const COMMITTED_DIR = join(REPO_ROOT, 'docs', 'screenshots');

/**
 * Full-page screenshots at 1280 px and 390 px into test-output/screenshots/. With
 * HERALD_UPDATE_SCREENSHOTS=1 they also go to docs/screenshots/, the set the README shows.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const original = page.viewportSize() ?? { width: 1280, height: 900 };
  const update = process.env.HERALD_UPDATE_SCREENSHOTS === '1';
  for (const dir of update ? [SCREENSHOT_DIR, COMMITTED_DIR] : [SCREENSHOT_DIR]) mkdirSync(dir, { recursive: true });
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
    // Let layout settle after the resize before capturing.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${width}.png`), fullPage: true });
    if (update) {
      // The committed copies stop at a screen and a half, so the README stays light.
      const height = Math.min(await page.evaluate(() => document.documentElement.scrollHeight), width === 390 ? 1400 : 1500);
      await page.screenshot({ path: join(COMMITTED_DIR, `${name}-${width}.png`), fullPage: true, clip: { x: 0, y: 0, width, height } });
    }
  }
  await page.setViewportSize(original);
}
