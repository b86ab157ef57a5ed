import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSessions } from '../../server/src/api/sessions.js';
import { openSqliteStore } from '../../server/src/store/sqlite/sqlite-store.js';
import { api, startHeraldProcess, type HeraldProcess } from '../../../test-support/herald-process.js';
import { requireOrSkip } from '../../../test-support/skip.js';
import { makeTempDir } from '../../../test-support/temp-dir.js';
import { chromiumAvailable, CHROMIUM_PATH, launchBrowser, type BrowserSession } from './browser.js';

/** A platform hands its customer a portal link; the customer's browser opens it. */
describe('portal links in Chromium', () => {
  if (!chromiumAvailable()) {
    it('runs the browser suite', (t) => {
      requireOrSkip(t, false, `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set HERALD_CHROMIUM)`);
    });
    return;
  }

  const dir = makeTempDir('herald-portal-');
  const db = join(dir.path, 'herald.db');
  let herald: HeraldProcess;
  let browser: BrowserSession;

  before(async () => {
    herald = await startHeraldProcess(['--db', db, '--no-dispatch']);
    await api(herald.url, herald.apiKey!, 'POST', '/v1/endpoints', {
      url: 'https://crm.example.com/webhooks',
      events: ['user.new'],
      description: 'CRM sync',
    });
    browser = await launchBrowser({ baseURL: herald.url });
  });

  after(async () => {
    await browser?.close();
    await herald?.stop();
    dir.remove();
  });

  /** A portal token signed with this server's own key, as it would have been issued at `issuedAt`. */
  async function portalTokenIssuedAt(issuedAt: number, lifetimeMs: number): Promise<string> {
    const store = await openSqliteStore(db);
    try {
      const organizationId = /Organization:\s+(\S+)/.exec(herald.output())![1]!;
      const signer = await createSessions(store, { now: () => issuedAt }).signer();
      return signer.sign('portal', { id: randomUUID(), organizationId, expiresAt: issuedAt + lifetimeMs, signedInWith: 'portal_link' });
    } finally {
      await store.close();
    }
  }

  it("signs the holder of a portal link in to the organization's dashboard", async () => {
    const link = await api<{ url: string; expires_at: string }>(herald.url, herald.apiKey!, 'POST', '/v1/portal-links', {});
    assert.equal(link.status, 201);
    await browser.page.goto(link.body.url);
    await browser.page.waitForURL('**/webhooks');
    await browser.page.getByText('https://crm.example.com/webhooks').waitFor();
    const [cookie] = await browser.context.cookies();
    assert.equal(cookie?.name, 'herald_session');
    assert.equal(cookie.httpOnly, true);
    await browser.context.clearCookies();
  });

  it('refuses a portal link that expired, with a page that says so and sets no cookie', async () => {
    const token = await portalTokenIssuedAt(Date.now() - 2 * 3600_000, 3600_000);
    const response = await browser.page.goto(`/portal?token=${token}`);
    assert.equal(response?.status(), 410);
    await browser.page.getByRole('heading', { name: 'This link has expired' }).waitFor();
    assert.deepEqual(await browser.context.cookies(), []);
  });

  it('refuses a portal link whose token was tampered with', async () => {
    const link = (await api<{ url: string }>(herald.url, herald.apiKey!, 'POST', '/v1/portal-links', {})).body.url;
    const url = new URL(link);
    const token = url.searchParams.get('token')!;
    // Re-point the claims at another organization, keeping the signature.
    const [claims, signature] = token.split('.') as [string, string];
    const forged = JSON.parse(Buffer.from(claims, 'base64url').toString()) as { o: string };
    forged.o = '01900000-0000-7000-8000-000000000000';
    const response = await browser.page.goto(`/portal?token=${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`);
    assert.equal(response?.status(), 400);
    await browser.page.getByRole('heading', { name: 'This link is not valid' }).waitFor();
    assert.deepEqual(await browser.context.cookies(), []);
  });
});
