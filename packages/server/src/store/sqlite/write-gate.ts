import { threadId } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';

/**
 * SQLite has one writer at a time. A connection that finds the write lock taken waits in SQLite's
 * busy handler, which sleeps 1, 2, 5, 10 … up to 100 ms between looks: fine between processes, but
 * `herald serve` writes from two threads (the API's publishes, the dispatcher thread's claims and
 * records) that each want the lock hundreds of times a second, and those sleeps became most of the
 * delivery latency. So write transactions first take this gate, one shared word of memory per
 * process: a waiting thread sleeps on it and is woken the moment the holder is done. SQLite's own
 * locking still decides who writes; the gate only makes the waiting exact. Writes from other
 * processes (`herald backup`, a second Herald) still meet the busy handler.
 *
 * The word holds the holding thread's id + 1, so a thread that died holding it can be freed
 * (`releaseWriteGateOf`). Within a thread, taking it again is free (nested transactions).
 *
 * `whenWriteGateFree` waits without blocking the thread's event loop: the dispatcher thread uses it,
 * so that while a publish holds the gate for its fsync, responses keep being read and attempts keep
 * finishing (and joining the next batch of records), instead of the whole thread standing still.
 */
const FREE = 0;
let cell = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
const MINE = threadId + 1;

/** The gate's memory, to hand to a thread that will open the same database. */
export function writeGateBuffer(): SharedArrayBuffer {
  return cell.buffer as SharedArrayBuffer;
}

/** Use the gate of the thread that started this one. Call before opening the store. */
export function adoptWriteGate(buffer: SharedArrayBuffer): void {
  cell = new Int32Array(buffer);
}

/** Frees the gate if the (exited) thread `id` held it. */
export function releaseWriteGateOf(id: number): void {
  if (Atomics.compareExchange(cell, 0, id + 1, FREE) === id + 1) Atomics.notify(cell, 0);
}

/** `work` in a `BEGIN IMMEDIATE` transaction, holding the gate. */
export function writeTransaction<T>(db: Database, work: () => T): T {
  return holdingWriteGate(() => db.transaction(work).immediate());
}

/** Waits, without blocking the event loop, until the gate is free; then runs `work` (synchronous) holding it. */
export async function whenWriteGateFree<T>(work: () => T): Promise<T> {
  for (;;) {
    const holder = take();
    if (holder === FREE || holder === MINE) return holding(holder, work);
    const waiting = Atomics.waitAsync(cell, 0, holder, 100);
    if (waiting.async) await waiting.value;
  }
}

function holdingWriteGate<T>(work: () => T): T {
  for (;;) {
    const holder = take();
    if (holder === FREE || holder === MINE) return holding(holder, work);
    Atomics.wait(cell, 0, holder, 100);
  }
}

/** Takes the gate if it is free; returns who held it before (FREE: now this thread; MINE: already this thread). */
function take(): number {
  return Atomics.compareExchange(cell, 0, FREE, MINE);
}

/** Runs `work` holding the gate; frees it unless this thread already held it (a nested transaction). */
function holding<T>(before: number, work: () => T): T {
  if (before === MINE) return work();
  try {
    return work();
  } finally {
    Atomics.store(cell, 0, FREE);
    // Every waiter, not one: waking only the dispatcher thread's asynchronous waiter, whose event
    // loop may be busy, would leave the API thread asleep beside a free gate.
    Atomics.notify(cell, 0);
  }
}
