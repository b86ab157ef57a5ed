import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { adoptWriteGate, releaseWriteGateOf, whenWriteGateFree, writeGateBuffer, writeTransaction } from '../../src/store/sqlite/write-gate.js';
import { uuidv7 } from '../../src/ids.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { makeTempDir } from '../../../../test-support/temp-dir.js';
import { newEndpoint } from '../helpers/fixtures.js';

// Threads load the built module (`npm test` builds first): an eval'd worker gets no TypeScript loader.
const GATE = new URL('../../dist/store/sqlite/write-gate.js', import.meta.url).href;

/** A thread that runs `body` (an async function body) with `gate`, `db` and `shared` in scope. */
function thread(body: string, workerData: Record<string, unknown>): Promise<unknown> {
  const worker = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     (async () => {
       const gate = await import(${JSON.stringify(GATE)});
       const Database = require('better-sqlite3');
       gate.adoptWriteGate(workerData.gate);
       const db = new Database(workerData.path);
       db.pragma('busy_timeout = 5000');
       db.pragma('synchronous = OFF');
       const shared = new Int32Array(workerData.shared ?? new SharedArrayBuffer(4));
       ${body}
     })().then((result) => parentPort.postMessage(result ?? null));`,
    { eval: true, workerData },
  );
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => resolve(code));
  });
}

describe('the SQLite write gate', () => {
  it('lets one thread of the process at a time into a write transaction', async (t) => {
    const dir = makeTempDir('herald-gate-');
    t.after(() => dir.remove());
    // Each thread writes its own file, so SQLite's lock does not order them: only the gate does. Inside
    // it, a slow read-modify-write of shared memory keeps every increment only under mutual exclusion.
    const shared = new SharedArrayBuffer(4);
    const body = `db.exec('CREATE TABLE IF NOT EXISTS t (n INTEGER)');
       for (let i = 0; i < 500; i++) gate.writeTransaction(db, () => {
         const seen = shared[0];
         db.prepare('INSERT INTO t VALUES (?)').run(i);
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 0.05);
         shared[0] = seen + 1;
       });`;
    await Promise.all(['a', 'b'].map((name) => thread(body, { gate: writeGateBuffer(), path: `${dir.path}/${name}.db`, shared })));
    assert.equal(new Int32Array(shared)[0], 1000);
  });

  it('waits for the gate without blocking the event loop, and runs the work only once the holder is done', async (t) => {
    const dir = makeTempDir('herald-gate-');
    t.after(() => dir.remove());
    const shared = new SharedArrayBuffer(8);
    const flags = new Int32Array(shared);
    // The thread takes the gate, says so (flags[0]), holds it a while, and marks its release (flags[1]) just before.
    const holding = thread(
      `gate.writeTransaction(db, () => {
         Atomics.store(shared, 0, 1);
         Atomics.notify(shared, 0);
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
         Atomics.store(shared, 1, 1);
       });`,
      { gate: writeGateBuffer(), path: `${dir.path}/holder.db`, shared },
    );
    while (Atomics.load(flags, 0) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 10);
    const sawRelease = await whenWriteGateFree(() => Atomics.load(flags, 1));
    clearInterval(ticker);
    await holding;
    assert.equal(sawRelease, 1, 'the work ran after the holder let go');
    assert.ok(ticks > 0, 'timers ran while waiting');
  });

  it('is taken again for free inside a transaction that holds it', (t) => {
    const dir = makeTempDir('herald-gate-');
    t.after(() => dir.remove());
    const db = new BetterSqlite3(`${dir.path}/nested.db`);
    t.after(() => db.close());
    db.exec('CREATE TABLE t (n INTEGER)');
    writeTransaction(db, () => writeTransaction(db, () => db.prepare('INSERT INTO t VALUES (1)').run()));
    assert.equal((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, 1);
  });

  it('frees the gate of a thread that exited holding it', async (t) => {
    const dir = makeTempDir('herald-gate-');
    t.after(() => dir.remove());
    const path = `${dir.path}/dead.db`;
    const buffer = new SharedArrayBuffer(4);
    const worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       import(${JSON.stringify(GATE)}).then((gate) => {
         gate.adoptWriteGate(workerData.gate);
         const db = require('better-sqlite3')(workerData.path);
         gate.writeTransaction(db, () => process.exit(3));
       });`,
      { eval: true, workerData: { gate: buffer, path } },
    );
    const id = worker.threadId;
    assert.equal(await new Promise((resolve) => worker.once('exit', resolve)), 3);
    assert.equal(Atomics.load(new Int32Array(buffer), 0), id + 1, 'the dead thread still holds it');
    adoptWriteGate(buffer);
    t.after(() => adoptWriteGate(new SharedArrayBuffer(4)));
    releaseWriteGateOf(id);
    const db = new BetterSqlite3(path);
    t.after(() => db.close());
    assert.equal(writeTransaction(db, () => 'written'), 'written');
  });

  it("waits for the gate without blocking the event loop to write the dispatcher's lifecycle bookkeeping", async (t) => {
    const dir = makeTempDir('herald-gate-');
    t.after(() => dir.remove());
    const store = await openSqliteStore(`${dir.path}/herald.db`);
    t.after(() => store.close());
    const org = uuidv7(Date.now());
    await store.createOrganization({ id: org, name: 'Acme', createdAt: Date.now() });
    const endpoint = await store.createEndpoint(newEndpoint(org));
    const shared = new SharedArrayBuffer(8);
    const flags = new Int32Array(shared);
    const holding = thread(
      `gate.writeTransaction(db, () => {
         Atomics.store(shared, 0, 1);
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
       });`,
      { gate: writeGateBuffer(), path: `${dir.path}/holder.db`, shared },
    );
    while (Atomics.load(flags, 0) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 10);
    const [[notice]] = await Promise.all([
      store.noteExhaustedDeliveries([{ endpointId: endpoint.id, deliveryId: uuidv7(Date.now()), at: Date.now() }], 60_000),
      store.recordEndpointHealth([{ endpointId: endpoint.id, kind: 'delivery_failed', at: Date.now() }]),
    ]);
    clearInterval(ticker);
    await holding;
    assert.ok(ticks > 0, 'timers ran while the lifecycle writes waited');
    assert.equal(notice?.endpointId, endpoint.id);
    assert.notEqual((await store.getEndpoint(org, endpoint.id))?.health.failingSince, null);
  });
});
