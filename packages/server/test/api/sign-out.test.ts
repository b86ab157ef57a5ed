import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { issueApiKey } from '../../src/bootstrap.js';
import { createOrganization, createTestApi, T0, type TestApi } from '../helpers/fixtures.js';

/** Server-side sessions: sign-out, sign out everywhere, single-use portal links and no silent switching. */
describe('ending sessions and using portal links once', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi({ dashboardDir: null });
  });
  afterEach(() => api.dispose());

  const cookieOf = (response: { cookies: Array<{ name: string; value: string }> }) =>
    `herald_session=${response.cookies.find((c) => c.name === 'herald_session')!.value}`;

  async function signIn(headers = api.org.headers) {
    const response = await api.request('POST', '/v1/session', undefined, headers);
    assert.equal(response.statusCode, 201, response.body);
    return { cookie: cookieOf(response), csrf: response.json().csrf_token as string };
  }

  async function portalLink(body: unknown = {}, headers = api.org.headers) {
    const response = await api.request('POST', '/v1/portal-links', body, headers);
    assert.equal(response.statusCode, 201, response.body);
    const url = new URL(response.json().url);
    return { path: `${url.pathname}${url.search}`, token: url.searchParams.get('token')!, expiresAt: response.json().expires_at as string };
  }

  const open = (path: string, cookie?: string) => api.app.inject({ method: 'GET', url: path, headers: cookie ? { cookie } : {} });
  const endpointsWith = (cookie: string) => api.request('GET', '/v1/endpoints', undefined, { cookie });

  it('refuses a copy of the cookie taken before sign-out', async () => {
    const { cookie, csrf } = await signIn();
    const copy = cookie;
    assert.equal((await api.request('DELETE', '/v1/session', undefined, { cookie, 'x-herald-csrf': csrf })).statusCode, 204);
    const refused = await endpointsWith(copy);
    assert.equal(refused.statusCode, 401);
    assert.match(refused.json().error.message, /ended/);
  });

  it('signs every session of the organization out everywhere, and no other organization', async () => {
    const first = await signIn();
    const second = await signIn();
    const other = await createOrganization(api.store, api.clock, 'Globex');
    const theirs = await signIn(other.headers);
    const ended = await api.request('DELETE', '/v1/sessions', undefined, { cookie: first.cookie, 'x-herald-csrf': first.csrf });
    assert.equal(ended.statusCode, 200, ended.body);
    assert.equal(ended.json().ended, 2);
    assert.equal((await endpointsWith(first.cookie)).statusCode, 401);
    assert.equal((await endpointsWith(second.cookie)).statusCode, 401);
    assert.equal((await endpointsWith(theirs.cookie)).statusCode, 200);
  });

  it('ends the sessions a key started when the key is revoked', async () => {
    const { id, apiKey } = await issueApiKey(api.store, api.clock, { organizationId: api.org.id, scope: 'admin' });
    const { cookie } = await signIn({ authorization: `Bearer ${apiKey}` });
    assert.equal((await endpointsWith(cookie)).statusCode, 200);
    assert.equal((await api.request('DELETE', `/v1/api-keys/${id}`)).statusCode, 204);
    assert.equal((await endpointsWith(cookie)).statusCode, 401);
  });

  it('opens a portal link once; a second opening gets a page that says it was used, and no cookie', async () => {
    const link = await portalLink();
    const first = await open(link.path);
    assert.equal(first.statusCode, 303);
    const again = await open(link.path);
    assert.equal(again.statusCode, 410);
    assert.match(again.body, /This link has already been used/);
    assert.equal(again.cookies.length, 0);
    // The browser that opened it just goes back to its dashboard.
    const sameBrowser = await open(link.path, cookieOf(first));
    assert.equal(sameBrowser.statusCode, 303);
    assert.equal(sameBrowser.headers.location, '/webhooks');
  });

  it("ends a portal session when its link would have expired, not 12 hours later", async () => {
    const link = await portalLink({ expires_in_seconds: 120 });
    const opened = await open(link.path);
    const session = await api.request('GET', '/v1/session', undefined, { cookie: cookieOf(opened) });
    assert.equal(session.json().expires_at, new Date(T0 + 120_000).toISOString());
    assert.equal(session.json().scope, 'portal');
    assert.equal(opened.cookies[0]!.maxAge, 120);
    api.clock.advance(119_000);
    assert.equal((await endpointsWith(cookieOf(opened))).statusCode, 200);
    api.clock.advance(1000);
    assert.equal((await endpointsWith(cookieOf(opened))).statusCode, 401);
  });

  it("asks before switching a browser signed in to one organization to another's portal link, naming both", async () => {
    await api.store.updateOrganizationProfile(api.org.id, { name: 'Acme <Inc>' });
    const other = await createOrganization(api.store, api.clock, 'Globex');
    const mine = await signIn();
    const link = await portalLink({}, other.headers);
    const page = await open(link.path, mine.cookie);
    assert.equal(page.statusCode, 200);
    assert.equal(page.cookies.length, 0, 'nothing changes until the switch is confirmed');
    assert.match(page.body, /signed in to <strong>Acme &#60;Inc&#62;<\/strong>/);
    assert.match(page.body, /Switch to Globex/);
    assert.equal(await api.store.portalLinkUsed(JSON.parse(Buffer.from(link.token.split('.')[0]!, 'base64url').toString()).i), false);

    const form = (confirm: string) =>
      api.app.inject({
        method: 'POST',
        url: '/portal',
        headers: { cookie: mine.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ token: link.token, confirm }).toString(),
      });
    // Another site can post the form, but not with the token only Herald's page carries.
    const forged = await form('not-the-token');
    assert.equal(forged.statusCode, 403);
    assert.equal(forged.cookies.length, 0);
    const confirm = /name="confirm" value="([^"]+)"/.exec(page.body)![1]!;
    const switched = await form(confirm);
    assert.equal(switched.statusCode, 303, switched.body);
    const session = await api.request('GET', '/v1/session', undefined, { cookie: cookieOf(switched) });
    assert.equal(session.json().organization_id, other.id);
    assert.equal(session.json().organization_name, 'Globex');
    assert.equal((await endpointsWith(mine.cookie)).statusCode, 401, 'the replaced session ended');
  });

  it('signs in at once when the browser is signed in to the same organization', async () => {
    const mine = await signIn();
    const opened = await open((await portalLink()).path, mine.cookie);
    assert.equal(opened.statusCode, 303);
  });
});
