import type { Pool } from 'pg';
import { uuidv7 } from '../../ids.js';
import { statusAfterAttempt, type LeasedRow } from '../records.js';
import type { AttemptRecord, ClaimedDelivery, ClaimOptions, EndpointFeedback } from '../store.js';
import { claimArguments, toClaimedDeliveries } from './claim.js';
import { retryingStatement } from './transaction.js';

/**
 * Writes finished attempts, the endpoints' feedback and, with `thenClaim`, the claim that refills the
 * freed slots: all in ONE statement, so one round trip and one commit (autocommit: one statement is
 * its own transaction, and the feedback lands in the same transaction as the records).
 *
 * - Records are fenced on (lease owner, attempt count): the update decides which records still hold
 *   their lease, and only those get an attempt row. A record from a dispatcher whose lease expired
 *   (and was claimed again) matches nothing and is dropped.
 * - Feedback, only when there is any (a healthy endpoint at its full limit needs none, so steady
 *   traffic never writes endpoint rows, which claims lock), locks its endpoint rows in id order, and
 *   only after the deliveries are written: the order the two-statement transaction had, so that
 *   two dispatchers cannot lock the same rows in opposite orders. Together with the records, because
 *   a claim that saw the leases cleared but not yet the lowered limit would fill the old slots again.
 * - The claim is `herald_claim_v1` (claim.ts), called after both. A VOLATILE function sees what the
 *   statement calling it has written so far, so it counts the records' leases as given back and
 *   reads the new limits, and its own statements still take fresh snapshots.
 *
 * The order is forced, not left to the planner's choice among CTEs: a one-time filter on
 * `(SELECT count(*) FROM finished)` makes the fenced update run to completion before the endpoint
 * lock (feedback) and before the function call (claim) begin.
 */
export async function recordAttempts(
  pool: Pool,
  records: AttemptRecord[],
  feedback: EndpointFeedback[],
  thenClaim?: ClaimOptions,
): Promise<ClaimedDelivery[]> {
  const claim = thenClaim !== undefined && thenClaim.limit > 0 && thenClaim.perEndpointLimit > 0 ? thenClaim : null;
  if (records.length === 0 && feedback.length === 0 && claim === null) return [];
  const withFeedback = feedback.length > 0;
  const values = [...recordColumns(records), ...(withFeedback ? feedbackColumns(feedback) : []), ...(claim ? claimArguments(claim) : [])];
  // Rerun if PostgreSQL picks it as a deadlock's victim (the two-statement transaction was rerun
  // the same way): it was rolled back whole, and the fence makes a rerun write nothing twice.
  const { rows } = await retryingStatement(() =>
    pool.query<LeasedRow>({
      // One prepared statement per shape, each parsed once per connection.
      name: `herald_record_attempts_v4${withFeedback ? '_feedback' : ''}${claim ? '_claim' : ''}`,
      text: `WITH ${RECORD_CTES}${withFeedback ? `, ${FEEDBACK_CTES}` : ''}
     ${claim ? claimAfter(withFeedback) : 'SELECT NULL LIMIT 0'}`,
      values,
    }),
  );
  return claim ? toClaimedDeliveries(rows, claim) : [];
}

/** $1…$20: one array per attempt column. */
const RECORD_CTES = `input AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::bigint[], $6::bigint[],
         $7::text[], $8::bigint[], $9::int[], $10::int[], $11::text[], $12::text[], $13::text[], $14::boolean[],
         $15::boolean[], $16::text[], $17::boolean[], $18::boolean[], $19::bigint[], $20::bigint[])
         AS t(delivery_id, lease_owner, number, status, next_attempt_at, recorded_at, attempt_id, started_at,
              duration_ms, status_code, error_kind, error_message, response_body, response_body_truncated,
              response_body_sanitized, request_headers, succeeded, final, retry_after_requested_ms,
              retry_after_applied_ms)
     ),
     finished AS (
       UPDATE deliveries d
       SET status = i.status, next_attempt_at = i.next_attempt_at, lease_owner = NULL, lease_expires_at = NULL,
           last_status_code = i.status_code, last_error = i.error_message, last_error_kind = i.error_kind,
           last_attempt_at = i.started_at,
           updated_at = i.recorded_at
       FROM input i
       WHERE d.id = i.delivery_id AND d.lease_owner = i.lease_owner AND d.attempt_count = i.number
       RETURNING d.id
     ),
     attempted AS (
       INSERT INTO attempts (id, delivery_id, number, started_at, duration_ms, status_code, error_kind,
         error_message, response_body, response_body_truncated, response_body_sanitized, request_headers,
         succeeded, final, retry_after_requested_ms, retry_after_applied_ms)
       SELECT i.attempt_id, i.delivery_id, i.number, i.started_at, i.duration_ms, i.status_code, i.error_kind,
              i.error_message, i.response_body, i.response_body_truncated, i.response_body_sanitized,
              i.request_headers, i.succeeded, i.final, i.retry_after_requested_ms, i.retry_after_applied_ms
       FROM input i JOIN finished f ON f.id = i.delivery_id
     )`;

