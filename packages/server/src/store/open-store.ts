import { openPostgresStore } from './postgres/postgres-store.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/**
 * Opens the Store a `--db` value names: a `postgres://` URL (with optional `schema` and `pool_size`
 * query parameters), or else a SQLite file path. Either way the schema is brought up to date.
 */
export async function openStore(db: string): Promise<Store> {
  if (isPostgresUrl(db)) return openPostgresStore(db);
  return openSqliteStore(db);
}

/** Whether a `--db` value names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}
