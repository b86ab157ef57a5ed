import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { issueApiKey } from '../../src/bootstrap.js';
import { createTestApi, endpointBody, publishBody, type TestApi } from '../helpers/fixtures.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
type Holder = 'admin' | 'publish' | 'read' | 'portal';

/**
 * Each scope's allowed and refused routes, as a table. "Allowed" means not refused for scope: the
 * route may still answer 404 or 409 on its own terms. A refusal is 403 `insufficient_scope` naming
 * the scope the route needs, and changes nothing.
 */
const TABLE: Array<{ method: Method; path: string; body?: unknown; needs: 'read' | 'publish' | 'admin'; portal: boolean }> = [
  { method: 'GET', path: '/v1/endpoints', needs: 'read', portal: true },
  { method: 'GET', path: '/v1/endpoints/:endpoint/secret', needs: 'read', portal: true },
  { method: 'GET', path: '/v1/deliveries', needs: 'read', portal: true },
  { method: 'GET', path: '/v1/events', needs: 'read', portal: true },
  { method: 'GET', path: '/v1/event-types', needs: 'read', portal: true },
  { method: 'POST', path: '/v1/endpoints', body: endpointBody(), needs: 'admin', portal: true },
  { method: 'PATCH', path: '/v1/endpoints/:endpoint', body: { description: 'changed' }, needs: 'admin', portal: true },
  { method: 'POST', path: '/v1/endpoints/:endpoint/secret/rotate', body: {}, needs: 'admin', portal: true },
  { method: 'POST', path: '/v1/endpoints/:endpoint/test', body: {}, needs: 'admin', portal: true },
  { method: 'POST', path: '/v1/deliveries/:delivery/resend', needs: 'admin', portal: true },
  { method: 'POST', path: '/v1/endpoints/:endpoint/recover', body: { since: '2025-12-31T00:00:00Z' }, needs: 'admin', portal: true },
  { method: 'GET', path: '/v1/endpoints/:endpoint/recoveries', needs: 'read', portal: true },
  { method: 'POST', path: '/v1/events', body: publishBody(), needs: 'publish', portal: false },
  { method: 'POST', path: '/v1/portal-links', body: {}, needs: 'admin', portal: false },
  { method: 'GET', path: '/v1/api-keys', needs: 'admin', portal: false },
  { method: 'POST', path: '/v1/api-keys', body: { scope: 'read' }, needs: 'admin', portal: false },
  { method: 'DELETE', path: '/v1/sessions', needs: 'admin', portal: false },
];

function allowed(holder: Holder, row: (typeof TABLE)[number]): boolean {
  switch (holder) {
    case 'admin':
      return true;
    case 'publish':
      return row.needs === 'publish';
    case 'read':
      return row.needs === 'read';
    case 'portal':
      return row.portal;
  }
}

describe('scopes', () => {
  let api: TestApi;
  let ids: { endpoint: string; delivery: string };
  beforeEach(async () => {
    api = await createTestApi({ dashboardDir: null });
    const endpoint = (await api.request('POST', '/v1/endpoints', endpointBody())).json();
    const event = (await api.request('POST', '/v1/events', publishBody())).json();
    ids = { endpoint: endpoint.id, delivery: event.deliveries[0].id };
  });
  afterEach(() => api.dispose());

  /** Request headers that act as `holder`: a key of that scope, or a portal session's cookie and CSRF token. */
  async function credentialsOf(holder: Holder): Promise<Record<string, string>> {
    if (holder !== 'portal') {
      const { apiKey } = await issueApiKey(api.store, api.clock, { organizationId: api.org.id, scope: holder });
      return { authorization: `Bearer ${apiKey}` };
    }
    const link = (await api.request('POST', '/v1/portal-links', {})).json();
    const opened = await api.app.inject({ method: 'GET', url: new URL(link.url).pathname + new URL(link.url).search });
    const cookie = `herald_session=${opened.cookies[0]!.value}`;
    const csrf = (await api.request('GET', '/v1/session', undefined, { cookie })).json().csrf_token;
    return { cookie, 'x-herald-csrf': csrf };
  }

  for (const holder of ['admin', 'publish', 'read', 'portal'] as const) {
    it(`${holder === 'portal' ? 'a portal session' : `a ${holder} key`} may do what its scope allows and is refused the rest, naming the scope needed`, async () => {
      const headers = await credentialsOf(holder);
      const seen: string[] = [];
      for (const row of TABLE) {
        const url = row.path.replace(':endpoint', ids.endpoint).replace(':delivery', ids.delivery);
        const before = await api.store.listEndpoints(api.org.id);
        const response = await api.request(row.method, url, row.body, headers);
        const name = `${row.method} ${row.path}`;
        if (allowed(holder, row)) {
          assert.notEqual(response.statusCode, 403, `${name} should be allowed: ${response.body}`);
          seen.push(`${name} allowed`);
        } else {
          assert.equal(response.statusCode, 403, `${name} should be refused: ${response.body}`);
          assert.equal(response.json().error.code, 'insufficient_scope', name);
          assert.match(response.json().error.message, new RegExp(`"${row.needs}"`), name);
          assert.deepEqual(await api.store.listEndpoints(api.org.id), before, `${name} changed nothing`);
          seen.push(`${name} refused`);
        }
      }
      assert.equal(seen.length, TABLE.length);
    });
  }

  it('lets a dashboard session do only what the key it was started with may do', async () => {
    const { apiKey } = await issueApiKey(api.store, api.clock, { organizationId: api.org.id, scope: 'read' });
    const signedIn = await api.request('POST', '/v1/session', undefined, { authorization: `Bearer ${apiKey}` });
    assert.equal(signedIn.json().scope, 'read');
    const headers = { cookie: `herald_session=${signedIn.cookies[0]!.value}`, 'x-herald-csrf': signedIn.json().csrf_token };
    assert.equal((await api.request('GET', '/v1/endpoints', undefined, headers)).statusCode, 200);
    const refused = await api.request('POST', '/v1/endpoints', endpointBody(), headers);
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().error.code, 'insufficient_scope');
  });

  it('keeps a portal session to its own organization', async () => {
    const headers = await credentialsOf('portal');
    const other = await api.request('GET', `/v1/organizations/${api.org.id}/endpoints`, undefined, headers);
    assert.equal(other.statusCode, 403);
    assert.equal((await api.request('GET', '/v1/organizations', undefined, headers)).statusCode, 403);
  });
});
