import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { uuidv7 } from '../../src/ids.js';
import { describeRecoveryContract } from './store-contract-recovery.js';
import { describeTenancyContract } from './store-contract-tenancy.js';
import { describeLifecycleContract } from './store-contract-lifecycle.js';
import { describeRetentionContract } from './store-contract-retention.js';
import type { AttemptRecord, ClaimedDelivery, EndpointFeedback, NewEndpoint, NewEvent, Store } from '../../src/store/store.js';

/**
 * The behaviour every Store must show. `store.contract.test.ts` runs it once per implementation;
 * each test gets a fresh, empty store from `open` and hands it back to `dispose`.
 */
export interface StoreUnderTest {
  store: Store;
  dispose(): Promise<void>;
}

export const T0 = Date.UTC(2026, 0, 1);
export const DAY = 86_400_000;

export function describeStoreContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`Store contract: ${name}`, () => {
    let subject: StoreUnderTest;
    let store: Store;
    let org: string;

    beforeEach(async () => {
      subject = await open();
      store = subject.store;
      org = await createOrg(store);
    });
    afterEach(async () => {
      await subject.dispose();
    });

    const endpoint = (overrides: Partial<NewEndpoint> = {}) => store.createEndpoint(newEndpoint(org, overrides));

    const publish = async (overrides: Partial<NewEvent> = {}) => {
      const [result] = await store.publishEvents([newEvent(org, overrides)]);
      return result!;
    };

    const claim = (now = T0, overrides: { limit?: number; perEndpointLimit?: number; owner?: string } = {}) =>
      store.claimDueDeliveries({
        leaseOwner: overrides.owner ?? 'worker-a',
        limit: overrides.limit ?? 100,
        leaseMs: 30_000,
        now,
        perEndpointLimit: overrides.perEndpointLimit ?? 100,
      });

    describe('organizations and API keys', () => {
      it('finds the organization of an API key by its hash only', async () => {
        await store.createApiKey({ id: uuidv7(), organizationId: org, prefix: 'hk_abc', createdAt: T0 }, 'hash-1');
        assert.equal((await store.findApiKeyByHash('hash-1'))?.organizationId, org);
        assert.equal(await store.findApiKeyByHash('hash-2'), null);
        assert.equal(await store.countOrganizations(), 1);
        assert.equal((await store.getOrganization(org))?.name, 'Acme');
      });
    });

    describe('endpoints', () => {
      it('creates, updates and deletes an endpoint within its organization only', async () => {
        const created = await endpoint({ events: ['user.new'], description: 'CRM' });
        assert.deepEqual(created.events, ['user.new']);
        const other = await createOrg(store);
        assert.equal(await store.getEndpoint(other, created.id), null);
        assert.equal(await store.updateEndpoint(other, created.id, { enabled: false }, T0), null);
        assert.equal(await store.deleteEndpoint(other, created.id), false);

        const updated = await store.updateEndpoint(org, created.id, { enabled: false, events: ['*'] }, T0 + 1);
        assert.equal(updated?.enabled, false);
        assert.deepEqual(updated?.events, ['*']);
        assert.equal(updated?.description, 'CRM');
        assert.equal(updated?.updatedAt, T0 + 1);
        assert.equal((await store.listEndpoints(org)).length, 1);
        assert.equal(await store.deleteEndpoint(org, created.id), true);
        assert.deepEqual(await store.listEndpoints(org), []);
      });

      it('lists the enabled endpoints of one organization as subscribers, id and event types, in id order', async () => {
        const first = await endpoint({ events: ['user.new', 'endpoint.disabled'] });
        const second = await endpoint({ events: ['*'] });
        const disabled = await endpoint({ events: ['user.new'] });
        await store.updateEndpoint(org, disabled.id, { enabled: false }, T0 + 1);
        const other = await createOrg(store);
        await store.createEndpoint(newEndpoint(other));
        assert.deepEqual(await store.listSubscribers(org), [
          { id: first.id, events: ['user.new', 'endpoint.disabled'] },
          { id: second.id, events: ['*'] },
        ].sort((a, b) => (a.id < b.id ? -1 : 1)));
      });

      it('deleting an endpoint removes its pending deliveries from the queue', async () => {
        const target = await endpoint();
        await publish();
        await store.deleteEndpoint(org, target.id);
        assert.equal(await store.countPendingDeliveries(), 0);
        assert.deepEqual(await claim(), []);
      });
    });

    describe('secrets', () => {
      it('keeps the previous secret valid, newest first, until its grace ends', async () => {
        const target = await endpoint({ secret: 'whsec_old' });
        assert.equal(await store.rotateSecret(org, target.id, 'whsec_new', T0, T0 + 1000), true);
        assert.deepEqual(secretsOf(await store.listSecrets(org, target.id, T0 + 999)), ['whsec_new', 'whsec_old']);
        assert.deepEqual(secretsOf(await store.listSecrets(org, target.id, T0 + 1000)), ['whsec_new']);
      });

      it('a second rotation ends the older grace period at once', async () => {
        const target = await endpoint({ secret: 'whsec_1' });
        await store.rotateSecret(org, target.id, 'whsec_2', T0, T0 + DAY);
        await store.rotateSecret(org, target.id, 'whsec_3', T0 + 10, T0 + DAY);
        assert.deepEqual(secretsOf(await store.listSecrets(org, target.id, T0 + 20)), ['whsec_3', 'whsec_2']);
      });

      it('revoking ends the grace period now and is scoped to the organization', async () => {
        const target = await endpoint({ secret: 'whsec_old' });
        await store.rotateSecret(org, target.id, 'whsec_new', T0, T0 + DAY);
        assert.equal(await store.revokePreviousSecrets(await createOrg(store), target.id, T0 + 1), false);
        assert.equal(await store.revokePreviousSecrets(org, target.id, T0 + 1), true);
        assert.deepEqual(secretsOf(await store.listSecrets(org, target.id, T0 + 2)), ['whsec_new']);
      });

      it('claims carry every valid secret, newest first', async () => {
        const target = await endpoint({ secret: 'whsec_old' });
        await store.rotateSecret(org, target.id, 'whsec_new', T0, T0 + DAY);
        await publish();
        const [claimed] = await claim(T0 + 1);
        assert.deepEqual(claimed?.secrets, ['whsec_new', 'whsec_old']);
      });
    });

    describe('publishing', () => {
      it('fans out to enabled endpoints subscribed to the type or to everything', async () => {
        const all = await endpoint({ events: ['*'] });
        const userNew = await endpoint({ events: ['user.new', 'user.deleted'] });
        await endpoint({ events: ['user.follow'] });
        await endpoint({ events: ['*'], enabled: false });
        const result = await publish({ type: 'user.new' });
        assert.deepEqual(result.deliveries.map((d) => d.endpointId).sort(), [all.id, userNew.id].sort());
        assert.ok(result.deliveries.every((d) => d.status === 'pending' && d.attemptCount === 0));
      });

      it('never fans out across organizations', async () => {
        await endpoint();
        const other = await createOrg(store);
        const [result] = await store.publishEvents([newEvent(other)]);
        assert.deepEqual(result?.deliveries, []);
        assert.equal(await store.getEvent(org, result!.event.id), null);
      });

      it('sends a test event only to the endpoint it names', async () => {
        const target = await endpoint({ events: ['user.follow'] });
        await endpoint();
        const result = await publish({ type: 'user.new', onlyEndpointId: target.id });
        assert.deepEqual(result.deliveries.map((d) => d.endpointId), [target.id]);
      });

      it('keeps the payload text exactly as published', async () => {
        const payloadJson = '{"organization_id":"o","full_name":"Zoë 🎉","b":1,"a":2}';
        const result = await publish({ payloadJson });
        assert.equal((await store.getEvent(org, result.event.id))?.payloadJson, payloadJson);
      });

      it('returns the original event for a live idempotency key and creates nothing', async () => {
        await endpoint();
        const first = await publish({ idempotencyKey: 'k1' });
        const again = await publish({ idempotencyKey: 'k1', createdAt: T0 + 1000 });
        assert.equal(again.duplicate, true);
        assert.equal(again.event.id, first.event.id);
        assert.deepEqual(again.deliveries.map((d) => d.id), first.deliveries.map((d) => d.id));
        assert.equal((await store.listEvents({ organizationId: org, limit: 10 })).items.length, 1);
      });

      it('honours the same idempotency key twice within one batch', async () => {
        await endpoint();
        const [a, b] = await store.publishEvents([newEvent(org, { idempotencyKey: 'k' }), newEvent(org, { idempotencyKey: 'k' })]);
        assert.equal(b?.duplicate, true);
        assert.equal(b?.event.id, a?.event.id);
        assert.equal(await store.countPendingDeliveries(), 1);
      });

      it('stores one event when concurrent publishes carry the same key', async () => {
        await endpoint();
        const results = await Promise.all(
          Array.from({ length: 5 }, () => store.publishEvents([newEvent(org, { idempotencyKey: 'race' })])),
        );
        const ids = new Set(results.flat().map((r) => r.event.id));
        assert.equal(ids.size, 1);
        assert.equal(results.flat().filter((r) => !r.duplicate).length, 1);
        assert.equal(await store.countPendingDeliveries(), 1);
      });

      it('accepts an idempotency key again once its window has passed', async () => {
        const first = await publish({ idempotencyKey: 'k1', idempotencyExpiresAt: T0 + DAY });
        const later = await publish({ idempotencyKey: 'k1', createdAt: T0 + DAY, idempotencyExpiresAt: T0 + 2 * DAY });
        assert.equal(later.duplicate, false);
        assert.notEqual(later.event.id, first.event.id);
      });

      it('scopes idempotency keys to the organization', async () => {
        const mine = await publish({ idempotencyKey: 'k1' });
        const [theirs] = await store.publishEvents([newEvent(await createOrg(store), { idempotencyKey: 'k1' })]);
        assert.equal(theirs?.duplicate, false);
        assert.notEqual(theirs?.event.id, mine.event.id);
      });

      it('tells listeners that deliveries are due', async () => {
        await endpoint();
        let calls = 0;
        const unsubscribe = store.onDeliveriesDue(() => calls++);
        await publish();
        unsubscribe();
        await publish();
        assert.equal(calls, 1);
      });
    });

    describe('listing', () => {
      it('pages events newest first with a cursor, filtered by type and time', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          ids.push((await publish({ type: i % 2 === 0 ? 'user.new' : 'user.deleted', createdAt: T0 + i * 1000 })).event.id);
        }
        const first = await store.listEvents({ organizationId: org, limit: 2 });
        assert.deepEqual(first.items.map((e) => e.id), [ids[4], ids[3]]);
        const second = await store.listEvents({ organizationId: org, limit: 2, cursor: first.nextCursor! });
        assert.deepEqual(second.items.map((e) => e.id), [ids[2], ids[1]]);
        const last = await store.listEvents({ organizationId: org, limit: 2, cursor: second.nextCursor! });
        assert.deepEqual(last.items.map((e) => e.id), [ids[0]]);
        assert.equal(last.nextCursor, null);
        const typed = await store.listEvents({ organizationId: org, limit: 10, type: 'user.deleted' });
        assert.deepEqual(typed.items.map((e) => e.id), [ids[3], ids[1]]);
        const windowed = await store.listEvents({ organizationId: org, limit: 10, since: T0 + 1000, until: T0 + 3000 });
        assert.deepEqual(windowed.items.map((e) => e.id), [ids[2], ids[1]]);
      });

      it('filters deliveries by endpoint, event, type and status', async () => {
        const a = await endpoint();
        const b = await endpoint();
        const e1 = await publish({ type: 'user.new' });
        await publish({ type: 'user.deleted' });
        const byEndpoint = await store.listDeliveries({ organizationId: org, endpointId: a.id, limit: 10 });
        assert.equal(byEndpoint.items.length, 2);
        const byEvent = await store.listDeliveries({ organizationId: org, eventId: e1.event.id, limit: 10 });
        assert.deepEqual(byEvent.items.map((d) => d.endpointId).sort(), [a.id, b.id].sort());
        assert.equal((await store.listDeliveries({ organizationId: org, eventType: 'user.deleted', limit: 10 })).items.length, 2);
        assert.equal((await store.listDeliveries({ organizationId: org, status: 'succeeded', limit: 10 })).items.length, 0);
        assert.equal((await store.listDeliveriesForEvent(org, e1.event.id)).length, 2);
        assert.equal((await store.listDeliveries({ organizationId: await createOrg(store), limit: 10 })).items.length, 0);
      });

      it('pages deliveries within a time window: since inclusive, until exclusive', async () => {
        await endpoint();
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push((await publish({ createdAt: T0 + i * 1000 })).deliveries[0]!.id);
        const windowed = await store.listDeliveries({ organizationId: org, limit: 10, since: T0 + 1000, until: T0 + 3000 });
        assert.deepEqual(windowed.items.map((d) => d.id), [ids[2], ids[1]]);
        const before = await store.listDeliveries({ organizationId: org, limit: 2, until: T0 + 4000 });
        assert.deepEqual(before.items.map((d) => d.id), [ids[3], ids[2]]);
        const older = await store.listDeliveries({ organizationId: org, limit: 2, until: T0 + 4000, cursor: before.nextCursor! });
        assert.deepEqual(older.items.map((d) => d.id), [ids[1], ids[0]]);
        assert.equal(older.nextCursor, null);
      });
    });

    describe('claiming and leases', () => {
      it('leases a due delivery with everything needed to send it and counts the attempt', async () => {
        const target = await endpoint({ secret: 'whsec_s', signatureScheme: 'both' });
        const published = await publish({ payloadJson: '{"organization_id":"o"}' });
        const [claimed, ...rest] = await claim(T0);
        assert.deepEqual(rest, []);
        assert.deepEqual(claimed, {
          deliveryId: published.deliveries[0]!.id,
          organizationId: org,
          endpointId: target.id,
          url: target.url,
          signatureScheme: 'both',
          secrets: ['whsec_s'],
          eventId: published.event.id,
          eventType: 'user.new',
          payloadJson: '{"organization_id":"o"}',
          attempt: 1,
          leaseExpiresAt: T0 + 30_000,
          endpointConcurrencyLimit: 4,
          endpointUnanswered: 0,
          endpointRetrySchedule: null,
          endpointTimeoutMs: null,
        } satisfies ClaimedDelivery);
      });

      it('does not hand a leased delivery to anyone else while the lease holds', async () => {
        await endpoint();
        await publish();
        assert.equal((await claim(T0, { owner: 'a' })).length, 1);
        assert.deepEqual(await claim(T0 + 29_999, { owner: 'b' }), []);
      });

      it('claims a delivery again when its lease expires, as the next attempt', async () => {
        await endpoint();
        await publish();
        await claim(T0, { owner: 'a' });
        const [again] = await claim(T0 + 30_000, { owner: 'b' });
        assert.equal(again?.attempt, 2);
      });

      it('does not claim deliveries that are not due yet or belong to a disabled endpoint', async () => {
        const disabled = await endpoint();
        await publish({ createdAt: T0 });
        await store.updateEndpoint(org, disabled.id, { enabled: false }, T0);
        assert.deepEqual(await claim(T0 + 10), []);
        assert.equal(await store.nextDueAt(), null);
        await store.updateEndpoint(org, disabled.id, { enabled: true }, T0);
        assert.deepEqual(await claim(T0 - 1), []);
        assert.equal((await claim(T0)).length, 1);
      });

      it('holds the per-endpoint limit across claims and leaves room for other endpoints', async () => {
        const slow = await endpoint({ events: ['user.new'] });
        const fast = await endpoint({ events: ['user.deleted'] });
        for (let i = 0; i < 10; i++) await publish({ type: 'user.new' });
        await publish({ type: 'user.deleted' });
        const first = await claim(T0, { perEndpointLimit: 3, owner: 'a' });
        assert.equal(first.filter((c) => c.endpointId === slow.id).length, 3);
        assert.equal(first.filter((c) => c.endpointId === fast.id).length, 1);
        assert.deepEqual(await claim(T0, { perEndpointLimit: 3, owner: 'b' }), []);
      });

      it('never leases one delivery to two concurrent claims', async () => {
        for (let i = 0; i < 5; i++) await endpoint();
        for (let i = 0; i < 4; i++) await publish();
        const rounds = await Promise.all(['a', 'b', 'c', 'd'].map((owner) => claim(T0, { owner, limit: 3 })));
        const claimed = rounds.flat().map((c) => c.deliveryId);
        for (let more = await claim(T0, { owner: 'e' }); more.length > 0; more = await claim(T0, { owner: 'e' })) {
          claimed.push(...more.map((c) => c.deliveryId));
        }
        assert.equal(claimed.length, 20);
        assert.equal(new Set(claimed).size, 20);
      });

      it('frees an endpoint slot when a lease expires', async () => {
        await endpoint();
        await publish();
        await publish();
        assert.equal((await claim(T0, { perEndpointLimit: 1, owner: 'a' })).length, 1);
        assert.deepEqual(await claim(T0 + 29_999, { perEndpointLimit: 1, owner: 'b' }), []);
        assert.equal((await claim(T0 + 30_000, { perEndpointLimit: 1, owner: 'b' })).length, 1);
      });

      it('respects the batch limit', async () => {
        await endpoint();
        for (let i = 0; i < 4; i++) await publish();
        assert.equal((await claim(T0, { limit: 2 })).length, 2);
        assert.equal((await claim(T0, { limit: 10 })).length, 2);
      });

      it('reports when the next delivery is due', async () => {
        await endpoint();
        assert.equal(await store.nextDueAt(), null);
        await publish({ createdAt: T0 + 500 });
        assert.equal(await store.nextDueAt(), T0 + 500);
        await claim(T0 + 500);
        assert.equal(await store.nextDueAt(), T0 + 500 + 30_000);
      });

      it('reports the next due time of an enabled endpoint, passing over earlier deliveries of a disabled one', async () => {
        const disabled = await endpoint({ events: ['user.new'] });
        await endpoint({ events: ['user.deleted'] });
        await publish({ type: 'user.new', createdAt: T0 });
        await publish({ type: 'user.new', createdAt: T0 + 100 });
        await publish({ type: 'user.deleted', createdAt: T0 + 500 });
        await store.updateEndpoint(org, disabled.id, { enabled: false }, T0);
        assert.equal(await store.nextDueAt(), T0 + 500);
      });
    });

    describe('adaptive endpoint concurrency and circuits', () => {
      const feedback = (endpointId: string, kind: EndpointFeedback['kind'], count: number, now = T0): EndpointFeedback => ({
        endpointId, kind, count, afterAnswer: false, maxConcurrency: 8, openAfter: 3, cooldownMs: 10_000, now,
      });
      const leasedNow = async (now: number, owner: string) => (await claim(now, { owner, perEndpointLimit: 8 })).length;

      it('starts a new endpoint at 4 leases and grows it by one per answered attempt, up to the maximum', async () => {
        const target = await endpoint();
        for (let i = 0; i < 20; i++) await publish();
        const [first] = await claim(T0, { owner: 'a', perEndpointLimit: 8, limit: 1 });
        assert.equal(first?.endpointConcurrencyLimit, 4);
        assert.equal(await leasedNow(T0, 'a'), 3);
        await store.recordAttempts([], [feedback(target.id, 'answered', 2)]);
        assert.equal(await leasedNow(T0, 'b'), 2);
        await store.recordAttempts([], [feedback(target.id, 'answered', 50)]);
        assert.equal(await leasedNow(T0, 'c'), 2);
      });

      it('drops an endpoint that stops answering to one lease, and opens its circuit after a streak', async () => {
        const hanging = await endpoint({ events: ['user.new'] });
        const healthy = await endpoint({ events: ['user.deleted'] });
        for (let i = 0; i < 10; i++) await publish({ type: 'user.new' });
        for (let i = 0; i < 10; i++) await publish({ type: 'user.deleted' });
        await store.recordAttempts([], [feedback(hanging.id, 'unanswered', 2)]);
        const limited = await claim(T0, { owner: 'a', perEndpointLimit: 8 });
        assert.equal(limited.filter((c) => c.endpointId === hanging.id).length, 1);
        assert.equal(limited.find((c) => c.endpointId === hanging.id)?.endpointUnanswered, 2);
        assert.equal(limited.filter((c) => c.endpointId === healthy.id).length, 4);

        // The third in a row opens the circuit for a minute, longer than the 30 s leases above.
        await store.recordAttempts([], [{ ...feedback(hanging.id, 'unanswered', 1, T0 + 1000), cooldownMs: 60_000 }]);
        const whileOpen = await claim(T0 + 31_000, { owner: 'b', perEndpointLimit: 8 });
        assert.equal(whileOpen.filter((c) => c.endpointId === hanging.id).length, 0, 'no attempts while the circuit is open');
        assert.equal(whileOpen.filter((c) => c.endpointId === healthy.id).length, 4);
        const probe = await claim(T0 + 61_000, { owner: 'c', perEndpointLimit: 8 });
        assert.equal(probe.filter((c) => c.endpointId === hanging.id).length, 1, 'one probe once the cool-down is over');
      });

      it('closes the circuit and clears the streak when the endpoint answers again', async () => {
        const target = await endpoint();
        for (let i = 0; i < 10; i++) await publish();
        await store.recordAttempts([], [feedback(target.id, 'unanswered', 3)]);
        assert.deepEqual(await claim(T0 + 1, { owner: 'a', perEndpointLimit: 8 }), []);
        await store.recordAttempts([], [feedback(target.id, 'answered', 1, T0 + 2)]);
        const claimed = await claim(T0 + 2, { owner: 'a', perEndpointLimit: 8 });
        assert.equal(claimed.length, 2);
        assert.equal(claimed[0]?.endpointUnanswered, 0);
      });

      it('restarts the streak when the unanswered run follows an answer', async () => {
        const target = await endpoint();
        for (let i = 0; i < 10; i++) await publish();
        await store.recordAttempts([], [feedback(target.id, 'unanswered', 2)]);
        await store.recordAttempts([], [{ ...feedback(target.id, 'unanswered', 1), afterAnswer: true }]);
        const [claimed] = await claim(T0 + 1, { owner: 'a', perEndpointLimit: 8 });
        assert.equal(claimed?.endpointUnanswered, 1, 'the circuit stays closed: the streak is 1, not 3');
      });

      it('shares a batch between organizations before sharing it between endpoints', async () => {
        const busy = org;
        for (let i = 0; i < 6; i++) await endpoint({ events: ['user.new'] });
        for (let i = 0; i < 20; i++) await publish({ type: 'user.new', createdAt: T0 - 1000 + i });
        const quiet = await createOrg(store);
        await store.createEndpoint(newEndpoint(quiet, {}));
        await store.publishEvents([newEvent(quiet, { createdAt: T0 })]);
        const claimed = await claim(T0, { owner: 'a', limit: 4 });
        assert.equal(claimed.length, 4);
        assert.equal(claimed.filter((c) => c.organizationId === quiet).length, 1);
        assert.equal(claimed.filter((c) => c.organizationId === busy).length, 3);
      });
    });

    describe('recording attempts', () => {
      it('completes a delivery on success and keeps the attempt log', async () => {
        await endpoint();
        await publish();
        const [claimed] = await claim(T0);
        await store.recordAttempts([record(claimed!, 'worker-a', { succeeded: true, statusCode: 200 }, null)]);
        const delivery = await store.getDelivery(org, claimed!.deliveryId);
        assert.equal(delivery?.status, 'succeeded');
        assert.equal(delivery?.lastStatusCode, 200);
        assert.equal(delivery?.nextAttemptAt, null);
        const [attempt] = await store.listAttempts(claimed!.deliveryId);
        assert.equal(attempt?.number, 1);
        assert.equal(attempt?.succeeded, true);
        assert.deepEqual(attempt?.requestHeaders, { 'x-webhook-attempt': '1' });
        assert.equal(await store.countPendingDeliveries(), 0);
      });

      it('schedules the next attempt of a failure and fails the delivery when none is left', async () => {
        await endpoint();
        await publish();
        const [first] = await claim(T0);
        await store.recordAttempts([record(first!, 'worker-a', { statusCode: 500, errorKind: 'http_status' }, T0 + 3000)]);
        assert.deepEqual(await claim(T0 + 2999), []);
        const [second] = await claim(T0 + 3000);
        assert.equal(second?.attempt, 2);
        await store.recordAttempts([record(second!, 'worker-a', { errorKind: 'timeout', errorMessage: 'timed out' }, null)]);
        const delivery = await store.getDelivery(org, first!.deliveryId);
        assert.equal(delivery?.status, 'failed');
        assert.equal(delivery?.lastError, 'timed out');
        assert.deepEqual((await store.listAttempts(first!.deliveryId)).map((a) => [a.number, a.final]), [[1, false], [2, true]]);
      });

      it('keeps the response body flags of an attempt', async () => {
        await endpoint();
        await publish();
        const [claimed] = await claim(T0);
        await store.recordAttempts([
          record(claimed!, 'worker-a', { succeeded: true, statusCode: 200, responseBody: 'ok\\u0000', responseBodyTruncated: true, responseBodySanitized: true }, null),
        ]);
        const [attempt] = await store.listAttempts(claimed!.deliveryId);
        assert.deepEqual(
          [attempt?.responseBody, attempt?.responseBodyTruncated, attempt?.responseBodySanitized],
          ['ok\\u0000', true, true],
        );
      });

      it('records a batch and, asked to, leases due deliveries into the slots it freed', async () => {
        await endpoint();
        for (let i = 0; i < 3; i++) await publish();
        const [first] = await claim(T0, { perEndpointLimit: 1 });
        assert.deepEqual(await claim(T0, { perEndpointLimit: 1, owner: 'b' }), []);
        const refill = { leaseOwner: 'worker-a', limit: 5, leaseMs: 30_000, now: T0 + 1, perEndpointLimit: 1 };
        const next = await store.recordAttempts([record(first!, 'worker-a', { succeeded: true, statusCode: 200 }, null)], [], refill);
        assert.equal((await store.getDelivery(org, first!.deliveryId))?.status, 'succeeded');
        assert.equal(next.length, 1, 'the freed slot, and no more: the endpoint is at its limit again');
        assert.notEqual(next[0]!.deliveryId, first!.deliveryId);
        assert.equal(next[0]!.attempt, 1);
        assert.deepEqual(await store.recordAttempts([record(next[0]!, 'worker-a', { succeeded: true, statusCode: 200 }, null)]), []);
      });

      it('drops a record from a dispatcher that lost its lease', async () => {
        await endpoint();
        await publish();
        const [stale] = await claim(T0, { owner: 'a' });
        await claim(T0 + 30_000, { owner: 'b' });
        await store.recordAttempts([record(stale!, 'a', { succeeded: true, statusCode: 200 }, null)]);
        assert.equal((await store.getDelivery(org, stale!.deliveryId))?.status, 'pending');
        assert.deepEqual(await store.listAttempts(stale!.deliveryId), []);
      });

      it('drops a record of an earlier attempt even from the same lease owner', async () => {
        await endpoint();
        await publish();
        const [first] = await claim(T0, { owner: 'a' });
        const [second] = await claim(T0 + 30_000, { owner: 'a' });
        await store.recordAttempts([record(first!, 'a', { succeeded: true, statusCode: 200 }, null)]);
        assert.equal((await store.getDelivery(org, first!.deliveryId))?.status, 'pending');
        await store.recordAttempts([record(second!, 'a', { succeeded: true, statusCode: 200 }, null)]);
        assert.deepEqual((await store.listAttempts(first!.deliveryId)).map((a) => a.number), [2]);
      });

      it('releases leases on shutdown without counting the attempt', async () => {
        await endpoint();
        await publish();
        const [claimed] = await claim(T0, { owner: 'a' });
        await store.releaseLeases('b', [claimed!.deliveryId], T0 + 1);
        assert.deepEqual(await claim(T0 + 1, { owner: 'c' }), []);
        await store.releaseLeases('a', [claimed!.deliveryId], T0 + 1);
        const [again] = await claim(T0 + 1, { owner: 'c' });
        assert.equal(again?.attempt, 1);
      });
    });

    describe('resending', () => {
      it('creates a fresh pending delivery of the same event to the same endpoint', async () => {
        await endpoint();
        const published = await publish();
        const [claimed] = await claim(T0);
        await store.recordAttempts([record(claimed!, 'worker-a', { statusCode: 500, errorKind: 'http_status' }, null)]);
        const resent = await store.resendDelivery(org, claimed!.deliveryId, uuidv7(), T0 + 5000);
        assert.equal(resent?.status, 'pending');
        assert.equal(resent?.eventId, published.event.id);
        assert.equal(resent?.resendOf, claimed!.deliveryId);
        assert.equal(resent?.attemptCount, 0);
        const [again] = await claim(T0 + 5000);
        assert.equal(again?.deliveryId, resent?.id);
        assert.equal(again?.attempt, 1);
        assert.equal(await store.resendDelivery(await createOrg(store), claimed!.deliveryId, uuidv7(), T0), null);
      });
    });

    describeTenancyContract(() => ({ store, org }), T0);
    describeRetentionContract(() => ({ store, org }));
    describeRecoveryContract(() => ({ store, org }), T0);
    describeLifecycleContract(() => ({ store, org }), T0);

    describe('server secrets', () => {
      it('keeps the first stored value of a server secret, even when callers race', async () => {
        const answers = await Promise.all(
          ['first', 'second', 'third'].map((candidate) => store.getOrCreateServerSecret('session-key', candidate, T0)),
        );
        assert.equal(new Set(answers).size, 1);
        assert.equal(await store.getOrCreateServerSecret('session-key', 'later', T0 + 1), answers[0]);
        assert.equal(await store.getOrCreateServerSecret('portal-key', 'other', T0), 'other');
      });
    });

    describe('endpoint statistics', () => {
      it('counts attempts and successes per endpoint since a time', async () => {
        const target = await endpoint();
        await publish();
        await publish();
        const [a, b] = await claim(T0);
        await store.recordAttempts([
          record(a!, 'worker-a', { succeeded: true, statusCode: 200 }, null),
          record(b!, 'worker-a', { statusCode: 500, errorKind: 'http_status' }, T0 + 3000),
        ]);
        assert.deepEqual(await store.endpointStats(org, T0), [
          { endpointId: target.id, attempts: 2, succeeded: 1, lastAttemptAt: T0 },
        ]);
        assert.deepEqual(await store.endpointStats(org, T0 + 1), []);
      });
    });
  });
}

