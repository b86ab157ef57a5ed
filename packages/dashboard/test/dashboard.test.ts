import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { computeSignature } from '@herald/sdk';
import type { Page } from 'playwright-core';
import { api, startHeraldProcess, type HeraldProcess } from '../../../test-support/herald-process.js';
import { startReceiver, type Receiver } from '../../../test-support/receiver.js';
import { requireOrSkip } from '../../../test-support/skip.js';
import { makeTempDir } from '../../../test-support/temp-dir.js';
import { chromiumAvailable, CHROMIUM_PATH, launchBrowser, screenshot, type BrowserSession } from './browser.js';
import { copyButtonNames, duplicateLandmarks } from './page-checks.js';

/**
 * The upstream workflow, in a real Chromium against a real `herald serve` child process and a real
 * receiver: sign in, add a webhook, copy its secret, send a test event, watch it arrive, verify its
 * signature, see retries, resend, rotate, sign out. The steps share one server and one browser and
 * run in order, each a behaviour of its own.
 */

const DIST_INDEX = new URL('../dist/index.html', import.meta.url).pathname;

describe('the dashboard in Chromium', () => {
  if (!chromiumAvailable()) {
    it('runs the browser suite', (t) => {
      requireOrSkip(t, false, `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set HERALD_CHROMIUM)`);
    });
    return;
  }

  const dir = makeTempDir('herald-dashboard-');
  let herald: HeraldProcess;
  let receiver: Receiver;
  let browser: BrowserSession;
  let page: Page;
  let apiKey: string;
  let endpointId: string;
  let copiedSecret: string;
  let testEventId: string;
  let failedDeliveryId: string;
  /** `Content-Encoding` of each script the dashboard loaded. */
  const scriptEncodings: Array<string | undefined> = [];

  const call = <T>(method: string, path: string, body?: unknown) => api<T>(herald.url, apiKey, method, path, body);
  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });

  before(async () => {
    assert.ok(existsSync(DIST_INDEX), 'the dashboard is not built: run `npm run build` first');
    receiver = await startReceiver();
    herald = await startHeraldProcess([
      '--db', join(dir.path, 'herald.db'),
      '--allow-private-networks',
      '--retry-schedule', '200ms,200ms',
    ]);
    apiKey = herald.apiKey!;
    browser = await launchBrowser({ baseURL: herald.url });
    page = browser.page;
    page.on('response', (response) => {
      if (/\/assets\/.*\.js$/.test(response.url())) scriptEncodings.push(response.headers()['content-encoding']);
    });
  });

  after(async () => {
    await browser?.close();
    await herald?.stop();
    await receiver?.close();
    dir.remove();
  });

  it('sends a visitor without a session to the sign-in page', async () => {
    await page.goto('/webhooks');
    await page.waitForURL('**/sign-in?next=%2Fwebhooks');
    await page.getByRole('heading', { name: 'Sign in to your webhooks' }).waitFor();
    await screenshot(page, 'sign-in');
  });

  it('refuses a wrong API key with a message next to the field', async () => {
    await page.getByLabel('API key').fill('hk_not-a-real-key-0123456789');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That API key is not valid').waitFor();
  });

  it('signs in with the API key into an HttpOnly session cookie and shows the empty webhooks list', async () => {
    await page.getByLabel('API key').fill(apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/webhooks');
    await page.getByRole('heading', { name: 'No webhooks yet' }).waitFor();
    const [cookie] = await browser.context.cookies();
    assert.equal(cookie?.name, 'herald_session');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(await page.evaluate(() => document.cookie), '', 'scripts cannot read the session');
  });

  it('loads its script compressed with Brotli, which Chromium accepts', () => {
    assert.ok(scriptEncodings.length > 0, 'no script loaded');
    assert.deepEqual(new Set(scriptEncodings), new Set(['br']));
  });

  it('answers an unknown address, an unknown id and a malformed one with its own not-found page', async () => {
    for (const path of ['/nope', '/webhooks/01900000-0000-7000-8000-000000000000', '/deliveries/not-an-id', '/deliveries/%E0%A4%A']) {
      const response = await page.goto(path);
      await page.getByRole('heading', { name: 'Page not found' }).waitFor();
      assert.equal(await page.getByText('not_found').count(), 0, path);
      assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 1, `${path} is inside the dashboard`);
      if (path === '/nope' || path.includes('%')) assert.equal(response?.status(), 404, path);
    }
    await page.getByRole('link', { name: 'Go to your webhooks' }).click();
    await page.getByRole('heading', { name: 'No webhooks yet' }).waitFor();
  });

  it("says in words what is wrong with a URL, not in the API's terms", async () => {
    await page.getByRole('link', { name: 'Add your first webhook' }).click();
    await page.getByLabel('Endpoint URL').fill(`https://example.com/${'a'.repeat(2040)}`);
    await page.getByText('The URL can be at most 2,048 characters long.').waitFor();
    assert.equal(await page.getByText('(rule:').count(), 0);
    await nav('Webhooks').click();
  });

  it("shows the server's reason for a bad URL while typing, then adds a webhook subscribed to two events", async () => {
    await page.getByRole('link', { name: 'Add your first webhook' }).click();
    await page.getByLabel('Endpoint URL').fill('ftp://example.com/hooks');
    await page.getByText('The URL must use http or https, not ftp.').waitFor();
    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByText('Herald accepts this URL').waitFor();
    await page.getByLabel('Description').fill('CRM sync');
    await page.locator('input[value="user.new"]').check();
    await page.locator('input[value="user.deleted"]').check();
    await screenshot(page, 'add-webhook');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await page.getByText('Webhook added').waitFor();
    endpointId = /\/webhooks\/([^/?]+)/.exec(page.url())![1]!;
    const saved = await call<{ events: string[]; url: string }>('GET', `/v1/endpoints/${endpointId}`);
    assert.deepEqual(saved.body.events, ['user.new', 'user.deleted']);
    assert.equal(saved.body.url, receiver.url);
  });

  it('hides the secret until revealed, and copies it to the clipboard', async () => {
    const secret = (await call<{ secret: string }>('GET', `/v1/endpoints/${endpointId}/secret`)).body.secret;
    const shown = page.getByTestId('secret-value');
    assert.doesNotMatch((await shown.textContent()) ?? '', new RegExp(secret));
    await page.getByRole('button', { name: 'Reveal' }).click();
    assert.equal(await shown.textContent(), secret);
    await page.getByRole('button', { name: 'Hide' }).click();
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    copiedSecret = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(copiedSecret, secret);
  });

  it('sends a test event and shows its delivery in the log without a reload', async () => {
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    await page.locator('#test-event-type').selectOption('user.deleted');
    await page.getByRole('button', { name: 'Send test event' }).click();
    const sent = page.getByRole('status').filter({ hasText: 'Test event sent' });
    await sent.waitFor();
    testEventId = /[0-9a-f]{8}-[0-9a-f-]{27}/.exec((await sent.textContent()) ?? '')![0];
    const row = page.locator(`tr[data-event-id="${testEventId}"]`);
    await row.getByText('Succeeded').waitFor();
    assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true);
    await screenshot(page, 'webhook');
  });

  it('shows the request as sent, and its signature verifies with the copied secret', async () => {
    await page.locator(`tr[data-event-id="${testEventId}"] a.row-link`).click();
    await page.getByRole('heading', { name: 'Request as sent' }).waitFor();
    const header = await page.locator('[data-testid="request-headers"] tr[data-header="x-webhook-signature"] td').textContent();
    const rawBody = (await page.getByTestId('raw-body').textContent())!;
    const received = receiver.requests.find((r) => r.headers['x-webhook-id'] === testEventId)!;
    assert.equal(rawBody, received.body.toString('utf8'), 'the page shows the exact bytes on the wire');
    assert.equal(header, received.headers['x-webhook-signature']);
    const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
    assert.ok(match, `one signature in ${header}`);
    assert.equal(computeSignature(copiedSecret, Number(match[1]), rawBody), match[2]);
    assert.equal(JSON.parse(rawBody).event, 'user.deleted');
  });

  it('shows three failed attempts when the receiver keeps answering 500', async () => {
    receiver.respondWith((_req, _n, res) => {
      res.statusCode = 500;
      res.setHeader('content-type', 'application/json');
      res.end('{"error":"database unavailable"}');
    });
    const sent = await call<{ deliveries: Array<{ id: string }> }>('POST', `/v1/endpoints/${endpointId}/test`, { event: 'user.new' });
    failedDeliveryId = sent.body.deliveries[0]!.id;
    await page.goto(`/deliveries/${failedDeliveryId}`);
    await page.locator('[data-testid="attempts"] > li').nth(2).waitFor();
    await page.locator('.page-header').getByText('Failed').waitFor();
    assert.equal(await page.locator('[data-testid="attempts"] > li').count(), 3);
    assert.equal(await page.locator('[data-testid="attempts"] .badge-failed', { hasText: 'HTTP 500' }).count(), 3);
    await page.getByText('"error": "database unavailable"').first().waitFor();
    await screenshot(page, 'delivery');
  });

  it('names each copy button on a delivery page after what it copies', async () => {
    await page.getByText('Exact bytes on the wire').click();
    const names = await copyButtonNames(page);
    assert.deepEqual(names, [
      'Copy envelope id',
      'Copy webhook URL',
      'Copy request body',
      'Copy raw request body',
      'Copy response body of attempt 1',
      'Copy response body of attempt 2',
      'Copy response body of attempt 3',
    ]);
    await page.getByRole('button', { name: 'Copy request body' }).click();
    const copied = JSON.parse(await page.evaluate(() => navigator.clipboard.readText())) as { id: string };
    assert.equal(copied.id, await page.getByTestId('envelope-id').textContent());
  });

  it('resends the failed delivery as a new delivery with the same envelope id', async () => {
    receiver.respondWith((_req, _n, res) => void res.end('ok'));
    const envelopeId = await page.getByTestId('envelope-id').textContent();
    await page.getByRole('button', { name: 'Resend' }).click();
    await page.waitForURL(`**/deliveries/*?resent_from=${failedDeliveryId}`);
    await page.locator('.page-header').getByText('Succeeded').waitFor();
    assert.equal(await page.getByTestId('envelope-id').textContent(), envelopeId);
    assert.notEqual(/\/deliveries\/([^/?]+)/.exec(page.url())![1], failedDeliveryId);
  });

  it('filters the delivery log by status', async () => {
    await call('POST', '/v1/endpoints', { url: `${receiver.url}/analytics`, events: ['*'], description: 'Analytics pipeline' });
    await page.goto('/deliveries');
    await page.locator('tbody tr').nth(2).waitFor();
    await page.getByLabel('Status').selectOption('failed');
    await page.waitForURL('**/deliveries?status=failed');
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    assert.equal(await page.locator(`tbody tr[data-delivery-id="${failedDeliveryId}"]`).count(), 1);
    await page.getByLabel('Status').selectOption('');
    await page.locator('tbody tr').nth(2).waitFor();
    await screenshot(page, 'deliveries');
  });

  it('moves the focus to the heading of each page it opens, and not when a filter changes', async () => {
    const focused = () => page.evaluate(() => `${document.activeElement?.tagName} ${document.activeElement?.textContent}`);
    await nav('Event types').click();
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    assert.equal(await focused(), 'H1 Event types');
    await nav('Deliveries').click();
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    assert.equal(await focused(), 'H1 Deliveries');
    await page.getByLabel('Status').focus();
    await page.getByLabel('Status').selectOption('succeeded');
    await page.waitForURL('**/deliveries?status=succeeded');
    assert.match(await focused(), /^SELECT/);
    await page.getByLabel('Status').selectOption('');
  });

  it('gives every landmark of its pages a name of its own', async () => {
    for (const path of ['/webhooks', `/webhooks/${endpointId}`, '/deliveries', `/deliveries/${failedDeliveryId}`, '/event-types', '/webhooks/new']) {
      await page.goto(path);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.locator('.loading').first().waitFor({ state: 'detached' });
      assert.deepEqual(await duplicateLandmarks(page), [], path);
    }
  });

  it('lists webhooks with their events, state and success rate over 24 h', async () => {
    await nav('Webhooks').click();
    const row = page.locator('tr', { hasText: 'CRM sync' });
    await row.getByText('user.deleted').waitFor();
    // The resend succeeded, which ends the failing streak.
    await row.getByText('Healthy').waitFor();
    // Test event (1 success), failed delivery (3 failures), resend (1 success).
    await row.getByText('40%').waitFor();
    await row.getByText('of 5 attempts').waitFor();
    await page.locator('tr', { hasText: 'Analytics pipeline' }).getByText('All events').waitFor();
    await screenshot(page, 'webhooks');
  });

  it('rotates the secret with a grace period, so deliveries carry the new and the previous signature', async () => {
    await page.locator('a', { hasText: receiver.url }).first().click();
    await page.getByRole('button', { name: 'Generate new secret' }).click();
    const dialog = page.getByRole('dialog', { name: 'Generate a new secret' });
    await dialog.getByLabel('Keep the current secret valid for').selectOption('3600');
    await dialog.getByText('each delivery carries two signatures').waitFor();
    await dialog.getByRole('button', { name: 'Generate new secret' }).click();
    await page.getByText('Rotation in progress').waitFor();
    await page.getByRole('button', { name: 'Reveal' }).click();
    const rotated = (await page.getByTestId('secret-value').textContent())!;
    assert.notEqual(rotated, copiedSecret);

    const before = receiver.requests.length;
    await page.getByRole('button', { name: 'Send test event' }).click();
    const [request] = (await receiver.waitForRequests(before + 1)).slice(before);
    const body = request!.body.toString('utf8');
    const match = /^t=(\d+),v1=([0-9a-f]{64}),v1=([0-9a-f]{64})$/.exec(String(request!.headers['x-webhook-signature']));
    assert.ok(match, 'two signatures during the grace period');
    assert.equal(match[2], computeSignature(rotated, Number(match[1]), body));
    assert.equal(match[3], computeSignature(copiedSecret, Number(match[1]), body));

    await page.getByRole('button', { name: 'Revoke previous secret' }).click();
    await page.getByRole('dialog', { name: 'Revoke the previous secret now?' }).getByRole('button', { name: 'Revoke previous secret' }).click();
    await page.getByText('The previous secret is revoked').waitFor();
    assert.equal(await page.getByText('Rotation in progress').count(), 0);
  });

  it("edits the webhook's description, events and delivery settings, saying what is wrong with a setting", async () => {
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel('Description').fill('CRM sync (users)');
    await page.locator('input[value="user.is_contact"]').check();
    await page.getByLabel('Rate limit').fill('five');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Enter a whole number of deliveries per second').waitFor();
    await page.getByLabel('Rate limit').fill('5');
    await page.getByLabel('Retry schedule').fill('1, 30');
    await page.getByLabel('Timeout').fill('4');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: 'Details' }).waitFor();
    await page.getByText('CRM sync (users)').waitFor();
    const saved = await call<{ events: string[]; rate_limit: number; retry_schedule: number[]; timeout: number }>('GET', `/v1/endpoints/${endpointId}`);
    assert.deepEqual(saved.body.events, ['user.new', 'user.is_contact', 'user.deleted']);
    assert.deepEqual([saved.body.rate_limit, saved.body.retry_schedule, saved.body.timeout], [5, [1, 30], 4]);
    await page.getByRole('link', { name: 'Edit' }).click();
    assert.equal(await page.getByLabel('Retry schedule').inputValue(), '1, 30');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('heading', { name: 'Details' }).waitFor();
  });

  it('disables the webhook, which stops test events, and enables it again', async () => {
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.locator('.details .badge', { hasText: 'Disabled' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Send test event' }).isDisabled(), true);
    assert.equal((await call<{ enabled: boolean }>('GET', `/v1/endpoints/${endpointId}`)).body.enabled, false);
    await page.getByRole('button', { name: 'Re-enable' }).click();
    await page.locator('.details .badge', { hasText: 'Healthy' }).waitFor();
  });

  it('deletes a webhook only after confirmation', async () => {
    await nav('Webhooks').click();
    await page.getByRole('link', { name: `${receiver.url}/analytics` }).click();
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this webhook?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete webhook' }).click();
    await page.waitForURL('**/webhooks');
    await page.getByRole('status').filter({ hasText: 'Deleted the webhook Analytics pipeline, with its delivery log and secret.' }).waitFor();
    await page.getByText('CRM sync (users)').waitFor();
    assert.equal(await page.locator('tbody').getByText('Analytics pipeline').count(), 0);
    assert.equal((await call<{ data: unknown[] }>('GET', '/v1/endpoints')).body.data.length, 1);
  });

  it('shows the event catalog with descriptions, schemas and examples', async () => {
    await nav('Event types').click();
    for (const group of ['User', 'Social', 'Event management', 'Reaction', 'Operational']) {
      await page.getByRole('heading', { name: group, exact: true }).waitFor();
    }
    await page.getByText('A user follows another user.').waitFor();
    // The eleven of the wire spec and the four operational types.
    assert.equal(await page.locator('article.event-type').count(), 15);
    await screenshot(page, 'event-types');
  });

  it('signs out, clearing the session cookie', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You have signed out.').waitFor();
    assert.deepEqual(await browser.context.cookies(), []);
    await page.goto('/webhooks');
    await page.waitForURL('**/sign-in?next=%2Fwebhooks');
  });
});
