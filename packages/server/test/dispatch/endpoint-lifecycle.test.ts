import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { verifyWebhook, type HeraldEvent } from '@herald/sdk';
import { pino, type Logger } from 'pino';
import { EndpointLifecycle } from '../../src/lifecycle/endpoint-lifecycle.js';
import { createOperationalPublisher, type OperationalPublisher } from '../../src/lifecycle/operational-events.js';
import { ensureOperationalWebhook } from '../../src/lifecycle/operational-webhook.js';
import { DEFAULT_LIFECYCLE_POLICY, type LifecyclePolicy } from '../../src/lifecycle/policy.js';
import { DEFAULT_RETRY_POLICY } from '../../src/dispatch/retry-policy.js';
import type { Store } from '../../src/store/store.js';
import type { Receiver } from '../../../../test-support/receiver.js';
import { createOrganization, newEndpoint, newEvent, T0 } from '../helpers/fixtures.js';
import { dispatchHarness, interceptStore, settle, waitFor, type DispatchHarness } from './harness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** One attempt per delivery: each failure ends its delivery `failed`. */
const ONE_ATTEMPT = { ...DEFAULT_RETRY_POLICY, schedule: [] };

interface LifecycleParts {
  store?: Store;
  publisher?: OperationalPublisher;
  logger?: Logger;
}

/** Its errors go to stderr: a failure it swallows still shows beside the test that it broke. */
function lifecycleFor(h: DispatchHarness, policy: Partial<LifecyclePolicy> = {}, parts: LifecycleParts = {}): EndpointLifecycle {
  return new EndpointLifecycle({
    store: parts.store ?? h.store,
    logger: parts.logger ?? pino({ level: 'error' }, pino.destination({ dest: 2, sync: true })),
    clock: h.clock,
    policy: { ...DEFAULT_LIFECYCLE_POLICY, sweepIntervalMs: 3_600_000, ...policy },
    publisher: parts.publisher ?? createOperationalPublisher(h.store, h.clock),
  });
}

/** A logger at `error` that keeps its lines, parsed. */
function capturedErrors(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'error' }, stream), lines };
}

/**
 * Sweeps until the organization's log holds `count` events of `type`. One sweep is not enough: on
 * PostgreSQL a sweep passes over an endpoint row another transaction holds (`SKIP LOCKED`) — the
 * last failure's delivery.exhausted bookkeeping may still be committing when its streak already
 * shows — and leaves it to the next sweep, as every `sweepIntervalMs` does in production.
 */
async function sweepUntilPublished(h: DispatchHarness, lifecycle: EndpointLifecycle, type: string, count: number): Promise<void> {
  await waitFor(`${count} ${type} event(s) to be published`, async () => {
    await lifecycle.sweep();
    const { items } = await h.store.listEvents({ organizationId: h.organizationId, type, limit: count + 1 });
    return items.length >= count ? items : undefined;
  });
}

/** The events `receiver` got, verified with the SDK against `secret`. */
function verified(receiver: Receiver, secret: string): HeraldEvent[] {
  return receiver.requests.map((request) => verifyWebhook(request.body, request.headers, secret, { now: () => T0 }) as HeraldEvent);
}

/** An endpoint whose `failures` deliveries failed, `everyMs` apart (the first at T0), and a watcher subscribed to its news. */
async function failingEndpoint(h: DispatchHarness, failures: number, everyMs: number, lifecycle = lifecycleFor(h)) {
  const broken = await h.receiver((_req, _n, res) => void res.writeHead(500).end('down'));
  const watcher = await h.receiver();
  const target = await h.endpoint({ url: broken.url, events: ['user.new'] });
  const subscriber = await h.endpoint({ url: watcher.url, events: ['endpoint.failing', 'endpoint.disabled'] });
  h.dispatcher({ policy: ONE_ATTEMPT, lifecycle });
  for (let i = 1; i <= failures; i++) {
    await h.publish();
    await waitFor(`failed delivery ${i}`, async () => {
      const endpoint = await h.store.getEndpoint(h.organizationId, target.endpoint.id);
      return endpoint!.health.failedDeliveriesInStreak === i ? endpoint : undefined;
    });
    if (i < failures) h.clock.advance(everyMs);
  }
  return { target, watcher, subscriber, lifecycle };
}

