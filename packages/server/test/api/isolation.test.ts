import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  countRows,
  createOrganization,
  createTestApi,
  endpointBody,
  finishDueDeliveries,
  publishBody,
  type TestApi,
  type TestOrganization,
} from '../helpers/fixtures.js';

describe('organization isolation', () => {
  let api: TestApi;
  let intruder: TestOrganization;
  let endpointId: string;
  let eventId: string;
  let deliveryId: string;

  before(async () => {
    api = await createTestApi();
    intruder = await createOrganization(api.store, api.clock, 'Intruder');
    endpointId = (await api.request('POST', '/v1/endpoints', endpointBody())).json().id;
    const event = (await api.request('POST', '/v1/events', publishBody({ idempotency_key: 'shared-key' }))).json();
    eventId = event.id;
    deliveryId = event.deliveries[0].id;
    // A finished delivery, so a resend would otherwise be allowed.
    await finishDueDeliveries(api.store, api.clock, 500);
  });
  after(() => api.dispose());

  const asIntruder = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) =>
    api.request(method, url, body, intruder.headers);

  it("answers 404 to every read and write of another organization's resources", async () => {
    const attempts: Array<[method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown]> = [
      ['GET', `/v1/endpoints/${endpointId}`],
      ['PATCH', `/v1/endpoints/${endpointId}`, { enabled: false }],
      ['DELETE', `/v1/endpoints/${endpointId}`],
      ['POST', `/v1/endpoints/${endpointId}/test`],
      ['GET', `/v1/endpoints/${endpointId}/secret`],
      ['POST', `/v1/endpoints/${endpointId}/secret/rotate`],
      ['DELETE', `/v1/endpoints/${endpointId}/secret/previous`],
      ['GET', `/v1/events/${eventId}`],
      ['GET', `/v1/deliveries/${deliveryId}`],
      ['POST', `/v1/deliveries/${deliveryId}/resend`],
    ];
    for (const [method, url, body] of attempts) {
      const response = await asIntruder(method, url, body);
      assert.equal(response.statusCode, 404, `${method} ${url}: ${response.body}`);
      assert.equal(response.json().error.code, 'not_found');
    }
    const owner = await api.request('GET', `/v1/endpoints/${endpointId}`);
    assert.equal(owner.json().enabled, true);
    const secret = (await api.request('GET', `/v1/endpoints/${endpointId}/secret`)).json();
    assert.equal(secret.previous, undefined);
    assert.deepEqual(await countRows(api.store, api.org.id), { events: 1, deliveries: 1 });
  });

  it("never lists another organization's endpoints, events or deliveries", async () => {
    const lists = [
      '/v1/endpoints',
      '/v1/events',
      '/v1/deliveries',
      `/v1/deliveries?endpoint_id=${endpointId}`,
      `/v1/deliveries?event_id=${eventId}`,
    ];
    for (const url of lists) {
      const response = await asIntruder('GET', url);
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json().data, [], url);
    }
  });

  it("does not match another organization's idempotency key", async () => {
    const response = await asIntruder('POST', '/v1/events', publishBody({ idempotency_key: 'shared-key' }));
    assert.equal(response.statusCode, 202);
    assert.notEqual(response.json().id, eventId);
    assert.deepEqual(response.json().deliveries, []);
  });

  it('answers 401 without a key or with an unknown key', async () => {
    const missing = await api.app.inject({ method: 'GET', url: '/v1/endpoints' });
    assert.equal(missing.statusCode, 401);
    assert.equal(missing.json().error.code, 'unauthorized');
    assert.equal(missing.headers['www-authenticate'], 'Bearer');
    const wrong = await api.app.inject({ method: 'GET', url: '/v1/endpoints', headers: { authorization: 'Bearer hk_nope' } });
    assert.equal(wrong.statusCode, 401);
    const basic = await api.app.inject({ method: 'GET', url: '/v1/endpoints', headers: { authorization: `Basic ${api.org.apiKey}` } });
    assert.equal(basic.statusCode, 401);
  });

  it('answers 401 before reading a body from an unauthenticated caller', async () => {
    const before = await countRows(api.store, api.org.id);
    const response = await api.app.inject({ method: 'POST', url: '/v1/events', payload: publishBody() });
    assert.equal(response.statusCode, 401);
    assert.deepEqual(await countRows(api.store, api.org.id), before);
  });
});
