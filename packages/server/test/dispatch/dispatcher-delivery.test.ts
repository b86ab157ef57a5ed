import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closedPortUrl } from './closed-port.js';
import { dispatchHarness, settle } from './harness.js';
import { secretsVerifyingByRecipe } from './wire-recipe.js';
import { T0 } from '../helpers/fixtures.js';

describe('dispatcher: delivering', () => {
  it('delivers the envelope byte for byte, signed so that the wire-spec recipe verifies it, to every subscribed endpoint', async (t) => {
    const h = await dispatchHarness(t);
    const [a, b] = [await h.receiver(), await h.receiver()];
    const first = await h.endpoint({ url: a.url });
    const second = await h.endpoint({ url: b.url });
    const payload = { organization_id: h.organizationId, user_id: 'u1', full_name: 'Zoë “Ω” 😀', tags: ['a', 'b'] };
    const { event, deliveries } = await h.publish({ payloadJson: JSON.stringify(payload) });
    assert.equal(deliveries.length, 2);
    h.dispatcher();

    const expectedBody = JSON.stringify({ id: event.id, event: 'user.new', payload });
    for (const [receiver, { secret }] of [[a, first], [b, second]] as const) {
      const [request] = await receiver.waitForRequests(1);
      assert.equal(request!.body.toString('utf8'), expectedBody);
      assert.ok(request!.body.equals(Buffer.from(expectedBody, 'utf8')));
      const signature = request!.headers['x-webhook-signature'] as string;
      assert.equal(signature, `t=${Math.floor(T0 / 1000)},${signature.split(',')[1]}`);
      assert.deepEqual(secretsVerifyingByRecipe(signature, request!.body, [secret]), [secret]);
      assert.equal(request!.headers['x-contactsmanager-signature'], signature);
      assert.equal(request!.headers['x-webhook-id'], event.id);
      assert.equal(request!.headers['x-webhook-event'], 'user.new');
      assert.equal(request!.headers['x-webhook-attempt'], '1');
      assert.equal(request!.headers['user-agent'], 'Herald/0.0.0-test');
      assert.equal(request!.headers['content-type'], 'application/json');
    }

    for (const delivery of deliveries) {
      const done = await h.deliveryWhere(delivery.id, (d) => d.status === 'succeeded');
      assert.deepEqual([done.attemptCount, done.nextAttemptAt, done.lastStatusCode], [1, null, 200]);
      const [attempt] = await h.attempts(delivery.id, 1);
      assert.deepEqual(
        [attempt!.number, attempt!.startedAt, attempt!.statusCode, attempt!.succeeded, attempt!.final, attempt!.responseBody],
        [1, T0, 200, true, true, 'ok'],
      );
      assert.equal(attempt!.requestHeaders['x-webhook-id'], event.id);
      assert.match(attempt!.requestHeaders['x-webhook-signature']!, /^t=\d+,v1=[0-9a-f]{64}$/);
    }
    assert.equal(h.metrics.attempts.get({ outcome: 'succeeded' }), 2);
    assert.match(h.metrics.deliveryLatency.render(), /herald_delivery_latency_seconds_count 2/);
  });

  it('retries a 500 after 3 s, then 7 s, with the same id and body, and succeeds on the third attempt', async (t) => {
    const h = await dispatchHarness(t);
    const receiver = await h.receiver((_req, n, res) => void res.writeHead(n < 3 ? 500 : 200).end(n < 3 ? 'busy' : 'ok'));
    await h.endpoint({ url: receiver.url });
    const { event, deliveries } = await h.publish();
    const id = deliveries[0]!.id;
    const dispatcher = h.dispatcher();

    const afterFirst = await h.deliveryWhere(id, (d) => d.attemptCount === 1 && d.lastAttemptAt !== null);
    assert.equal(afterFirst.status, 'pending');
    assert.equal(afterFirst.nextAttemptAt, T0 + 3000);

    // One millisecond early: nothing may be sent.
    h.clock.advance(2999);
    dispatcher.notify();
    await settle();
    assert.equal(receiver.requests.length, 1);
    h.clock.advance(1);
    dispatcher.notify();

    const afterSecond = await h.deliveryWhere(id, (d) => d.attemptCount === 2 && d.lastAttemptAt === T0 + 3000);
    assert.equal(afterSecond.nextAttemptAt, T0 + 3000 + 7000);

    h.clock.advance(6999);
    dispatcher.notify();
    await settle();
    assert.equal(receiver.requests.length, 2);
    h.clock.advance(1);
    dispatcher.notify();

    const done = await h.deliveryWhere(id, (d) => d.status === 'succeeded');
    assert.equal(done.attemptCount, 3);
    const attempts = await h.attempts(id, 3);
    assert.deepEqual(
      attempts.map((a) => [a.number, a.startedAt, a.statusCode, a.errorKind, a.final]),
      [
        [1, T0, 500, 'http_status', false],
        [2, T0 + 3000, 500, 'http_status', false],
        [3, T0 + 10_000, 200, null, true],
      ],
    );
    assert.equal(attempts[0]!.responseBody, 'busy');

    const requests = receiver.requests;
    assert.deepEqual(requests.map((r) => r.headers['x-webhook-attempt']), ['1', '2', '3']);
    assert.deepEqual(new Set(requests.map((r) => r.headers['x-webhook-id'])), new Set([event.id]));
    assert.deepEqual(new Set(requests.map((r) => r.body.toString('hex'))).size, 1);
    assert.deepEqual(
      requests.map((r) => (r.headers['x-webhook-signature'] as string).split(',')[0]),
      [`t=${T0 / 1000}`, `t=${T0 / 1000 + 3}`, `t=${T0 / 1000 + 10}`],
    );
    assert.equal(h.metrics.attempts.get({ outcome: 'failed', error_kind: 'http_status' }), 2);
    assert.equal(h.metrics.attempts.get({ outcome: 'succeeded' }), 1);
  });

  it('gives up after exactly 3 attempts to an endpoint that always fails, and marks the delivery failed', async (t) => {
    const h = await dispatchHarness(t);
    const receiver = await h.receiver((_req, _n, res) => void res.writeHead(503).end());
    await h.endpoint({ url: receiver.url });
    const { deliveries } = await h.publish();
    const id = deliveries[0]!.id;
    const dispatcher = h.dispatcher();

    for (const [attempts, delay] of [[1, 3000], [2, 7000]] as const) {
      await h.deliveryWhere(id, (d) => d.attemptCount === attempts && d.nextAttemptAt === h.clock.now() + delay);
      h.clock.advance(delay);
      dispatcher.notify();
    }
    const failed = await h.deliveryWhere(id, (d) => d.status === 'failed');
    assert.deepEqual([failed.attemptCount, failed.nextAttemptAt, failed.lastStatusCode], [3, null, 503]);
    assert.deepEqual((await h.attempts(id, 3)).map((a) => a.final), [false, false, true]);

    h.clock.advance(24 * 60 * 60 * 1000);
    dispatcher.notify();
    await settle();
    assert.equal(receiver.requests.length, 3);
    assert.ok(h.logs.some((line) => line.msg === 'delivery failed for good' && line.deliveryId === id));
  });

  it('counts an attempt that gets no response within the timeout as a failure and schedules a retry', async (t) => {
    const h = await dispatchHarness(t);
    const receiver = await h.receiver(() => undefined);
    await h.endpoint({ url: receiver.url });
    const { deliveries } = await h.publish();
    h.dispatcher({ policy: { schedule: [3000, 7000], timeoutMs: 150 } });

    const [attempt] = await h.attempts(deliveries[0]!.id, 1);
    assert.equal(attempt!.errorKind, 'timeout');
    assert.match(attempt!.errorMessage!, /no complete response within 150 ms/);
    assert.equal(attempt!.statusCode, null);
    assert.equal(attempt!.final, false);
    assert.equal((await h.delivery(deliveries[0]!.id)).nextAttemptAt, T0 + 3000);
  });

  it('counts a refused connection as a failure and schedules a retry', async (t) => {
    const h = await dispatchHarness(t);
    await h.endpoint({ url: await closedPortUrl() });
    const { deliveries } = await h.publish();
    h.dispatcher();

    const [attempt] = await h.attempts(deliveries[0]!.id, 1);
    assert.equal(attempt!.errorKind, 'connection');
    assert.match(attempt!.errorMessage!, /ECONNREFUSED/);
    const delivery = await h.delivery(deliveries[0]!.id);
    assert.deepEqual([delivery.status, delivery.nextAttemptAt, delivery.lastError], ['pending', T0 + 3000, attempt!.errorMessage]);
  });

  it('counts a 302 as a failure and does not follow it', async (t) => {
    const h = await dispatchHarness(t);
    const target = await h.receiver();
    const redirecting = await h.receiver((_req, _n, res) => void res.writeHead(302, { location: target.url }).end());
    await h.endpoint({ url: redirecting.url });
    const { deliveries } = await h.publish();
    h.dispatcher();

    const [attempt] = await h.attempts(deliveries[0]!.id, 1);
    assert.deepEqual([attempt!.statusCode, attempt!.errorKind, attempt!.succeeded], [302, 'http_status', false]);
    assert.match(attempt!.errorMessage!, /redirect .* not followed/);
    assert.equal((await h.delivery(deliveries[0]!.id)).nextAttemptAt, T0 + 3000);
    assert.equal(target.requests.length, 0);
  });
});

