import { endpointSettingsJson } from './endpoint-settings.js';
import type { Attempt, Delivery, Endpoint, EndpointSecret, Event, Page, PublishResult, Recovery } from '../store/store.js';

/** Store records → API JSON (snake_case, ISO 8601 times). */

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

export function endpointJson(endpoint: Endpoint) {
  return {
    id: endpoint.id,
    url: endpoint.url,
    description: endpoint.description,
    events: endpoint.events,
    enabled: endpoint.enabled,
    signature_scheme: endpoint.signatureScheme,
    created_at: iso(endpoint.createdAt),
    updated_at: iso(endpoint.updatedAt),
    ...endpointSettingsJson(endpoint.settings),
    disabled_reason: endpoint.health.disabledReason,
    disabled_at: isoOrNull(endpoint.health.disabledAt),
    failing_since: isoOrNull(endpoint.health.failingSince),
    failed_deliveries_in_streak: endpoint.health.failedDeliveriesInStreak,
    warned_at: isoOrNull(endpoint.health.warnedAt),
  };
}

/** `secrets` newest first, as `Store.listSecrets` returns them. */
export function secretJson(secrets: readonly EndpointSecret[]) {
  const [current, previous] = secrets;
  if (current === undefined) throw new Error('an endpoint always has a current secret');
  return {
    secret: current.secret,
    ...(previous !== undefined && previous.expiresAt !== null
      ? { previous: { secret: previous.secret, expires_at: iso(previous.expiresAt) } }
      : {}),
  };
}

/**
 * An event as JSON text, `extra` fields after its own. The payload is spliced in as stored: parsing
 * and re-serializing it would round the numbers kept digit for digit (publish/payload-json.ts).
 */
export function eventJsonText(event: Event, extra: Record<string, unknown> = {}): string {
  const head = JSON.stringify({ id: event.id, event: event.type });
  const tail = JSON.stringify({ idempotency_key: event.idempotencyKey, created_at: iso(event.createdAt), ...extra });
  return `${head.slice(0, -1)},"payload":${event.payloadJson},${tail.slice(1)}`;
}

/** A page of events as JSON text (see `eventJsonText`). */
export function eventPageJsonText(page: Page<Event>): string {
  return `{"data":[${page.items.map((event) => eventJsonText(event)).join(',')}],"next_cursor":${JSON.stringify(page.nextCursor)}}`;
}

export function deliveryJson(delivery: Delivery) {
  return {
    id: delivery.id,
    event_id: delivery.eventId,
    event_type: delivery.eventType,
    endpoint_id: delivery.endpointId,
    status: delivery.status,
    attempt_count: delivery.attemptCount,
    next_attempt_at: isoOrNull(delivery.nextAttemptAt),
    last_attempt_at: isoOrNull(delivery.lastAttemptAt),
    last_status_code: delivery.lastStatusCode,
    last_error: delivery.lastError,
    last_error_kind: delivery.lastErrorKind,
    resend_of: delivery.resendOf,
    created_at: iso(delivery.createdAt),
    updated_at: iso(delivery.updatedAt),
  };
}

export function attemptJson(attempt: Attempt) {
  return {
    id: attempt.id,
    number: attempt.number,
    started_at: iso(attempt.startedAt),
    duration_ms: attempt.durationMs,
    status_code: attempt.statusCode,
    error_kind: attempt.errorKind,
    error_message: attempt.errorMessage,
    response_body: attempt.responseBody,
    response_body_truncated: attempt.responseBodyTruncated,
    response_body_sanitized: attempt.responseBodySanitized,
    request_headers: attempt.requestHeaders,
    succeeded: attempt.succeeded,
    final: attempt.final,
    retry_after_requested_ms: attempt.retryAfterRequestedMs,
    retry_after_applied_ms: attempt.retryAfterAppliedMs,
  };
}

export function publishJson(result: PublishResult) {
  return {
    id: result.event.id,
    event: result.event.type,
    created_at: iso(result.event.createdAt),
    deliveries: result.deliveries.map((d) => ({ id: d.id, endpoint_id: d.endpointId, status: d.status })),
    duplicate: result.duplicate,
  };
}

export function recoveryJson(recovery: Recovery) {
  return {
    id: recovery.id,
    endpoint_id: recovery.endpointId,
    since: iso(recovery.since),
    until: iso(recovery.until),
    created_at: iso(recovery.createdAt),
    total: recovery.total,
    pending: recovery.pending,
    succeeded: recovery.succeeded,
    failed: recovery.failed,
    done: recovery.pending === 0,
  };
}
