import assert from 'node:assert/strict';
import { open, type FileHandle } from 'node:fs/promises';
import { describe, it, type TestContext } from 'node:test';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { WalSync } from '../../src/store/sqlite/durability.js';
import { isStorageUnavailable } from '../../src/store/storage-errors.js';
import { makeTempDir } from '../../../../test-support/temp-dir.js';

/** A WAL-mode database with one table, closed after the test. */
function walDatabase(t: TestContext): { db: Database; path: string } {
  const dir = makeTempDir('herald-wal-sync-');
  const path = `${dir.path}/herald.db`;
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (n INTEGER NOT NULL)');
  t.after(() => {
    db.close();
    dir.remove();
  });
  return { db, path };
}

/** Wraps the real `FileHandle.datasync`: `around` runs it (`sync`) and may add to it. */
async function aroundDatasync(t: TestContext, path: string, around: (sync: () => Promise<void>) => Promise<void>): Promise<void> {
  const probe = await open(path, 'r');
  const prototype = Object.getPrototypeOf(probe) as FileHandle;
  await probe.close();
  const original = prototype.datasync;
  t.mock.method(prototype, 'datasync', function (this: FileHandle) {
    return around(() => original.call(this));
  });
}

describe('WalSync', () => {
  it('resolves each commit only after an fdatasync that began after it, sharing one fdatasync between concurrent commits', async (t) => {
    const { db, path } = walDatabase(t);
    const sync = new WalSync(db);
    t.after(() => sync.close());
    const log: string[] = [];
    await aroundDatasync(t, path, async (datasync) => {
      log.push('sync began');
      await datasync();
      log.push('sync ended');
    });
    const insert = db.prepare('INSERT INTO t (n) VALUES (?)');
    await Promise.all(
      Array.from({ length: 20 }, async (_, n) => {
        await new Promise((resolve) => setTimeout(resolve, n % 4));
        await sync.commitDurably(() => {
          insert.run(n);
          log.push(`committed ${n}`);
        });
        log.push(`resolved ${n}`);
      }),
    );
    assert.equal((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, 20);
    const syncs = log.filter((entry) => entry === 'sync began').length;
    assert.ok(syncs >= 1 && syncs < 20, `${syncs} fdatasyncs for 20 commits`);
    for (let n = 0; n < 20; n++) {
      const committed = log.indexOf(`committed ${n}`);
      const resolved = log.indexOf(`resolved ${n}`);
      const began = log.indexOf('sync began', committed);
      const ended = log.indexOf('sync ended', began);
      assert.ok(began !== -1 && ended !== -1 && ended < resolved, `commit ${n} resolved without an fdatasync begun after it:\n${log.join('\n')}`);
    }
  });

  it('leaves the write lock free while the fdatasync runs', async (t) => {
    const { db, path } = walDatabase(t);
    const sync = new WalSync(db);
    t.after(() => sync.close());
    const other = new BetterSqlite3(path);
    t.after(() => other.close());
    other.pragma('busy_timeout = 0');
    let otherWrote = false;
    await aroundDatasync(t, path, async (datasync) => {
      other.prepare('INSERT INTO t (n) VALUES (-1)').run();
      otherWrote = true;
      await datasync();
    });
    await sync.commitDurably(() => db.prepare('INSERT INTO t (n) VALUES (1)').run());
    assert.ok(otherWrote);
  });

  it('rejects the commits a failed fdatasync stood for as storage unavailable, and syncs again for the next one', async (t) => {
    const { db, path } = walDatabase(t);
    const sync = new WalSync(db);
    t.after(() => sync.close());
    let calls = 0;
    await aroundDatasync(t, path, async (datasync) => {
      calls += 1;
      if (calls === 1) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      await datasync();
    });
    const insert = db.prepare('INSERT INTO t (n) VALUES (?)');
    await assert.rejects(sync.commitDurably(() => insert.run(1)), (error: unknown) => {
      assert.ok(isStorageUnavailable(error), 'a failed fdatasync reads as storage unavailable');
      assert.equal((error as Error & { cause: { code: string } }).cause.code, 'EIO');
      return true;
    });
    assert.equal(await sync.commitDurably(() => insert.run(2).changes), 1);
    assert.equal(calls, 2);
  });

  it('commits with synchronous = FULL inside the transaction when the database has no WAL file', async () => {
    const db = new BetterSqlite3(':memory:');
    try {
      db.exec('CREATE TABLE t (n INTEGER NOT NULL)');
      const sync = new WalSync(db);
      assert.equal(await sync.commitDurably(() => db.prepare('INSERT INTO t (n) VALUES (1)').run().changes), 1);
      await sync.close();
    } finally {
      db.close();
    }
  });
});
