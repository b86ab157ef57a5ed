import { endpointSettingFields } from './endpoint-settings.js';

/**
 * JSON Schemas of the API's resources, shared by the routes (validation, response serialization) and
 * by the OpenAPI document. Field names are snake_case; times are ISO 8601 strings.
 */

const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const nullableString = { type: ['string', 'null'] } as const;

/** An id of an endpoint, event or delivery, in a path or a filter. */
export const resourceId = { type: 'string', minLength: 1, maxLength: 100 } as const;

export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: resourceId },
} as const;

export const eventTypeName = { type: 'string', minLength: 1, maxLength: 100 } as const;

export const pageQuery = {
  cursor: { type: 'string', minLength: 1, maxLength: 100, description: '`next_cursor` of the previous page.' },
  limit: { type: 'integer', minimum: 1, maximum: 250, default: 50 },
} as const;

const errorResponse = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Stable error code, listed in docs/errors.md.' },
        message: { type: 'string' },
        field: { type: 'string', description: 'The offending field, when there is one.' },
      },
    },
  },
} as const;

export const endpointResource = {
  type: 'object',
  required: [
    'id', 'url', 'description', 'events', 'enabled', 'signature_scheme', 'created_at', 'updated_at',
    'rate_limit', 'retry_schedule', 'timeout',
    'disabled_reason', 'disabled_at', 'failing_since', 'failed_deliveries_in_streak', 'warned_at',
  ],
  properties: {
    id: { type: 'string' },
    url: { type: 'string' },
    description: { type: 'string' },
    events: { type: 'array', items: { type: 'string' } },
    enabled: { type: 'boolean' },
    signature_scheme: { type: 'string', enum: ['contactsmanager', 'both'] },
    created_at: time,
    updated_at: time,
    ...endpointSettingFields,
    disabled_reason: {
      type: ['string', 'null'],
      enum: ['manual', 'gone', 'failing', null],
      description: 'Why it is disabled: `manual` (PATCH enabled:false), `gone` (it answered 410), `failing` (it failed for --disable-after). Null while enabled.',
    },
    disabled_at: nullableTime,
    failing_since: { ...nullableTime, description: 'When its current failing streak began: its first failed delivery since an attempt last succeeded.' },
    failed_deliveries_in_streak: { type: 'integer', description: 'Deliveries that ended failed since `failing_since`.' },
    warned_at: { ...nullableTime, description: 'When `endpoint.failing` was sent for this streak.' },
  },
} as const;

export const secretResource = {
  type: 'object',
  required: ['secret'],
  properties: {
    secret: { type: 'string' },
    previous: {
      type: 'object',
      required: ['secret', 'expires_at'],
      properties: { secret: { type: 'string' }, expires_at: time },
    },
  },
} as const;

const payload = { type: 'object', additionalProperties: true } as const;

export const deliveryResource = {
  type: 'object',
  required: [
    'id', 'event_id', 'event_type', 'endpoint_id', 'status', 'attempt_count', 'next_attempt_at',
    'last_attempt_at', 'last_status_code', 'last_error', 'last_error_kind', 'resend_of', 'created_at', 'updated_at',
  ],
  properties: {
    id: { type: 'string' },
    event_id: { type: 'string' },
    event_type: { type: 'string' },
    endpoint_id: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'succeeded', 'failed'] },
    attempt_count: { type: 'integer' },
    next_attempt_at: nullableTime,
    last_attempt_at: nullableTime,
    last_status_code: { type: ['integer', 'null'] },
    last_error: nullableString,
    last_error_kind: {
      ...nullableString,
      description: "The last attempt's error kind, or `endpoint_disabled` when the delivery was failed without an attempt because its endpoint was disabled (gone, failing).",
    },
    resend_of: { ...nullableString, description: 'The delivery this one re-sends.' },
    created_at: time,
    updated_at: time,
  },
} as const;

export const attemptResource = {
  type: 'object',
  required: [
    'id', 'number', 'started_at', 'duration_ms', 'status_code', 'error_kind', 'error_message', 'response_body',
    'response_body_truncated', 'response_body_sanitized', 'request_headers', 'succeeded', 'final',
    'retry_after_requested_ms', 'retry_after_applied_ms',
  ],
  properties: {
    id: { type: 'string' },
    number: { type: 'integer' },
    started_at: time,
    duration_ms: { type: 'number' },
    status_code: { type: ['integer', 'null'] },
    error_kind: nullableString,
    error_message: nullableString,
    response_body: {
      ...nullableString,
      description: 'The first 4 KiB, as UTF-8; a NUL byte reads `\\u0000` and a byte that is not UTF-8 `\\xNN`.',
    },
    response_body_truncated: { type: 'boolean', description: 'The receiver sent more than the 4 KiB kept.' },
    response_body_sanitized: { type: 'boolean', description: 'Something in the kept body was escaped (see response_body).' },
    request_headers: { type: 'object', additionalProperties: { type: 'string' } },
    succeeded: { type: 'boolean' },
    final: { type: 'boolean', description: 'True when no further attempt follows.' },
    retry_after_requested_ms: {
      type: ['integer', 'null'],
      description: 'The wait a 429 or 503 asked for with Retry-After, in ms; null without one.',
    },
    retry_after_applied_ms: {
      type: ['integer', 'null'],
      description: 'The wait until the next attempt when Retry-After was honoured: capped at --max-retry-after, never under the schedule. Null after the last attempt.',
    },
  },
} as const;

export const eventResource = {
  type: 'object',
  required: ['id', 'event', 'payload', 'idempotency_key', 'created_at'],
  properties: {
    id: { type: 'string', description: 'The envelope id receivers deduplicate on.' },
    event: { type: 'string' },
    payload,
    idempotency_key: nullableString,
    created_at: time,
  },
} as const;

export const eventWithDeliveries = {
  ...eventResource,
  required: [...eventResource.required, 'deliveries'],
  properties: { ...eventResource.properties, deliveries: { type: 'array', items: deliveryResource } },
} as const;

export const publishResponse = {
  type: 'object',
  required: ['id', 'event', 'created_at', 'deliveries', 'duplicate'],
  properties: {
    id: { type: 'string' },
    event: { type: 'string' },
    created_at: time,
    deliveries: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'endpoint_id', 'status'],
        properties: {
          id: { type: 'string' },
          endpoint_id: { type: 'string' },
          status: { type: 'string', enum: ['pending', 'succeeded', 'failed'] },
        },
      },
    },
    duplicate: { type: 'boolean', description: 'True when the idempotency key matched an earlier event.' },
  },
} as const;

export function pageOf<T extends object>(item: T) {
  return {
    type: 'object',
    required: ['data', 'next_cursor'],
    properties: { data: { type: 'array', items: item }, next_cursor: nullableString },
  } as const;
}

/** The error responses every authenticated route can give, added to its `response` schema. */
export const errorResponses = {
  '4xx': errorResponse,
  '5xx': errorResponse,
} as const;
