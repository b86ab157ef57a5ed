import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { api, startHeraldProcess, type HeraldProcess } from '../../../test-support/herald-process.js';
import { requireOrSkip } from '../../../test-support/skip.js';
import { makeTempDir } from '../../../test-support/temp-dir.js';
import { chromiumAvailable, CHROMIUM_PATH, launchBrowser, type BrowserSession } from './browser.js';

const OPERATOR_KEY = 'dashboard-operator-key-0123456789abcdef';

/**
 * A platform with two customers, in Chromium: each customer's portal link, the organization's name in
 * the header, what a portal session may not do, the confirmation before switching organizations, and
 * the portal embedded in the platform's own page on another origin.
 */
describe('organizations and the portal in Chromium', () => {
  if (!chromiumAvailable()) {
    it('runs the browser suite', (t) => {
      requireOrSkip(t, false, `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set HERALD_CHROMIUM)`);
    });
    return;
  }

  const dir = makeTempDir('herald-tenancy-');
  let herald: HeraldProcess;
  let platform: Server;
  let platformOrigin: string;
  let browser: BrowserSession;

  const operator = <T>(method: string, path: string, body?: unknown) => api<T>(herald.url, OPERATOR_KEY, method, path, body);
  const portalLink = async (uid: string) => {
    const link = await operator<{ url: string }>('POST', `/v1/organizations/${uid}/portal-links`, {});
    assert.equal(link.status, 201);
    return link.body.url;
  };

  before(async () => {
    // The platform's own app, on another origin (127.0.0.1 vs localhost are different sites), serving
    // the page whose iframe src a test sets.
    let framePage = '';
    platform = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(framePage));
    await new Promise<void>((resolve) => platform.listen(0, '127.0.0.1', resolve));
    platformOrigin = `http://127.0.0.1:${(platform.address() as AddressInfo).port}`;
    (platform as Server & { setPage?: (html: string) => void }).setPage = (html) => void (framePage = html);

    herald = await startHeraldProcess(['--db', join(dir.path, 'herald.db'), '--no-dispatch', '--portal-frame-ancestors', platformOrigin], {
      HERALD_OPERATOR_KEY: OPERATOR_KEY,
    });
    for (const [uid, name] of [['acme', 'Acme Inc'], ['globex', 'Globex']] as const) {
      assert.equal((await operator('POST', '/v1/organizations', { uid, name })).status, 201);
      await operator('POST', `/v1/organizations/${uid}/endpoints`, { url: `https://${uid}.example.com/webhooks`, events: ['user.new'] });
    }
    browser = await launchBrowser({ baseURL: herald.url });
  });

  after(async () => {
    await browser?.close();
    await herald?.stop();
    await new Promise((resolve) => platform?.close(resolve));
    dir.remove();
  });

  it("shows the organization's name in the header, with its uid on hover", async () => {
    const { page } = browser;
    await page.goto(await portalLink('acme'));
    await page.waitForURL('**/webhooks');
    const badge = page.getByTestId('organization');
    await badge.getByText('Acme Inc').waitFor();
    assert.match((await badge.getAttribute('title')) ?? '', /uid acme/);
    await page.getByText('https://acme.example.com/webhooks').waitFor();
  });

  it('refuses to let a portal session publish, and says why in the page', async () => {
    const { page } = browser;
    const answer = await page.evaluate(async () => {
      const session = (await (await fetch('/v1/session')).json()) as { csrf_token: string; scope: string };
      const response = await fetch('/v1/events', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-herald-csrf': session.csrf_token },
        body: JSON.stringify({ event: 'user.new', payload: { organization_id: 'x', user_id: 'u', email: null, phone: null, full_name: null } }),
      });
      return { scope: session.scope, status: response.status, body: (await response.json()) as { error: { code: string; message: string } } };
    });
    assert.equal(answer.scope, 'portal');
    assert.equal(answer.status, 403);
    assert.equal(answer.body.error.code, 'insufficient_scope');
    assert.match(answer.body.error.message, /"publish"/);
  });

  it("asks before switching to another organization's link, naming both, and switches only when confirmed", async () => {
    const { page } = browser;
    await page.goto(await portalLink('globex'));
    await page.getByRole('heading', { name: 'Switch organization?' }).waitFor();
    const text = await page.locator('main').innerText();
    assert.match(text, /signed in to Acme Inc/);
    assert.match(text, /signs you in to Globex instead/);
    await page.getByRole('button', { name: 'Switch to Globex' }).click();
    await page.waitForURL('**/webhooks');
    await page.getByTestId('organization').getByText('Globex').waitFor();
    await page.getByText('https://globex.example.com/webhooks').waitFor();
  });

  it("embeds the portal in the platform's page on another origin, signed in inside the iframe", async () => {
    const embedded = await launchBrowser({ baseURL: platformOrigin });
    try {
      const link = new URL(await portalLink('acme'));
      // Herald reached as localhost: a secure context for the browser, so its SameSite=None cookie is kept.
      const src = `http://localhost:${new URL(herald.url).port}${link.pathname}${link.search}`;
      (platform as Server & { setPage: (html: string) => void }).setPage(
        `<!doctype html><title>Platform</title><h1>Your webhooks</h1><iframe src="${src}" width="1200" height="800"></iframe>`,
      );
      await embedded.page.goto('/');
      const frame = embedded.page.frameLocator('iframe');
      await frame.getByText('https://acme.example.com/webhooks').waitFor();
      await frame.getByTestId('organization').getByText('Acme Inc').waitFor();
    } finally {
      await embedded.close();
    }
  });
});