describe('receivers that ask to wait (Retry-After)', () => {
  it('a 429 with Retry-After: 5 is not attempted again for 5 s, and the log shows the wait asked for and applied', async (t) => {
    const h = await dispatchHarness(t);
    const receiver = await h.receiver((_req, n, res) => void (n === 1 ? res.writeHead(429, { 'retry-after': '5' }).end('slow down') : res.end('ok')));
    await h.endpoint({ url: receiver.url });
    const { deliveries } = await h.publish();
    const id = deliveries[0]!.id;
    const dispatcher = h.dispatcher();

    const waiting = await h.deliveryWhere(id, (d) => d.lastAttemptAt !== null);
    assert.equal(waiting.nextAttemptAt, T0 + 5000);
    h.clock.advance(4999);
    dispatcher.notify();
    await settle();
    assert.equal(receiver.requests.length, 1);
    h.clock.advance(1);
    dispatcher.notify();
    await h.deliveryWhere(id, (d) => d.status === 'succeeded');
    const [first, second] = await h.attempts(id, 2);
    assert.deepEqual([first!.statusCode, first!.retryAfterRequestedMs, first!.retryAfterAppliedMs], [429, 5000, 5000]);
    assert.match(first!.errorMessage!, /Retry-After: 5/);
    assert.deepEqual([second!.number, second!.retryAfterRequestedMs], [2, null]);
  });

  it('honours a Retry-After HTTP date on a 503', async (t) => {
    const h = await dispatchHarness(t);
    const at = new Date(T0 + 90_000).toUTCString();
    const receiver = await h.receiver((_req, _n, res) => void res.writeHead(503, { 'retry-after': at }).end());
    await h.endpoint({ url: receiver.url });
    const { deliveries } = await h.publish();
    h.dispatcher();
    const waiting = await h.deliveryWhere(deliveries[0]!.id, (d) => d.lastAttemptAt !== null);
    assert.equal(waiting.nextAttemptAt, T0 + 90_000);
    const [attempt] = await h.attempts(deliveries[0]!.id, 1);
    assert.deepEqual([attempt!.retryAfterRequestedMs, attempt!.retryAfterAppliedMs], [90_000, 90_000]);
  });

  it('caps a two-day Retry-After at --max-retry-after', async (t) => {
    const h = await dispatchHarness(t);
    const receiver = await h.receiver((_req, _n, res) => void res.writeHead(429, { 'retry-after': String(2 * 86_400) }).end());
    await h.endpoint({ url: receiver.url });
    const { deliveries } = await h.publish();
    h.dispatcher({ policy: { ...DEFAULT_RETRY_POLICY, maxRetryAfterMs: HOUR } });
    const waiting = await h.deliveryWhere(deliveries[0]!.id, (d) => d.lastAttemptAt !== null);
    assert.equal(waiting.nextAttemptAt, T0 + HOUR);
    const [attempt] = await h.attempts(deliveries[0]!.id, 1);
    assert.deepEqual([attempt!.retryAfterRequestedMs, attempt!.retryAfterAppliedMs], [2 * DAY, HOUR]);
  });
});

describe('receivers that are gone (410)', () => {
  it('disables the endpoint, fails its other pending deliveries unattempted, and tells a subscribed endpoint, signed, with reason gone', async (t) => {
    const h = await dispatchHarness(t);
    const gone = await h.receiver((_req, _n, res) => void res.writeHead(410).end('gone'));
    const watcher = await h.receiver();
    const target = await h.endpoint({ url: gone.url, events: ['user.new'] });
    const subscriber = await h.endpoint({ url: watcher.url, events: ['endpoint.disabled'] });
    const published = [await h.publish(), await h.publish(), await h.publish()];
    // One lease at a time, so the 410 comes before the other two are claimed.
    h.dispatcher({ perEndpointConcurrency: 1, lifecycle: lifecycleFor(h) });

    await watcher.waitForRequests(1);
    const [event] = verified(watcher, subscriber.secret);
    assert.equal(event!.event, 'endpoint.disabled');
    assert.equal(event!.payload.organization_id, h.organizationId);
    assert.equal(event!.payload.endpoint_id, target.endpoint.id);
    assert.equal(event!.payload.reason, 'gone');

    const endpoint = await h.store.getEndpoint(h.organizationId, target.endpoint.id);
    assert.deepEqual([endpoint?.enabled, endpoint?.health.disabledReason], [false, 'gone']);
    const deliveries = await Promise.all(published.map(({ deliveries: [d] }) => h.deliveryWhere(d!.id, (x) => x.status === 'failed')));
    assert.equal(gone.requests.length, 1);
    assert.deepEqual(deliveries.map((d) => d.lastErrorKind).sort(), ['endpoint_disabled', 'endpoint_disabled', 'http_status']);
    assert.ok(deliveries.filter((d) => d.lastErrorKind === 'endpoint_disabled').every((d) => d.attemptCount === 0));
    await settle();
    assert.equal(watcher.requests.length, 1);
  });
});

