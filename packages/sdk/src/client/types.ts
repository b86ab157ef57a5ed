import type { CatalogEventType, CatalogPayloads } from '../catalog-events.generated.js';

/** Resources of Herald's REST API, as JSON: snake_case fields, times as ISO 8601 strings. */

export type SignatureScheme = 'contactsmanager' | 'both';
export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface Endpoint {
  id: string;
  url: string;
  description: string;
  /** Subscribed event types, or `['*']` for every type. */
  events: string[];
  enabled: boolean;
  signature_scheme: SignatureScheme;
  created_at: string;
  updated_at: string;
  /** Why it is disabled; null while enabled. */
  disabled_reason: DisabledReason | null;
  disabled_at: string | null;
  /** When its failing streak began (its first failed delivery since an attempt last succeeded); null when healthy. */
  failing_since: string | null;
  /** Deliveries that ended `failed` since `failing_since`. */
  failed_deliveries_in_streak: number;
  /** When `endpoint.failing` was sent for this streak. */
  warned_at: string | null;
  /** At most this many attempts started per second, across every dispatcher; null: no limit. */
  rate_limit: number | null;
  /** Delays before each retry, in seconds; null: the server's schedule. */
  retry_schedule: number[] | null;
  /** Per-attempt timeout in seconds; null: the server's. */
  timeout: number | null;
}

/** `manual`: disabled through the API. `gone`: it answered 410. `failing`: it failed for `--disable-after` (5 days). */
export type DisabledReason = 'manual' | 'gone' | 'failing';

/** The endpoint as created: the only response that carries its secret unasked. */
export interface EndpointWithSecret extends Endpoint {
  secret: string;
}

export interface CreateEndpointInput {
  url: string;
  /** Event types, or `['*']`. */
  events: string[];
  description?: string;
  enabled?: boolean;
  /** `both` adds the Standard Webhooks headers. Default `contactsmanager`. */
  signature_scheme?: SignatureScheme;
  /** Attempts per second, 1–10,000; null or left out: no limit. */
  rate_limit?: number | null;
  /** Retry delays in seconds, at most `--max-attempts` − 1 of them (`[]`: no retries); null: the server's. */
  retry_schedule?: number[] | null;
  /** Per-attempt timeout in seconds, at most `--max-attempt-timeout`; null: the server's. */
  timeout?: number | null;
}

export type UpdateEndpointInput = Partial<CreateEndpointInput>;

/** `POST /v1/endpoints/{id}/recover`: the window of failed deliveries to send again. */
export interface RecoverInput {
  /** ISO 8601: deliveries that ended `failed` at or after this time… */
  since: string;
  /** …and before this one. Default: now. */
  until?: string;
}

/** A recovery and its progress: its deliveries by status. */
export interface Recovery {
  id: string;
  endpoint_id: string;
  since: string;
  until: string;
  created_at: string;
  /** Deliveries it created: one per failed delivery in the window that nothing had re-sent yet. */
  total: number;
  pending: number;
  succeeded: number;
  failed: number;
  /** None of its deliveries is pending any more. */
  done: boolean;
}

/** What a recovery of the window would send now (`dry_run`). */
export interface RecoveryCount {
  dry_run: true;
  endpoint_id: string;
  since: string;
  until: string;
  total: number;
}

export interface EndpointSecrets {
  secret: string;
  /** The rotated-out secret while it still signs (a second `v1`), with when it stops. */
  previous?: { secret: string; expires_at: string };
}

export interface RotateSecretInput {
  /** How long the previous secret keeps signing, in seconds. Default: the server's (24 h). */
  grace_seconds?: number;
}

/** `POST /v1/events`: `payload` is typed by `event` for the catalog's types. */
export interface PublishInput<T extends string = string> {
  event: T;
  payload: T extends CatalogEventType ? CatalogPayloads[T] : Record<string, unknown>;
  /** The same key within 24 h returns the original event and delivers nothing new. */
  idempotency_key?: string;
}