/** $21…$28: one array per feedback field. The adaptive limit and the circuit (dispatch/endpoint-circuit.ts). */
const FEEDBACK_CTES = `f AS (
       SELECT * FROM unnest($21::text[], $22::text[], $23::int[], $24::boolean[], $25::int[], $26::int[], $27::bigint[], $28::bigint[])
         AS t(endpoint_id, kind, count, after_answer, max_concurrency, open_after, cooldown_ms, now)
     ),
     locked AS (
       SELECT e.id, e.consecutive_unanswered AS streak FROM endpoints e
       WHERE e.id IN (SELECT endpoint_id FROM f) AND (SELECT count(*) FROM finished) >= 0
       ORDER BY e.id
       FOR NO KEY UPDATE
     ),
     next AS (
       SELECT f.*, CASE WHEN f.kind = 'answered' THEN 0 WHEN f.after_answer THEN f.count ELSE l.streak + f.count END AS streak
       FROM f JOIN locked l ON l.id = f.endpoint_id
     ),
     fed AS (
       UPDATE endpoints e
       SET concurrency_limit = CASE WHEN n.kind = 'answered' THEN least(n.max_concurrency, e.concurrency_limit + n.count) ELSE 1 END,
           consecutive_unanswered = n.streak,
           circuit_open_until = CASE
             WHEN n.kind = 'answered' THEN NULL
             WHEN n.streak >= n.open_after THEN n.now + n.cooldown_ms
             ELSE e.circuit_open_until END
       FROM next n
       WHERE e.id = n.endpoint_id
         AND (n.kind = 'unanswered' OR e.concurrency_limit < n.max_concurrency OR e.consecutive_unanswered > 0
              OR e.circuit_open_until IS NOT NULL)
       RETURNING e.id
     )`;

/** The claim's six arguments follow the record's 20 columns, and the feedback's 8 when there are any. */
function claimAfter(withFeedback: boolean): string {
  const first = withFeedback ? 29 : 21;
  const args = Array.from({ length: 6 }, (_, i) => `$${first + i}`).join(', ');
  return `SELECT c.* FROM herald_claim_v1(${args}) c
     WHERE (SELECT count(*) FROM finished) >= 0${withFeedback ? ' AND (SELECT count(*) FROM fed) >= 0' : ''}`;
}

function recordColumns(records: AttemptRecord[]): unknown[] {
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
    responseBodyTruncated: [] as boolean[],
    responseBodySanitized: [] as boolean[],
    requestHeaders: [] as string[],
    succeeded: [] as boolean[],
    final: [] as boolean[],
    retryAfterRequestedMs: [] as Array<number | null>,
    retryAfterAppliedMs: [] as Array<number | null>,
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
    columns.responseBodyTruncated.push(attempt.responseBodyTruncated);
    columns.responseBodySanitized.push(attempt.responseBodySanitized);
    columns.requestHeaders.push(JSON.stringify(attempt.requestHeaders));
    columns.succeeded.push(attempt.succeeded);
    columns.final.push(attempt.final);
    columns.retryAfterRequestedMs.push(attempt.retryAfterRequestedMs ?? null);
    columns.retryAfterAppliedMs.push(attempt.retryAfterAppliedMs ?? null);
  }
  return Object.values(columns);
}

function feedbackColumns(feedback: EndpointFeedback[]): unknown[] {
  const sorted = [...feedback].sort((a, b) => (a.endpointId < b.endpointId ? -1 : a.endpointId > b.endpointId ? 1 : 0));
  return [
    sorted.map((f) => f.endpointId),
    sorted.map((f) => f.kind),
    sorted.map((f) => f.count),
    sorted.map((f) => f.afterAnswer),
    sorted.map((f) => f.maxConcurrency),
    sorted.map((f) => f.openAfter),
    sorted.map((f) => f.cooldownMs),
    sorted.map((f) => f.now),
  ];
}
