import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LATEST_VERSION } from '../../src/store/postgres/migrations.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { createOrg } from './store-contract.js';
import { adminQuery, POSTGRES_URL, postgresSchemaOrSkip } from './postgres-support.js';

describe('PostgreSQL migrations', () => {
  it('migrate a fresh schema once when several processes open it at the same moment', async (t) => {
    const schema = await postgresSchemaOrSkip(t);
    if (!schema) return;
    const stores = await Promise.all(Array.from({ length: 6 }, () => schema.open({ poolSize: 1 })));

    const applied = await adminQuery<{ version: number }>(
      `SELECT version FROM "${schema.schema}".herald_migrations ORDER BY version`,
    );
    assert.deepEqual(
      applied.map((r) => r.version),
      Array.from({ length: LATEST_VERSION }, (_, i) => i + 1),
    );
    // Every process sees the same, working schema.
    const org = await createOrg(stores[0]!);
    assert.equal((await stores[5]!.getOrganization(org))?.id, org);
  });

  it('leave an up-to-date schema and its rows alone when run again', async (t) => {
    const schema = await postgresSchemaOrSkip(t);
    if (!schema) return;
    const store = await schema.open();
    const org = await createOrg(store);
    await store.migrate();
    await Promise.all([store.migrate(), (await schema.open()).migrate()]);
    assert.equal(await store.countOrganizations(), 1);
    assert.equal((await store.getOrganization(org))?.name, 'Acme');
  });

  it('refuse a schema migrated by a newer Herald', async (t) => {
    const schema = await postgresSchemaOrSkip(t);
    if (!schema) return;
    await schema.open();
    await adminQuery(`INSERT INTO "${schema.schema}".herald_migrations (version, applied_at) VALUES ($1, 0)`, [
      LATEST_VERSION + 1,
    ]);
    await assert.rejects(schema.open(), /newer than this Herald/);
  });

  it('refuse a schema name that is not a plain identifier', async () => {
    await assert.rejects(openPostgresStore(POSTGRES_URL, { schema: 'herald; DROP TABLE x' }), /schema must be a lowercase identifier/);
  });
});
