import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { describe, it, type TestContext } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { uuidv7 } from '../../src/ids.js';
import { Pruner, type PrunerOptions } from '../../src/retention/pruner.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { ClaimedDelivery, Store } from '../../src/store/store.js';
import { requireOrSkip } from '../../../../test-support/skip.js';
import { manualClock, newEndpoint, newEvent, tempSqlitePath, type ManualClock } from '../helpers/fixtures.js';
import { eventually, POSTGRES_URL, postgresSchemaOrSkip, postgresUnavailable } from '../store/postgres-support.js';
import { openTestStore, type TestStoreKind } from '../store/test-stores.js';

const RETENTION = 60_000;
const quiet = pino({ level: 'silent' });

/**
 * A clock a day past the previous one and past real time. Ids are UUID v7 and never run backwards in a
 * process, so only then do the ids made in a test carry the test's times, as in production.
 */
let latest = Date.now();
const aheadClock = () => manualClock((latest += 86_400_000));

/** A store of `kind` with one organization and endpoint, and a clock of its own (`aheadClock`). */
async function setUp(t: TestContext, kind: TestStoreKind) {
  const { store, dispose } = await openTestStore(kind);
  t.after(dispose);
  const clock = aheadClock();
  const org = uuidv7(clock.now());
  await store.createOrganization({ id: org, name: 'Acme', createdAt: clock.now() });
  await store.createEndpoint(newEndpoint(org, { createdAt: clock.now() }));
  const pruner = (options: Partial<PrunerOptions> = {}) => new Pruner({ store, logger: quiet, clock, retentionMs: RETENTION, ...options });
  return { store, clock, org, pruner };
}

/** Publishes `count` events now, with `payload` each, and finishes their deliveries now. */
async function finishedNow(store: Store, clock: ManualClock, org: string, count: number, payload = '{}') {
  const now = clock.now();
  const results = await store.publishEvents(
    Array.from({ length: count }, () => newEvent(org, { id: uuidv7(now), createdAt: now, payloadJson: payload, idempotencyKey: `k-${uuidv7(now)}`, idempotencyExpiresAt: now + RETENTION / 2 })),
  );
  // An endpoint's adaptive concurrency limit caps each claim; claim until nothing is due.
  for (;;) {
    const claimed = await store.claimDueDeliveries({ leaseOwner: 'test', limit: 100_000, leaseMs: 30_000, now, perEndpointLimit: 100_000 });
    if (claimed.length === 0) break;
    await store.recordAttempts(claimed.map((c) => finished(c, now)));
  }
  return results.map((r) => ({ eventId: r.event.id, deliveryId: r.deliveries[0]!.id }));
}

function finished(claimed: ClaimedDelivery, at: number) {
  return {
    deliveryId: claimed.deliveryId, leaseOwner: 'test', nextAttemptAt: null, recordedAt: at,
    attempt: {
      number: claimed.attempt, startedAt: at, durationMs: 4, statusCode: 200, errorKind: null, errorMessage: null,
      responseBody: 'x'.repeat(2000), responseBodyTruncated: false, responseBodySanitized: false,
      requestHeaders: { 'x-webhook-id': claimed.eventId }, succeeded: true, final: true,
    },
  };
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`the pruner on ${kind === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`, () => {
    const available = async (t: TestContext) => {
      if (kind === 'sqlite') return true;
      const missing = await postgresUnavailable();
      return requireOrSkip(t, missing === null, missing ?? '');
    };

    it('deletes what finished more than the retention ago with its events and keys, and keeps pending and recent deliveries', async (t) => {
      if (!(await available(t))) return;
      const { store, clock, org, pruner } = await setUp(t, kind);
      const old = await finishedNow(store, clock, org, 3);
      const [waiting] = (await store.publishEvents([newEvent(org, { id: uuidv7(clock.now()), createdAt: clock.now() })]))[0]!.deliveries;
      // In flight for longer than the test: pending throughout, and not claimed by the next publish's helper.
      await store.claimDueDeliveries({ leaseOwner: 'slow', limit: 1, leaseMs: 10 * RETENTION, now: clock.now(), perEndpointLimit: 10 });
      clock.advance(RETENTION / 2);
      const recent = await finishedNow(store, clock, org, 2);
      clock.advance(RETENTION / 2 + 1);

      const report = await pruner().runPass();
      assert.deepEqual([report.deliveries, report.events, report.busy], [3, 3, false]);
      // The old events' idempotency keys went with their events; the recent ones' have expired by now.
      assert.equal(report.expired, 2);
      for (const { eventId, deliveryId } of old) {
        assert.equal(await store.getDelivery(org, deliveryId), null);
        assert.equal(await store.getEvent(org, eventId), null);
        assert.deepEqual(await store.listAttempts(deliveryId), []);
      }
      for (const { deliveryId } of recent) assert.equal((await store.getDelivery(org, deliveryId))?.status, 'succeeded');
      assert.equal((await store.getDelivery(org, waiting!.id))?.status, 'pending');
    });

    it('works in batches of at most the batch size and keeps the longest batch it took', async (t) => {
      if (!(await available(t))) return;
      const { store, clock, org, pruner } = await setUp(t, kind);
      await finishedNow(store, clock, org, 7);
      clock.advance(RETENTION + 1);
      const subject = pruner({ batchSize: 3 });
      const report = await subject.runPass();
      assert.equal(report.deliveries, 7);
      // Deliveries 3 + 3 + 1 and events 3 + 3 + 1; the keys went with their events, so one empty batch for them.
      assert.equal(report.batches, 7);
      assert.ok(report.longestBatchMs > 0);
      assert.deepEqual(subject.stats(), { passes: 1, longestBatchMs: report.longestBatchMs });
    });

    it('never takes more than the batch size, even when every batch is slower than the target', async (t) => {
      if (!(await available(t))) return;
      const { store, clock, org, pruner } = await setUp(t, kind);
      await finishedNow(store, clock, org, 7);
      clock.advance(RETENTION + 1);
      const report = await pruner({ batchSize: 3, targetBatchMs: 0 }).runPass();
      assert.deepEqual([report.deliveries, report.events, report.batches], [7, 7, 7]);
    });

    it('prunes on its own once started, and stops: running, then stopped, one promise for two stops', async (t) => {
      if (!(await available(t))) return;
      const { store, clock, org, pruner } = await setUp(t, kind);
      const [old] = await finishedNow(store, clock, org, 1);
      clock.advance(RETENTION + 1);
      const subject = pruner({ intervalMs: 10 });
      assert.equal(subject.state, 'idle');
      subject.start();
      assert.equal(subject.state, 'running');
      await eventually('the pruner to delete the old delivery', async () => (await store.getDelivery(org, old!.deliveryId)) === null);
      const first = subject.stop();
      assert.equal(subject.stop(), first);
      await first;
      assert.equal(subject.state, 'stopped');
      assert.throws(() => subject.start(), /cannot start a pruner that is stopped/);
    });
  });
}

