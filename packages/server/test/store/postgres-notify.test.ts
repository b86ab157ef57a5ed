import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../../src/store/store.js';
import { createOrg, newEndpoint, newEvent } from './store-contract.js';
import { adminQuery, eventually, postgresSchemaOrSkip, testSchema, type TestSchema } from './postgres-support.js';

describe('PostgreSQL wake-ups across processes (LISTEN/NOTIFY)', () => {
  it('wakes an idle process when another one publishes', async (t) => {
    const schema = await postgresSchemaOrSkip(t);
    if (!schema) return;
    const [dispatcher, api] = [await schema.open(), await schema.open()];
    const woken = wakeCounter(dispatcher);
    await listening(schema);

    await publishOne(api);
    await eventually('the wake-up', async () => woken.count === 1);
  });

  it('ignores wake-ups meant for another schema on the same database', async (t) => {
    const schema = await postgresSchemaOrSkip(t);
    if (!schema) return;
    const neighbour = testSchema();
    t.after(() => neighbour.dispose());
    const dispatcher = await schema.open();
    const woken = wakeCounter(dispatcher);
    await listening(schema);

    await publishOne(await neighbour.open());
    await publishOne(await schema.open());
    // Notifications arrive in commit order, so by the second wake-up the first has been seen.
    await eventually('the wake-up from this schema', async () => woken.count >= 1);
    assert.equal(woken.count, 1);
  });

  it('listens again after its connection is cut, waking listeners once for what it may have missed', async (t) => {
    const schema = await postgresSchemaOrSkip(t);
    if (!schema) return;
    const [dispatcher, api] = [await schema.open(), await schema.open()];
    const woken = wakeCounter(dispatcher);
    await listening(schema);

    await adminQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [
      listenerName(schema),
    ]);
    await eventually('the catch-up wake-up after reconnecting', async () => woken.count === 1);
    await listening(schema);
    await publishOne(api);
    await eventually('the wake-up on the new connection', async () => woken.count === 2);
  });
});

function wakeCounter(store: Store): { count: number } {
  const counter = { count: 0 };
  store.onDeliveriesDue(() => counter.count++);
  return counter;
}

function listenerName(schema: TestSchema): string {
  return `herald listen ${schema.schema}`;
}

/** Waits until the schema's LISTEN connection is up, as PostgreSQL itself reports it. */
async function listening(schema: TestSchema): Promise<void> {
  await eventually('the LISTEN connection', async () => {
    const rows = await adminQuery(
      "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'",
      [listenerName(schema)],
    );
    return rows.length > 0;
  });
}

async function publishOne(store: Store): Promise<void> {
  const org = await createOrg(store);
  await store.createEndpoint(newEndpoint(org));
  await store.publishEvents([newEvent(org)]);
}
