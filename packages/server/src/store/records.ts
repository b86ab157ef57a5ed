import type {
  Attempt,
  AttemptErrorKind,
  ClaimedDelivery,
  Delivery,
  DeliveryErrorKind,
  DeliveryStatus,
  DisabledReason,
  Endpoint,
  EndpointSecret,
  EndpointStats,
  Event,
  NewEvent,
  Organization,
  SignatureScheme,
} from './store.js';

/**
 * Rows as both databases return them (snake_case, times as millisecond numbers) and their mapping to
 * the Store's records. The dialects differ only in how they keep a flag and a list of strings —
 * SQLite as 0/1 and JSON text, PostgreSQL as boolean and text[] — so rows carrying those are generic
 * in both, and each dialect's `rows.ts` says how to read its own.
 */

export interface ColumnDecoding<Flag, List> {
  flag(value: Flag): boolean;
  list(value: List): string[];
}

export interface OrganizationRow {
  id: string;
  name: string;
  created_at: number;
}

export interface EndpointRow<Flag, List> {
  id: string;
  organization_id: string;
  url: string;
  description: string;
  events: List;
  enabled: Flag;
  signature_scheme: string;
  created_at: number;
  updated_at: number;
  rate_limit: number | null;
  /** JSON text on both databases: a list of delays in ms. */
  retry_schedule: string | null;
  timeout_ms: number | null;
  disabled_reason: string | null;
  disabled_at: number | null;
  failing_since: number | null;
  failed_deliveries_in_streak: number;
  warned_at: number | null;
}

export interface SecretRow {
  secret: string;
  created_at: number;
  expires_at: number | null;
}

export interface EndpointStatsRow {
  endpoint_id: string;
  attempts: number;
  succeeded: number;
  last_attempt_at: number | null;
}

export interface EventRow {
  id: string;
  organization_id: string;
  type: string;
  payload: string;
  idempotency_key: string | null;
  created_at: number;
}

export interface DeliveryRow {
  id: string;
  organization_id: string;
  event_id: string;
  event_type: string;
  endpoint_id: string;
  status: string;
  attempt_count: number;
  next_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  last_error_kind: string | null;
  last_attempt_at: number | null;
  resend_of: string | null;
  created_at: number;
  updated_at: number;
}

export interface AttemptRow<Flag> {
  id: string;
  delivery_id: string;
  number: number;
  started_at: number;
  duration_ms: number;
  status_code: number | null;
  error_kind: string | null;
  error_message: string | null;
  response_body: string | null;
  response_body_truncated: Flag;
  response_body_sanitized: Flag;
  request_headers: string;
  succeeded: Flag;
  final: Flag;
  retry_after_requested_ms: number | null;
  retry_after_applied_ms: number | null;
}

/** A leased delivery as a claim returns it, with its event's payload. */
export interface LeasedDeliveryRow {
  id: string;
  organization_id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  attempt_count: number;
  payload: string;
}

/** What a claim needs of a leased delivery's endpoint. */
export interface LeasedEndpointRow {
  url: string;
  signature_scheme: string;
  /** Valid secrets, newest first. */
  secrets: string[];
  concurrency_limit: number;
  consecutive_unanswered: number;
  retry_schedule: string | null;
  timeout_ms: number | null;
}

/** A delivery just leased, with what sending it needs from its event and endpoint. */
export type LeasedRow = LeasedDeliveryRow & LeasedEndpointRow;

/** Claims hand out their deliveries in id order (creation order), on both stores. */
export function byDeliveryId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The lease columns stay out: a lease is the dispatcher's business, not part of a Delivery. */
export const DELIVERY_COLUMNS =
  'id, organization_id, event_id, event_type, endpoint_id, status, attempt_count, next_attempt_at, ' +
  'last_status_code, last_error, last_error_kind, last_attempt_at, resend_of, created_at, updated_at';

export function toOrganization(row: OrganizationRow): Organization {
  return { id: row.id, name: row.name, createdAt: row.created_at };
}

export function toEndpoint<Flag, List>(row: EndpointRow<Flag, List>, decode: ColumnDecoding<Flag, List>): Endpoint {
  return {
    id: row.id,
    organizationId: row.organization_id,
    url: row.url,
    description: row.description,
    events: decode.list(row.events),
    enabled: decode.flag(row.enabled),
    signatureScheme: row.signature_scheme as SignatureScheme,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    settings: {
      rateLimit: row.rate_limit,
      retrySchedule: retryScheduleOf(row.retry_schedule),
      timeoutMs: row.timeout_ms,
    },
    health: {
      disabledReason: row.disabled_reason as DisabledReason | null,
      disabledAt: row.disabled_at,
      failingSince: row.failing_since,
      failedDeliveriesInStreak: row.failed_deliveries_in_streak,
      warnedAt: row.warned_at,
    },
  };
}

