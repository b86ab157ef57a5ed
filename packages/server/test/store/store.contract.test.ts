import { it } from 'node:test';
import { requireOrSkip } from '../../../../test-support/skip.js';
import { describeStoreContract } from './store-contract.js';
import { postgresUnavailable } from './postgres-support.js';
import { openTestStore } from './test-stores.js';

describeStoreContract('SQLite', () => openTestStore('sqlite'));

const postgresMissing = await postgresUnavailable();
if (postgresMissing === null) {
  describeStoreContract('PostgreSQL', () => openTestStore('postgres'));
} else {
  it('runs the Store contract on PostgreSQL', (t) => {
    requireOrSkip(t, false, postgresMissing);
  });
}
