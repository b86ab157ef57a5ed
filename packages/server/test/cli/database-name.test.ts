import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeDatabase } from '../../src/cli/database-name.js';

describe('the database as shown in banners and logs', () => {
  it('hides the password of a PostgreSQL URL and keeps the rest', () => {
    assert.equal(
      describeDatabase('postgres://herald:s3cret@db.internal:5432/herald?schema=herald'),
      'postgres://herald:***@db.internal:5432/herald?schema=herald',
    );
  });

  it('hides a password passed as a query parameter', () => {
    assert.equal(
      describeDatabase('postgres://herald@db.internal/herald?password=s3cret&sslpassword=k3y&schema=herald'),
      'postgres://herald@db.internal/herald?password=***&sslpassword=***&schema=herald',
    );
  });

  it('leaves a URL without a password and a SQLite path as they are', () => {
    assert.equal(describeDatabase('postgres://herald@db/herald'), 'postgres://herald@db/herald');
    assert.equal(describeDatabase('./.herald/herald.db'), './.herald/herald.db');
  });
});
