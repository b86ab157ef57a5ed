import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { uuidv7 } from '../../server/src/ids.js';
import { openSqliteStore } from '../../server/src/store/sqlite/sqlite-store.js';
import { api, startHeraldProcess, type HeraldProcess } from '../../../test-support/herald-process.js';
import { requireOrSkip } from '../../../test-support/skip.js';
import { makeTempDir } from '../../../test-support/temp-dir.js';
import { chromiumAvailable, CHROMIUM_PATH, launchBrowser, type BrowserSession } from './browser.js';
import { horizontalOverflow } from './page-checks.js';

/**
 * What the workflow suite's tidy data never shows: a 465-character URL, 500-character descriptions
 * and a log of 2,000 deliveries, one a minute, written straight into the database of a real
 * `herald serve` (no dispatcher, so they stay as written).
 */

/** 465 characters, the length that made the Deliveries page 5,128 px wide. */
const LONG_URL = `https://hooks.example.com/${'segment-'.repeat(53)}webhook/receive`;
const WORDY = 'Forwards every signup to the CRM and the billing system, '.repeat(9).slice(0, 500);
const UNBROKEN = 'D'.repeat(500);
const DELIVERIES = 2000;
const MINUTE = 60_000;

describe('a long URL and a log of 2,000 deliveries in Chromium', () => {
  if (!chromiumAvailable()) {
    it('runs the browser suite', (t) => {
      requireOrSkip(t, false, `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set HERALD_CHROMIUM)`);
    });
    return;
  }

  const dir = makeTempDir('herald-long-log-');
  const db = join(dir.path, 'herald.db');
  let herald: HeraldProcess;
  let apiKey: string;
  let browser: BrowserSession;
  let page: Page;
  let longId: string;
  let unbrokenId: string;
  /** When the oldest delivery was made; the next one follows a minute later, and so on. */
  let firstAt: number;
  let oldestDeliveryIds: string[];

  const startHerald = (...extra: string[]) => startHeraldProcess(['--db', db, '--no-dispatch', ...extra]);

  before(async () => {
    assert.equal(LONG_URL.length, 465);
    herald = await startHerald();
    apiKey = herald.apiKey!;
    const create = async (body: Record<string, unknown>) =>
      (await api<{ id: string }>(herald.url, apiKey, 'POST', '/v1/endpoints', body)).body.id;
    longId = await create({ url: LONG_URL, events: ['user.new'], description: WORDY });
    unbrokenId = await create({ url: `${LONG_URL}?copy=2`, events: ['user.deleted'], description: UNBROKEN });
    await api(herald.url, apiKey, 'POST', `/v1/endpoints/${unbrokenId}/test`, { event: 'user.deleted' });

    const organizationId = /Organization:\s+(\S+)/.exec(herald.output())![1]!;
    firstAt = Date.now() - (DELIVERIES + 60) * MINUTE;
    const store = await openSqliteStore(db);
    try {
      const results = await store.publishEvents(
        Array.from({ length: DELIVERIES }, (_, i) => ({
          id: uuidv7(firstAt + i * MINUTE),
          organizationId,
          type: 'user.new',
          payloadJson: JSON.stringify({ organization_id: organizationId, user_id: `u${i}`, email: `u${i}@example.com` }),
          idempotencyKey: null,
          createdAt: firstAt + i * MINUTE,
          idempotencyExpiresAt: firstAt + i * MINUTE,
        })),
      );
      oldestDeliveryIds = results.map((r) => r.deliveries[0]!.id);
    } finally {
      await store.close();
    }

    browser = await launchBrowser({ baseURL: herald.url });
    page = browser.page;
    await page.goto('/sign-in');
    await page.getByLabel('API key').fill(apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/webhooks');
  });

  after(async () => {
    await browser?.close();
    await herald?.stop();
    dir.remove();
  });

  const firstRowId = () => page.locator('tbody tr').first().getAttribute('data-delivery-id');

  it('never scrolls sideways or hides a column, at 1280 and 390 px', async () => {
    const paths = ['/webhooks', `/webhooks/${longId}`, `/webhooks/${unbrokenId}`, '/deliveries', `/deliveries/${oldestDeliveryIds[0]}`, `/webhooks/${longId}/edit`];
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      for (const path of paths) {
        await page.goto(path);
        await page.getByRole('heading', { level: 1 }).waitFor();
        await page.locator('.loading').first().waitFor({ state: 'detached' });
        assert.deepEqual(await horizontalOverflow(page), [], `${path} at ${width} px`);
      }
    }
    await page.goto('/deliveries');
    await page.getByLabel('Webhook').selectOption(unbrokenId);
    await page.locator('tbody tr').first().waitFor();
    assert.deepEqual(await horizontalOverflow(page), [], 'filtered by the webhook with the unbroken description, at 390 px');
    await page.setViewportSize({ width: 1280, height: 900 });
    assert.deepEqual(await horizontalOverflow(page), [], 'filtered by the webhook with the unbroken description, at 1280 px');
    const lastCode = await page.getByRole('columnheader', { name: 'Last code' }).boundingBox();
    assert.ok(lastCode !== null && lastCode.x + lastCode.width <= 1280, 'the "Last code" column is in view');
  });

  it('shortens a long URL in the middle, with the whole URL on hover and a button that copies it', async () => {
    await page.goto(`/webhooks/${longId}`);
    const heading = page.getByRole('heading', { level: 1 });
    await heading.waitFor();
    const shortened = heading.locator('[data-truncated-text]');
    assert.equal(await shortened.getAttribute('title'), LONG_URL);
    assert.equal(await page.getByRole('heading', { name: LONG_URL, exact: true }).count(), 1, 'a screen reader still reads all of it');
    const { height } = (await heading.boundingBox())!;
    const lineHeight = await heading.evaluate((h) => parseFloat(getComputedStyle(h).lineHeight));
    assert.ok(height < lineHeight * 1.5, `the heading is ${height} px high: one line`);
    // The start and the end are visible; the middle gave way.
    const head = shortened.locator('.truncate-head');
    assert.ok(await head.evaluate((e) => e.scrollWidth > e.clientWidth), 'the middle is cut');
    assert.ok(await shortened.locator('.truncate-tail').isVisible());
    assert.equal(await shortened.locator('.truncate-tail').textContent(), LONG_URL.slice(-12));

    await page.getByRole('button', { name: 'Copy URL' }).click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), LONG_URL);

    await page.goto('/webhooks');
    const row = page.locator('tr', { hasText: WORDY.slice(0, 40) });
    assert.equal(await row.locator('[data-truncated-text]').getAttribute('title'), LONG_URL);
    const rowHeight = (await row.boundingBox())!.height;
    assert.ok(rowHeight < 130, `the row is ${rowHeight} px high`);
  });

  it('keeps the page of older deliveries in the address, so a reload stays on it', async () => {
    await page.goto('/deliveries');
    await page.locator('tbody tr').nth(24).waitFor();
    const newest = await firstRowId();
    await page.getByRole('button', { name: 'Older' }).click();
    await page.waitForURL(/[?&]cursor=/);
    await page.waitForFunction((id) => document.querySelector('tbody tr')?.getAttribute('data-delivery-id') !== id, newest);
    const second = await firstRowId();
    await page.getByText('Paused on an older page').waitFor();

    await page.reload();
    await page.locator('tbody tr').nth(24).waitFor();
    assert.equal(await firstRowId(), second);
    await page.getByRole('button', { name: 'Older' }).click();
    await page.waitForFunction((id) => document.querySelector('tbody tr')?.getAttribute('data-delivery-id') !== id, second);
    await page.getByRole('button', { name: 'Newer' }).click();
    await page.waitForFunction((id) => document.querySelector('tbody tr')?.getAttribute('data-delivery-id') === id, second);

    // Opened from a bookmark, the newer pages are not known; "Newest" goes back to the live page.
    const bookmark = page.url();
    await page.goto('/webhooks');
    await page.goto(bookmark);
    await page.locator('tbody tr').nth(24).waitFor();
    assert.equal(await firstRowId(), second);
    await page.getByRole('button', { name: 'Newest' }).click();
    await page.waitForURL((url) => !url.search.includes('cursor'));
    await page.getByText('Live: updates every 2 s').waitFor();
    await page.waitForFunction((id) => document.querySelector('tbody tr')?.getAttribute('data-delivery-id') === id, newest);
  });

  it('jumps to a time instead of paging 80 times to the oldest of 2,000 deliveries', async () => {
    // Half a minute after the sixth oldest: the page starts with it and ends with the oldest.
    const jumpTo = new Date(firstAt + 5 * MINUTE + 30_000);
    await page.getByLabel('Jump to').fill(jumpTo.toISOString().slice(0, 19));
    await page.getByRole('button', { name: 'Go', exact: true }).click();
    await page.waitForURL((url) => url.searchParams.get('until') === jumpTo.toISOString().replace(/\.\d{3}Z$/, '.000Z'));
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 6);
    const shown = await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-delivery-id')));
    assert.deepEqual(shown, oldestDeliveryIds.slice(0, 6).reverse());
    assert.equal(await page.getByRole('button', { name: 'Older' }).isDisabled(), true);
    await page.locator('.live', { hasText: 'Made before' }).waitFor();
    await page.getByRole('button', { name: 'Newest' }).click();
    await page.getByText('Live: updates every 2 s').waitFor();
  });

  it('offers Retry when a page cannot load, and loads it once Herald answers again', async () => {
    await page.goto('/webhooks');
    const link = page.getByRole('link', { name: LONG_URL, exact: true });
    await link.waitFor();
    const port = new URL(herald.url).port;
    await herald.stop();
    await link.click();
    const notice = page.getByRole('alert').filter({ hasText: 'Could not load this webhook' });
    await notice.getByText('Herald did not answer.').waitFor();
    herald = await startHerald('--port', port);
    await notice.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('heading', { name: LONG_URL }).waitFor();
    assert.equal(await page.getByRole('alert').count(), 0);
  });
});