describe('warn, then disable', () => {
  it('sends endpoint.failing after 24 h, exactly once, and disables the endpoint after 5 days of failing', async (t) => {
    const h = await dispatchHarness(t);
    const { target, watcher, subscriber, lifecycle } = await failingEndpoint(h, 10, HOUR);
    const failingSince = T0;

    h.clock.advance(24 * HOUR - 9 * HOUR - 1);
    await lifecycle.sweep();
    await settle();
    assert.equal(watcher.requests.length, 0);
    h.clock.advance(1);
    await sweepUntilPublished(h, lifecycle, 'endpoint.failing', 1);
    await watcher.waitForRequests(1);
    h.clock.advance(HOUR);
    await lifecycle.sweep();
    await settle();
    assert.equal(watcher.requests.length, 1);
    const verify = (): HeraldEvent[] => watcher.requests.map((r) => JSON.parse(r.body.toString('utf8')) as HeraldEvent);
    const [failing] = verify();
    assert.equal(failing!.event, 'endpoint.failing');
    assert.deepEqual(failing!.payload, {
      organization_id: h.organizationId,
      endpoint_id: target.endpoint.id,
      url: target.endpoint.url,
      failing_since: new Date(failingSince).toISOString(),
      failed_deliveries: 10,
      disable_at: new Date(failingSince + 5 * DAY).toISOString(),
    });
    assert.ok(verifyWebhook(watcher.requests[0]!.body, watcher.requests[0]!.headers, subscriber.secret, { now: () => T0 + DAY }));

    h.clock.advance(T0 + 5 * DAY - 1 - h.clock.now());
    await lifecycle.sweep();
    assert.equal((await h.store.getEndpoint(h.organizationId, target.endpoint.id))?.enabled, true);
    h.clock.advance(1);
    await sweepUntilPublished(h, lifecycle, 'endpoint.disabled', 1);
    await watcher.waitForRequests(2);
    const disabled = verify()[1]!;
    assert.deepEqual([disabled.event, disabled.payload.reason, disabled.payload.failed_deliveries], ['endpoint.disabled', 'failing', 10]);
    const endpoint = await h.store.getEndpoint(h.organizationId, target.endpoint.id);
    assert.deepEqual([endpoint?.enabled, endpoint?.health.disabledReason], [false, 'failing']);
  });

  it('does not disable an endpoint with fewer than 10 failed deliveries, however long it has been failing', async (t) => {
    const h = await dispatchHarness(t);
    const { target, watcher, lifecycle } = await failingEndpoint(h, 9, HOUR);
    h.clock.advance(T0 + 30 * DAY - h.clock.now());
    await sweepUntilPublished(h, lifecycle, 'endpoint.failing', 1);
    await watcher.waitForRequests(1);
    // Once more, with nothing else holding the row: still no disable.
    await lifecycle.sweep();
    await settle();
    assert.deepEqual(watcher.requests.map((r) => (JSON.parse(r.body.toString('utf8')) as HeraldEvent).event), ['endpoint.failing']);
    const endpoint = await h.store.getEndpoint(h.organizationId, target.endpoint.id);
    assert.deepEqual([endpoint?.enabled, endpoint?.health.failedDeliveriesInStreak], [true, 9]);
  });
});

