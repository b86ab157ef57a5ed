import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { createOrganization, newEvent, tempSqlitePath } from '../helpers/fixtures.js';

const PAGE = 4096;

describe('SQLite WAL checkpoints', () => {
  it('lets the WAL grow past 1,000 pages before a commit checkpoints it (4,000)', async (t) => {
    const path = tempSqlitePath(t);
    const store = await openSqliteStore(path);
    t.after(() => store.close());
    const org = await createOrganization(store);
    // ~3,000 pages in commits of ~25: a checkpoint at 1,000 pages would restart the WAL from its
    // beginning, and the file (which a checkpoint does not shrink) would stay near 1,000 pages.
    const filler = 'x'.repeat(100 * 1024);
    for (let i = 0; i < 120; i++) {
      await store.publishEvents([newEvent(org.id, { payloadJson: JSON.stringify({ filler, i }) })]);
    }
    const walPages = statSync(`${path}-wal`).size / PAGE;
    assert.ok(walPages > 2_500, `the WAL holds ${Math.round(walPages)} pages`);
  });
});
