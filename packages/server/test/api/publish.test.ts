import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { loadCatalog } from '../../src/catalog/load-catalog.js';
import { InvalidPayloadError } from '../../src/errors.js';
import { createMetrics } from '../../src/metrics.js';
import { GroupCommitter } from '../../src/group-commit.js';
import { createPublisher } from '../../src/publish/publisher.js';
import type { NewEvent, Store } from '../../src/store/store.js';
import { countRows, createOrganization, manualClock, openTempStore, userNewPayload, type ManualClock } from '../helpers/fixtures.js';

describe('group commit', () => {
  it('commits items submitted in the same tick with one call', async () => {
    const batches: number[][] = [];
    const committer = new GroupCommitter<number, string>(async (batch) => {
      batches.push(batch);
      return batch.map((n) => `ok ${n}`);
    }, 500);
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => committer.submit(n)));
    assert.deepEqual(results, ['ok 1', 'ok 2', 'ok 3', 'ok 4', 'ok 5']);
    assert.deepEqual(batches, [[1, 2, 3, 4, 5]]);
  });

  it('caps a batch at maxBatchSize', async () => {
    const sizes: number[] = [];
    const committer = new GroupCommitter<number, number>(async (batch) => {
      sizes.push(batch.length);
      return batch;
    }, 10);
    await Promise.all(Array.from({ length: 25 }, (_, i) => committer.submit(i)));
    assert.deepEqual(sizes, [10, 10, 5]);
  });

  it('queues items submitted during a flush for the next batch', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const firstCommitHeld = new Promise<void>((resolve) => (release = resolve));
    const committer = new GroupCommitter<number, number>(async (batch) => {
      batches.push(batch);
      if (batches.length === 1) await firstCommitHeld;
      return batch;
    }, 500);
    const first = committer.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [committer.submit(2), committer.submit(3)];
    release();
    assert.deepEqual(await Promise.all([first, ...later]), [1, 2, 3]);
    assert.deepEqual(batches, [[1], [2, 3]]);
  });

  it('answers a caller only after its batch is committed', async () => {
    const committed = new Set<number>();
    const committer = new GroupCommitter<number, number>(async (batch) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      for (const n of batch) committed.add(n);
      return batch;
    }, 500);
    const n = await committer.submit(7);
    assert.ok(committed.has(n));
  });

  it('fails only the bad item when a batch fails as a whole', async () => {
    const calls: number[][] = [];
    const committer = new GroupCommitter<number, number>(async (batch) => {
      calls.push(batch);
      if (batch.includes(13)) throw new Error('unlucky');
      return batch;
    }, 500);
    const outcomes = await Promise.allSettled([12, 13, 14].map((n) => committer.submit(n)));
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual(calls, [[12, 13, 14], [12], [13], [14]]);
  });
});

