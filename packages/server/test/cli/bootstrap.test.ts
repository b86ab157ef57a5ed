import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeTempDir } from '../../../../test-support/temp-dir.js';
import { requireOrSkip } from '../../../../test-support/skip.js';
import { hashApiKey } from '../../src/api/api-keys.js';
import { bootstrapFirstOrganization } from '../../src/bootstrap.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { manualClock } from '../helpers/fixtures.js';
import { postgresUnavailable, testSchema } from '../store/postgres-support.js';

const SEED = 'automation-key-0123456789abcdef';

async function raceBootstrap(stores: Store[]): Promise<void> {
  const results = await Promise.all(stores.map((store) => bootstrapFirstOrganization(store, manualClock(), SEED)));
  assert.equal(results.filter((r) => r !== null).length, 1, 'exactly one process bootstraps');
  const [store] = stores;
  assert.equal(await store!.countOrganizations(), 1);
  assert.equal((await store!.findApiKeyByHash(hashApiKey(SEED)))?.organizationId, results.find((r) => r !== null)!.organizationId);
  assert.equal(await bootstrapFirstOrganization(store!, manualClock(), SEED), null, 'and never again');
}

describe('first-start bootstrap', () => {
  it('creates one organization with the seeded key when several processes start on one empty SQLite file', async () => {
    const dir = makeTempDir();
    const stores = await Promise.all([1, 2, 3].map(() => openSqliteStore(join(dir.path, 'herald.db'))));
    try {
      await raceBootstrap(stores);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      dir.remove();
    }
  });

  it('creates one organization with the seeded key when several processes start on one empty PostgreSQL schema', async (t) => {
    const missing = await postgresUnavailable();
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const schema = testSchema();
    try {
      await raceBootstrap(await Promise.all([1, 2, 3].map(() => schema.open())));
    } finally {
      await schema.dispose();
    }
  });
});
