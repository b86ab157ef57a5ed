import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { DEFAULT_CONCURRENCY, DEFAULT_ENDPOINT_CONCURRENCY } from '../../src/config.js';
import { AttemptRecorder } from '../../src/dispatch/attempt-recorder.js';
import { DEFAULT_RETRY_POLICY } from '../../src/dispatch/retry-policy.js';
import type { AttemptRecord, Delivery, Store } from '../../src/store/store.js';
import type { Receiver } from '../../../../test-support/receiver.js';
import { dispatchHarness, interceptStore, settle, waitFor } from './harness.js';

/** Accepts the connection and the request, and never answers. */
const neverAnswer = (): void => undefined;

describe('one endpoint cannot hurt another', () => {
  it('delivers everything to a healthy endpoint while eight others hang, and holds only a few slots for them', async (t) => {
    const h = await dispatchHarness(t);
    const hanging: Receiver[] = [];
    for (let i = 0; i < 8; i++) {
      const receiver = await h.receiver(neverAnswer);
      hanging.push(receiver);
      await h.endpoint({ url: receiver.url });
    }
    const healthy = await h.receiver();
    await h.endpoint({ url: healthy.url });
    const events = 300;
    for (let i = 0; i < events; i++) await h.publish();

    // The defaults of `herald serve`. Nothing times out in this test.
    h.dispatcher({ concurrency: DEFAULT_CONCURRENCY, perEndpointConcurrency: DEFAULT_ENDPOINT_CONCURRENCY, policy: { ...DEFAULT_RETRY_POLICY, timeoutMs: 120_000 } });
    await healthy.waitForRequests(events, 30_000);

    const held = hanging.reduce((n, receiver) => n + receiver.requests.length, 0);
    assert.ok(held <= 8 * 4, `the hanging endpoints hold ${held} attempts; at most 4 each until they answer`);
    for (const receiver of hanging) assert.ok(receiver.requests.length > 0, 'every hanging endpoint is still being attempted');
  });

  it('opens the circuit of an endpoint that keeps timing out, spends no attempts while open, then probes once', async (t) => {
    const h = await dispatchHarness(t);
    let answering = false;
    const flaky = await h.receiver((_request, _n, res) => {
      if (answering) res.end('ok');
    });
    await h.endpoint({ url: flaky.url });
    const published: Delivery[] = [];
    for (let i = 0; i < 10; i++) published.push((await h.publish()).deliveries[0]!);

    const dispatcher = h.dispatcher({
      policy: { ...DEFAULT_RETRY_POLICY, timeoutMs: 200 },
      circuit: { openAfter: 3, cooldownMs: 60_000 },
    });
    // The first four (the starting limit) time out; the streak of four opens the circuit.
    await waitFor('four timed-out attempts to be recorded', async () => {
      const attempted = await Promise.all(published.map((d) => h.store.listAttempts(d.id)));
      return attempted.flat().filter((a) => a.errorKind === 'timeout').length === 4 ? true : undefined;
    });
    assert.equal(flaky.requests.length, 4);

    h.clock.advance(10_000); // every retry of the four is due; the circuit is still open
    dispatcher.notify();
    await settle(300);
    assert.equal(flaky.requests.length, 4, 'nothing is sent while the circuit is open');
    const waiting = await Promise.all(published.map((d) => h.delivery(d.id)));
    assert.deepEqual(waiting.map((d) => d.attemptCount).sort(), [0, 0, 0, 0, 0, 0, 1, 1, 1, 1], 'waiting spends no attempts');

    answering = true;
    h.clock.advance(51_000);
    dispatcher.notify();
    for (const delivery of published) await h.deliveryWhere(delivery.id, (d) => d.status === 'succeeded');
    assert.equal(flaky.requests.length, 4 + 10, 'four timeouts, then each of the ten once');
  });

  it('records every healthy delivery when a receiver answers with NUL bytes and invalid UTF-8, and flags the poisoned attempt', async (t) => {
    const h = await dispatchHarness(t);
    const poisoned = await h.receiver((_request, _n, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(Buffer.from([0x6f, 0x6b, 0x00, 0xff, 0xfe, 0x7a, 0x65, 0x72, 0x6f]));
    });
    const healthy = await h.receiver();
    const { endpoint: poisonedEndpoint } = await h.endpoint({ url: poisoned.url });
    await h.endpoint({ url: healthy.url });
    const deliveries = [];
    for (let i = 0; i < 20; i++) deliveries.push(...(await h.publish()).deliveries);
    h.dispatcher();

    for (const delivery of deliveries) await h.deliveryWhere(delivery.id, (d) => d.status === 'succeeded');
    const poisonedDelivery = deliveries.find((d) => d.endpointId === poisonedEndpoint.id)!;
    const [attempt] = await h.store.listAttempts(poisonedDelivery.id);
    assert.equal(attempt?.responseBody, 'ok\\u0000\\xff\\xfezero');
    assert.equal(attempt?.responseBodySanitized, true);
    assert.equal(attempt?.responseBodyTruncated, false);
  });
});

