import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uuidv7 } from '../../src/ids.js';
import type { AttemptRecord, ClaimedDelivery, Endpoint, Store } from '../../src/store/store.js';

/**
 * The recovery and per-endpoint-settings part of the Store contract: bulk re-sending of failed
 * deliveries, endpoint settings, and the rate limit the claim enforces. `store-contract.ts` calls it
 * inside its own describe block, so each test gets that block's fresh store and organization.
 */
export function describeRecoveryContract(current: () => { store: Store; org: string }, T0: number): void {
  const endpoint = (overrides: Partial<Parameters<Store['createEndpoint']>[0]> = {}) =>
    current().store.createEndpoint({
      id: uuidv7(),
      organizationId: current().org,
      url: 'http://127.0.0.1:9/hook',
      description: '',
      events: ['*'],
      enabled: true,
      signatureScheme: 'contactsmanager',
      secret: `whsec_${uuidv7()}`,
      createdAt: T0,
      ...overrides,
    });

  const publish = async (at: number) => {
    const { store, org } = current();
    const [result] = await store.publishEvents([{
      id: uuidv7(),
      organizationId: org,
      type: 'user.new',
      payloadJson: '{"organization_id":"org"}',
      idempotencyKey: null,
      createdAt: at,
      idempotencyExpiresAt: at + 86_400_000,
    }]);
    return result!;
  };

  const claim = (now: number, owner = 'worker-a') =>
    current().store.claimDueDeliveries({ leaseOwner: owner, limit: 100, leaseMs: 30_000, now, perEndpointLimit: 100 });

  /** Finishes every claimed delivery with one final attempt, recorded at `at`. */
  const finish = async (claimed: ClaimedDelivery[], succeeded: boolean, at: number) => {
    const records: AttemptRecord[] = claimed.map((c) => ({
      deliveryId: c.deliveryId,
      leaseOwner: 'worker-a',
      nextAttemptAt: null,
      recordedAt: at,
      attempt: {
        number: c.attempt, startedAt: at, durationMs: 5, statusCode: succeeded ? 200 : 500, errorKind: succeeded ? null : 'http_status',
        errorMessage: null, responseBody: '', responseBodyTruncated: false, responseBodySanitized: false, requestHeaders: {},
        succeeded, final: true,
      },
    }));
    await current().store.recordAttempts(records);
  };

  /** Publishes one event at `at` and ends its delivery to the only endpoint as failed (or succeeded) at `at`. */
  const deliveryThatEnded = async (at: number, succeeded = false) => {
    const published = await publish(at);
    await finish(await claim(at), succeeded, at);
    return published.deliveries[0]!;
  };

  const window = (target: Endpoint, since: number, until: number) => ({
    organizationId: current().org, endpointId: target.id, since, until,
  });
  const recover = (target: Endpoint, since: number, until: number, at = until) =>
    current().store.recoverDeliveries({ ...window(target, since, until), id: uuidv7(), createdAt: at, newDeliveryId: () => uuidv7() });

  describe('recoveries', () => {
    it('re-sends each delivery that ended failed in the window once, as a new delivery of the same event', async () => {
      const { store, org } = current();
      const target = await endpoint();
      const before = await deliveryThatEnded(T0 + 1_000);
      const inWindow = [await deliveryThatEnded(T0 + 10_000), await deliveryThatEnded(T0 + 20_000)];
      await deliveryThatEnded(T0 + 25_000, true);
      const atUntil = await deliveryThatEnded(T0 + 30_000);
      const stillPending = (await publish(T0 + 26_000)).deliveries[0]!;

      assert.equal(await store.countRecoverable(window(target, T0 + 10_000, T0 + 30_000)), 2);
      const recovery = await recover(target, T0 + 10_000, T0 + 30_000, T0 + 40_000);
      assert.deepEqual(
        { total: recovery?.total, pending: recovery?.pending, succeeded: recovery?.succeeded, failed: recovery?.failed },
        { total: 2, pending: 2, succeeded: 0, failed: 0 },
      );
      const page = await store.listDeliveries({ organizationId: org, limit: 100 });
      const created = page.items.filter((d) => d.createdAt === T0 + 40_000);
      assert.deepEqual(created.map((d) => d.resendOf).sort(), inWindow.map((d) => d.id).sort());
      assert.deepEqual(created.map((d) => d.eventId).sort(), inWindow.map((d) => d.eventId).sort());
      assert.ok(created.every((d) => d.status === 'pending' && d.attemptCount === 0 && d.endpointId === target.id));
      assert.ok(![before.id, atUntil.id, stillPending.id].some((id) => created.some((d) => d.resendOf === id)));

      const again = await recover(target, T0 + 10_000, T0 + 30_000, T0 + 41_000);
      assert.equal(again?.total, 0);
      assert.equal(await store.countRecoverable(window(target, T0 + 10_000, T0 + 30_000)), 0);
    });

    it('leaves out a failed delivery that was already resent by hand', async () => {
      const { store, org } = current();
      const target = await endpoint();
      const resent = await deliveryThatEnded(T0 + 1_000);
      const other = await deliveryThatEnded(T0 + 2_000);
      await store.resendDelivery(org, resent.id, uuidv7(), T0 + 3_000);
      const recovery = await recover(target, T0, T0 + 2_500, T0 + 4_000);
      assert.equal(recovery?.total, 1);
      const created = (await store.listDeliveries({ organizationId: org, limit: 100 })).items.filter((d) => d.createdAt === T0 + 4_000);
      assert.deepEqual(created.map((d) => d.resendOf), [other.id]);
    });

    it('counts the progress of a recovery by the status of the deliveries it created', async () => {
      const { store, org } = current();
      const target = await endpoint();
      await deliveryThatEnded(T0 + 1_000);
      await deliveryThatEnded(T0 + 2_000);
      const recovery = (await recover(target, T0, T0 + 5_000, T0 + 5_000))!;
      const [first, second] = await claim(T0 + 6_000);
      await finish([first!], true, T0 + 6_000);
      await finish([second!], false, T0 + 6_000);
      const progress = await store.getRecovery(org, target.id, recovery.id);
      assert.deepEqual(
        { total: progress?.total, pending: progress?.pending, succeeded: progress?.succeeded, failed: progress?.failed },
        { total: 2, pending: 0, succeeded: 1, failed: 1 },
      );
      assert.equal(progress?.since, T0);
      assert.equal(progress?.until, T0 + 5_000);
      assert.deepEqual((await store.listRecoveries(org, target.id, 10)).map((r) => r.id), [recovery.id]);
    });

    it("keeps recoveries within their organization and endpoint", async () => {
      const { store, org } = current();
      const target = await endpoint();
      const elsewhere = await endpoint();
      await deliveryThatEnded(T0 + 1_000);
      const recovery = (await recover(target, T0, T0 + 5_000))!;
      const otherOrg = uuidv7();
      await store.createOrganization({ id: otherOrg, name: 'Globex', createdAt: T0 });
      assert.equal(await store.getRecovery(otherOrg, target.id, recovery.id), null);
      assert.equal(await store.getRecovery(org, elsewhere.id, recovery.id), null);
      assert.equal(
        await store.recoverDeliveries({ organizationId: otherOrg, endpointId: target.id, since: T0, until: T0 + 5_000, id: uuidv7(), createdAt: T0, newDeliveryId: () => uuidv7() }),
        null,
      );
      assert.equal(await store.countRecoverable({ organizationId: otherOrg, endpointId: target.id, since: T0, until: T0 + 5_000 }), 0);
    });
  });

  describe('endpoint settings', () => {
    it('stores, changes and resets an endpoint’s rate limit, retry schedule and timeout', async () => {
      const { store, org } = current();
      const created = await endpoint({ settings: { rateLimit: 5, retrySchedule: [1_000, 60_000], timeoutMs: 2_500 } });
      assert.deepEqual(created.settings, { rateLimit: 5, retrySchedule: [1_000, 60_000], timeoutMs: 2_500 });
      const plain = await endpoint();
      assert.deepEqual(plain.settings, { rateLimit: null, retrySchedule: null, timeoutMs: null });

      const patched = await store.updateEndpoint(org, created.id, { settings: { retrySchedule: [] } }, T0 + 1);
      assert.deepEqual(patched?.settings, { rateLimit: 5, retrySchedule: [], timeoutMs: 2_500 });
      const reset = await store.updateEndpoint(org, created.id, { description: 'x', settings: { rateLimit: null, timeoutMs: null } }, T0 + 2);
      assert.deepEqual(reset?.settings, { rateLimit: null, retrySchedule: [], timeoutMs: null });
      assert.deepEqual((await store.getEndpoint(org, created.id))?.settings, reset?.settings);
    });

    it('hands the dispatcher the endpoint’s own retry schedule and timeout with each claimed delivery', async () => {
      await endpoint({ settings: { retrySchedule: [500], timeoutMs: 1_500 } });
      await publish(T0);
      const [claimed] = await claim(T0);
      assert.deepEqual(claimed?.endpointRetrySchedule, [500]);
      assert.equal(claimed?.endpointTimeoutMs, 1_500);
    });

    it('leases at most rate_limit deliveries of an endpoint per second of the clock, whoever claims, leaving the rest due and uncharged', async () => {
      const { store, org } = current();
      const limited = await endpoint({ settings: { rateLimit: 2 } });
      for (let i = 0; i < 5; i++) await publish(T0 + 100);

      const first = await claim(T0 + 100, 'worker-a');
      assert.equal(first.length, 2);
      // Same second, another dispatcher: nothing more for the limited endpoint, even once those two are done.
      await finish(first, true, T0 + 200);
      assert.deepEqual(await claim(T0 + 999, 'worker-b'), []);
      const next = await claim(T0 + 1_000, 'worker-b');
      assert.equal(next.length, 2);
      assert.ok(next.every((c) => c.endpointId === limited.id && c.attempt === 1));

      const waiting = (await store.listDeliveries({ organizationId: org, endpointId: limited.id, status: 'pending', limit: 100 })).items;
      assert.equal(waiting.filter((d) => d.attemptCount === 0).length, 1);
      assert.equal((await claim(T0 + 2_000)).length, 1);
    });
  });
}
