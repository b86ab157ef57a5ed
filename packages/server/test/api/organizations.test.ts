import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { issueApiKey } from '../../src/bootstrap.js';
import { countRows, createTestApi, endpointBody, publishBody, type TestApi } from '../helpers/fixtures.js';

/** The operator API: the platform's own key manages organizations and acts inside any of them. */
describe('the operator API', () => {
  let api: TestApi;
  let operator: Record<string, string>;
  beforeEach(async () => {
    api = await createTestApi({ dashboardDir: null });
    const { apiKey } = await issueApiKey(api.store, api.clock, { organizationId: null, name: 'platform' });
    operator = { authorization: `Bearer ${apiKey}` };
  });
  afterEach(() => api.dispose());

  const asOperator = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, extra: Record<string, string> = {}) =>
    api.request(method, url, body, { ...operator, ...extra });

  const createOrg = async (uid: string, name = uid.toUpperCase(), metadata: Record<string, unknown> = {}) => {
    const response = await asOperator('POST', '/v1/organizations', { uid, name, metadata });
    assert.equal(response.statusCode, 201, response.body);
    return response.json() as { id: string; uid: string; name: string };
  };

  it("creates two organizations by uid, publishes to each by uid, and each organization's key sees only its own data", async () => {
    const acme = await createOrg('acme', 'Acme Inc', { plan: 'pro' });
    const globex = await createOrg('globex', 'Globex');
    for (const uid of ['acme', 'globex']) {
      const endpoint = await asOperator('POST', `/v1/organizations/${uid}/endpoints`, endpointBody({ description: `${uid} CRM` }));
      assert.equal(endpoint.statusCode, 201, endpoint.body);
      const published = await asOperator('POST', `/v1/organizations/${uid}/events`, publishBody({ payload: { ...publishBody().payload as object, full_name: uid } }));
      assert.equal(published.statusCode, 202, published.body);
      assert.equal(published.json().deliveries.length, 1);
    }
    // One key per organization, made by the operator.
    const keys: Record<string, Record<string, string>> = {};
    for (const uid of ['acme', 'globex']) {
      const key = await asOperator('POST', `/v1/organizations/${uid}/api-keys`, { scope: 'read', name: 'dashboard' });
      assert.equal(key.statusCode, 201, key.body);
      keys[uid] = { authorization: `Bearer ${key.json().key}` };
    }
    for (const [uid, org] of [['acme', acme], ['globex', globex]] as const) {
      const endpoints = (await api.request('GET', '/v1/endpoints', undefined, keys[uid])).json().data;
      assert.deepEqual(endpoints.map((e: { description: string }) => e.description), [`${uid} CRM`]);
      const events = (await api.request('GET', '/v1/events', undefined, keys[uid])).json().data;
      assert.equal(events.length, 1);
      const event = (await api.request('GET', `/v1/events/${events[0].id}`, undefined, keys[uid])).json();
      assert.equal(event.payload.full_name, uid);
      assert.deepEqual(await countRows(api.store, org.id), { events: 1, deliveries: 1 });
    }
    // The first organization (made by the fixtures) has nothing of theirs.
    assert.deepEqual(await countRows(api.store, api.org.id), { events: 0, deliveries: 0 });
  });

  it('reaches an organization by its id as well as its uid', async () => {
    const acme = await createOrg('acme');
    const byId = await asOperator('GET', `/v1/organizations/${acme.id}/endpoints`);
    assert.equal(byId.statusCode, 200, byId.body);
    assert.equal((await asOperator('GET', `/v1/organizations/${acme.id}`)).json().uid, 'acme');
    assert.equal((await asOperator('GET', '/v1/organizations/acme')).json().id, acme.id);
  });

  it('answers 404 naming org for an organization that does not exist, under the prefix and in the operator API', async () => {
    for (const [method, url] of [['GET', '/v1/organizations/nobody/endpoints'], ['POST', '/v1/organizations/nobody/events'], ['GET', '/v1/organizations/nobody']] as const) {
      const response = await asOperator(method, url, method === 'POST' ? publishBody() : undefined);
      assert.equal(response.statusCode, 404, `${method} ${url}`);
      assert.equal(response.json().error.field, 'org');
    }
  });

  it('refuses a uid another organization has with 409 naming uid', async () => {
    await createOrg('acme');
    const again = await asOperator('POST', '/v1/organizations', { uid: 'acme', name: 'Other' });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.field, 'uid');
    const other = await createOrg('other');
    const renamed = await asOperator('PATCH', `/v1/organizations/${other.id}`, { uid: 'acme' });
    assert.equal(renamed.statusCode, 409);
  });

  it('refuses a uid that would not be safe in a path, naming uid', async () => {
    for (const uid of ['has space', 'a/b', '-leading', 'x'.repeat(129), 'nul\u0000']) {
      const response = await asOperator('POST', '/v1/organizations', { uid, name: 'Bad' });
      assert.equal(response.statusCode, 400, JSON.stringify(uid));
      assert.equal(response.json().error.field, 'uid');
    }
  });

  it('lists organizations oldest first, page by page, and finds one by uid', async () => {
    for (const uid of ['a', 'b', 'c']) await createOrg(uid);
    const first = await asOperator('GET', '/v1/organizations?limit=2');
    assert.deepEqual(first.json().data.map((o: { uid: string | null }) => o.uid), [null, 'a']);
    const second = await asOperator('GET', `/v1/organizations?limit=2&cursor=${first.json().next_cursor}`);
    assert.deepEqual(second.json().data.map((o: { uid: string }) => o.uid), ['b', 'c']);
    assert.equal(second.json().next_cursor, null);
    const found = await asOperator('GET', '/v1/organizations?uid=b');
    assert.deepEqual(found.json().data.map((o: { uid: string }) => o.uid), ['b']);
  });

  it('changes name, uid and metadata, and keeps the fields left out', async () => {
    const acme = await createOrg('acme', 'Acme', { plan: 'free' });
    const changed = await asOperator('PATCH', '/v1/organizations/acme', { name: 'Acme Corp', metadata: { plan: 'pro' } });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.deepEqual(
      { ...(changed.json() as Record<string, unknown>), created_at: undefined },
      { id: acme.id, uid: 'acme', name: 'Acme Corp', metadata: { plan: 'pro' }, created_at: undefined },
    );
    const cleared = await asOperator('PATCH', `/v1/organizations/${acme.id}`, { uid: null });
    assert.equal(cleared.json().uid, null);
    assert.equal(cleared.json().name, 'Acme Corp');
  });

  it("deletes an organization with its endpoints, events, deliveries and keys, and its key stops working", async () => {
    const acme = await createOrg('acme');
    await asOperator('POST', '/v1/organizations/acme/endpoints', endpointBody());
    await asOperator('POST', '/v1/organizations/acme/events', publishBody());
    const key = (await asOperator('POST', '/v1/organizations/acme/api-keys', { scope: 'admin' })).json().key;
    assert.equal((await asOperator('DELETE', '/v1/organizations/acme')).statusCode, 204);
    assert.equal((await asOperator('GET', '/v1/organizations/acme')).statusCode, 404);
    assert.deepEqual(await countRows(api.store, acme.id), { events: 0, deliveries: 0 });
    assert.deepEqual(await api.store.listEndpoints(acme.id), []);
    assert.deepEqual(await api.store.listApiKeys(acme.id), []);
    api.clock.advance(1000);
    assert.equal((await api.request('GET', '/v1/endpoints', undefined, { authorization: `Bearer ${key}` })).statusCode, 401);
  });

  it("refuses the operator API to an organization's key with 403 insufficient_scope naming operator", async () => {
    for (const [method, url] of [['GET', '/v1/organizations'], ['POST', '/v1/organizations'], [`GET`, `/v1/organizations/${api.org.id}/endpoints`]] as const) {
      const response = await api.request(method, url, method === 'POST' ? { name: 'x' } : undefined);
      assert.equal(response.statusCode, 403, `${method} ${url}`);
      assert.equal(response.json().error.code, 'insufficient_scope');
      assert.match(response.json().error.message, /"operator"/);
    }
  });

  it("sends an operator key that calls an organization's route without the prefix to the prefixed path", async () => {
    const response = await asOperator('GET', '/v1/endpoints');
    assert.equal(response.statusCode, 403);
    assert.equal(response.json().error.code, 'insufficient_scope');
    assert.match(response.json().error.message, /\/v1\/organizations\/\{org\}\/endpoints/);
  });

  it('makes, lists and revokes operator keys outside the prefix, and organization keys inside it', async () => {
    const made = await asOperator('POST', '/v1/api-keys', { scope: 'operator', name: 'second' });
    assert.equal(made.statusCode, 201, made.body);
    assert.equal(made.headers['cache-control'], 'no-store');
    assert.deepEqual((await asOperator('GET', '/v1/api-keys')).json().data.map((k: { name: string }) => k.name), ['second', 'platform']);
    const wrong = await asOperator('POST', '/v1/api-keys', { scope: 'admin' });
    assert.equal(wrong.statusCode, 400);
    assert.equal(wrong.json().error.field, 'scope');
    const inside = await asOperator('POST', `/v1/organizations/${api.org.id}/api-keys`, { scope: 'operator' });
    assert.equal(inside.statusCode, 400);
    assert.equal((await asOperator('DELETE', `/v1/api-keys/${made.json().id}`)).statusCode, 204);
    assert.deepEqual((await asOperator('GET', '/v1/api-keys')).json().data.map((k: { name: string }) => k.name), ['platform']);
  });
});