describe('failures the lifecycle survives', () => {
  it('sends endpoint.failing at the next sweep when publishing it failed, and logs the failure at error', async (t) => {
    const h = await dispatchHarness(t);
    let refusals = 1;
    const refusing = interceptStore(h.store, {
      publishEvents: async (events) => {
        if (refusals-- > 0) throw new Error('could not serialize access due to concurrent update');
        return h.store.publishEvents(events);
      },
    });
    const errors = capturedErrors();
    const lifecycle = lifecycleFor(h, {}, { publisher: createOperationalPublisher(refusing, h.clock), logger: errors.logger });
    const { target, watcher } = await failingEndpoint(h, 1, HOUR, lifecycle);

    h.clock.advance(DAY);
    await waitFor('the warning to be marked sent', async () => {
      await lifecycle.sweep();
      const endpoint = await h.store.getEndpoint(h.organizationId, target.endpoint.id);
      return endpoint!.health.warnedAt === null ? undefined : endpoint;
    });
    assert.equal((await h.store.listEvents({ organizationId: h.organizationId, type: 'endpoint.failing', limit: 1 })).items.length, 0);
    assert.deepEqual(
      errors.lines.map((line) => [line.level, line.msg, line.endpointId, (line.err as { message?: string } | undefined)?.message]),
      [[50, 'publishing endpoint.failing failed', target.endpoint.id, 'could not serialize access due to concurrent update']],
    );

    await lifecycle.sweep();
    await watcher.waitForRequests(1);
    await lifecycle.sweep();
    await settle();
    assert.deepEqual(watcher.requests.map((r) => (JSON.parse(r.body.toString('utf8')) as HeraldEvent).event), ['endpoint.failing']);
  });

  it('counts a failed delivery whose streak write failed at the next sweep', async (t) => {
    const h = await dispatchHarness(t);
    let refusals = 1;
    const refusing = interceptStore(h.store, {
      recordEndpointHealth: async (changes) => {
        if (refusals-- > 0) throw new Error('deadlock detected');
        return h.store.recordEndpointHealth(changes);
      },
    });
    const errors = capturedErrors();
    const lifecycle = lifecycleFor(h, {}, { store: refusing, logger: errors.logger });
    const broken = await h.receiver((_req, _n, res) => void res.writeHead(500).end('down'));
    const target = await h.endpoint({ url: broken.url, events: ['user.new'] });
    h.dispatcher({ policy: ONE_ATTEMPT, lifecycle });
    await h.publish();
    await waitFor('the streak write to fail', async () => (errors.lines.length > 0 ? errors.lines : undefined));
    assert.deepEqual(
      errors.lines.map((line) => [line.msg, line.endpointIds]),
      [['recording endpoint failing streaks failed', [target.endpoint.id]]],
    );
    assert.equal((await h.store.getEndpoint(h.organizationId, target.endpoint.id))!.health.failingSince, null);

    await lifecycle.sweep();
    const endpoint = await h.store.getEndpoint(h.organizationId, target.endpoint.id);
    assert.deepEqual([endpoint!.health.failingSince, endpoint!.health.failedDeliveriesInStreak], [T0, 1]);
  });
});

