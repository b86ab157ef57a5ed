import type { Attempt, Endpoint } from '../store.js';
import * as records from '../records.js';

/** Rows as `pg` returns them (bigint parsed to number, see `TYPES` in connection.ts): boolean and text[] need no decoding. */
const POSTGRES: records.ColumnDecoding<boolean, string[]> = {
  flag: (value) => value,
  list: (value) => value,
};

export type EndpointRow = records.EndpointRow<boolean, string[]>;
export type AttemptRow = records.AttemptRow<boolean>;

export const ENDPOINT_COLUMNS =
  'id, organization_id, url, description, events, enabled, signature_scheme, created_at, updated_at, ' +
  'rate_limit, retry_schedule, timeout_ms, disabled_reason, disabled_at, failing_since, failed_deliveries_in_streak, warned_at';

export function toEndpoint(row: EndpointRow): Endpoint {
  return records.toEndpoint(row, POSTGRES);
}

export function toAttempt(row: AttemptRow): Attempt {
  return records.toAttempt(row, POSTGRES);
}
