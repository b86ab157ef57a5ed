import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { issueApiKey } from '../../src/bootstrap.js';
import { uuidv7 } from '../../src/ids.js';
import { createTestApi, endpointBody, publishBody, T0, type TestApi } from '../helpers/fixtures.js';

/**
 * Early pruning by the operator (`DELETE /v1/organizations/{org}/events?until=…`) and what a client
 * sees afterwards: 404 `pruned` for what was deleted, `not_found` for what never was.
 */
describe('pruning through the API', () => {
  let api: TestApi;
  let operator: Record<string, string>;

  beforeEach(async () => {
    api = await createTestApi({ dashboardDir: null });
    // Ids are UUID v7 and never run backwards in a process: a clock ahead of the real one makes the
    // ids of what is published here carry the clock's times, as they do in production.
    api.clock.advance(Date.now() + 86_400_000 - T0);
    operator = { authorization: `Bearer ${(await issueApiKey(api.store, api.clock, { organizationId: null })).apiKey}` };
  });
  afterEach(() => api.dispose());

  /** Publishes one event to the organization's endpoint and claims its delivery; finishes it unless `pending`. */
  const published = async ({ pending = false } = {}) => {
    const response = await api.request('POST', '/v1/events', publishBody());
    assert.equal(response.statusCode, 202);
    const { id: eventId } = response.json() as { id: string };
    const [delivery] = await api.store.listDeliveriesForEvent(api.org.id, eventId);
    // Claimed either way, so that a later claim here takes a later delivery: a leased one stays pending.
    const [claimed] = await api.store.claimDueDeliveries({ leaseOwner: 'test', limit: 1, leaseMs: 30_000, now: api.clock.now(), perEndpointLimit: 10 });
    assert.equal(claimed?.deliveryId, delivery!.id);
    if (!pending) {
      await api.store.recordAttempts([{
        deliveryId: claimed!.deliveryId, leaseOwner: 'test', nextAttemptAt: null, recordedAt: api.clock.now(),
        attempt: {
          number: 1, startedAt: api.clock.now(), durationMs: 3, statusCode: 200, errorKind: null, errorMessage: null, responseBody: 'ok',
          responseBodyTruncated: false, responseBodySanitized: false, requestHeaders: {}, succeeded: true, final: true,
        },
      }]);
    }
    return { eventId, deliveryId: delivery!.id };
  };

  it("deletes an organization's events before a time with their finished deliveries, and answers with the counts", async () => {
    assert.equal((await api.request('POST', '/v1/endpoints', endpointBody())).statusCode, 201);
    const old = await published();
    const waiting = await published({ pending: true });
    api.clock.advance(10_000);
    const recent = await published();
    const until = new Date(api.clock.now() - 5_000).toISOString();

    const response = await api.request('DELETE', `/v1/organizations/${api.org.id}/events?until=${until}`, undefined, operator);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { deleted_events: 1, deleted_deliveries: 1 });
    assert.equal((await api.request('GET', `/v1/deliveries/${waiting.deliveryId}`)).json().status, 'pending');
    assert.equal((await api.request('GET', `/v1/events/${recent.eventId}`)).statusCode, 200);
    assert.equal((await api.request('GET', `/v1/deliveries/${old.deliveryId}`)).json().error.code, 'pruned');
  });

  it('answers 404 pruned to a resend or a read of a pruned delivery, and not_found to an id that never existed', async () => {
    assert.equal((await api.request('POST', '/v1/endpoints', endpointBody())).statusCode, 201);
    const old = await published();
    api.clock.advance(10_000);
    await api.request('DELETE', `/v1/organizations/${api.org.id}/events?until=${new Date(api.clock.now()).toISOString()}`, undefined, operator);

    const resend = await api.request('POST', `/v1/deliveries/${old.deliveryId}/resend`);
    assert.equal(resend.statusCode, 404);
    assert.equal(resend.json().error.code, 'pruned');
    assert.equal(resend.json().error.field, 'id');
    const read = await api.request('GET', `/v1/events/${old.eventId}`);
    assert.deepEqual([read.statusCode, read.json().error.code], [404, 'pruned']);
    const never = await api.request('GET', `/v1/deliveries/${uuidv7(api.clock.now() + 60_000)}`);
    assert.deepEqual([never.statusCode, never.json().error.code], [404, 'not_found']);
  });

  it("refuses an organization's own admin key: early pruning is the operator's", async () => {
    const response = await api.request('DELETE', `/v1/events?until=${new Date(api.clock.now()).toISOString()}`);
    assert.equal(response.statusCode, 403);
    assert.equal(response.json().error.code, 'insufficient_scope');
    assert.match(response.json().error.message, /"operator" scope/);
  });

  it('refuses a missing or malformed until, naming the field', async () => {
    for (const query of ['', '?until=yesterday']) {
      const response = await api.request('DELETE', `/v1/organizations/${api.org.id}/events${query}`, undefined, operator);
      assert.equal(response.statusCode, 400);
      assert.equal(response.json().error.field, 'until');
    }
  });
});
