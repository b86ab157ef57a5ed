import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startDispatchProcess } from '../../../../test-support/herald-process.js';
import { startReceiver } from '../../../../test-support/receiver.js';
import { adminQuery, eventually, postgresSchemaOrSkip } from '../store/postgres-support.js';
import { createOrg, newEndpoint, newEvent } from '../store/store-contract.js';
import { schemaUrl } from './postgres-processes.js';

/** Bytes PostgreSQL cannot keep in `text` as they are: a NUL, and bytes that are not UTF-8. */
const POISON = Buffer.from([0x6f, 0x6b, 0x00, 0x7a, 0x65, 0x72, 0x6f, 0xc3, 0x28, 0xff]);

describe('Herald on PostgreSQL with a receiver that answers unstorable bytes', () => {
  it('two dispatcher processes record every healthy delivery and the poisoned attempt, flagged', async (t) => {
    const schema = await postgresSchemaOrSkip(t);
    if (!schema) return;
    const poisoned = await startReceiver((_request, _n, res) => {
      // A header value with a byte above 0x7f too: Node sends it as latin1, undici reads it back.
      res.writeHead(200, { 'content-type': 'text/plain', 'x-note': 'caf\u00e9' });
      res.end(POISON);
    });
    const healthy = await startReceiver();
    schema.defer(() => Promise.all([poisoned.close(), healthy.close()]));
    const store = await schema.open();
    const org = await createOrg(store);
    const bad = await store.createEndpoint(newEndpoint(org, { url: poisoned.url }));
    await store.createEndpoint(newEndpoint(org, { url: healthy.url }));
    const events = 40;
    await store.publishEvents(Array.from({ length: events }, () => newEvent(org, { createdAt: Date.now() })));

    const dispatchers = await Promise.all(
      [1, 2].map(() => startDispatchProcess(['--db', schemaUrl(schema), '--allow-private-networks'], { HERALD_LEASE: '60s' })),
    );
    schema.defer(() => Promise.all(dispatchers.map((d) => d.stop())));

    await eventually('every delivery to finish', async () => (await store.countPendingDeliveries()) === 0, 60_000);
    const rows = await adminQuery<{ endpoint_id: string; status: string; attempts: number; body: string; sanitized: boolean }>(
      `SELECT d.endpoint_id, d.status, count(a.id)::int AS attempts, min(a.response_body) AS body,
              bool_and(a.response_body_sanitized) AS sanitized
       FROM "${schema.schema}".deliveries d JOIN "${schema.schema}".attempts a ON a.delivery_id = d.id
       GROUP BY d.id`,
    );
    assert.equal(rows.length, events * 2);
    assert.ok(rows.every((r) => r.status === 'succeeded' && r.attempts === 1), 'each delivery succeeded with one attempt');
    const poisonedRows = rows.filter((r) => r.endpoint_id === bad.id);
    assert.equal(poisonedRows.length, events);
    for (const row of poisonedRows) {
      assert.equal(row.body, 'ok\\u0000zero\\xc3(\\xff');
      assert.equal(row.sanitized, true);
    }
    assert.equal(healthy.requests.length, events, 'no healthy delivery was sent twice');
  });
});
