import type {
  Attempt,
  AttemptErrorKind,
  Delivery,
  DeliveryStatus,
  Endpoint,
  Event,
  SignatureScheme,
} from '../store.js';

/** Row shapes as SQLite returns them, and their mapping to the Store's records. */

export interface EndpointRow {
  id: string;
  organization_id: string;
  url: string;
  description: string;
  events: string;
  enabled: number;
  signature_scheme: string;
  created_at: number;
  updated_at: number;
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
  last_attempt_at: number | null;
  resend_of: string | null;
  created_at: number;
  updated_at: number;
}

export interface AttemptRow {
  id: string;
  delivery_id: string;
  number: number;
  started_at: number;
  duration_ms: number;
  status_code: number | null;
  error_kind: string | null;
  error_message: string | null;
  response_body: string | null;
  request_headers: string;
  succeeded: number;
  final: number;
}

export const DELIVERY_COLUMNS =
  'id, organization_id, event_id, event_type, endpoint_id, status, attempt_count, next_attempt_at, ' +
  'last_status_code, last_error, last_attempt_at, resend_of, created_at, updated_at';

export function toEndpoint(row: EndpointRow): Endpoint {
  return {
    id: row.id,
    organizationId: row.organization_id,
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events) as string[],
    enabled: row.enabled === 1,
    signatureScheme: row.signature_scheme as SignatureScheme,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
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
    lastAttemptAt: row.last_attempt_at,
    resendOf: row.resend_of,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toAttempt(row: AttemptRow): Attempt {
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
    requestHeaders: JSON.parse(row.request_headers) as Record<string, string>,
    succeeded: row.succeeded === 1,
    final: row.final === 1,
  };
}