export async function createOrg(store: Store): Promise<string> {
  const id = uuidv7();
  await store.createOrganization({ id, name: 'Acme', createdAt: T0 });
  return id;
}

export function newEndpoint(organizationId: string, overrides: Partial<NewEndpoint> = {}): NewEndpoint {
  return {
    id: uuidv7(),
    organizationId,
    url: 'http://127.0.0.1:9/hook',
    description: '',
    events: ['*'],
    enabled: true,
    signatureScheme: 'contactsmanager',
    secret: `whsec_${uuidv7()}`,
    createdAt: T0,
    ...overrides,
  };
}

export function newEvent(organizationId: string, overrides: Partial<NewEvent> = {}): NewEvent {
  return {
    id: uuidv7(),
    organizationId,
    type: 'user.new',
    payloadJson: '{"organization_id":"org"}',
    idempotencyKey: null,
    createdAt: T0,
    idempotencyExpiresAt: T0 + DAY,
    ...overrides,
  };
}

function secretsOf(secrets: Array<{ secret: string }>): string[] {
  return secrets.map((s) => s.secret);
}

function record(
  claimed: ClaimedDelivery,
  leaseOwner: string,
  outcome: Partial<AttemptRecord['attempt']>,
  nextAttemptAt: number | null,
): AttemptRecord {
  return {
    deliveryId: claimed.deliveryId,
    leaseOwner,
    nextAttemptAt,
    recordedAt: T0,
    attempt: {
      number: claimed.attempt,
      startedAt: T0,
      durationMs: 12,
      statusCode: null,
      errorKind: null,
      errorMessage: null,
      responseBody: 'ok',
      responseBodyTruncated: false,
      responseBodySanitized: false,
      requestHeaders: { 'x-webhook-attempt': String(claimed.attempt) },
      succeeded: false,
      final: nextAttemptAt === null,
      ...outcome,
    },
  };
}
