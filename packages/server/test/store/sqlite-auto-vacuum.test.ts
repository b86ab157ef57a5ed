import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { tempSqlitePath } from '../helpers/fixtures.js';

const INCREMENTAL = 2;

describe('SQLite auto_vacuum', () => {
  it('creates a new database with incremental auto_vacuum', async (t) => {
    const path = tempSqlitePath(t);
    await (await openSqliteStore(path)).close();
    const db = new BetterSqlite3(path, { readonly: true });
    t.after(() => db.close());
    assert.equal(db.pragma('auto_vacuum', { simple: true }), INCREMENTAL);
  });

  it('converts an existing database that has tables, keeping its rows (the migration runs VACUUM outside a transaction)', async (t) => {
    const path = tempSqlitePath(t);
    // A file made before auto_vacuum was set: with a table already, setting the pragma alone changes nothing.
    const old = new BetterSqlite3(path);
    old.pragma('journal_mode = WAL');
    old.exec("CREATE TABLE kept (value TEXT); INSERT INTO kept VALUES ('still here');");
    assert.equal(old.pragma('auto_vacuum', { simple: true }), 0);
    old.close();

    const store = await openSqliteStore(path);
    assert.ok((await store.spaceStats())!.pageCount > 0);
    await store.close();
    const db = new BetterSqlite3(path, { readonly: true });
    t.after(() => db.close());
    assert.equal(db.pragma('auto_vacuum', { simple: true }), INCREMENTAL);
    assert.deepEqual(db.prepare('SELECT value FROM kept').all(), [{ value: 'still here' }]);
  });
});
