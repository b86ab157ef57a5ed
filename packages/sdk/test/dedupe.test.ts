import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dedupe, MemoryDedupeStore } from '../src/index.js';

function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe('dedupe', () => {
  test('runs the handler for a new id and skips a repeat', async () => {
    const store = new MemoryDedupeStore();
    let runs = 0;
    assert.deepEqual(await dedupe('e1', () => ++runs, store), { status: 'processed', result: 1 });
    assert.deepEqual(await dedupe('e1', () => ++runs, store), { status: 'duplicate' });
    assert.equal(runs, 1);
  });

  test('reports a repeat that arrives while the first run is still going as in_progress', async () => {
    const store = new MemoryDedupeStore();
    let finish!: () => void;
    const first = dedupe('e1', () => new Promise<void>((resolve) => (finish = resolve)), store);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(await dedupe('e1', () => assert.fail('must not run'), store), { status: 'in_progress' });
    finish();
    assert.equal((await first).status, 'processed');
  });

  test('forgets an id whose handler threw, so a retry runs it again', async () => {
    const store = new MemoryDedupeStore();
    await assert.rejects(dedupe('e1', () => Promise.reject(new Error('database down')), store), /database down/);
    assert.deepEqual(await dedupe('e1', () => 'ok', store), { status: 'processed', result: 'ok' });
  });

  test('forgets a completed id after its TTL', async () => {
    const clock = manualClock();
    const store = new MemoryDedupeStore({ ttlSeconds: 60, now: clock.now });
    await dedupe('e1', () => 1, store);
    clock.advance(59_999);
    assert.equal((await dedupe('e1', () => 2, store)).status, 'duplicate');
    clock.advance(1);
    assert.deepEqual(await dedupe('e1', () => 3, store), { status: 'processed', result: 3 });
  });

  test('lets a repeat run once an abandoned reservation outlives processingTtlSeconds', () => {
    const clock = manualClock();
    const store = new MemoryDedupeStore({ processingTtlSeconds: 30, now: clock.now });
    assert.equal(store.reserve('e1'), 'reserved');
    clock.advance(29_000);
    assert.equal(store.reserve('e1'), 'in_progress');
    clock.advance(1_000);
    assert.equal(store.reserve('e1'), 'reserved');
  });

  test('keeps at most maxEntries ids, forgetting the oldest first', async () => {
    const store = new MemoryDedupeStore({ maxEntries: 3 });
    for (const id of ['a', 'b', 'c', 'd']) await dedupe(id, () => id, store);
    assert.equal(store.size, 3);
    assert.equal((await dedupe('b', () => 'again', store)).status, 'duplicate');
    assert.equal((await dedupe('a', () => 'again', store)).status, 'processed');
  });

  test('uses one process-wide memory store when none is given', async () => {
    const id = `default-${Date.now()}-${Math.random()}`;
    assert.equal((await dedupe(id, () => 1)).status, 'processed');
    assert.equal((await dedupe(id, () => 2)).status, 'duplicate');
  });

  test('names the argument in every argument error', async () => {
    await assert.rejects(dedupe('', () => 1), /^TypeError: id/);
    await assert.rejects(dedupe('x', 'nope' as unknown as () => number), /^TypeError: handler/);
    assert.throws(() => new MemoryDedupeStore({ ttlSeconds: 0 }), /options.ttlSeconds/);
    assert.throws(() => new MemoryDedupeStore({ maxEntries: 1.5 }), /options.maxEntries/);
    await assert.rejects(dedupe('x', () => 1, {} as unknown as MemoryDedupeStore), /^TypeError: store must be a DedupeStore/);
  });
});
