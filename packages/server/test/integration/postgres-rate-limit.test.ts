import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startDispatchProcess } from '../../../../test-support/herald-process.js';
import { startReceiver } from '../../../../test-support/receiver.js';
import { adminQuery, eventually, postgresSchemaOrSkip } from '../store/postgres-support.js';
import { createOrg, newEndpoint, newEvent } from '../store/store-contract.js';
import { schemaUrl } from './postgres-processes.js';

const RATE = 5;
const EVENTS = 40;

/**
 * An endpoint's `rate_limit` with two real `herald dispatch` processes on one PostgreSQL schema. The
 * limit is counted in fixed one-second windows of the dispatchers' clock, and a request reaches the
 * receiver a little after its claim, so the receiver's own one-second windows can see the end of one
 * claim window and the start of the next: up to 2 × RATE. What the limit guarantees, and what is
 * asserted: never more than 2 × RATE in any second at the receiver, and 40 deliveries at 5 a second
 * need at least 8 claim windows, so the first and the last arrival are more than 6 s apart (5 s
 * asserted, leaving a second for delivery latency). Two processes each keeping 5 a second of their
 * own would finish in about 4 s, and no limit at all in well under one.
 */
describe('per-endpoint rate limit on PostgreSQL', () => {
  it('holds across two dispatcher processes: the receiver never sees more than the limit allows, and nothing is failed or charged an extra attempt', async (t) => {
    const schema = await postgresSchemaOrSkip(t);
    if (!schema) return;
    const db = schemaUrl(schema);
    const receiver = await startReceiver();
    schema.defer(() => receiver.close());
    const store = await schema.open();
    const org = await createOrg(store);
    await store.createEndpoint(newEndpoint(org, { url: receiver.url, settings: { rateLimit: RATE } }));

    const dispatchers = await Promise.all(
      [1, 2].map(() =>
        startDispatchProcess(['--db', db, '--allow-private-networks', '--concurrency', '16', '--endpoint-concurrency', '16'], {
          HERALD_LEASE: '60s',
        }),
      ),
    );
    schema.defer(() => Promise.all(dispatchers.map((d) => d.stop())).then(() => undefined));

    await store.publishEvents(Array.from({ length: EVENTS }, (_, i) => newEvent(org, { payloadJson: `{"n":${i}}`, createdAt: Date.now() })));
    const requests = await receiver.waitForRequests(EVENTS, 60_000);
    await eventually('every delivery to be recorded', async () => (await store.countPendingDeliveries()) === 0, 30_000);

    const arrivals = requests.map((r) => r.receivedAt).sort((a, b) => a - b);
    assert.equal(arrivals.length, EVENTS, 'each delivery reached the receiver once');
    const busiestSecond = Math.max(...arrivals.map((at) => arrivals.filter((other) => other >= at && other < at + 1000).length));
    assert.ok(busiestSecond <= 2 * RATE, `at most ${2 * RATE} arrivals in any second, got ${busiestSecond}`);
    const span = arrivals.at(-1)! - arrivals[0]!;
    t.diagnostic(`busiest second: ${busiestSecond} arrivals; first to last: ${span} ms`);
    assert.ok(span >= 5_000, `40 deliveries at ${RATE}/s take over 6 s, got ${span} ms`);

    // Waiting for the limit is neither a failure nor an attempt.
    assert.ok(requests.every((r) => r.headers['x-webhook-attempt'] === '1'));
    const rows = await adminQuery<{ status: string; attempt_count: number }>(
      `SELECT status, attempt_count FROM "${schema.schema}".deliveries`,
    );
    assert.equal(rows.length, EVENTS);
    assert.ok(rows.every((r) => r.status === 'succeeded' && r.attempt_count === 1));
  });
});
