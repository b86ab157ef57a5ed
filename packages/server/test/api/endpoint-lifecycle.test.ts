import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { issueApiKey } from '../../src/bootstrap.js';
import { ensureOperationalWebhook } from '../../src/lifecycle/operational-webhook.js';
import { createTestApi, endpointBody, type TestApi } from '../helpers/fixtures.js';

/** The API's side of the endpoint lifecycle: disabled_reason and the streak, manual disables, the operator's receiver. */
describe('endpoint lifecycle in the API', () => {
  let api: TestApi;
  let operator: Record<string, string>;
  beforeEach(async () => {
    api = await createTestApi({ dashboardDir: null });
    operator = { authorization: `Bearer ${(await issueApiKey(api.store, api.clock, { organizationId: null })).apiKey}` };
  });
  afterEach(() => api.dispose());

  const create = async (body: Record<string, unknown> = {}) => (await api.request('POST', '/v1/endpoints', endpointBody(body))).json();

  it('shows a healthy endpoint with no reason and no streak', async () => {
    const endpoint = await create();
    assert.deepEqual(
      [endpoint.disabled_reason, endpoint.disabled_at, endpoint.failing_since, endpoint.failed_deliveries_in_streak, endpoint.warned_at],
      [null, null, null, 0, null],
    );
  });

  it('a PATCH enabled:false reads disabled_reason manual; enabled:true clears the reason and the streak', async () => {
    const endpoint = await create();
    await api.store.recordEndpointHealth([{ endpointId: endpoint.id, kind: 'delivery_failed', at: api.clock.now() }]);
    api.clock.advance(1000);
    const paused = (await api.request('PATCH', `/v1/endpoints/${endpoint.id}`, { enabled: false })).json();
    assert.deepEqual([paused.enabled, paused.disabled_reason, paused.disabled_at], [false, 'manual', new Date(api.clock.now()).toISOString()]);
    assert.equal(paused.failed_deliveries_in_streak, 1);
    const resumed = (await api.request('PATCH', `/v1/endpoints/${endpoint.id}`, { enabled: true })).json();
    assert.deepEqual(
      [resumed.enabled, resumed.disabled_reason, resumed.disabled_at, resumed.failing_since, resumed.failed_deliveries_in_streak],
      [true, null, null, null, 0],
    );
  });

  it('publishes endpoint.disabled (manual) and endpoint.enabled to the endpoints that subscribe, never to the endpoint itself', async () => {
    const watched = await create({ events: ['endpoint.disabled', 'endpoint.enabled'] });
    const watcher = await create({ events: ['endpoint.disabled', 'endpoint.enabled'] });
    await api.request('PATCH', `/v1/endpoints/${watched.id}`, { enabled: false });
    await api.request('PATCH', `/v1/endpoints/${watched.id}`, { description: 'no change of state' });
    await api.request('PATCH', `/v1/endpoints/${watched.id}`, { enabled: true });
    const events = (await api.request('GET', '/v1/events')).json().data.reverse();
    assert.deepEqual(events.map((e: { event: string }) => e.event), ['endpoint.disabled', 'endpoint.enabled']);
    assert.deepEqual([events[0].payload.endpoint_id, events[0].payload.reason], [watched.id, 'manual']);
    const deliveries = (await api.request('GET', '/v1/deliveries')).json().data;
    assert.deepEqual(new Set(deliveries.map((d: { endpoint_id: string }) => d.endpoint_id)), new Set([watcher.id]));
  });

  it('answers the operational webhook and its secret to the operator key only, never cached', async () => {
    assert.equal((await api.request('GET', '/v1/operational-webhook', undefined, operator)).statusCode, 404);
    const created = await ensureOperationalWebhook(api.store, api.clock, 'https://ops.example.com/herald');
    const response = await api.request('GET', '/v1/operational-webhook', undefined, operator);
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.deepEqual(response.json(), {
      url: 'https://ops.example.com/herald',
      secret: created.secret,
      enabled: true,
      organization_id: created.organizationId,
      endpoint_id: created.endpoint.id,
    });
    assert.match(created.secret, /^whsec_/);
    assert.equal((await api.request('GET', '/v1/operational-webhook')).statusCode, 403);
    // A new URL on a later start moves it; the secret stays.
    const moved = await ensureOperationalWebhook(api.store, api.clock, 'https://ops2.example.com/herald');
    assert.deepEqual([moved.endpoint.url, moved.secret, moved.secretCreated], ['https://ops2.example.com/herald', created.secret, false]);
  });
});
