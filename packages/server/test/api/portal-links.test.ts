import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createOrganization, createTestApi, endpointBody, T0, type TestApi } from '../helpers/fixtures.js';

describe('portal links', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi({ dashboardDir: null });
  });
  afterEach(() => api.dispose());

  const createLink = async (body: unknown = {}, headers: Record<string, string> = {}) => {
    const response = await api.request('POST', '/v1/portal-links', body, { ...api.org.headers, ...headers });
    assert.equal(response.statusCode, 201, response.body);
    return response.json() as { url: string; expires_at: string };
  };
  const open = (url: string) => {
    const { pathname, search } = new URL(url);
    return api.app.inject({ method: 'GET', url: `${pathname}${search}` });
  };
  const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;

  it('makes a link that can be opened for one hour by default', async () => {
    const link = await createLink();
    assert.match(link.url, /^http:\/\/localhost:80\/portal\?token=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    assert.equal(link.expires_at, new Date(T0 + 3600_000).toISOString());
  });

  it('takes expires_in_seconds from 60 s to 24 h', async () => {
    assert.equal((await createLink({ expires_in_seconds: 120 })).expires_at, new Date(T0 + 120_000).toISOString());
    for (const seconds of [59, 86_401]) {
      const response = await api.request('POST', '/v1/portal-links', { expires_in_seconds: seconds });
      assert.equal(response.statusCode, 400, `${seconds} s`);
      assert.equal(response.json().error.field, 'expires_in_seconds');
    }
  });

  it('builds an https link with the public host when behind a TLS-terminating proxy', async () => {
    const link = await createLink({}, { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'webhooks.example.com' });
    assert.match(link.url, /^https:\/\/webhooks\.example\.com\/portal\?token=/);
  });

  it("signs the holder in to the organization's dashboard and redirects to the webhooks page", async () => {
    await api.request('POST', '/v1/endpoints', endpointBody());
    const response = await open((await createLink()).url);
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/webhooks');
    const [cookie] = response.cookies;
    assert.equal(cookie!.name, 'herald_session');
    assert.equal(cookie!.httpOnly, true);
    const session = await api.request('GET', '/v1/session', undefined, { cookie: `herald_session=${cookie!.value}` });
    assert.equal(session.json().organization_id, api.org.id);
    assert.equal(session.json().signed_in_with, 'portal_link');
    const endpoints = await api.request('GET', '/v1/endpoints', undefined, { cookie: `herald_session=${cookie!.value}` });
    assert.equal(endpoints.json().data.length, 1);
  });

  it('signs in to the organization that made the link and no other', async () => {
    await api.request('POST', '/v1/endpoints', endpointBody());
    const other = await createOrganization(api.store, api.clock, 'Globex');
    const response = await open((await createLink({}, other.headers)).url);
    const cookie = `herald_session=${response.cookies[0]!.value}`;
    assert.equal((await api.request('GET', '/v1/endpoints', undefined, { cookie })).json().data.length, 0);
  });

  it('refuses an expired link with a page that says so, and sets no cookie', async () => {
    const link = await createLink();
    api.clock.advance(3600_000);
    const response = await open(link.url);
    assert.equal(response.statusCode, 410);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.match(response.body, /<h1>This link has expired<\/h1>/);
    assert.equal(response.cookies.length, 0);
    assert.equal(response.headers['cache-control'], 'no-store');
  });

  it('refuses a link whose signature was altered, with a page and no cookie', async () => {
    const link = await createLink();
    const token = tokenOf(link.url);
    const altered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    const response = await api.app.inject({ method: 'GET', url: `/portal?token=${altered}` });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /<h1>This link is not valid<\/h1>/);
    assert.equal(response.cookies.length, 0);
  });

  for (const [what, url] of [
    ['no token', '/portal'],
    ['an empty token', '/portal?token='],
    ['a token given twice', '/portal?token=a.b&token=c.d'],
    ['garbage', '/portal?token=%3Cscript%3E'],
  ] as const) {
    it(`answers a link with ${what} with a page, not an error trace`, async () => {
      const response = await api.app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 400);
      assert.match(String(response.headers['content-type']), /^text\/html/);
      assert.doesNotMatch(response.body, /<script>/);
    });
  }

  it('does not take a session cookie as a portal token, nor a portal token as a session cookie', async () => {
    const signIn = await api.request('POST', '/v1/session');
    const sessionToken = signIn.cookies[0]!.value;
    assert.equal((await api.app.inject({ method: 'GET', url: `/portal?token=${sessionToken}` })).statusCode, 400);
    const portalToken = tokenOf((await createLink()).url);
    const asCookie = await api.request('GET', '/v1/endpoints', undefined, { cookie: `herald_session=${portalToken}` });
    assert.equal(asCookie.statusCode, 401);
  });

  it('cannot be made from a dashboard session, so a portal session cannot extend itself', async () => {
    const signIn = await api.request('POST', '/v1/session');
    const cookie = `herald_session=${signIn.cookies[0]!.value}`;
    const response = await api.request('POST', '/v1/portal-links', {}, { cookie, 'x-herald-csrf': signIn.json().csrf_token });
    assert.equal(response.statusCode, 403);
    assert.equal(response.json().error.code, 'forbidden');
  });

  it('needs an API key', async () => {
    const response = await api.request('POST', '/v1/portal-links', {}, {});
    assert.equal(response.statusCode, 401);
  });
});
