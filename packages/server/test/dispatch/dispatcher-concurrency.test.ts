import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { resolveConfig } from '../../src/config.js';
import type { Responder } from '../../../../test-support/receiver.js';
import { dispatchHarness, interceptStore, waitFor } from './harness.js';

/** A responder that holds every response until `release()`, tracking how many are open at once. */
function gate(): { responder: Responder; release(): void; active(): number; maxActive(): number } {
  const held: ServerResponse[] = [];
  let open = false;
  let active = 0;
  let maxActive = 0;
  return {
    responder(_req, _n, res) {
      active += 1;
      maxActive = Math.max(maxActive, active);
      res.on('close', () => (active -= 1));
      if (open) res.end('ok');
      else held.push(res);
    },
    release() {
      open = true;
      for (const res of held.splice(0)) res.end('ok');
    },
    active: () => active,
    maxActive: () => maxActive,
  };
}

describe('dispatcher: concurrency', () => {
  it('keeps a slow endpoint to its per-endpoint limit, so it does not starve another endpoint', async (t) => {
    const h = await dispatchHarness(t);
    const slowGate = gate();
    const slow = await h.receiver(slowGate.responder);
    const fast = await h.receiver();
    await h.endpoint({ url: slow.url, events: ['user.new'] });
    await h.endpoint({ url: fast.url, events: ['user.deleted'] });
    const slowDeliveries = [];
    for (let i = 0; i < 10; i++) slowDeliveries.push(...(await h.publish({ type: 'user.new' })).deliveries);
    const fastDeliveries = [];
    for (let i = 0; i < 5; i++) fastDeliveries.push(...(await h.publish({ type: 'user.deleted' })).deliveries);
    h.dispatcher({ concurrency: 4, perEndpointConcurrency: 2 });

    for (const delivery of fastDeliveries) await h.deliveryWhere(delivery.id, (d) => d.status === 'succeeded');
    // The slow endpoint's two attempts were sent first, but need not have arrived yet on a busy machine.
    await slow.waitForRequests(2);
    assert.equal(slow.requests.length, 2);
    assert.equal(slowGate.active(), 2);

    slowGate.release();
    for (const delivery of slowDeliveries) await h.deliveryWhere(delivery.id, (d) => d.status === 'succeeded');
    assert.equal(slow.requests.length, 10);
    assert.equal(slowGate.maxActive(), 2);
  });

  it('never has more attempts in flight than its concurrency', async (t) => {
    const h = await dispatchHarness(t);
    const held = gate();
    const receiver = await h.receiver(held.responder);
    await h.endpoint({ url: receiver.url });
    const deliveries = [];
    for (let i = 0; i < 8; i++) deliveries.push(...(await h.publish()).deliveries);
    h.dispatcher({ concurrency: 3, perEndpointConcurrency: 8 });

    await receiver.waitForRequests(3);
    held.release();
    for (const delivery of deliveries) await h.deliveryWhere(delivery.id, (d) => d.status === 'succeeded');
    assert.equal(held.maxActive(), 3);
  });

  it('writes attempts that finish together with one recordAttempts call (group commit)', async (t) => {
    const h = await dispatchHarness(t);
    const calls: number[] = [];
    const counting = interceptStore(h.store, {
      // Counted once written, so that the statuses read below are already committed.
      recordAttempts: async (...args) => {
        const claimed = await h.store.recordAttempts(...args);
        calls.push(args[0].length);
        return claimed;
      },
    });
    const held = gate();
    const receiver = await h.receiver(held.responder);
    // Five endpoints at their starting limit of 4 each: 20 attempts in flight at once.
    for (let i = 0; i < 5; i++) await h.endpoint({ url: receiver.url });
    const deliveries = [];
    for (let i = 0; i < 4; i++) deliveries.push(...(await h.publish()).deliveries);
    h.dispatcher({ store: counting, concurrency: 20, perEndpointConcurrency: 20 });

    await receiver.waitForRequests(20);
    held.release();
    await waitFor('20 recorded attempts', async () => (calls.reduce((a, b) => a + b, 0) === 20 ? true : undefined));
    for (const delivery of deliveries) assert.equal((await h.delivery(delivery.id)).status, 'succeeded');
    assert.ok(calls.length < 20, `expected batched writes, got ${calls.length} calls: ${calls.join(',')}`);
  });
});

describe('--concurrency and --endpoint-concurrency', () => {
  it('keep 512 attempts in flight, at most 128 of them to one endpoint, unless set', () => {
    const defaults = resolveConfig({}, {});
    assert.equal(defaults.concurrency, 512);
    assert.equal(defaults.endpointConcurrency, 128);
    const set = resolveConfig({ concurrency: '64' }, { HERALD_ENDPOINT_CONCURRENCY: '16' });
    assert.equal(set.concurrency, 64);
    assert.equal(set.endpointConcurrency, 16);
  });
});
