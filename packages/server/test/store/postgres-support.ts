import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { probePostgres } from '../../../../test-support/postgres-probe.js';
import { requireOrSkip } from '../../../../test-support/skip.js';
import { openPostgresStore, type PostgresStoreOptions } from '../../src/store/postgres/postgres-store.js';
import type { Store } from '../../src/store/store.js';

/**
 * PostgreSQL for tests: the server on this machine (or `HERALD_TEST_DATABASE_URL`), one fresh schema
 * per test, dropped afterwards, so tests never see each other's rows and can run in parallel.
 */
export const POSTGRES_URL = process.env.HERALD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let availability: Promise<string | null> | undefined;

/** Null when PostgreSQL answers; otherwise why not, for `requireOrSkip`. Asked once per process, patiently. */
export function postgresUnavailable(): Promise<string | null> {
  availability ??= probePostgres(POSTGRES_URL).then((why) =>
    why === null ? null : `PostgreSQL unreachable at ${POSTGRES_URL} (${why}); start it or set HERALD_TEST_DATABASE_URL`,
  );
  return availability;
}

function newSchemaName(): string {
  return `herald_test_${randomBytes(6).toString('hex')}`;
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export interface TestSchema {
  schema: string;
  /** Opens one more store (its own pool) on this schema. */
  open(options?: Omit<PostgresStoreOptions, 'schema'>): Promise<Store>;
  /** Runs `cleanup` at dispose, before the schema is dropped; later cleanups run first. */
  defer(cleanup: () => Promise<unknown> | void): void;
  /** Runs the deferred cleanups, closes every store opened here, then drops the schema. */
  dispose(): Promise<void>;
}

export function testSchema(): TestSchema {
  const schema = newSchemaName();
  const stores: Store[] = [];
  const cleanups: Array<() => Promise<unknown> | void> = [];
  return {
    schema,
    async open(options = {}) {
      const store = await openPostgresStore(POSTGRES_URL, { poolSize: 4, ...options, schema });
      stores.push(store);
      return store;
    },
    defer(cleanup) {
      cleanups.push(cleanup);
    },
    async dispose() {
      for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => undefined);
      await Promise.allSettled(stores.map((s) => s.close()));
      await dropSchema(schema);
    },
  };
}

/**
 * A fresh schema for this test, disposed when it ends — or null after skipping the test (failing it
 * under CI=true) when PostgreSQL is unreachable.
 */
export async function postgresSchemaOrSkip(t: TestContext): Promise<TestSchema | null> {
  const missing = await postgresUnavailable();
  if (!requireOrSkip(t, missing === null, missing ?? '')) return null;
  const schema = testSchema();
  t.after(() => schema.dispose());
  return schema;
}

/** Runs one query on a short-lived connection of its own (outside any store's pool). */
export async function adminQuery<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Resolves once `check` returns true, polling every 20 ms; rejects after `timeoutMs`. */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
