import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { api, startHeraldProcess, type HeraldProcess } from '../../../test-support/herald-process.js';
import { startReceiver, type Receiver } from '../../../test-support/receiver.js';
import { requireOrSkip } from '../../../test-support/skip.js';
import { makeTempDir } from '../../../test-support/temp-dir.js';
import { chromiumAvailable, CHROMIUM_PATH, launchBrowser, screenshot, type BrowserSession } from './browser.js';

/**
 * A webhook that breaks and is mended, in Chromium against a real `herald serve` and a real
 * receiver: its health badge in the list, the reason it is disabled, Re-enable, and recovering what
 * it missed, with the count before confirming and the progress after.
 */
describe('endpoint health and recovery in Chromium', () => {
  if (!chromiumAvailable()) {
    it('runs the browser suite', (t) => {
      requireOrSkip(t, false, `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set HERALD_CHROMIUM)`);
    });
    return;
  }

  const dir = makeTempDir('herald-health-');
  let herald: HeraldProcess;
  let receiver: Receiver;
  let browser: BrowserSession;
  let page: Page;
  let apiKey: string;
  let endpointId: string;
  let failedEventIds: string[];
  let answer = 500;

  const call = <T>(method: string, path: string, body?: unknown) => api<T>(herald.url, apiKey, method, path, body);
  const row = () => page.locator('tr', { hasText: 'Billing sync' });

  before(async () => {
    receiver = await startReceiver((_request, _n, res) => void res.writeHead(answer).end());
    herald = await startHeraldProcess(['--db', join(dir.path, 'herald.db'), '--allow-private-networks', '--retry-schedule', '100ms']);
    apiKey = herald.apiKey!;
    browser = await launchBrowser({ baseURL: herald.url });
    page = browser.page;
    const created = await call<{ id: string }>('POST', '/v1/endpoints', { url: receiver.url, events: ['user.new'], description: 'Billing sync' });
    endpointId = created.body.id;
  });

  after(async () => {
    await browser?.close();
    await herald?.stop();
    await receiver?.close();
    dir.remove();
  });

  it('shows a webhook that has not failed as Healthy', async () => {
    await page.goto('/sign-in');
    await page.getByLabel('API key').fill(apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/webhooks');
    await row().getByText('Healthy').waitFor();
  });

  it('marks a webhook whose deliveries fail as failing, with the time its streak began', async () => {
    failedEventIds = [];
    for (const user of ['u1', 'u2', 'u3']) {
      const published = await call<{ id: string }>('POST', '/v1/events', {
        event: 'user.new',
        payload: { organization_id: 'o', user_id: user, email: 'a@example.com', phone: '+14155552671', full_name: 'A' },
      });
      failedEventIds.push(published.body.id);
    }
    await receiver.waitForRequests(6);
    await eventually(async () => (await call<{ data: unknown[] }>('GET', '/v1/deliveries?status=failed')).body.data.length === 3);
    // The streak is written just after the attempt's record: wait for it before the page reads it.
    await eventually(async () => (await call<{ failing_since: string | null }>('GET', `/v1/endpoints/${endpointId}`)).body.failing_since !== null);
    await page.reload();
    await row().getByText(/Failing since/).waitFor();
  });

  it('shows a disabled webhook with its reason, and its failed deliveries can be counted but not recovered until it is re-enabled', async () => {
    assert.equal((await call('PATCH', `/v1/endpoints/${endpointId}`, { enabled: false })).status, 200);
    await page.reload();
    await row().getByText('Disabled: manual').waitFor();
    await screenshot(page, 'webhooks-health');

    await row().getByRole('link').first().click();
    await page.locator('.details .badge', { hasText: 'Disabled: manual' }).waitFor();
    await page.getByText('It was disabled by hand.').waitFor();
    await page.getByLabel('Recover failed deliveries since').fill('2020-01-01T00:00:00');
    await page.getByText(/^3 failed deliveries since .* can be sent again\.$/).waitFor();
    assert.equal(await page.getByRole('button', { name: /^Recover/ }).isDisabled(), true);
    await page.getByText('Re-enable this webhook to recover').waitFor();
  });

  it('re-enables the webhook, then recovers its failed deliveries once each, showing the progress', async () => {
    answer = 200;
    await page.getByRole('button', { name: 'Re-enable' }).click();
    await page.locator('.details .badge', { hasText: 'Disabled' }).waitFor({ state: 'detached' });
    const before = receiver.requests.length;
    await page.getByRole('button', { name: 'Recover 3 deliveries' }).click();
    const dialog = page.getByRole('dialog', { name: 'Send 3 deliveries again?' });
    await dialog.getByRole('button', { name: 'Recover' }).click();
    await page.getByText('3 of 3 delivered · 0 failed · 0 pending').waitFor();
    await page.getByText('Recovery finished').waitFor();
    await screenshot(page, 'webhook-recovered');
    const resent = receiver.requests.slice(before).map((r) => String(r.headers['x-webhook-id']));
    assert.deepEqual(resent.sort(), [...failedEventIds].sort());

    await page.getByRole('button', { name: 'Recover more' }).click();
    await page.getByLabel('Recover failed deliveries since').fill('2020-01-01T00:00:00');
    await page.getByText(/^No failed deliveries to recover since/).waitFor();
    assert.equal(receiver.requests.length, before + 3);
  });

  it('shows a delivery waiting for its retry as "Retrying", with its attempt of the endpoint’s schedule and when the next is due', async () => {
    answer = 500;
    assert.equal((await call('PATCH', `/v1/endpoints/${endpointId}`, { retry_schedule: [120] })).status, 200);
    await page.reload();
    const sent = await call<{ deliveries: Array<{ id: string }> }>('POST', `/v1/endpoints/${endpointId}/test`, { event: 'user.new' });
    const row = page.locator(`tr[data-delivery-id="${sent.body.deliveries[0]!.id}"]`);
    await row.getByText(/Retrying · attempt 2 of 2 · next in (1|2) min/).waitFor();
  });
});

async function eventually(probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > giveUpAt) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