export interface PublishResult {
  /** The envelope id receivers deduplicate on. */
  id: string;
  event: string;
  created_at: string;
  deliveries: Array<{ id: string; endpoint_id: string; status: DeliveryStatus }>;
  /** True when the idempotency key matched an earlier event (nothing new was created). */
  duplicate: boolean;
}

export interface EventRecord {
  id: string;
  event: string;
  payload: Record<string, unknown>;
  idempotency_key: string | null;
  created_at: string;
}

export interface EventWithDeliveries extends EventRecord {
  deliveries: Delivery[];
}

export interface Delivery {
  id: string;
  event_id: string;
  event_type: string;
  endpoint_id: string;
  status: DeliveryStatus;
  attempt_count: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  /** The last attempt's error kind, or `endpoint_disabled` when it was failed unattempted because its endpoint was disabled. */
  last_error_kind: string | null;
  /** The delivery this one re-sends. */
  resend_of: string | null;
  created_at: string;
  updated_at: string;
}

export interface Attempt {
  id: string;
  number: number;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  error_kind: string | null;
  error_message: string | null;
  /** The first 4 KiB as UTF-8; a NUL byte reads `\\u0000` and a byte that is not UTF-8 `\\xNN`. */
  response_body: string | null;
  /** The receiver sent more than was kept. */
  response_body_truncated: boolean;
  /** Something in `response_body` was escaped. */
  response_body_sanitized: boolean;
  request_headers: Record<string, string>;
  succeeded: boolean;
  /** True when no further attempt follows. */
  final: boolean;
  /** The wait a 429/503 asked for with `Retry-After`, in ms; null without one. */
  retry_after_requested_ms: number | null;
  /** The wait until the next attempt when `Retry-After` was honoured (capped by `--max-retry-after`). */
  retry_after_applied_ms: number | null;
}

/** `GET /v1/operational-webhook` (operator key): the platform-wide receiver of operational events. */
export interface OperationalWebhook {
  url: string;
  /** Verifies its deliveries like any endpoint secret. */
  secret: string;
  enabled: boolean;
  /** The system organization holding it, whose delivery log shows its deliveries. */
  organization_id: string;
  endpoint_id: string;
}

export interface DeliveryWithAttempts extends Delivery {
  attempts: Attempt[];
}

export interface Page<T> {
  data: T[];
  /** Pass as `cursor` for the next page; null on the last one. */
  next_cursor: string | null;
}

export interface PageQuery {
  cursor?: string;
  /** 1–250, default 50. */
  limit?: number;
}

export interface ListEventsQuery extends PageQuery {
  event_type?: string;
  /** Created at or after. */
  since?: string | Date;
  /** Created before. */
  until?: string | Date;
}

export interface ListDeliveriesQuery extends PageQuery {
  endpoint_id?: string;
  event_id?: string;
  event_type?: string;
  status?: DeliveryStatus;
}

export interface EventType {
  name: string;
  group: string;
  description: string;
  /** JSON Schema (draft 2020-12) of the payload. */
  schema: Record<string, unknown>;
  example: Record<string, unknown>;
}

/** An organization as the operator API shows it. */
export interface Organization {
  id: string;
  /** Your own id for the customer; null when it has none. */
  uid: string | null;
  name: string;
  metadata: Record<string, unknown>;
  created_at: string;
}

export interface CreateOrganizationInput {
  uid?: string;
  name: string;
  metadata?: Record<string, unknown>;
}

export interface UpdateOrganizationInput {
  /** `null` removes the uid. */
  uid?: string | null;
  name?: string;
  metadata?: Record<string, unknown>;
}

export interface ListOrganizationsQuery extends PageQuery {
  uid?: string;
}

export type ApiKeyScope = 'operator' | 'admin' | 'publish' | 'read';

export interface ApiKey {
  id: string;
  prefix: string;
  name: string;
  scope: ApiKeyScope;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
}

export interface ApiKeyWithKey extends ApiKey {
  /** The key itself, shown this once. */
  key: string;
}

export interface CreateApiKeyInput {
  scope: ApiKeyScope;
  name?: string;
  expires_at?: string | Date;
}
