import { StorageUnavailableError } from '../errors.js';

/**
 * Whether a database error means the database cannot write just now, rather than that this write
 * was wrong: the disk is full, the file system failed, or the database is read-only (a PostgreSQL
 * server out of space or failed over, or set `default_transaction_read_only`). Such a write was
 * rolled back whole — except a SQLite publish whose WAL fdatasync failed after its commit
 * (`sqlite/durability.ts`, a `StorageUnavailableError` of its own) — and the same write succeeds
 * once space returns, so callers answer 503 and retry instead of treating the data as bad.
 */
export function isStorageUnavailable(error: unknown): boolean {
  if (error instanceof StorageUnavailableError) return true;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code !== 'string') return false;
  return SQLITE_PREFIXES.some((prefix) => code === prefix || code.startsWith(`${prefix}_`)) || POSTGRES_CODES.has(code);
}

/** better-sqlite3 reports extended result codes by name: SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED, … */
const SQLITE_PREFIXES = ['SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_READONLY'];

const POSTGRES_CODES = new Set([
  '53100', // disk_full
  '53000', // insufficient_resources
  '58030', // io_error
  '25006', // read_only_sql_transaction
]);
