import { HEADERS } from './envelope.js';
import { signatureHeader } from './signature.js';
import { standardWebhooksSignature } from './standard-webhooks.js';
import { STANDARD_WEBHOOKS_HEADERS } from './standard-webhooks-verify.js';

export interface DeliveryHeadersInput {
  /** Valid secrets, newest first. */
  secrets: readonly string[];
  /** The envelope id. */
  id: string;
  event: string;
  /** The attempt's send time in whole Unix seconds. */
  timestamp: number;
  attempt: number;
  /** The exact body bytes that are sent. */
  body: string;
  userAgent: string;
  /** Also sign with the Standard Webhooks headers (an endpoint's `signature_scheme: both`). */
  standardWebhooks: boolean;
}

/**
 * Every header of one delivery attempt (wire spec §1 and §3), lower-case, signed over `body`. The one
 * place the header set is written: Herald's dispatcher and `createSignedRequest` both use it.
 *
 * @example
 * const headers = deliveryHeaders({ secrets: ['whsec_…'], id, event: 'user.new', timestamp: 1672531200, attempt: 1, body, userAgent: 'Herald/0.1.0', standardWebhooks: false });
 */
export function deliveryHeaders(input: DeliveryHeadersInput): Record<string, string> {
  const signature = signatureHeader(input.secrets, input.timestamp, input.body);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    [HEADERS.signature]: signature,
    [HEADERS.contactsManagerSignature]: signature,
    [HEADERS.id]: input.id,
    [HEADERS.event]: input.event,
    [HEADERS.attempt]: String(input.attempt),
    'user-agent': input.userAgent,
  };
  if (input.standardWebhooks) {
    headers[STANDARD_WEBHOOKS_HEADERS.id] = input.id;
    headers[STANDARD_WEBHOOKS_HEADERS.timestamp] = String(input.timestamp);
    const standard = standardWebhooksSignature(input.secrets, input.id, input.timestamp, input.body);
    // Only secrets Herald did not generate can fail to be Standard Webhooks keys; without one, a
    // signature header would only mislead verifiers, so it is left out.
    if (standard !== '') headers[STANDARD_WEBHOOKS_HEADERS.signature] = standard;
  }
  return headers;
}