describe('publisher', () => {
  let store: Store;
  let dispose: () => Promise<void>;
  let clock: ManualClock;
  let org: string;
  let publishCalls: NewEvent[][];

  beforeEach(async () => {
    ({ store, dispose } = await openTempStore());
    clock = manualClock();
    org = (await createOrganization(store, clock)).id;
    publishCalls = [];
    const publishEvents = store.publishEvents.bind(store);
    store.publishEvents = async (events) => {
      publishCalls.push(events);
      return publishEvents(events);
    };
  });
  afterEach(() => dispose());

  const publisherFor = (options: { idempotencyWindowMs?: number; fairShare?: number } = {}) =>
    createPublisher({ store, catalog: loadCatalog(), clock, metrics: createMetrics(), ...options });

  it('stores 50 concurrent events with a single publishEvents call', async () => {
    const publisher = publisherFor();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => publisher.publish({ organizationId: org, type: 'user.new', payload: userNewPayload({ user_id: `u${i}` }) })),
    );
    assert.equal(publishCalls.length, 1);
    assert.equal(new Set(results.map((r) => r.event.id)).size, 50);
    assert.equal((await countRows(store, org)).events, 50);
  });

  it('stores the payload exactly as JSON.stringify gives it, producer field order kept', async () => {
    const payload = { phone: '+14155552671', organization_id: 'uuid', user_id: 'uuid', email: 'ü@example.com', full_name: 'Zoë' };
    const { event } = await publisherFor().publish({ organizationId: org, type: 'user.new', payload });
    assert.equal((await store.getEvent(org, event.id))?.payloadJson, JSON.stringify(payload));
  });

  it('refuses an invalid payload before writing anything', async () => {
    await assert.rejects(
      publisherFor().publish({ organizationId: org, type: 'user.new', payload: userNewPayload({ email: 42 }) }),
      InvalidPayloadError,
    );
    assert.equal(publishCalls.length, 0);
  });

  it('stores one event for two concurrent publishes with the same idempotency key', async () => {
    const publisher = publisherFor();
    const [a, b] = await Promise.all([
      publisher.publish({ organizationId: org, type: 'user.new', payload: userNewPayload(), idempotencyKey: 'k1' }),
      publisher.publish({ organizationId: org, type: 'user.new', payload: userNewPayload(), idempotencyKey: 'k1' }),
    ]);
    assert.equal(a?.event.id, b?.event.id);
    assert.deepEqual([a?.duplicate, b?.duplicate], [false, true]);
    assert.equal((await countRows(store, org)).events, 1);
  });

  it('honours an idempotency key for the configured window only', async () => {
    const publisher = publisherFor({ idempotencyWindowMs: 60_000 });
    const request = { organizationId: org, type: 'user.new', payload: userNewPayload(), idempotencyKey: 'k1' };
    const first = await publisher.publish(request);
    clock.advance(59_999);
    assert.equal((await publisher.publish(request)).event.id, first.event.id);
    clock.advance(1);
    const afterWindow = await publisher.publish(request);
    assert.notEqual(afterWindow.event.id, first.event.id);
    assert.equal(afterWindow.duplicate, false);
  });

  it('counts accepted events but not duplicates', async () => {
    const metrics = createMetrics();
    const publisher = createPublisher({ store, catalog: loadCatalog(), clock, metrics });
    const request = { organizationId: org, type: 'user.new', payload: userNewPayload(), idempotencyKey: 'k1' };
    await publisher.publish(request);
    await publisher.publish(request);
    assert.equal(metrics.eventsAccepted.get(), 1);
  });

  it('fans a test event out only to the named endpoint', async () => {
    const make = (events: string[]) =>
      store.createEndpoint({
        url: 'http://127.0.0.1:9/webhooks',
        description: '',
        id: `ep-${events.join()}`,
        organizationId: org,
        events,
        enabled: true,
        signatureScheme: 'contactsmanager',
        secret: 'whsec_x',
        createdAt: clock.now(),
      });
    await make(['*']);
    const target = await make(['user.follow']);
    const result = await publisherFor().publish({
      organizationId: org,
      type: 'user.new',
      payload: userNewPayload(),
      onlyEndpointId: target.id,
    });
    assert.deepEqual(result.deliveries.map((d) => d.endpointId), [target.id]);
  });

  it('commits at most the fair share of a burst at once while another organization publishes, and all of it', async () => {
    const other = (await createOrganization(store, clock)).id;
    const publisher = publisherFor({ fairShare: 2 });
    const publish = (organizationId: string, i: number) =>
      publisher.publish({ organizationId, type: 'user.new', payload: userNewPayload({ user_id: `u${i}` }) });
    const steady = publish(other, 0);
    const burst = Array.from({ length: 7 }, (_, i) => publish(org, i + 1));
    const results = await Promise.all([steady, ...burst]);
    const burstPerCommit = publishCalls.map((events) => events.filter((e) => e.organizationId === org).length);
    assert.ok(Math.max(...burstPerCommit) <= 2, `burst events per commit: ${burstPerCommit.join(', ')}`);
    assert.equal(burstPerCommit.reduce((a, b) => a + b, 0), 7);
    assert.equal(publishCalls[0]!.some((e) => e.organizationId === other), true);
    assert.equal(new Set(results.map((r) => r.event.id)).size, 8);
    assert.equal((await countRows(store, org)).events, 7);
  });

  it('commits a burst in one go when its organization publishes alone', async () => {
    const publisher = publisherFor({ fairShare: 2 });
    await Promise.all(Array.from({ length: 7 }, (_, i) => publisher.publish({ organizationId: org, type: 'user.new', payload: userNewPayload({ user_id: `u${i}` }) })));
    assert.deepEqual(publishCalls.map((events) => events.length), [7]);
  });

  it('drains publishes still waiting for their fair share, not only those already committing', async () => {
    const other = (await createOrganization(store, clock)).id;
    const publisher = publisherFor({ fairShare: 1 });
    const settled: number[] = [];
    void publisher.publish({ organizationId: other, type: 'user.new', payload: userNewPayload() });
    for (let i = 0; i < 4; i++) {
      void publisher.publish({ organizationId: org, type: 'user.new', payload: userNewPayload({ user_id: `u${i}` }) }).then(() => settled.push(i));
    }
    await publisher.drain();
    assert.deepEqual(settled, [0, 1, 2, 3]);
    assert.equal((await countRows(store, org)).events, 4);
  });
});
