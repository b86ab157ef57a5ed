import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uuidv7, uuidv7Floor } from '../../src/ids.js';
import type { AttemptRecord, ClaimedDelivery, Store } from '../../src/store/store.js';
import { createOrg, DAY, newEndpoint, newEvent } from './store-contract.js';

/**
 * The retention part of the Store contract: batched pruning of finished deliveries, of events left
 * without deliveries, of expired records, an operator's early pruning, the pruned watermark, and
 * the stored-secret rewrite used by encryption at rest. Called inside `store-contract.ts`'s describe
 * block, so each test gets its fresh store and organization.
 *
 * Ids are UUID v7 and never go back in time within a process, and pruning by creation time walks
 * ids; so each test runs at a time of its own, a day after the previous one and after the real
 * clock, for the ids it makes to carry the times it gives.
 */
let latest = Date.now() + 86_400_000;
// DAY is read when a test runs: this module and store-contract.ts import each other.
const freshTime = () => (latest += DAY);

export function describeRetentionContract(current: () => { store: Store; org: string }): void {
  const claimAll = (store: Store, now: number) =>
    store.claimDueDeliveries({ leaseOwner: 'pruner-test', limit: 1000, leaseMs: 30_000, now, perEndpointLimit: 1000 });

  const finish = (claimed: ClaimedDelivery, at: number, succeeded = true): AttemptRecord => ({
    deliveryId: claimed.deliveryId,
    leaseOwner: 'pruner-test',
    nextAttemptAt: null,
    recordedAt: at,
    attempt: {
      number: claimed.attempt,
      startedAt: at,
      durationMs: 5,
      statusCode: succeeded ? 200 : 500,
      errorKind: succeeded ? null : 'http_status',
      errorMessage: null,
      responseBody: 'ok',
      responseBodyTruncated: false,
      responseBodySanitized: false,
      requestHeaders: {},
      succeeded,
      final: true,
    },
  });

  /** Publishes `count` events at `at` to one endpoint and finishes their deliveries at `finishedAt`. */
  const finishedEvents = async (store: Store, org: string, count: number, at: number, finishedAt: number) => {
    const published = await store.publishEvents(Array.from({ length: count }, () => newEvent(org, { id: uuidv7(at), createdAt: at })));
    const ours = new Set(published.flatMap((p) => p.deliveries.map((d) => d.id)));
    const claimed = await claimAll(store, finishedAt);
    await store.recordAttempts(claimed.filter((c) => ours.has(c.deliveryId)).map((c) => finish(c, finishedAt)));
    const others = claimed.filter((c) => !ours.has(c.deliveryId)).map((c) => c.deliveryId);
    await store.releaseLeases('pruner-test', others, finishedAt);
    return published.map((p) => ({ eventId: p.event.id, deliveryId: p.deliveries[0]?.id ?? '' }));
  };

  describe('retention', () => {
    it('prunes finished deliveries that finished before the cut, with their attempts, and leaves the rest', async () => {
      const T0 = freshTime();
      const { store, org } = current();
      await store.createEndpoint(newEndpoint(org));
      const [old] = await finishedEvents(store, org, 1, T0, T0 + 10);
      const [recent] = await finishedEvents(store, org, 1, T0 + 20, T0 + 5000);
      const [pending] = (await store.publishEvents([newEvent(org, { id: uuidv7(T0 + 30), createdAt: T0 + 30 })]))[0]!.deliveries;

      const batch = await store.pruneFinishedDeliveries(T0 + 1000, 100);
      assert.deepEqual(batch, { busy: false, deleted: 1, more: false, lastId: null });
      assert.equal(await store.getDelivery(org, old!.deliveryId), null);
      assert.deepEqual(await store.listAttempts(old!.deliveryId), []);
      assert.equal((await store.getDelivery(org, recent!.deliveryId))?.status, 'succeeded');
      assert.equal((await store.listAttempts(recent!.deliveryId)).length, 1);
      assert.equal((await store.getDelivery(org, pending!.id))?.status, 'pending');
    });

    it('never prunes a pending delivery, however old', async () => {
      const T0 = freshTime();
      const { store, org } = current();
      await store.createEndpoint(newEndpoint(org));
      const [result] = await store.publishEvents([newEvent(org, { id: uuidv7(T0), createdAt: T0 })]);
      await claimAll(store, T0);
      assert.equal((await store.pruneFinishedDeliveries(T0 + 365 * DAY, 100)).deleted, 0);
      assert.equal((await store.pruneEvents(T0 + 365 * DAY, null, 100)).deleted, 0);
      assert.equal((await store.getDelivery(org, result!.deliveries[0]!.id))?.status, 'pending');
      assert.notEqual(await store.getEvent(org, result!.event.id), null);
    });

    it('prunes at most the batch size at a time, oldest first, and says when more may be left', async () => {
      const T0 = freshTime();
      const { store, org } = current();
      await store.createEndpoint(newEndpoint(org));
      const first = await finishedEvents(store, org, 3, T0, T0 + 10);
      const second = await finishedEvents(store, org, 2, T0 + 20, T0 + 30);
      assert.deepEqual(await store.pruneFinishedDeliveries(T0 + 1000, 3), { busy: false, deleted: 3, more: true, lastId: null });
      for (const { deliveryId } of first) assert.equal(await store.getDelivery(org, deliveryId), null);
      for (const { deliveryId } of second) assert.notEqual(await store.getDelivery(org, deliveryId), null);
      assert.deepEqual(await store.pruneFinishedDeliveries(T0 + 1000, 3), { busy: false, deleted: 2, more: false, lastId: null });
    });

    it('marks pruned ids as pruned for their organization only, and newer ids not', async () => {
      const T0 = freshTime();
      const { store, org } = current();
      await store.createEndpoint(newEndpoint(org));
      const [old] = await finishedEvents(store, org, 1, T0, T0 + 10);
      assert.equal(await store.wasPruned(org, old!.deliveryId), false);
      await store.pruneFinishedDeliveries(T0 + 1000, 100);
      assert.equal(await store.wasPruned(org, old!.deliveryId), true);
      assert.equal(await store.wasPruned(org, uuidv7Floor(T0 - 1)), true);
      assert.equal(await store.wasPruned(org, uuidv7(T0 + 2000)), false);
      assert.equal(await store.wasPruned(await createOrg(store), old!.deliveryId), false);
    });

    it('prunes events left without deliveries once older than the cut, walking them in id order', async () => {
      const T0 = freshTime();
      const { store, org } = current();
      await store.createEndpoint(newEndpoint(org));
      const finished = await finishedEvents(store, org, 3, T0, T0 + 10);
      const [kept] = (await store.publishEvents([newEvent(org, { id: uuidv7(T0 + 1), createdAt: T0 + 1 })]))!;
      await store.pruneFinishedDeliveries(T0 + 1000, 100);

      const firstBatch = await store.pruneEvents(T0 + 1000, null, 3);
      assert.equal(firstBatch.more, true);
      const rest = await store.pruneEvents(T0 + 1000, firstBatch.lastId, 3);
      assert.equal(rest.more, false);
      assert.equal(firstBatch.deleted + rest.deleted, 3);
      for (const { eventId } of finished) assert.equal(await store.getEvent(org, eventId), null);
      // Its delivery is pending: the event stays.
      assert.notEqual(await store.getEvent(org, kept!.event.id), null);
      assert.equal(await store.wasPruned(org, finished[2]!.eventId), true);
    });

    it('forgets the idempotency key of a pruned event, so publishing with it again makes a new event', async () => {
      const T0 = freshTime();
      const { store, org } = current();
      const [original] = await store.publishEvents([newEvent(org, { id: uuidv7(T0), createdAt: T0, idempotencyKey: 'signup-1', idempotencyExpiresAt: T0 + DAY })]);
      assert.equal((await store.pruneEvents(T0 + 1000, null, 100)).deleted, 1);
      const [again] = await store.publishEvents([newEvent(org, { idempotencyKey: 'signup-1', createdAt: T0 + 2000 })]);
      assert.equal(again!.duplicate, false);
      assert.notEqual(again!.event.id, original!.event.id);
    });

    it('deletes expired idempotency keys, sessions and portal-link uses, and keeps live ones', async () => {
      const T0 = freshTime();
      const { store, org } = current();
      await store.publishEvents([
        newEvent(org, { createdAt: T0, idempotencyKey: 'expired', idempotencyExpiresAt: T0 + 10 }),
        newEvent(org, { createdAt: T0, idempotencyKey: 'live', idempotencyExpiresAt: T0 + DAY }),
      ]);
      const session = (expiresAt: number) => ({
        id: uuidv7(), organizationId: org, signedInWith: 'portal_link' as const, scope: 'portal' as const,
        apiKeyId: null, portalLinkId: null, createdAt: T0, expiresAt, endedAt: null,
      });
      const expiredSession = session(T0 + 10);
      const liveSession = session(T0 + DAY);
      await store.createSession(expiredSession);
      await store.createSession(liveSession);
      const expiredLink = uuidv7();
      const liveLink = uuidv7();
      await store.redeemPortalLink({ linkId: expiredLink, organizationId: org, usedAt: T0, expiresAt: T0 + 10 }, session(T0 + 10));
      await store.redeemPortalLink({ linkId: liveLink, organizationId: org, usedAt: T0, expiresAt: T0 + DAY }, session(T0 + DAY));

      const batch = await store.pruneExpired(T0 + 1000, 100);
      // One key, two sessions (one came with the expired link), one link use.
      assert.deepEqual(batch, { busy: false, deleted: 4, more: false, lastId: null });
      assert.equal(await store.getSession(expiredSession.id), null);
      assert.notEqual(await store.getSession(liveSession.id), null);
      assert.equal(await store.portalLinkUsed(expiredLink), false);
      assert.equal(await store.portalLinkUsed(liveLink), true);
      const [expiredAgain, liveAgain] = await store.publishEvents([
        newEvent(org, { idempotencyKey: 'expired', createdAt: T0 + 1000 }),
        newEvent(org, { idempotencyKey: 'live', createdAt: T0 + 1000 }),
      ]);
      assert.equal(expiredAgain!.duplicate, false);
      assert.equal(liveAgain!.duplicate, true);
    });

    it("prunes an organization's events before a time early, keeping pending deliveries and other organizations' events", async () => {
      const T0 = freshTime();
      const { store, org } = current();
      await store.createEndpoint(newEndpoint(org));
      const old = await finishedEvents(store, org, 3, T0, T0 + 10);
      const [waiting] = (await store.publishEvents([newEvent(org, { id: uuidv7(T0 + 20), createdAt: T0 + 20 })]))!;
      const later = await finishedEvents(store, org, 1, T0 + 5000, T0 + 5010);
      const other = await createOrg(store);
      await store.createEndpoint(newEndpoint(other));
      const others = await finishedEvents(store, other, 1, T0, T0 + 10);

      let after: string | null = null;
      const totals = { events: 0, deliveries: 0 };
      for (;;) {
        const batch = await store.pruneOrganizationEvents(org, T0 + 1000, after, 2);
        totals.events += batch.events;
        totals.deliveries += batch.deliveries;
        if (!batch.more) break;
        after = batch.lastId;
      }
      assert.deepEqual(totals, { events: 3, deliveries: 3 });
      for (const { eventId, deliveryId } of old) {
        assert.equal(await store.getEvent(org, eventId), null);
        assert.equal(await store.getDelivery(org, deliveryId), null);
        assert.equal(await store.wasPruned(org, deliveryId), true);
      }
      assert.equal((await store.getDelivery(org, waiting!.deliveries[0]!.id))?.status, 'pending');
      assert.notEqual(await store.getEvent(org, later[0]!.eventId), null);
      assert.notEqual(await store.getEvent(other, others[0]!.eventId), null);
      assert.equal(await store.wasPruned(other, others[0]!.deliveryId), false);
    });

    it('lists every stored secret and replaces a value only where it still holds the expected one', async () => {
      const T0 = freshTime();
      const { store, org } = current();
      const target = await store.createEndpoint(newEndpoint(org, { secret: 'whsec_first' }));
      await store.rotateSecret(org, target.id, 'whsec_second', T0, T0 + 1);
      await store.getOrCreateServerSecret('session-key', 'server-value', T0);
      const stored = await store.listStoredSecrets();
      const endpointValues = stored.filter((s) => s.kind === 'endpoint').map((s) => [s.owner, s.value]);
      assert.deepEqual(endpointValues, [[target.id, 'whsec_first'], [target.id, 'whsec_second']]);
      const server = stored.find((s) => s.kind === 'server' && s.ref === 'session-key');
      assert.equal(server?.value, 'server-value');

      const first = stored.find((s) => s.value === 'whsec_first')!;
      const changed = await store.replaceStoredSecrets([
        { kind: 'endpoint', ref: first.ref, from: 'whsec_first', to: 'sealed-first' },
        { kind: 'server', ref: 'session-key', from: 'not-what-is-stored', to: 'sealed-server' },
      ]);
      assert.equal(changed, 1);
      const after = await store.listStoredSecrets();
      assert.deepEqual(after.map((s) => s.value).sort(), ['sealed-first', 'server-value', 'whsec_second']);
    });
  });
}
