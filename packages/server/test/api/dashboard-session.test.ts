import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/api/app.js';
import { createMetrics } from '../../src/metrics.js';
import { createTestApi, endpointBody, T0, type TestApi } from '../helpers/fixtures.js';

describe('dashboard sessions', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi({ dashboardDir: null });
  });
  afterEach(() => api.dispose());

  /** Signs in with the organization's API key; returns the cookie header and the CSRF token. */
  async function signIn(headers: Record<string, string> = {}): Promise<{ cookie: string; csrf: string; response: LightMyRequestResponse }> {
    const response = await api.request('POST', '/v1/session', undefined, { ...api.org.headers, ...headers });
    assert.equal(response.statusCode, 201, response.body);
    const session = response.cookies.find((c) => c.name === 'herald_session');
    assert.ok(session, 'a session cookie is set');
    return { cookie: `herald_session=${session.value}`, csrf: response.json().csrf_token, response };
  }

  const withCookie = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, cookie: string, extra: Record<string, string> = {}, body?: unknown) =>
    api.request(method, url, body, { cookie, ...extra });

  it('trades an API key for an HttpOnly, SameSite=Lax cookie valid for 12 hours', async () => {
    const { response } = await signIn();
    const [cookie] = response.cookies;
    assert.equal(cookie!.httpOnly, true);
    assert.equal(cookie!.sameSite, 'Lax');
    assert.equal(cookie!.path, '/');
    assert.equal(cookie!.maxAge, 12 * 3600);
    assert.equal(cookie!.secure, undefined);
    const body = response.json();
    assert.equal(body.organization_id, api.org.id);
    assert.equal(body.expires_at, new Date(T0 + 12 * 3600_000).toISOString());
    assert.equal(body.signed_in_with, 'api_key');
    assert.match(body.csrf_token, /^[A-Za-z0-9_-]{43}$/);
  });

  it('marks the cookie Secure when the browser came over HTTPS through a proxy', async () => {
    const { response } = await signIn({ 'x-forwarded-proto': 'https' });
    assert.equal(response.cookies[0]!.secure, true);
  });

  it('authorizes reading the API with the cookie alone', async () => {
    await api.request('POST', '/v1/endpoints', endpointBody());
    const { cookie } = await signIn();
    const response = await withCookie('GET', '/v1/endpoints', cookie);
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json().data.length, 1);
  });

  it('shows the session and the same CSRF token to GET /v1/session', async () => {
    const { cookie, csrf } = await signIn();
    const response = await withCookie('GET', '/v1/session', cookie);
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json().csrf_token, csrf);
    assert.equal(response.json().organization_id, api.org.id);
  });

  it('refuses a change made with the cookie but without the CSRF header, and writes nothing', async () => {
    const { cookie } = await signIn();
    const response = await withCookie('POST', '/v1/endpoints', cookie, {}, endpointBody());
    assert.equal(response.statusCode, 403, response.body);
    assert.equal(response.json().error.code, 'csrf_token_invalid');
    assert.equal(response.json().error.field, 'x-herald-csrf');
    assert.deepEqual((await api.store.listEndpoints(api.org.id)).length, 0);
  });

  it('refuses a change made with the cookie and a wrong CSRF header', async () => {
    const { cookie, csrf } = await signIn();
    const wrong = `${csrf.slice(0, -1)}${csrf.endsWith('A') ? 'B' : 'A'}`;
    const response = await withCookie('POST', '/v1/endpoints', cookie, { 'x-herald-csrf': wrong }, endpointBody());
    assert.equal(response.statusCode, 403);
    assert.equal(response.json().error.code, 'csrf_token_invalid');
  });

  it('accepts a change made with the cookie and its CSRF header', async () => {
    const { cookie, csrf } = await signIn();
    const response = await withCookie('POST', '/v1/endpoints', cookie, { 'x-herald-csrf': csrf }, endpointBody());
    assert.equal(response.statusCode, 201, response.body);
  });

  it('leaves API-key requests alone: no CSRF header needed, a stray cookie ignored', async () => {
    const response = await api.request('POST', '/v1/endpoints', endpointBody(), {
      ...api.org.headers,
      cookie: 'herald_session=garbage',
    });
    assert.equal(response.statusCode, 201, response.body);
  });

  it('refuses a session once its 12 hours are over, and clears the cookie in the same answer', async () => {
    const { cookie } = await signIn();
    api.clock.advance(12 * 3600_000);
    const response = await withCookie('GET', '/v1/endpoints', cookie);
    assert.equal(response.statusCode, 401);
    assert.match(response.json().error.message, /session has expired/);
    assert.equal(response.cookies[0]!.name, 'herald_session');
    assert.equal(response.cookies[0]!.maxAge, 0);
  });

  it('refuses a session cookie that was tampered with', async () => {
    const { cookie } = await signIn();
    const [claims, signature] = cookie.slice('herald_session='.length).split('.') as [string, string];
    const forged = JSON.parse(Buffer.from(claims, 'base64url').toString()) as { o: string };
    forged.o = '01900000-0000-7000-8000-000000000000';
    const response = await withCookie('GET', '/v1/endpoints', `herald_session=${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`);
    assert.equal(response.statusCode, 401);
    assert.equal(response.json().error.field, 'cookie');
  });

  it('signs out by clearing the cookie', async () => {
    const { cookie, csrf } = await signIn();
    const response = await withCookie('DELETE', '/v1/session', cookie, { 'x-herald-csrf': csrf });
    assert.equal(response.statusCode, 204);
    assert.equal(response.cookies[0]!.value, '');
    assert.equal(response.cookies[0]!.maxAge, 0);
  });

  it('does not start a new session from a session: that needs the API key', async () => {
    const { cookie, csrf } = await signIn();
    const response = await withCookie('POST', '/v1/session', cookie, { 'x-herald-csrf': csrf });
    assert.equal(response.statusCode, 403);
    assert.equal(response.json().error.code, 'forbidden');
  });

  it('answers 404 to GET /v1/session made with an API key: there is no session to show', async () => {
    const response = await api.request('GET', '/v1/session');
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().error.field, 'cookie');
  });

  it('keeps sessions valid across a restart, because the signing key is stored in the database', async () => {
    const { cookie } = await signIn();
    const restarted = buildApp({
      store: api.store,
      catalog: api.catalog,
      metrics: createMetrics(),
      clock: api.clock,
      version: '0.0.0-test',
      dashboardDir: null,
    });
    try {
      const response = await restarted.inject({ method: 'GET', url: '/v1/endpoints', headers: { cookie } });
      assert.equal(response.statusCode, 200, response.body);
    } finally {
      await restarted.close();
    }
  });

  it("does not accept another database's sessions", async () => {
    const { cookie } = await signIn();
    const other = await createTestApi({ dashboardDir: null });
    try {
      const response = await other.request('GET', '/v1/endpoints', undefined, { cookie });
      assert.equal(response.statusCode, 401);
    } finally {
      await other.dispose();
    }
  });
});
