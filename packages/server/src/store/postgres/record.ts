import type { Pool } from 'pg';
import { uuidv7 } from '../../ids.js';
import { statusAfterAttempt } from '../records.js';
import type { AttemptRecord } from '../store.js';

/**
 * Writes finished attempts in one statement, fenced on (lease owner, attempt count): the update
 * decides which records still hold their lease, and only those get an attempt row. A record from a
 * dispatcher whose lease expired (and was claimed again) matches nothing and is dropped.
 */
export async function recordAttempts(pool: Pool, records: AttemptRecord[]): Promise<void> {
  if (records.length === 0) return;
  const columns = {
    deliveryId: [] as string[],
    leaseOwner: [] as string[],
    number: [] as number[],
    status: [] as string[],
    nextAttemptAt: [] as Array<number | null>,
    recordedAt: [] as number[],
    attemptId: [] as string[],
    startedAt: [] as number[],
    durationMs: [] as number[],
    statusCode: [] as Array<number | null>,
    errorKind: [] as Array<string | null>,
    errorMessage: [] as Array<string | null>,
    responseBody: [] as Array<string | null>,
    requestHeaders: [] as string[],
    succeeded: [] as boolean[],
    final: [] as boolean[],
  };
  for (const { deliveryId, leaseOwner, attempt, nextAttemptAt, recordedAt } of records) {
    const status = statusAfterAttempt(attempt.succeeded, nextAttemptAt);
    columns.deliveryId.push(deliveryId);
    columns.leaseOwner.push(leaseOwner);
    columns.number.push(attempt.number);
    columns.status.push(status);
    columns.nextAttemptAt.push(status === 'pending' ? nextAttemptAt : null);
    columns.recordedAt.push(recordedAt);
    columns.attemptId.push(uuidv7(attempt.startedAt));
    columns.startedAt.push(attempt.startedAt);
    columns.durationMs.push(Math.round(attempt.durationMs));
    columns.statusCode.push(attempt.statusCode);
    columns.errorKind.push(attempt.errorKind);
    columns.errorMessage.push(attempt.errorMessage);
    columns.responseBody.push(attempt.responseBody);
    columns.requestHeaders.push(JSON.stringify(attempt.requestHeaders));
    columns.succeeded.push(attempt.succeeded);
    columns.final.push(attempt.final);
  }
  // One statement: the fenced update decides which records still hold their lease, and only
  // those get an attempt row. A record from a dispatcher whose lease expired matches nothing.
  await pool.query({
    name: 'herald_record_attempts',
    text: `WITH input AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::bigint[], $6::bigint[],
         $7::text[], $8::bigint[], $9::int[], $10::int[], $11::text[], $12::text[], $13::text[], $14::text[],
         $15::boolean[], $16::boolean[])
         AS t(delivery_id, lease_owner, number, status, next_attempt_at, recorded_at, attempt_id, started_at,
              duration_ms, status_code, error_kind, error_message, response_body, request_headers, succeeded, final)
     ),
     finished AS (
       UPDATE deliveries d
       SET status = i.status, next_attempt_at = i.next_attempt_at, lease_owner = NULL, lease_expires_at = NULL,
           last_status_code = i.status_code, last_error = i.error_message, last_attempt_at = i.started_at,
           updated_at = i.recorded_at
       FROM input i
       WHERE d.id = i.delivery_id AND d.lease_owner = i.lease_owner AND d.attempt_count = i.number
       RETURNING d.id
     )
     INSERT INTO attempts (id, delivery_id, number, started_at, duration_ms, status_code, error_kind,
       error_message, response_body, request_headers, succeeded, final)
     SELECT i.attempt_id, i.delivery_id, i.number, i.started_at, i.duration_ms, i.status_code, i.error_kind,
            i.error_message, i.response_body, i.request_headers, i.succeeded, i.final
     FROM input i JOIN finished f ON f.id = i.delivery_id`,
    values: Object.values(columns),
  });
}
