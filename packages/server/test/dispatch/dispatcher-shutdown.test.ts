import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Dispatcher } from '../../src/dispatch/dispatcher.js';
import { dispatchHarness, interceptStore, settle, waitFor } from './harness.js';
import { T0 } from '../helpers/fixtures.js';

describe('dispatcher: graceful stop', () => {
  it('releases the leases of attempts still in flight at the deadline: due again at once, attempt not counted', async (t) => {
    const h = await dispatchHarness(t);
    const receiver = await h.receiver(() => undefined);
    await h.endpoint({ url: receiver.url });
    const { deliveries } = await h.publish();
    const id = deliveries[0]!.id;
    const dispatcher = h.dispatcher();
    await receiver.waitForRequests(1);
    assert.equal((await h.delivery(id)).attemptCount, 1);

    await dispatcher.stop({ deadlineMs: 50 });
    assert.equal(dispatcher.state, 'stopped');
    const released = await h.delivery(id);
    assert.deepEqual([released.status, released.attemptCount, released.nextAttemptAt], ['pending', 0, T0]);
    assert.deepEqual(await h.store.listAttempts(id), []);
    assert.ok(h.logs.some((line) => line.msg === 'released the leases of unfinished deliveries' && line.released === 1));

    // The next process picks it up straight away, as its first attempt.
    receiver.respondWith((_req, _n, res) => void res.end('ok'));
    h.dispatcher();
    await h.deliveryWhere(id, (d) => d.status === 'succeeded');
    assert.deepEqual(receiver.requests.map((r) => r.headers['x-webhook-attempt']), ['1', '1']);
  });

  it('lets attempts in flight finish before the deadline and records them', async (t) => {
    const h = await dispatchHarness(t);
    const held: ServerResponse[] = [];
    const receiver = await h.receiver((_req, _n, res) => void held.push(res));
    await h.endpoint({ url: receiver.url });
    const { deliveries } = await h.publish();
    const dispatcher = h.dispatcher();
    await receiver.waitForRequests(1);

    const stopping = dispatcher.stop({ deadlineMs: 10_000 });
    assert.equal(dispatcher.state, 'stopping');
    held[0]!.end('finished late');
    await stopping;

    const delivery = await h.delivery(deliveries[0]!.id);
    assert.deepEqual([delivery.status, delivery.attemptCount], ['succeeded', 1]);
    const [attempt] = await h.store.listAttempts(deliveries[0]!.id);
    assert.equal(attempt!.responseBody, 'finished late');
  });

  it('returns the same promise when stop() is called twice, and leaves the store open', async (t) => {
    const h = await dispatchHarness(t);
    const dispatcher = h.dispatcher();
    const first = dispatcher.stop({ deadlineMs: 1000 });
    const second = dispatcher.stop({ deadlineMs: 5 });
    assert.equal(first, second);
    await first;
    assert.equal(await h.store.countPendingDeliveries(), 0);
    assert.throws(() => dispatcher.start(), /cannot start a dispatcher that is stopped/);
  });

  it('claims nothing once stopped', async (t) => {
    const h = await dispatchHarness(t);
    const receiver = await h.receiver();
    await h.endpoint({ url: receiver.url });
    const dispatcher = h.dispatcher();
    await dispatcher.stop({ deadlineMs: 1000 });

    const { deliveries } = await h.publish();
    dispatcher.notify();
    await settle();
    assert.equal(receiver.requests.length, 0);
    assert.equal((await h.delivery(deliveries[0]!.id)).attemptCount, 0);
  });

  it('stops at once when it was never started', async (t) => {
    const h = await dispatchHarness(t);
    const idle = new Dispatcher({
      store: h.store,
      logger: pino({ level: 'silent' }),
      policy: { schedule: [], timeoutMs: 1000 },
      allowPrivateNetworks: true,
      userAgent: 'Herald/0.0.0-test',
    });
    assert.equal(idle.state, 'idle');
    await idle.stop({ deadlineMs: 1000 });
    assert.equal(idle.state, 'stopped');
  });
});

describe('dispatcher: database failures', () => {
  it('keeps an attempt whose write failed and writes it in full on the next try', async (t) => {
    const h = await dispatchHarness(t);
    // The batch, the record on its own, and its minimal form all fail: the database is down.
    let failures = 3;
    const flaky = interceptStore(h.store, {
      recordAttempts: (...args) => (failures-- > 0 ? Promise.reject(new Error('database is locked')) : h.store.recordAttempts(...args)),
    });
    const receiver = await h.receiver();
    await h.endpoint({ url: receiver.url });
    const { deliveries } = await h.publish();
    h.dispatcher({ store: flaky, pollIntervalMs: 20 });

    await h.deliveryWhere(deliveries[0]!.id, (d) => d.status === 'succeeded');
    assert.equal(receiver.requests.length, 1);
    assert.ok(h.logs.some((line) => line.msg === 'recording attempts failed; retrying'));
    const [attempt] = await h.store.listAttempts(deliveries[0]!.id);
    assert.deepEqual([attempt?.errorKind, attempt?.responseBody], [null, 'ok']);
  });

  it('runs every cleanup step on stop even when the database fails, then reports the failures', async (t) => {
    const h = await dispatchHarness(t);
    const broken = interceptStore(h.store, {
      recordAttempts: () => Promise.reject(new Error('disk full')),
      releaseLeases: () => Promise.reject(new Error('database is locked')),
    });
    const answering = await h.receiver();
    const hanging = await h.receiver(() => undefined);
    await h.endpoint({ url: answering.url });
    await h.endpoint({ url: hanging.url });
    await h.publish();
    const dispatcher = h.dispatcher({ store: broken });
    await answering.waitForRequests(1);
    await hanging.waitForRequests(1);
    await waitFor('a failed write', async () => (h.logs.some((l) => l.msg === 'recording attempts failed; retrying') ? true : undefined));

    await assert.rejects(dispatcher.stop({ deadlineMs: 20 }), (error: unknown) => {
      assert.ok(error instanceof AggregateError);
      assert.deepEqual(error.errors.map((e: Error) => e.message), ['database is locked']);
      return true;
    });
    assert.equal(dispatcher.state, 'stopped');
    assert.ok(h.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('recording attempts failed during shutdown')));
    assert.ok(h.logs.some((l) => l.msg === 'dispatcher shutdown: releasing leases failed'));
  });
});
