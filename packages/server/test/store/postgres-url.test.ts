import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { createOrg } from './store-contract.js';
import { adminQuery, POSTGRES_URL, postgresSchemaOrSkip } from './postgres-support.js';

function withParams(params: Record<string, string>): string {
  const url = new URL(POSTGRES_URL);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

describe('PostgreSQL --db URL', () => {
  it('puts the tables in the schema the URL names', async (t) => {
    const schema = await postgresSchemaOrSkip(t);
    if (!schema) return;
    const store = await openPostgresStore(withParams({ schema: schema.schema, pool_size: '2' }));
    schema.defer(() => store.close());
    await createOrg(store);
    const [row] = await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema.schema}".organizations`);
    assert.equal(row?.n, 1);
  });

  it('passes the URL’s own options on to the server as well as Herald’s', async (t) => {
    const schema = await postgresSchemaOrSkip(t);
    if (!schema) return;
    // A read-only session cannot even create the schema: proof that the option arrived.
    const url = withParams({ schema: schema.schema, options: '-c default_transaction_read_only=on' });
    await assert.rejects(openPostgresStore(url), /read-only transaction/);
  });

  for (const [params, rule] of [
    [{ pool_size: '0' }, /pool_size must be a whole number from 1 to 1000, got "0"/],
    [{ pool_size: 'many' }, /pool_size must be a whole number from 1 to 1000, got "many"/],
    [{ schema: 'Herald-Prod' }, /schema must be a lowercase identifier/],
  ] as const) {
    it(`refuses ${new URLSearchParams(params).toString()} naming the parameter and the rule`, async () => {
      await assert.rejects(openPostgresStore(withParams(params)), (error: Error) => {
        assert.match(error.message, rule);
        assert.match(error.message, /^--db: /);
        return true;
      });
    });
  }
});
