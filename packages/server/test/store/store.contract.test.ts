import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { makeTempDir } from '../../../../test-support/temp-dir.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('SQLite', async () => {
  const dir = makeTempDir('herald-store-');
  const store = await openSqliteStore(join(dir.path, 'herald.db'));
  return {
    store,
    async dispose() {
      await store.close();
      dir.remove();
    },
  };
});