describe('the attempt recorder', () => {
  /** PostgreSQL refuses NUL in text by itself; on SQLite the same rule is imposed on the real store. */
  function refusingNul(store: Store): Store {
    return interceptStore(store, {
      recordAttempts: async (records, feedback, thenClaim) => {
        if (records.some((r) => r.attempt.responseBody?.includes('\u0000'))) throw new Error('invalid byte sequence for encoding "UTF8": 0x00');
        return store.recordAttempts(records, feedback, thenClaim);
      },
    });
  }

  it('finds the one record the database refuses, stores a minimal form of it, and the rest as they are', async (t) => {
    const h = await dispatchHarness(t);
    await h.endpoint();
    const published = [];
    for (let i = 0; i < 7; i++) published.push((await h.publish()).deliveries[0]!);
    const claimed = await h.store.claimDueDeliveries({ leaseOwner: 'w', limit: 10, leaseMs: 30_000, now: h.clock.now(), perEndpointLimit: 10 });
    assert.equal(claimed.length, 4);
    const store = refusingNul(h.store);
    const recorder = new AttemptRecorder(store, pino({ level: 'silent' }), h.clock, {
      retryDelayMs: 60_000,
      maxBatch: 100,
      circuit: { maxConcurrency: 8, openAfter: 5, cooldownMs: 1000 },
    });
    const record = (i: number, body: string): AttemptRecord => ({
      deliveryId: claimed[i]!.deliveryId,
      leaseOwner: 'w',
      nextAttemptAt: null,
      recordedAt: h.clock.now(),
      attempt: {
        number: 1, startedAt: h.clock.now(), durationMs: 5, statusCode: 200, errorKind: null, errorMessage: null,
        responseBody: body, responseBodyTruncated: false, responseBodySanitized: false, requestHeaders: { 'x-webhook-attempt': '1' },
        succeeded: true, final: true,
      },
    });
    await Promise.all([record(0, 'fine'), record(1, 'ok\u0000zero'), record(2, 'fine'), record(3, 'fine')].map((r) => recorder.record(r, null)));

    const attempts = await Promise.all(claimed.map((c) => h.store.listAttempts(c.deliveryId)));
    assert.deepEqual(attempts.map((a) => a.length), [1, 1, 1, 1]);
    assert.deepEqual(attempts.map((a) => a[0]!.errorKind), [null, 'unstorable_response', null, null]);
    assert.deepEqual(attempts.map((a) => a[0]!.statusCode), [200, 200, 200, 200]);
    assert.equal(attempts[1]![0]!.responseBody, null);
    const statuses = await Promise.all(claimed.map((c) => h.delivery(c.deliveryId)));
    assert.deepEqual(statuses.map((d) => d.status), ['succeeded', 'succeeded', 'succeeded', 'succeeded']);
  });
});