function retryScheduleOf(text: string | null): number[] | null {
  return text === null ? null : (JSON.parse(text) as number[]);
}

/** `settings.retrySchedule` as its column keeps it. */
export function retryScheduleColumn(schedule: readonly number[] | null | undefined): string | null {
  return schedule === null || schedule === undefined ? null : JSON.stringify(schedule);
}

export function toSecret(row: SecretRow): EndpointSecret {
  return { secret: row.secret, createdAt: row.created_at, expiresAt: row.expires_at };
}

export function toEndpointStats(row: EndpointStatsRow): EndpointStats {
  return {
    endpointId: row.endpoint_id,
    attempts: row.attempts,
    succeeded: row.succeeded,
    lastAttemptAt: row.last_attempt_at,
  };
}

export function toEvent(row: EventRow): Event {
  return {
    id: row.id,
    organizationId: row.organization_id,
    type: row.type,
    payloadJson: row.payload,
    idempotencyKey: row.idempotency_key,
    createdAt: row.created_at,
  };
}

export function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    organizationId: row.organization_id,
    eventId: row.event_id,
    eventType: row.event_type,
    endpointId: row.endpoint_id,
    status: row.status as DeliveryStatus,
    attemptCount: row.attempt_count,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    lastErrorKind: row.last_error_kind as DeliveryErrorKind | null,
    lastAttemptAt: row.last_attempt_at,
    resendOf: row.resend_of,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toAttempt<Flag>(row: AttemptRow<Flag>, decode: Pick<ColumnDecoding<Flag, unknown>, 'flag'>): Attempt {
  return {
    id: row.id,
    deliveryId: row.delivery_id,
    number: row.number,
    startedAt: row.started_at,
    durationMs: row.duration_ms,
    statusCode: row.status_code,
    errorKind: row.error_kind as AttemptErrorKind | null,
    errorMessage: row.error_message,
    responseBody: row.response_body,
    responseBodyTruncated: decode.flag(row.response_body_truncated),
    responseBodySanitized: decode.flag(row.response_body_sanitized),
    requestHeaders: JSON.parse(row.request_headers) as Record<string, string>,
    succeeded: decode.flag(row.succeeded),
    final: decode.flag(row.final),
    retryAfterRequestedMs: row.retry_after_requested_ms,
    retryAfterAppliedMs: row.retry_after_applied_ms,
  };
}

export function toClaimedDelivery(row: LeasedDeliveryRow, endpoint: LeasedEndpointRow, leaseExpiresAt: number): ClaimedDelivery {
  return {
    deliveryId: row.id,
    organizationId: row.organization_id,
    endpointId: row.endpoint_id,
    url: endpoint.url,
    signatureScheme: endpoint.signature_scheme as SignatureScheme,
    secrets: endpoint.secrets,
    eventId: row.event_id,
    eventType: row.event_type,
    payloadJson: row.payload,
    attempt: row.attempt_count,
    leaseExpiresAt,
    endpointConcurrencyLimit: endpoint.concurrency_limit,
    endpointUnanswered: endpoint.consecutive_unanswered,
    endpointRetrySchedule: retryScheduleOf(endpoint.retry_schedule),
    endpointTimeoutMs: endpoint.timeout_ms,
  };
}

/** The event record of a newly published event, as stored, without reading it back. */
export function newEventRecord(event: NewEvent): Event {
  return {
    id: event.id,
    organizationId: event.organizationId,
    type: event.type,
    payloadJson: event.payloadJson,
    idempotencyKey: event.idempotencyKey,
    createdAt: event.createdAt,
  };
}

/** A delivery of a newly published event to one endpoint, as stored: pending and due at once. */
export function newDelivery(id: string, event: NewEvent, endpointId: string): Delivery {
  return {
    id,
    organizationId: event.organizationId,
    eventId: event.id,
    eventType: event.type,
    endpointId,
    status: 'pending',
    attemptCount: 0,
    nextAttemptAt: event.createdAt,
    lastStatusCode: null,
    lastError: null,
    lastErrorKind: null,
    lastAttemptAt: null,
    resendOf: null,
    createdAt: event.createdAt,
    updatedAt: event.createdAt,
  };
}

/** A delivery's status once an attempt is recorded: done on success, failed when no retry follows. */
export function statusAfterAttempt(succeeded: boolean, nextAttemptAt: number | null): DeliveryStatus {
  return succeeded ? 'succeeded' : nextAttemptAt === null ? 'failed' : 'pending';
}
