import type { Attempt, Endpoint } from '../store.js';
import * as records from '../records.js';

/** SQLite keeps flags as 0/1 integers and lists of strings as JSON text. */
const SQLITE: records.ColumnDecoding<number, string> = {
  flag: (value) => value === 1,
  list: (value) => JSON.parse(value) as string[],
};

export type EndpointRow = records.EndpointRow<number, string>;
export type AttemptRow = records.AttemptRow<number>;

export function toEndpoint(row: EndpointRow): Endpoint {
  return records.toEndpoint(row, SQLITE);
}

export function toAttempt(row: AttemptRow): Attempt {
  return records.toAttempt(row, SQLITE);
}
