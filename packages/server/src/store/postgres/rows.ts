import pg from 'pg';
import { ConfigError } from '../../errors.js';
import type { Attempt, Endpoint } from '../store.js';
import * as records from '../records.js';

/** Rows as `pg` returns them (bigint parsed to number, see `TYPES`): boolean and text[] need no decoding. */
const POSTGRES: records.ColumnDecoding<boolean, string[]> = {
  flag: (value) => value,
  list: (value) => value,
};

export type EndpointRow = records.EndpointRow<boolean, string[]>;
export type AttemptRow = records.AttemptRow<boolean>;

export const ENDPOINT_COLUMNS =
  'id, organization_id, url, description, events, enabled, signature_scheme, created_at, updated_at';

/**
 * Times are bigint milliseconds and counts are bigint; `pg` hands both back as strings so as not to
 * lose precision past 2^53. Milliseconds until the year 285,000 fit, so they become numbers here —
 * per pool, not through `pg.types.setTypeParser`, which would change every pool in the process.
 */
export const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Schema names end up in SQL and in the connection's search_path, so only plain identifiers pass. */
export function assertSchemaName(schema: string): void {
  if (!IDENTIFIER.test(schema)) {
    throw new ConfigError(
      `--db: schema must be a lowercase identifier (letters, digits, underscore; at most 63 characters), got "${schema}"`,
      { field: 'db' },
    );
  }
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function toEndpoint(row: EndpointRow): Endpoint {
  return records.toEndpoint(row, POSTGRES);
}

export function toAttempt(row: AttemptRow): Attempt {
  return records.toAttempt(row, POSTGRES);
}
