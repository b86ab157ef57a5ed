import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createTestApi, endpointBody, type TestApi } from '../helpers/fixtures.js';

describe('endpoint settings API: rate_limit, retry_schedule, timeout', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi({ endpointCaps: { maxAttempts: 4, maxTimeoutMs: 30_000 } });
  });
  afterEach(() => api.dispose());

  it('creates an endpoint with its own settings, in seconds, and reads them back', async () => {
    const created = await api.request('POST', '/v1/endpoints', endpointBody({ rate_limit: 20, retry_schedule: [1, 30, 0.5], timeout: 2.5 }));
    assert.equal(created.statusCode, 201, created.body);
    const body = created.json();
    assert.deepEqual([body.rate_limit, body.retry_schedule, body.timeout], [20, [1, 30, 0.5], 2.5]);
    assert.deepEqual((await api.store.getEndpoint(api.org.id, body.id))?.settings, { rateLimit: 20, retrySchedule: [1000, 30_000, 500], timeoutMs: 2500 });
    const read = (await api.request('GET', `/v1/endpoints/${body.id}`)).json();
    assert.deepEqual([read.rate_limit, read.retry_schedule, read.timeout], [20, [1, 30, 0.5], 2.5]);
  });

  it('shows null for each setting left to the server', async () => {
    const body = (await api.request('POST', '/v1/endpoints', endpointBody())).json();
    assert.deepEqual([body.rate_limit, body.retry_schedule, body.timeout], [null, null, null]);
  });

  it('changes one setting at a time and resets one to the server’s with null', async () => {
    const { id } = (await api.request('POST', '/v1/endpoints', endpointBody({ rate_limit: 5, timeout: 3 }))).json();
    const patched = (await api.request('PATCH', `/v1/endpoints/${id}`, { retry_schedule: [] })).json();
    assert.deepEqual([patched.rate_limit, patched.retry_schedule, patched.timeout], [5, [], 3]);
    const reset = (await api.request('PATCH', `/v1/endpoints/${id}`, { rate_limit: null, timeout: null })).json();
    assert.deepEqual([reset.rate_limit, reset.retry_schedule, reset.timeout], [null, [], null]);
  });

  it('refuses a retry schedule longer than --max-attempts allows, naming the field and the cap, and writes nothing', async () => {
    const refused = await api.request('POST', '/v1/endpoints', endpointBody({ retry_schedule: [1, 2, 3, 4] }));
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.json().error.field, 'retry_schedule');
    assert.match(refused.json().error.message, /at most 3 delays.*4 attempts \(--max-attempts\)/);
    assert.deepEqual(await api.store.listEndpoints(api.org.id), []);
  });

  it('refuses a timeout over --max-attempt-timeout, naming the field and the cap, and changes nothing', async () => {
    const { id } = (await api.request('POST', '/v1/endpoints', endpointBody({ description: 'before' }))).json();
    const refused = await api.request('PATCH', `/v1/endpoints/${id}`, { description: 'after', timeout: 31 });
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.json().error.field, 'timeout');
    assert.match(refused.json().error.message, /at most 30 seconds.*--max-attempt-timeout/);
    assert.equal((await api.store.getEndpoint(api.org.id, id))?.description, 'before');
  });

  it('refuses a rate limit that is not a whole number of at least 1, and a negative delay', async () => {
    for (const [body, field] of [[{ rate_limit: 0 }, 'rate_limit'], [{ rate_limit: 2.5 }, 'rate_limit'], [{ retry_schedule: [-1] }, 'retry_schedule'], [{ timeout: 0 }, 'timeout']] as const) {
      const refused = await api.request('POST', '/v1/endpoints', endpointBody(body));
      assert.equal(refused.statusCode, 400, JSON.stringify(body));
      assert.match(refused.json().error.field ?? '', new RegExp(`^${field}`), JSON.stringify(refused.json()));
    }
    assert.deepEqual(await api.store.listEndpoints(api.org.id), []);
  });
});
