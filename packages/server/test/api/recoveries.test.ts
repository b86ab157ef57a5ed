import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { Dispatcher } from '../../src/dispatch/dispatcher.js';
import { DEFAULT_RETRY_POLICY } from '../../src/dispatch/retry-policy.js';
import { issueApiKey } from '../../src/bootstrap.js';
import { startReceiver, type ReceivedRequest, type Receiver } from '../../../../test-support/receiver.js';
import { settle, waitFor } from '../dispatch/harness.js';
import { createTestApi, endpointBody, publishBody, userNewPayload, type TestApi } from '../helpers/fixtures.js';

const MINUTE = 60_000;

/**
 * Recovering an endpoint's failed deliveries through the API, with a real dispatcher sending to a
 * real receiver: what arrives, and how often.
 */
describe('recovering failed deliveries', () => {
  let api: TestApi;
  let receiver: Receiver;
  let dispatcher: Dispatcher;
  /** The receiver fails every delivery whose user_id is in here. */
  let failing: Set<string>;

  beforeEach(async () => {
    api = await createTestApi();
    failing = new Set();
    receiver = await startReceiver((request, _n, res) => {
      res.statusCode = failing.has(userOf(request)) ? 500 : 200;
      res.end();
    });
    dispatcher = new Dispatcher({
      store: api.store,
      logger: pino({ level: 'silent' }),
      clock: api.clock,
      policy: DEFAULT_RETRY_POLICY,
      pollIntervalMs: 60_000,
      allowPrivateNetworks: true,
      userAgent: 'Herald/0.0.0-test',
    });
    dispatcher.start();
  });
  afterEach(async () => {
    await dispatcher.stop({ deadlineMs: 0 });
    await receiver.close();
    await api.dispose();
  });

  /** An endpoint at the receiver with one attempt per delivery, so a failure is final at once. */
  const createEndpoint = async (): Promise<string> => {
    const response = await api.request('POST', '/v1/endpoints', endpointBody({ url: receiver.url, retry_schedule: [] }));
    assert.equal(response.statusCode, 201, response.body);
    return response.json().id;
  };

  /** Publishes for `user` and waits until its delivery has ended; returns the event id. */
  const publishAndFinish = async (user: string): Promise<string> => {
    const event = (await api.request('POST', '/v1/events', publishBody({ payload: userNewPayload({ user_id: user }) }))).json();
    await waitFor(`the delivery for ${user} to end`, async () => {
      const delivery = await api.store.getDelivery(api.org.id, event.deliveries[0].id);
      return delivery?.status === 'pending' ? undefined : delivery;
    });
    return event.id;
  };

  const recover = (endpointId: string, body: Record<string, unknown>) =>
    api.request('POST', `/v1/endpoints/${endpointId}/recover`, body);

  it('re-sends exactly the deliveries that failed in the window, once each, with their original envelope ids and bodies', async () => {
    const endpointId = await createEndpoint();
    failing = new Set(['u1', 'u3', 'u4']);
    const windowStart = new Date(api.clock.now()).toISOString();
    const events = { u1: await publishAndFinish('u1'), u2: await publishAndFinish('u2'), u3: await publishAndFinish('u3') };
    api.clock.advance(30 * MINUTE);
    const windowEnd = new Date(api.clock.now()).toISOString();
    api.clock.advance(30 * MINUTE);
    await publishAndFinish('u4'); // failed after the window
    const original = (id: string) => receiver.requests.find((r) => r.headers['x-webhook-id'] === id)!;
    const sentBefore = receiver.requests.length;
    failing = new Set();

    const counted = await recover(endpointId, { since: windowStart, until: windowEnd, dry_run: true });
    assert.equal(counted.statusCode, 200, counted.body);
    assert.equal(counted.json().total, 2);
    assert.equal(receiver.requests.length, sentBefore, 'a dry run sends nothing');

    const started = await recover(endpointId, { since: windowStart, until: windowEnd });
    assert.equal(started.statusCode, 202, started.body);
    assert.equal(started.json().total, 2);
    const arrived = (await receiver.waitForRequests(sentBefore + 2)).slice(sentBefore);
    assert.deepEqual(arrived.map((r) => r.headers['x-webhook-id']).sort(), [events.u1, events.u3].sort());
    for (const request of arrived) {
      assert.equal(request.body.toString(), original(String(request.headers['x-webhook-id'])).body.toString());
    }

    const progress = await waitFor('the recovery to finish', async () => {
      const body = (await api.request('GET', `/v1/endpoints/${endpointId}/recoveries/${started.json().id}`)).json();
      return body.done === true ? body : undefined;
    });
    assert.deepEqual(
      { total: progress.total, pending: progress.pending, succeeded: progress.succeeded, failed: progress.failed },
      { total: 2, pending: 0, succeeded: 2, failed: 0 },
    );

    const again = await recover(endpointId, { since: windowStart, until: windowEnd });
    assert.equal(again.statusCode, 202);
    assert.equal(again.json().total, 0);
    await settle();
    assert.equal(receiver.requests.length, sentBefore + 2, 'recovering the same window again sends nothing');
    const listed = (await api.request('GET', `/v1/endpoints/${endpointId}/recoveries`)).json().data;
    assert.deepEqual(listed.map((r: { id: string }) => r.id), [again.json().id, started.json().id]);
  });

  it('does not send twice when the same window is recovered again before the first recovery has delivered', async () => {
    const endpointId = await createEndpoint();
    failing = new Set(['u1']);
    const since = new Date(api.clock.now()).toISOString();
    await publishAndFinish('u1');
    failing = new Set();
    api.clock.advance(MINUTE);
    const sentBefore = receiver.requests.length;
    const [first, second] = await Promise.all([recover(endpointId, { since }), recover(endpointId, { since })]);
    assert.deepEqual([first.json().total, second.json().total].sort(), [0, 1]);
    await receiver.waitForRequests(sentBefore + 1);
    await settle();
    assert.equal(receiver.requests.length, sentBefore + 1);
  });

  it('refuses to recover for a disabled endpoint, saying how to re-enable it, and recovers once it is enabled again', async () => {
    const endpointId = await createEndpoint();
    failing = new Set(['u1']);
    const since = new Date(api.clock.now()).toISOString();
    const eventId = await publishAndFinish('u1');
    failing = new Set();
    api.clock.advance(MINUTE);
    assert.equal((await api.request('PATCH', `/v1/endpoints/${endpointId}`, { enabled: false })).statusCode, 200);
    const sentBefore = receiver.requests.length;

    assert.equal((await recover(endpointId, { since, dry_run: true })).json().total, 1, 'the count is shown while disabled');
    const refused = await recover(endpointId, { since });
    assert.equal(refused.statusCode, 409, refused.body);
    assert.equal(refused.json().error.field, 'enabled');
    assert.match(refused.json().error.message, /disabled.*"enabled": true/);
    assert.equal((await recover(endpointId, { since, dry_run: true })).json().total, 1, 'a refused recovery created nothing');

    assert.equal((await api.request('PATCH', `/v1/endpoints/${endpointId}`, { enabled: true })).statusCode, 200);
    const started = await recover(endpointId, { since });
    assert.equal(started.statusCode, 202, started.body);
    assert.equal(started.json().total, 1);
    const [resent] = (await receiver.waitForRequests(sentBefore + 1)).slice(sentBefore);
    assert.equal(resent!.headers['x-webhook-id'], eventId);
  });

  it('refuses a window that ends before it starts, and an unknown endpoint or recovery', async () => {
    const endpointId = await createEndpoint();
    const backwards = await recover(endpointId, { since: '2026-01-02T00:00:00Z', until: '2026-01-01T00:00:00Z' });
    assert.equal(backwards.statusCode, 400);
    assert.equal(backwards.json().error.field, 'since');
    assert.match(backwards.json().error.message, /since must be before until/);
    const missing = await recover(endpointId, {});
    assert.equal(missing.statusCode, 400);
    assert.equal((await recover('no-such-endpoint', { since: '2026-01-01T00:00:00Z' })).statusCode, 404);
    const unknown = await api.request('GET', `/v1/endpoints/${endpointId}/recoveries/no-such-recovery`);
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.field, 'recovery');
  });

  it('is served for an operator key under the organization prefix', async () => {
    const endpointId = await createEndpoint();
    const { apiKey } = await issueApiKey(api.store, api.clock, { organizationId: null, scope: 'operator' });
    const response = await api.request(
      'POST',
      `/v1/organizations/${api.org.id}/endpoints/${endpointId}/recover`,
      { since: '2025-12-31T00:00:00Z', dry_run: true },
      { authorization: `Bearer ${apiKey}` },
    );
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json().total, 0);
  });
});

function userOf(request: ReceivedRequest): string {
  return (JSON.parse(request.body.toString()) as { payload: { user_id: string } }).payload.user_id;
}