describe('delivery.exhausted', () => {
  it('coalesces a storm on one endpoint: one notice at once, the rest in one notice carrying their count when the window ends', async (t) => {
    const h = await dispatchHarness(t);
    const broken = await h.receiver((_req, _n, res) => void res.writeHead(500).end('down'));
    const watcher = await h.receiver();
    const target = await h.endpoint({ url: broken.url, events: ['user.new'] });
    const subscriber = await h.endpoint({ url: watcher.url, events: ['delivery.exhausted'] });
    const lifecycle = lifecycleFor(h);
    const storm = 20;
    for (let i = 0; i < storm; i++) await h.publish();
    h.dispatcher({ policy: ONE_ATTEMPT, lifecycle });
    await waitFor('every delivery of the storm to fail', async () => {
      const endpoint = await h.store.getEndpoint(h.organizationId, target.endpoint.id);
      return endpoint!.health.failedDeliveriesInStreak === storm ? endpoint : undefined;
    });
    await watcher.waitForRequests(1);
    await settle();
    assert.equal(watcher.requests.length, 1);

    h.clock.advance(60_000);
    await sweepUntilPublished(h, lifecycle, 'delivery.exhausted', 2);
    await watcher.waitForRequests(2);
    await settle();
    const notices = verified(watcher, subscriber.secret);
    assert.equal(notices.length, 2);
    assert.ok(notices.every((n) => n.event === 'delivery.exhausted' && n.payload.endpoint_id === target.endpoint.id));
    assert.deepEqual(notices.map((n) => n.payload.count), [1, storm - 1]);
    assert.equal(notices[0]!.payload.last_status_code, 500);
    assert.equal(notices[0]!.payload.window_seconds, 60);
  });

  it('counts the deliveries exhausted in one turn in one write, and publishes the one notice it lets through', async (t) => {
    const h = await dispatchHarness(t);
    const target = await h.endpoint({ url: 'https://receiver.example/hooks', events: ['user.new'] });
    await h.endpoint({ url: 'https://watcher.example/hooks', events: ['delivery.exhausted'] });
    const batches: number[] = [];
    const store = interceptStore(h.store, {
      noteExhaustedDeliveries: (exhaustions, windowMs) => {
        batches.push(exhaustions.length);
        return h.store.noteExhaustedDeliveries(exhaustions, windowMs);
      },
    });
    const lifecycle = lifecycleFor(h, {}, { store });
    const published = await Promise.all(Array.from({ length: 5 }, () => h.publish()));
    const exhausted = published.map(({ event, deliveries }) => ({
      endpointId: target.endpoint.id, succeeded: false, status: 500, final: true, at: h.clock.now(),
      organizationId: h.organizationId, deliveryId: deliveries.find((d) => d.endpointId === target.endpoint.id)!.id, eventType: event.type,
    }));
    await Promise.all(exhausted.map((attempt) => lifecycle.afterAttempt(attempt)));
    await lifecycle.stop();
    assert.deepEqual(batches, [5]);
    const notices = (await h.store.listEvents({ organizationId: h.organizationId, type: 'delivery.exhausted', limit: 10 })).items;
    assert.deepEqual(
      notices.map((n) => JSON.parse(n.payloadJson) as { delivery_id: string; count: number }).map((p) => [p.delivery_id, p.count]),
      [[exhausted[0]!.deliveryId, 1]],
    );
  });
});

describe('the operational webhook URL', () => {
  it("receives every organization's operational events, each with its organization_id, signed with its own secret", async (t) => {
    const h = await dispatchHarness(t);
    const platform = await h.receiver();
    const operational = await ensureOperationalWebhook(h.store, h.clock, platform.url);
    assert.equal(operational.secretCreated, true);
    assert.equal((await ensureOperationalWebhook(h.store, h.clock, platform.url)).secret, operational.secret);

    const gone = await h.receiver((_req, _n, res) => void res.writeHead(410).end());
    const other = await createOrganization(h.store, h.clock, 'Globex');
    const first = await h.endpoint({ url: gone.url, events: ['user.new'] });
    const second = await h.store.createEndpoint(newEndpoint(other.id, { url: gone.url, events: ['user.new'] }));
    await h.publish();
    await h.store.publishEvents([newEvent(other.id)]);
    h.dispatcher({ lifecycle: lifecycleFor(h) });

    // The 410 disables each endpoint, and its delivery failed its last attempt: two events per organization.
    await platform.waitForRequests(4);
    await settle();
    const events = verified(platform, operational.secret);
    assert.deepEqual(
      events.map((e) => [e.event, e.payload.organization_id, e.payload.endpoint_id, e.payload.reason ?? e.payload.count]).sort(),
      [
        ['delivery.exhausted', h.organizationId, first.endpoint.id, 1],
        ['delivery.exhausted', other.id, second.id, 1],
        ['endpoint.disabled', h.organizationId, first.endpoint.id, 'gone'],
        ['endpoint.disabled', other.id, second.id, 'gone'],
      ].sort(),
    );
    // Neither organization subscribed, so neither has an operational event in its own log.
    assert.equal((await h.store.listEvents({ organizationId: other.id, limit: 10 })).items.length, 1);
  });
});
