import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createOrganization, createTestApi, endpointBody, finishDueDeliveries, publishBody, T0, type TestApi } from '../helpers/fixtures.js';

describe('endpoint stats', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi({ dashboardDir: null });
  });
  afterEach(() => api.dispose());

  const createEndpoint = async (overrides: Record<string, unknown> = {}): Promise<string> =>
    (await api.request('POST', '/v1/endpoints', endpointBody(overrides))).json().id;
  const publish = () => api.request('POST', '/v1/events', publishBody());
  const stats = async (query = '') => {
    const response = await api.request('GET', `/v1/endpoint-stats${query}`);
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as { since: string; data: Array<Record<string, unknown>> };
  };

  it('gives each endpoint its attempts, successes and success rate of the last 24 h, and its last delivery', async () => {
    const busy = await createEndpoint();
    const idle = await createEndpoint({ events: ['user.deleted'] });
    await publish();
    await finishDueDeliveries(api.store, api.clock, 500);
    api.clock.advance(60_000);
    await publish();
    await finishDueDeliveries(api.store, api.clock, 200);
    await publish();
    await finishDueDeliveries(api.store, api.clock, 200);
    await publish();
    await finishDueDeliveries(api.store, api.clock, 200);

    const body = await stats();
    assert.equal(body.since, new Date(T0 + 60_000 - 24 * 3600_000).toISOString());
    assert.deepEqual(body.data.find((s) => s.endpoint_id === busy), {
      endpoint_id: busy,
      attempts: 4,
      succeeded: 3,
      success_rate: 0.75,
      last_attempt_at: new Date(T0 + 60_000).toISOString(),
      last_delivery_at: new Date(T0 + 60_000).toISOString(),
    });
    assert.deepEqual(body.data.find((s) => s.endpoint_id === idle), {
      endpoint_id: idle,
      attempts: 0,
      succeeded: 0,
      success_rate: null,
      last_attempt_at: null,
      last_delivery_at: null,
    });
  });

  it('counts only attempts inside the window, but remembers the last delivery', async () => {
    const id = await createEndpoint();
    await publish();
    await finishDueDeliveries(api.store, api.clock, 200);
    api.clock.advance(25 * 3600_000);
    const [entry] = (await stats()).data;
    assert.equal(entry!.endpoint_id, id);
    assert.equal(entry!.attempts, 0);
    assert.equal(entry!.success_rate, null);
    assert.equal(entry!.last_delivery_at, new Date(T0).toISOString());
    assert.equal((await stats('?window_hours=48')).data[0]!.attempts, 1);
  });

  it('refuses a window outside 1 to 720 hours', async () => {
    for (const hours of [0, 721]) {
      const response = await api.request('GET', `/v1/endpoint-stats?window_hours=${hours}`);
      assert.equal(response.statusCode, 400);
      assert.equal(response.json().error.field, 'window_hours');
    }
  });

  it("shows none of another organization's endpoints", async () => {
    await createEndpoint();
    const other = await createOrganization(api.store, api.clock, 'Globex');
    const response = await api.request('GET', '/v1/endpoint-stats', undefined, other.headers);
    assert.deepEqual(response.json().data, []);
  });
});