describe('the pruner on SQLite, and the file size', () => {
  it('gives free pages beyond the slack back to the file system, so the file shrinks', async (t) => {
    const path = tempSqlitePath(t);
    const store = await openSqliteStore(path);
    const clock = aheadClock();
    const org = uuidv7(clock.now());
    await store.createOrganization({ id: org, name: 'Acme', createdAt: clock.now() });
    await store.createEndpoint(newEndpoint(org, { createdAt: clock.now() }));
    for (let i = 0; i < 4; i++) await finishedNow(store, clock, org, 500, JSON.stringify({ text: 'p'.repeat(2000) }));
    const full = (await store.spaceStats())!;
    clock.advance(RETENTION + 1);

    const report = await new Pruner({ store, logger: quiet, clock, retentionMs: RETENTION, freeSlack: 0 }).runPass();
    const after = (await store.spaceStats())!;
    assert.equal(report.deliveries, 2000);
    assert.ok(report.reclaimedPages > 0);
    assert.equal(after.pageCount, full.pageCount - report.reclaimedPages);
    // What is left is the minimum slack the pruner keeps for new rows (1,024 pages), give or take the
    // pointer-map pages that shrinking the file frees as well.
    assert.ok(after.freePages <= 1024 + 16, `${after.freePages} free pages`);
    await store.close();
    // Closing checkpoints the WAL into the file, which then has the smaller page count.
    assert.equal(statSync(path).size, after.pageCount * after.pageSize);
  });
});

describe('the pruner on PostgreSQL, with another process pruning', () => {
  it('stops a pass early, busy, while another process holds the pruning lock, and prunes once it is free', async (t) => {
    const schema = await postgresSchemaOrSkip(t);
    if (schema === null) return;
    const store = await schema.open();
    const clock = aheadClock();
    const org = uuidv7(clock.now());
    await store.createOrganization({ id: org, name: 'Acme', createdAt: clock.now() });
    await store.createEndpoint(newEndpoint(org, { createdAt: clock.now() }));
    await finishedNow(store, clock, org, 2);
    clock.advance(RETENTION + 1);
    const pruner = () => new Pruner({ store, logger: quiet, clock, retentionMs: RETENTION });

    // The other process: a transaction holding the lock, as one of its pruner's batches would.
    const other = new pg.Client({ connectionString: POSTGRES_URL });
    await other.connect();
    t.after(() => other.end());
    await other.query('BEGIN');
    await other.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`herald_prune:${schema.schema}`]);

    const blocked = await pruner().runPass();
    assert.deepEqual([blocked.busy, blocked.deliveries], [true, 0]);
    await other.query('COMMIT');
    const free = await pruner().runPass();
    assert.deepEqual([free.busy, free.deliveries], [false, 2]);
  });
});