describe('dispatcher: private networks', () => {
  it('refuses loopback by default: fails the delivery at once, logging a clear reason, without retrying', async (t) => {
    const h = await dispatchHarness(t);
    const receiver = await h.receiver();
    await h.endpoint({ url: receiver.url });
    const { deliveries } = await h.publish();
    const id = deliveries[0]!.id;
    const dispatcher = h.dispatcher({ allowPrivateNetworks: false });

    const failed = await h.deliveryWhere(id, (d) => d.status === 'failed');
    const reason =
      'refused to deliver to 127.0.0.1: loopback address (start Herald with --allow-private-networks to allow)';
    assert.deepEqual([failed.attemptCount, failed.nextAttemptAt, failed.lastError], [1, null, reason]);
    const [attempt] = await h.attempts(id, 1);
    assert.deepEqual([attempt!.errorKind, attempt!.errorMessage, attempt!.final], ['blocked_address', reason, true]);
    assert.ok(h.logs.some((line) => line.errorKind === 'blocked_address' && line.error === reason && line.level === 40));

    h.clock.advance(60_000);
    dispatcher.notify();
    await settle();
    assert.equal(receiver.connectionCount(), 0);
  });

  it('delivers to loopback when private networks are allowed', async (t) => {
    const h = await dispatchHarness(t);
    const receiver = await h.receiver();
    await h.endpoint({ url: receiver.url });
    const { deliveries } = await h.publish();
    h.dispatcher({ allowPrivateNetworks: true });

    await h.deliveryWhere(deliveries[0]!.id, (d) => d.status === 'succeeded');
    assert.equal(receiver.requests.length, 1);
  });
});
