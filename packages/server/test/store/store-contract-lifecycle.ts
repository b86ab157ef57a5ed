import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uuidv7 } from '../../src/ids.js';
import type { AttemptRecord, ClaimedDelivery, NewEndpoint, NewEvent, Store } from '../../src/store/store.js';

/**
 * The endpoint-lifecycle part of the Store contract: failing streaks, disabling (410, failing, by
 * hand), warnings once per streak, failing the backlog of disabled endpoints, delivery.exhausted
 * coalescing, Retry-After in the attempt log, and the operational fan-out rules. `store-contract.ts`
 * calls it inside its own describe block, so each test gets that block's fresh store and organization.
 */
export function describeLifecycleContract(current: () => { store: Store; org: string }, T0: number): void {
  const HOUR = 3_600_000;
  const endpoint = (overrides: Partial<NewEndpoint> = {}) => {
    const { store, org } = current();
    return store.createEndpoint({
      id: uuidv7(), organizationId: org, url: 'http://127.0.0.1:9/hook', description: '', events: ['*'], enabled: true,
      signatureScheme: 'contactsmanager', secret: `whsec_${uuidv7()}`, createdAt: T0, ...overrides,
    });
  };
  const publish = async (overrides: Partial<NewEvent> = {}) => {
    const { store, org } = current();
    const [result] = await store.publishEvents([{
      id: uuidv7(), organizationId: org, type: 'user.new', payloadJson: '{"organization_id":"org"}', idempotencyKey: null,
      createdAt: T0, idempotencyExpiresAt: T0 + 24 * HOUR, ...overrides,
    }]);
    return result!;
  };
  const claim = (now = T0) =>
    current().store.claimDueDeliveries({ leaseOwner: 'worker', limit: 100, leaseMs: 30_000, now, perEndpointLimit: 100 });
  const health = async (id: string) => (await current().store.getEndpoint(current().org, id))!.health;
  const failed = (endpointId: string, at: number) => ({ endpointId, kind: 'delivery_failed' as const, at });
  const succeeded = (endpointId: string, at: number) => ({ endpointId, kind: 'succeeded' as const, at });

  describe('failing streaks', () => {
    it('starts a streak at the first failed delivery, counts the next ones, and ends it at a success', async () => {
      const { store } = current();
      const target = await endpoint();
      await store.recordEndpointHealth([failed(target.id, T0 + 5), failed(target.id, T0 + 9)]);
      assert.deepEqual(await health(target.id), {
        disabledReason: null, disabledAt: null, failingSince: T0 + 5, failedDeliveriesInStreak: 2, warnedAt: null,
      });
      await store.recordEndpointHealth([failed(target.id, T0 + 20)]);
      assert.deepEqual([(await health(target.id)).failingSince, (await health(target.id)).failedDeliveriesInStreak], [T0 + 5, 3]);
      await store.recordEndpointHealth([succeeded(target.id, T0 + 30)]);
      assert.deepEqual([(await health(target.id)).failingSince, (await health(target.id)).failedDeliveriesInStreak], [null, 0]);
    });

    it('applies changes in order: a failure after a success in one batch starts a new streak', async () => {
      const { store } = current();
      const [a, b] = [await endpoint(), await endpoint()];
      await store.recordEndpointHealth([failed(a.id, T0), failed(b.id, T0 + 1), succeeded(a.id, T0 + 2), failed(a.id, T0 + 3)]);
      assert.deepEqual([(await health(a.id)).failingSince, (await health(a.id)).failedDeliveriesInStreak], [T0 + 3, 1]);
      assert.deepEqual([(await health(b.id)).failingSince, (await health(b.id)).failedDeliveriesInStreak], [T0 + 1, 1]);
    });
  });

  describe('disabling and re-enabling', () => {
    it('disables an enabled endpoint once, with its reason, and answers null the second time', async () => {
      const { store, org } = current();
      const target = await endpoint();
      const disabled = await store.disableEndpoint(org, target.id, 'gone', T0 + 7);
      assert.deepEqual([disabled?.enabled, disabled?.health.disabledReason, disabled?.health.disabledAt], [false, 'gone', T0 + 7]);
      assert.equal(await store.disableEndpoint(org, target.id, 'failing', T0 + 8), null);
      assert.equal(await store.disableEndpoint(uuidv7(), target.id, 'gone', T0), null);
      assert.equal((await health(target.id)).disabledReason, 'gone');
    });

    it('a disable by hand reads manual; re-enabling clears the reason and the streak', async () => {
      const { store, org } = current();
      const target = await endpoint();
      await store.recordEndpointHealth([failed(target.id, T0)]);
      const paused = await store.updateEndpoint(org, target.id, { enabled: false }, T0 + 1);
      assert.deepEqual([paused?.health.disabledReason, paused?.health.disabledAt], ['manual', T0 + 1]);
      const again = await store.updateEndpoint(org, target.id, { enabled: true }, T0 + 2);
      assert.deepEqual(again?.health, { disabledReason: null, disabledAt: null, failingSince: null, failedDeliveriesInStreak: 0, warnedAt: null });
      await store.disableEndpoint(org, target.id, 'gone', T0 + 3);
      // Disabling an endpoint that is already off keeps the reason it has.
      assert.equal((await store.updateEndpoint(org, target.id, { enabled: false }, T0 + 4))?.health.disabledReason, 'gone');
    });
  });

  describe('warnings and disables for failing', () => {
    it('warns each enabled endpoint failing since the cutoff once per streak', async () => {
      const { store, org } = current();
      const [old, recent, off] = [await endpoint(), await endpoint(), await endpoint()];
      await store.recordEndpointHealth([failed(old.id, T0), failed(recent.id, T0 + HOUR), failed(off.id, T0)]);
      await store.updateEndpoint(org, off.id, { enabled: false }, T0);
      const warned = await store.warnFailingEndpoints(T0, T0 + 24 * HOUR, 10);
      assert.deepEqual(warned.map((e) => [e.id, e.health.warnedAt]), [[old.id, T0 + 24 * HOUR]]);
      assert.deepEqual(await store.warnFailingEndpoints(T0 + HOUR, T0 + 25 * HOUR, 10).then((list) => list.map((e) => e.id)), [recent.id]);
      assert.deepEqual(await store.warnFailingEndpoints(T0 + 2 * HOUR, T0 + 26 * HOUR, 10), []);
      // A success ends the streak; the next streak is warned again.
      await store.recordEndpointHealth([succeeded(old.id, T0 + 27 * HOUR), failed(old.id, T0 + 28 * HOUR)]);
      assert.deepEqual((await store.warnFailingEndpoints(T0 + 28 * HOUR, T0 + 52 * HOUR, 10)).map((e) => e.id), [old.id]);
    });

    it('disables for failing only with enough failed deliveries in the streak', async () => {
      const { store } = current();
      const [many, few] = [await endpoint(), await endpoint()];
      await store.recordEndpointHealth([
        ...Array.from({ length: 10 }, (_, i) => failed(many.id, T0 + i)),
        ...Array.from({ length: 9 }, (_, i) => failed(few.id, T0 + i)),
      ]);
      const disabled = await store.disableFailingEndpoints(T0, 10, T0 + 120 * HOUR, 10);
      assert.deepEqual(disabled.map((e) => [e.id, e.enabled, e.health.disabledReason]), [[many.id, false, 'failing']]);
      assert.deepEqual(await store.disableFailingEndpoints(T0, 10, T0 + 121 * HOUR, 10), []);
      assert.equal((await current().store.getEndpoint(current().org, few.id))?.enabled, true);
    });
  });

  describe("the backlog of disabled endpoints", () => {
    it('fails the pending deliveries of gone endpoints as endpoint_disabled, not those paused by hand, nor live leases', async () => {
      const { store, org } = current();
      const gone = await endpoint();
      const paused = await endpoint();
      await publish();
      const [leased] = (await claim()).filter((c) => c.endpointId === gone.id);
      await publish({ createdAt: T0 + 1 });
      await publish({ createdAt: T0 + 2 });
      await store.disableEndpoint(org, gone.id, 'gone', T0 + 10);
      await store.updateEndpoint(org, paused.id, { enabled: false }, T0 + 10);

      assert.equal(await store.failDeliveriesOfDisabledEndpoints(T0 + 20, 1), 1);
      assert.equal(await store.failDeliveriesOfDisabledEndpoints(T0 + 20, 100), 1);
      assert.equal(await store.failDeliveriesOfDisabledEndpoints(T0 + 20, 100), 0);
      const deliveries = (await store.listDeliveries({ organizationId: org, endpointId: gone.id, limit: 10 })).items;
      const ended = deliveries.filter((d) => d.id !== leased!.deliveryId);
      assert.deepEqual(ended.map((d) => [d.status, d.lastErrorKind, d.updatedAt, d.nextAttemptAt]), [
        ['failed', 'endpoint_disabled', T0 + 20, null],
        ['failed', 'endpoint_disabled', T0 + 20, null],
      ]);
      assert.match(ended[0]!.lastError!, /disabled \(gone\)/);
      assert.equal(deliveries.find((d) => d.id === leased!.deliveryId)?.status, 'pending');
      const pausedDeliveries = (await store.listDeliveries({ organizationId: org, endpointId: paused.id, limit: 10 })).items;
      assert.ok(pausedDeliveries.every((d) => d.status === 'pending'));
      // Once the lease has run out, the leased one goes too.
      assert.equal(await store.failDeliveriesOfDisabledEndpoints(T0 + 60_000, 100), 1);
    });
  });

  describe('delivery.exhausted coalescing', () => {
    it('lets one notice through per window, holds the rest back, and hands those over once the window ends', async () => {
      const { store, org } = current();
      const target = await endpoint();
      const window = 60_000;
      const note = (deliveryId: string, at: number) => store.noteExhaustedDeliveries([{ endpointId: target.id, deliveryId, at }], window);
      // One batch is counted in order, as if each were noted alone.
      assert.deepEqual(
        await store.noteExhaustedDeliveries([
          { endpointId: target.id, deliveryId: 'd1', at: T0 },
          { endpointId: target.id, deliveryId: 'd2', at: T0 + 10 },
          { endpointId: target.id, deliveryId: 'd3', at: T0 + 20 },
        ], window),
        [{ endpointId: target.id, organizationId: org, deliveryId: 'd1', count: 1 }, null, null],
      );
      assert.deepEqual(await store.takeHeldBackExhaustions(T0 + window - 1, window, 10), []);
      assert.deepEqual(await store.takeHeldBackExhaustions(T0 + window, window, 10), [
        { endpointId: target.id, organizationId: org, deliveryId: 'd3', count: 2 },
      ]);
      assert.deepEqual(await store.takeHeldBackExhaustions(T0 + 3 * window, window, 10), []);
      // Held back, then the window ends before any sweep: the next notice carries them.
      assert.deepEqual(await note('d4', T0 + window + 5), [null]);
      assert.deepEqual(await note('d5', T0 + 2 * window + 1), [{ endpointId: target.id, organizationId: org, deliveryId: 'd5', count: 2 }]);
    });

    it('answers a batch over several endpoints in the order it was given, null for an endpoint that does not exist', async () => {
      const { store, org } = current();
      const [first, second] = [await endpoint(), await endpoint()];
      const [later, earlier] = first.id > second.id ? [first, second] : [second, first];
      const window = 60_000;
      assert.deepEqual(
        await store.noteExhaustedDeliveries([
          { endpointId: later.id, deliveryId: 'a1', at: T0 },
          { endpointId: uuidv7(), deliveryId: 'x1', at: T0 },
          { endpointId: earlier.id, deliveryId: 'b1', at: T0 },
          { endpointId: later.id, deliveryId: 'a2', at: T0 + 1 },
        ], window),
        [
          { endpointId: later.id, organizationId: org, deliveryId: 'a1', count: 1 },
          null,
          { endpointId: earlier.id, organizationId: org, deliveryId: 'b1', count: 1 },
          null,
        ],
      );
      assert.deepEqual(await store.noteExhaustedDeliveries([], window), []);
    });
  });

  describe('operational fan-out', () => {
    it('sends operational types only to endpoints naming them, never to the endpoint the event is about', async () => {
      const everything = await endpoint({ events: ['*'] });
      const named = await endpoint({ events: ['endpoint.disabled'] });
      const subject = await endpoint({ events: ['endpoint.disabled'] });
      const result = await publish({ type: 'endpoint.disabled', exceptEndpointId: subject.id });
      assert.deepEqual(result.deliveries.map((d) => d.endpointId), [named.id]);
      assert.ok(!result.deliveries.some((d) => d.endpointId === everything.id));
    });
  });

  describe('the attempt log', () => {
    it("keeps the Retry-After waits of an attempt and the delivery's last error kind", async () => {
      const { store, org } = current();
      await endpoint();
      const published = await publish();
      const [claimed] = await claim();
      await store.recordAttempts([attemptRecord(claimed!, { statusCode: 429, errorKind: 'http_status', retryAfterRequestedMs: 5000, retryAfterAppliedMs: 5000 }, T0 + 5000)]);
      const [attempt] = await store.listAttempts(claimed!.deliveryId);
      assert.deepEqual([attempt?.retryAfterRequestedMs, attempt?.retryAfterAppliedMs], [5000, 5000]);
      const delivery = await store.getDelivery(org, published.deliveries[0]!.id);
      assert.deepEqual([delivery?.lastErrorKind, delivery?.nextAttemptAt], ['http_status', T0 + 5000]);
      const [again] = await claim(T0 + 5000);
      await store.recordAttempts([attemptRecord(again!, { statusCode: 200, succeeded: true }, null)]);
      const attempts = await store.listAttempts(claimed!.deliveryId);
      assert.deepEqual([attempts[1]?.retryAfterRequestedMs, attempts[1]?.retryAfterAppliedMs], [null, null]);
      assert.equal((await store.getDelivery(org, claimed!.deliveryId))?.lastErrorKind, null);
    });
  });

  function attemptRecord(claimed: ClaimedDelivery, outcome: Partial<AttemptRecord['attempt']>, nextAttemptAt: number | null): AttemptRecord {
    return {
      deliveryId: claimed.deliveryId,
      leaseOwner: 'worker',
      nextAttemptAt,
      recordedAt: T0,
      attempt: {
        number: claimed.attempt, startedAt: T0, durationMs: 3, statusCode: null, errorKind: null, errorMessage: null,
        responseBody: null, responseBodyTruncated: false, responseBodySanitized: false, requestHeaders: {}, succeeded: false,
        final: nextAttemptAt === null, ...outcome,
      },
    };
  }
}
