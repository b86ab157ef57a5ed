import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RETRY_POLICY, endpointRetryPolicy } from '../../src/dispatch/retry-policy.js';
import { dispatchHarness, settle } from './harness.js';
import { T0 } from '../helpers/fixtures.js';

describe('dispatcher: an endpoint’s own retry schedule and timeout', () => {
  it('retries on the endpoint’s schedule instead of the server’s, and gives up when it ends', async (t) => {
    const h = await dispatchHarness(t);
    const receiver = await h.receiver((_req, _n, res) => void res.writeHead(500).end('busy'));
    await h.endpoint({ url: receiver.url, settings: { retrySchedule: [1_500] } });
    const { deliveries } = await h.publish();
    const id = deliveries[0]!.id;
    const dispatcher = h.dispatcher();

    const afterFirst = await h.deliveryWhere(id, (d) => d.lastAttemptAt !== null);
    assert.equal(afterFirst.nextAttemptAt, T0 + 1_500, 'not the server’s 3 s');
    h.clock.advance(1_500);
    dispatcher.notify();
    const done = await h.deliveryWhere(id, (d) => d.status !== 'pending');
    assert.deepEqual([done.status, done.attemptCount], ['failed', 2], 'two attempts, not the server’s three');
    const attempts = await h.attempts(id, 2);
    assert.deepEqual(attempts.map((a) => a.final), [false, true]);
  });

  it('stops at the operator’s cap on attempts, however long the endpoint’s schedule', async (t) => {
    const h = await dispatchHarness(t);
    const receiver = await h.receiver((_req, _n, res) => void res.writeHead(500).end('busy'));
    await h.endpoint({ url: receiver.url, settings: { retrySchedule: [0, 0, 0, 0] } });
    const { deliveries } = await h.publish();
    const dispatcher = h.dispatcher({ endpointCaps: { maxAttempts: 2 } });
    const done = await h.deliveryWhere(deliveries[0]!.id, (d) => d.status !== 'pending' || d.attemptCount > 2);
    await settle();
    dispatcher.notify();
    await settle();
    assert.deepEqual([done.status, done.attemptCount], ['failed', 2]);
    assert.equal(receiver.requests.length, 2);
  });

  it('gives up on an attempt after the endpoint’s own timeout, not the server’s', async (t) => {
    const h = await dispatchHarness(t);
    // Never answers: only a timeout ends the attempt.
    const receiver = await h.receiver(() => undefined);
    await h.endpoint({ url: receiver.url, settings: { retrySchedule: [], timeoutMs: 300 } });
    const { deliveries } = await h.publish();
    h.dispatcher({ policy: { schedule: [], timeoutMs: 60_000 }, endpointCaps: { maxTimeoutMs: 60_000 } });
    const done = await h.deliveryWhere(deliveries[0]!.id, (d) => d.status === 'failed');
    const [attempt] = await h.attempts(done.id, 1);
    assert.equal(attempt!.errorKind, 'timeout');
    assert.match(attempt!.errorMessage ?? '', /within 300 ms/);
  });
});

describe('endpointRetryPolicy', () => {
  const caps = { maxAttempts: 3, maxTimeoutMs: 20_000 };

  it('uses the server’s schedule and timeout where the endpoint set none', () => {
    assert.deepEqual(endpointRetryPolicy(DEFAULT_RETRY_POLICY, { retrySchedule: null, timeoutMs: null }, caps), {
      ...DEFAULT_RETRY_POLICY,
      schedule: [3000, 7000],
      timeoutMs: 10_000,
    });
  });

  it('uses the endpoint’s own, an empty schedule meaning no retries', () => {
    assert.deepEqual(endpointRetryPolicy(DEFAULT_RETRY_POLICY, { retrySchedule: [], timeoutMs: 2_000 }, caps), {
      ...DEFAULT_RETRY_POLICY,
      schedule: [],
      timeoutMs: 2_000,
    });
  });

  it('holds the endpoint’s settings to the caps', () => {
    assert.deepEqual(endpointRetryPolicy(DEFAULT_RETRY_POLICY, { retrySchedule: [1, 2, 3, 4], timeoutMs: 90_000 }, caps), {
      ...DEFAULT_RETRY_POLICY,
      schedule: [1, 2],
      timeoutMs: 20_000,
    });
  });
});
