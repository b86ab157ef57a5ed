import type { Database } from 'better-sqlite3';
import { whenWriteGateFree, writeTransaction } from './write-gate.js';

/**
 * Runs `work` in a write transaction committed with `synchronous = NORMAL`: in WAL mode that is
 * everything short of the fsync. Such a commit survives a crash of the process (the WAL is in the
 * operating system's hands), but not of the machine, until the next fsync — which the next publish,
 * committed with `synchronous = FULL`, pays for every frame before its own.
 *
 * Only for writes whose loss on power failure at-least-once delivery absorbs: a lease (the delivery
 * simply is not leased), an attempt record (the delivery is sent again), and the dispatcher's
 * lifecycle bookkeeping after an attempt (a failing streak's count, an exhaustion noted: a ladder
 * measured in hours tolerates one count less). A publish is never one of them: its 202 promises the
 * event is on disk. On the event loop, the fsync is most of what a small transaction costs; claims
 * and records are most of the transactions, and with every attempt to a failing endpoint exhausting
 * a delivery, blocking fsyncs here stalled every other endpoint's deliveries (bench/isolation.ts).
 */
export function commitWithoutFsync<T>(db: Database, work: () => T): T {
  db.pragma('synchronous = NORMAL');
  try {
    return writeTransaction(db, work);
  } finally {
    db.pragma('synchronous = FULL');
  }
}

/** `commitWithoutFsync`, once the write gate is free, waiting for it without blocking the event loop. */
export function commitWithoutFsyncWhenFree<T>(db: Database, work: () => T): Promise<T> {
  return whenWriteGateFree(() => commitWithoutFsync(db, work));
}
