import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AttemptRecord, ClaimedDelivery, ClaimOptions, Store } from '../../src/store/store.js';
import { createOrg, newEndpoint, newEvent, T0 } from './store-contract.js';
import { postgresSchemaOrSkip } from './postgres-support.js';

/**
 * Two stores on one schema, each with its own connection pool, stand in for two Herald processes:
 * what they race on is only what the database arbitrates.
 */
describe('PostgreSQL store shared by several processes', () => {
  it('stores one event per idempotency key when two processes publish it at once, in any order', async (t) => {
    const schema = await postgresSchemaOrSkip(t);
    if (!schema) return;
    const [a, b] = [await schema.open(), await schema.open()];
    const org = await createOrg(a);
    await a.createEndpoint(newEndpoint(org));
    const keys = Array.from({ length: 30 }, (_, i) => `order-${i}`);

    // Whole batches in opposite key orders, plus single publishes, all at once.
    const results = (
      await Promise.all([
        a.publishEvents(keys.map((idempotencyKey) => newEvent(org, { idempotencyKey }))),
        b.publishEvents([...keys].reverse().map((idempotencyKey) => newEvent(org, { idempotencyKey }))),
        ...keys.map((idempotencyKey, i) => (i % 2 === 0 ? a : b).publishEvents([newEvent(org, { idempotencyKey })])),
      ])
    ).flat();

    const stored = (await a.listEvents({ organizationId: org, limit: 1000 })).items;
    assert.equal(stored.length, keys.length);
    for (const key of keys) {
      const event = stored.find((e) => e.idempotencyKey === key)!;
      const answers = results.filter((r) => r.event.idempotencyKey === key);
      assert.equal(answers.length, 3);
      assert.ok(answers.every((r) => r.event.id === event.id), `every publish of ${key} answers the stored event`);
      assert.equal(answers.filter((r) => !r.duplicate).length, 1);
    }
    assert.equal(await a.countPendingDeliveries(), keys.length);
  });

  it('gives every process the same server secret when they create it at once', async (t) => {
    const schema = await postgresSchemaOrSkip(t);
    if (!schema) return;
    const stores = await Promise.all([schema.open(), schema.open(), schema.open()]);
    const answers = await Promise.all(
      stores.flatMap((store, s) => [0, 1].map((c) => store.getOrCreateServerSecret('session-key', `candidate-${s}-${c}`, T0))),
    );
    assert.equal(new Set(answers).size, 1);
  });

  it('never leases one delivery to two processes claiming at once', async (t) => {
    const schema = await postgresSchemaOrSkip(t);
    if (!schema) return;
    const stores = [await schema.open(), await schema.open()];
    const org = await createOrg(stores[0]!);
    for (let i = 0; i < 3; i++) {
      const endpoint = await stores[0]!.createEndpoint(newEndpoint(org));
      // Endpoints that have answered plenty: their adaptive limit is out of the way.
      await stores[0]!.recordAttempts([], [
        { endpointId: endpoint.id, kind: 'answered', count: 1000, afterAnswer: false, maxConcurrency: 1000, openAfter: 5, cooldownMs: 1000, now: T0 },
      ]);
    }
    await stores[0]!.publishEvents(Array.from({ length: 60 }, () => newEvent(org)));

    const claimers = stores.flatMap((store, s) =>
      [0, 1, 2].map((c) => claimUntilNothingDue(store, { leaseOwner: `process-${s}-worker-${c}`, limit: 7, perEndpointLimit: 1000 })),
    );
    const claimed = (await Promise.all(claimers)).flat();

    assert.equal(claimed.length, 180);
    assert.equal(new Set(claimed.map((c) => c.deliveryId)).size, 180);
    assert.ok(claimed.every((c) => c.attempt === 1));
  });

  it('holds the per-endpoint limit across processes', async (t) => {
    const schema = await postgresSchemaOrSkip(t);
    if (!schema) return;
    const stores = [await schema.open(), await schema.open()];
    const org = await createOrg(stores[0]!);
    const endpoint = await stores[0]!.createEndpoint(newEndpoint(org));
    await stores[0]!.publishEvents(Array.from({ length: 40 }, () => newEvent(org)));
    const limit = 4;

    const delivered = new Set<string>();
    let now = T0;
    while (delivered.size < 40) {
      // Eight claims at once, four per process; together they may lease at most `limit`.
      const round = (
        await Promise.all(
          stores.flatMap((store, s) =>
            [0, 1, 2, 3].map(async (c) => {
              const leaseOwner = `p${s}-w${c}`;
              const batch = await store.claimDueDeliveries({ leaseOwner, limit: 10, leaseMs: 60_000, now, perEndpointLimit: limit });
              return batch.map((claimed) => ({ claimed, leaseOwner }));
            }),
          ),
        )
      ).flat();
      assert.ok(round.length <= limit, `a round leased ${round.length} deliveries of one endpoint, limit ${limit}`);
      for (const { claimed } of round) {
        assert.equal(claimed.endpointId, endpoint.id);
        assert.ok(!delivered.has(claimed.deliveryId), 'a delivered delivery was leased again');
        delivered.add(claimed.deliveryId);
      }
      // Finishing them frees the slots for the next round.
      await stores[1]!.recordAttempts(round.map(({ claimed, leaseOwner }) => succeeded(claimed, leaseOwner, now)));
      now += 1;
    }
  });
});

async function claimUntilNothingDue(
  store: Store,
  options: Pick<ClaimOptions, 'leaseOwner' | 'limit' | 'perEndpointLimit'>,
): Promise<ClaimedDelivery[]> {
  const claimed: ClaimedDelivery[] = [];
  for (;;) {
    const batch = await store.claimDueDeliveries({ ...options, leaseMs: 60_000, now: T0 });
    claimed.push(...batch);
    // An empty batch may only mean another process held the endpoints for a moment.
    if (batch.length === 0 && ((await store.nextDueAt()) ?? Infinity) > T0) return claimed;
  }
}

function succeeded(claimed: ClaimedDelivery, leaseOwner: string, now: number): AttemptRecord {
  return {
    deliveryId: claimed.deliveryId,
    leaseOwner,
    nextAttemptAt: null,
    recordedAt: now,
    attempt: {
      number: claimed.attempt,
      startedAt: now,
      durationMs: 1,
      statusCode: 200,
      errorKind: null,
      errorMessage: null,
      responseBody: 'ok',
      responseBodyTruncated: false,
      responseBodySanitized: false,
      requestHeaders: {},
      succeeded: true,
      final: true,
    },
  };
}
