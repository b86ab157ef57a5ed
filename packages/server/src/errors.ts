/**
 * Herald's error catalogue. Every error the API can answer with is a class here with a stable
 * `code` and its HTTP status; `api/error-handler.ts` maps them to responses in one place.
 * `docs/errors.md` lists them, and a test keeps the two in step.
 */
export abstract class HeraldError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  readonly field: string | undefined;

  constructor(message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.field = options.field;
  }
}

/** Malformed or invalid input; `field` names the offending field. */
export class ValidationError extends HeraldError {
  readonly code = 'invalid_request';
  readonly status = 400;
}

export class MalformedJsonError extends HeraldError {
  readonly code = 'malformed_json';
  readonly status = 400;
}

export class UnauthorizedError extends HeraldError {
  readonly code = 'unauthorized';
  readonly status = 401;
}

/** Also answered for resources of another organization, so their existence is never revealed. */
export class NotFoundError extends HeraldError {
  readonly code = 'not_found';
  readonly status = 404;
}

export class ConflictError extends HeraldError {
  readonly code = 'conflict';
  readonly status = 409;
}

export class PayloadTooLargeError extends HeraldError {
  readonly code = 'payload_too_large';
  readonly status = 413;
}

export class UnknownEventTypeError extends HeraldError {
  readonly code = 'unknown_event_type';
  readonly status = 422;
}

/** The payload does not match its event type's JSON Schema. */
export class InvalidPayloadError extends HeraldError {
  readonly code = 'invalid_payload';
  readonly status = 422;
}

/** A bad command-line flag, environment variable or config value. */
export class ConfigError extends HeraldError {
  readonly code = 'invalid_config';
  readonly status = 500;
}

/** A request body in a content type other than `application/json`. */
export class UnsupportedMediaTypeError extends HeraldError {
  readonly code = 'unsupported_media_type';
  readonly status = 415;
}

/** Anything unexpected; the response hides the details, the log keeps them. */
export class InternalError extends HeraldError {
  readonly code = 'internal_error';
  readonly status = 500;
}

/** Valid credentials that may not do this: creating a portal link or a session from a dashboard session. */
export class ForbiddenError extends HeraldError {
  readonly code = 'forbidden';
  readonly status = 403;
}

/** A valid key or session whose scope does not cover the request; the message names the scope needed. */
export class InsufficientScopeError extends HeraldError {
  readonly code = 'insufficient_scope';
  readonly status = 403;
}

/** A state-changing request authorized by the session cookie without the matching `X-Herald-CSRF` header. */
export class CsrfTokenError extends HeraldError {
  readonly code = 'csrf_token_invalid';
  readonly status = 403;
}

/** Request line and headers (the path included) larger than Node's limit, 16 KiB by default. */
export class HeadersTooLargeError extends HeraldError {
  readonly code = 'headers_too_large';
  readonly status = 431;
}

/** The request did not arrive in full before Node's request timeout. */
export class RequestTimeoutError extends HeraldError {
  readonly code = 'request_timeout';
  readonly status = 408;
}

/** A request that arrived while this process was shutting down; send it again (another instance, or after the restart). */
export class ShuttingDownError extends HeraldError {
  readonly code = 'shutting_down';
  readonly status = 503;
}

/** A JSON value in the body (in practice the event payload) nests objects and arrays deeper than Herald takes. */
export class PayloadTooDeepError extends HeraldError {
  readonly code = 'payload_too_deep';
  readonly status = 422;
}

/**
 * A delivery or event that retention (or an operator's `DELETE …/events?until=`) deleted: known to
 * have existed, gone now. Resend, recover and reads answer this instead of `not_found`.
 */
export class PrunedError extends HeraldError {
  readonly code = 'pruned';
  readonly status = 404;
}

/**
 * The database cannot write (disk full, I/O error, read-only): nothing of the request was stored.
 * Send it again later; Herald recovers by itself once the database can write again.
 */
export class StorageUnavailableError extends HeraldError {
  readonly code = 'storage_unavailable';
  readonly status = 503;
}

export const ERROR_CLASSES = [
  ValidationError,
  MalformedJsonError,
  UnauthorizedError,
  NotFoundError,
  ConflictError,
  PayloadTooLargeError,
  UnknownEventTypeError,
  InvalidPayloadError,
  ConfigError,
  UnsupportedMediaTypeError,
  InternalError,
  ForbiddenError,
  CsrfTokenError,
  HeadersTooLargeError,
  RequestTimeoutError,
  ShuttingDownError,
  PayloadTooDeepError,
  InsufficientScopeError,
  PrunedError,
  StorageUnavailableError,
] as const;
