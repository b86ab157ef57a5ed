/**
 * Why a webhook was refused. Each reason is stable and safe to show to the sender (it never contains
 * the secret): framework helpers answer `400` with it, and Herald keeps it in the attempt log.
 */
export type VerificationFailureReason =
  | 'missing_header'
  | 'malformed_header'
  | 'timestamp_too_old'
  | 'timestamp_in_future'
  | 'no_matching_signature'
  | 'invalid_json';

/**
 * The one error `verifyWebhook` throws for a request that must not be trusted. Switch on `reason`;
 * `message` adds a human-readable detail.
 *
 * @example
 * try {
 *   verifyWebhook(body, headers, secret);
 * } catch (error) {
 *   if (error instanceof WebhookVerificationError) console.warn('refused webhook:', error.reason);
 *   else throw error;
 * }
 */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
  readonly reason: VerificationFailureReason;

  constructor(reason: VerificationFailureReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/**
 * An error answered by the Herald REST API (`{"error":{"code","message","field"?}}`), or a response
 * that was not one (`code` `invalid_response`).
 *
 * @example
 * try {
 *   await herald.endpoints.get(id);
 * } catch (error) {
 *   if (error instanceof HeraldApiError && error.code === 'not_found') return null;
 *   throw error;
 * }
 */
export class HeraldApiError extends Error {
  override readonly name = 'HeraldApiError';
  /** The API's stable error code, e.g. `not_found`, `invalid_request`, `invalid_payload`. */
  readonly code: string;
  /** The HTTP status of the response. */
  readonly status: number;
  /** The request field the error is about, when the API named one. */
  readonly field: string | undefined;

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}
