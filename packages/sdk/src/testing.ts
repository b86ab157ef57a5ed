import { randomUUID } from 'node:crypto';
import { deliveryHeaders } from './delivery-headers.js';
import { envelopeJson } from './envelope.js';
import { signatureHeader } from './signature.js';
import { resolveSecrets } from './verify-options.js';

/**
 * Helpers for receivers' own tests: produce requests exactly as Herald sends them, so a handler can
 * be exercised without a running server.
 */

/**
 * Signs `body` as Herald does and returns the `X-Webhook-Signature` value `t=<t>,v1=<hex>` (one
 * `v1` per secret, in order). `timestamp` is whole Unix seconds, default now.
 *
 * @example
 * const header = signPayload('whsec_test_secret', body, 1672531200);
 * // 't=1672531200,v1=3337234a…'
 */
export function signPayload(secret: string | readonly string[], body: string | Uint8Array, timestamp: number = nowSeconds()): string {
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) throw new TypeError('body must be a string, Buffer or Uint8Array');
  return signatureHeader(resolveSecrets(secret), timestamp, body);
}

export interface SignedRequestOptions {
  /** The endpoint secret, or several (newest first) to sign like a rotation does. */
  secret: string | readonly string[];
  /** Event type. Default `user.new`. */
  event?: string;
  /** Payload. Default the catalog example of `user.new`. */
  payload?: Record<string, unknown>;
  /** Envelope id. Default a random UUID. */
  id?: string;
  /** Exact body bytes to sign instead of building an envelope (e.g. to test invalid JSON). */
  body?: string;
  /** Unix seconds. Default now. */
  timestamp?: number;
  /** `X-Webhook-Attempt`. Default 1. */
  attempt?: number;
  /** Also add the Standard Webhooks headers, as an endpoint with `signature_scheme: "both"` gets. */
  standardWebhooks?: boolean;
}

/** A delivery request; spreads into `fetch(url, request)` or `new Request(url, request)`. */
export interface SignedRequest {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
}

const EXAMPLE_PAYLOAD = {
  organization_id: 'uuid',
  user_id: 'uuid',
  email: 'user@example.com',
  phone: '+14155552671',
  full_name: 'John Doe',
};

/**
 * Builds a delivery exactly as Herald sends it: body `{"id","event","payload"}` and every header of
 * the wire spec, signed with `secret`.
 *
 * @example
 * const request = createSignedRequest({ secret: 'whsec_test', event: 'user.deleted', payload: { organization_id: 'o', user_id: 'u', email: null, phone: null } });
 * const response = await handle(new Request('http://localhost/webhooks', request));
 * assert.equal(response.status, 200);
 */
export function createSignedRequest(options: SignedRequestOptions): SignedRequest {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object with at least { secret }');
  const secrets = resolveSecrets(options.secret, 'options.secret');
  const { event = 'user.new', payload = EXAMPLE_PAYLOAD, id = randomUUID(), timestamp = nowSeconds(), attempt = 1 } = options;
  // Checked here so a mistake names the option instead of surfacing as a broken envelope or header.
  if (typeof id !== 'string' || id === '') throw new TypeError('options.id must be a non-empty string');
  if (typeof event !== 'string' || event === '') throw new TypeError('options.event must be a non-empty string');
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new TypeError('options.payload must be an object');
  if (options.body !== undefined && typeof options.body !== 'string') throw new TypeError('options.body must be a string');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new TypeError('options.timestamp must be whole Unix seconds (a non-negative integer)');
  if (!Number.isSafeInteger(attempt) || attempt < 1) throw new TypeError('options.attempt must be a positive integer');
  const body = options.body ?? envelopeJson(id, event, JSON.stringify(payload));
  const headers = deliveryHeaders({
    secrets,
    id,
    event,
    timestamp,
    attempt,
    body,
    userAgent: 'Herald/testing',
    standardWebhooks: options.standardWebhooks === true,
  });
  return { method: 'POST', headers, body };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
