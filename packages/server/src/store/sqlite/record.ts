import type { Database, Statement } from 'better-sqlite3';
import { uuidv7 } from '../../ids.js';
import { statusAfterAttempt } from '../records.js';
import { commitWithoutFsyncWhenFree } from './durability.js';
import type { AttemptRecord, EndpointFeedback } from '../store.js';

/**
 * Writes finished attempts and the endpoints' feedback in one write transaction. Each record's update
 * is fenced on (lease owner, attempt count): a record from a dispatcher whose lease expired (and was
 * claimed again) matches nothing, and gets no attempt row.
 */
export class SqliteRecorder {
  private readonly finish: Statement;
  private readonly insertAttempt: Statement;
  private readonly answered: Statement;
  private readonly unanswered: Statement;

  constructor(private readonly db: Database) {
    this.finish = db.prepare(
      `UPDATE deliveries
       SET status = ?, next_attempt_at = ?, lease_owner = NULL, lease_expires_at = NULL,
           last_status_code = ?, last_error = ?, last_error_kind = ?, last_attempt_at = ?, updated_at = ?
       WHERE id = ? AND lease_owner = ? AND attempt_count = ?`,
    );
    this.insertAttempt = db.prepare(
      `INSERT INTO attempts (id, delivery_id, number, started_at, duration_ms, status_code, error_kind,
         error_message, response_body, response_body_truncated, response_body_sanitized, request_headers,
         succeeded, final, retry_after_requested_ms, retry_after_applied_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // The WHERE leaves a healthy endpoint's row alone, so steady traffic writes nothing here.
    this.answered = db.prepare(
      `UPDATE endpoints
       SET concurrency_limit = min(@max, concurrency_limit + @count), consecutive_unanswered = 0, circuit_open_until = NULL
       WHERE id = @id AND (concurrency_limit < @max OR consecutive_unanswered > 0 OR circuit_open_until IS NOT NULL)`,
    );
    this.unanswered = db.prepare(
      `UPDATE endpoints
       SET concurrency_limit = 1,
           consecutive_unanswered = (CASE WHEN @afterAnswer THEN 0 ELSE consecutive_unanswered END) + @count,
           circuit_open_until = CASE
             WHEN (CASE WHEN @afterAnswer THEN 0 ELSE consecutive_unanswered END) + @count >= @openAfter
             THEN @now + @cooldownMs ELSE circuit_open_until END
       WHERE id = @id`,
    );
  }

  async record(records: AttemptRecord[], feedback: EndpointFeedback[]): Promise<void> {
    if (records.length === 0 && feedback.length === 0) return;
    await commitWithoutFsyncWhenFree(this.db, () => this.recordInTransaction(records, feedback));
  }

  /** The writes of `record`, inside the caller's write transaction. */
  recordInTransaction(records: AttemptRecord[], feedback: EndpointFeedback[]): void {
    for (const record of records) this.recordOne(record);
    for (const f of feedback) {
      const params = { id: f.endpointId, count: f.count, max: f.maxConcurrency };
      if (f.kind === 'answered') this.answered.run(params);
      else this.unanswered.run({ ...params, afterAnswer: f.afterAnswer ? 1 : 0, openAfter: f.openAfter, now: f.now, cooldownMs: f.cooldownMs });
    }
  }

  private recordOne({ deliveryId, leaseOwner, attempt, nextAttemptAt, recordedAt }: AttemptRecord): void {
    const status = statusAfterAttempt(attempt.succeeded, nextAttemptAt);
    const changed = this.finish.run(
      status,
      status === 'pending' ? nextAttemptAt : null,
      attempt.statusCode,
      attempt.errorMessage,
      attempt.errorKind,
      attempt.startedAt,
      recordedAt,
      deliveryId,
      leaseOwner,
      attempt.number,
    ).changes;
    if (changed === 0) return;
    this.insertAttempt.run(
      uuidv7(attempt.startedAt),
      deliveryId,
      attempt.number,
      attempt.startedAt,
      Math.round(attempt.durationMs),
      attempt.statusCode,
      attempt.errorKind,
      attempt.errorMessage,
      attempt.responseBody,
      attempt.responseBodyTruncated ? 1 : 0,
      attempt.responseBodySanitized ? 1 : 0,
      JSON.stringify(attempt.requestHeaders),
      attempt.succeeded ? 1 : 0,
      attempt.final ? 1 : 0,
      attempt.retryAfterRequestedMs ?? null,
      attempt.retryAfterAppliedMs ?? null,
    );
  }
}
