import { open, type FileHandle } from 'node:fs/promises';
import type { Database } from 'better-sqlite3';
import { StorageUnavailableError } from '../../errors.js';
import { whenWriteGateFree, writeTransaction } from './write-gate.js';

/**
 * Runs `work` in a write transaction committed with `synchronous = NORMAL`: in WAL mode that is
 * everything short of the fsync. Such a commit survives a crash of the process (the WAL is in the
 * operating system's hands), but not of the machine, until the next fsync — which the next publish,
 * made durable by `WalSync`, pays for every frame before its own.
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

/**
 * Durable commits whose fsync is paid outside the write lock and off the event loop. With
 * `synchronous = FULL`, SQLite fsyncs the WAL inside the commit: on a synchronous driver that blocks
 * the event loop, and it holds the write lock, so under a steady stream of publishes the dispatcher
 * thread's claims and records found the lock taken nearly every time they looked, and deliveries
 * fell behind publishes (bench/end-to-end.ts). Here the transaction commits with
 * `synchronous = NORMAL`, and `commitDurably` resolves only after an `fdatasync` of the WAL file that
 * began after that commit: the promise FULL makes (the commit's WAL frames are on disk) holds before
 * the caller may answer. Concurrent callers share one fdatasync, which covers every frame written
 * before it began. Checkpoints keep their own fsyncs under NORMAL, and the WAL file keeps its inode
 * while a connection is open (it is reset or truncated, never replaced), so the one handle opened on
 * first use stays right.
 *
 * What changes is visibility: another connection can read such a commit before its fsync ends. The
 * publisher wakes the dispatcher only afterwards, but a claim that happens to run in that window may
 * send an event whose publish then fails with a storage error; only a machine crash in that window
 * loses such an event.
 *
 * When the fdatasync fails, every commit it stood for is rejected with `StorageUnavailableError`
 * (503, and no retry item by item in the group commit): those events are committed but not known to
 * be on disk, and a publish sent again with its idempotency key finds its original.
 *
 * A database without a WAL file (`:memory:`) commits with FULL, as before.
 */
export class WalSync {
  private handle: Promise<FileHandle> | null = null;
  private committed = 0;
  private synced = 0;
  private syncing: Promise<void> | null = null;
  private readonly wal: boolean;

  constructor(private readonly db: Database) {
    this.wal = !db.memory && String(db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
  }

  async commitDurably<T>(work: () => T): Promise<T> {
    if (!this.wal) return writeTransaction(this.db, work);
    const result = commitWithoutFsync(this.db, work);
    await this.syncThrough(++this.committed);
    return result;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    if (handle) await (await handle).close();
  }

  private async syncThrough(commit: number): Promise<void> {
    while (this.synced < commit) {
      this.syncing ??= this.syncAll();
      await this.syncing;
    }
  }

  private async syncAll(): Promise<void> {
    const through = this.committed;
    try {
      this.handle ??= open(`${this.db.name}-wal`, 'r');
      await (await this.handle).datasync();
      this.synced = Math.max(this.synced, through);
    } catch (error) {
      // Open again next time; a handle whose fdatasync failed is not trusted with the next one.
      await this.close().catch(() => undefined);
      throw new StorageUnavailableError(
        'the event was committed but the disk did not confirm it (fsync of the SQLite WAL failed); send it again with the same Idempotency-Key to get the original',
        { cause: error },
      );
    } finally {
      this.syncing = null;
    }
  }
}
