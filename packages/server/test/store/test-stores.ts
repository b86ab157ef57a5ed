import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { makeTempDir } from '../../../../test-support/temp-dir.js';
import { postgresUnavailable, testSchema } from './postgres-support.js';

export type TestStoreKind = 'sqlite' | 'postgres';

/**
 * Which database the API and delivery tests run on: `HERALD_TEST_STORE=postgres` runs them on a
 * fresh PostgreSQL schema each, anything else (the default) on a temp SQLite file. Running the same
 * suites both ways is how "every guarantee holds on both stores" is checked beyond the contract.
 */
export const TEST_STORE: TestStoreKind = process.env.HERALD_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

/** A fresh, empty store of `kind`, and how to throw it away. PostgreSQL must be reachable. */
export async function openTestStore(kind: TestStoreKind = TEST_STORE): Promise<{ store: Store; dispose(): Promise<void> }> {
  if (kind === 'postgres') {
    const missing = await postgresUnavailable();
    if (missing !== null) throw new Error(`HERALD_TEST_STORE=postgres: ${missing}`);
    const schema = testSchema();
    return { store: await schema.open(), dispose: () => schema.dispose() };
  }
  const dir = makeTempDir('herald-test-');
  const store = await openSqliteStore(join(dir.path, 'herald.db'));
  return {
    store,
    async dispose() {
      await store.close();
      dir.remove();
    },
  };
}
