import {
  envelopeJson,
  HEADERS,
  signatureHeader,
  STANDARD_WEBHOOKS_HEADERS,
  standardWebhooksSignature,
} from '@herald/sdk';
import type { ClaimedDelivery } from '../store/store.js';

/** One attempt's HTTP request, exactly as sent and as recorded in the attempt log. */
export interface DeliveryRequest {
  url: string;
  /** Lower-case names (HTTP header names are case-insensitive; HTTP/2 requires lower case). */
  headers: Record<string, string>;
  body: string;
}

export interface SigningContext {
  /** The attempt's send time in whole Unix seconds; every attempt is signed afresh. */
  timestamp: number;
  /** `Herald/<version>`. */
  userAgent: string;
}

/**
 * Builds the signed request for one attempt (wire spec §1 and §3). The body depends only on the event,
 * so it is byte-for-byte the same on every attempt and for every endpoint; only the timestamp, the
 * signatures and the attempt number change.
 */
export function buildDeliveryRequest(delivery: ClaimedDelivery, { timestamp, userAgent }: SigningContext): DeliveryRequest {
  const body = envelopeJson(delivery.eventId, delivery.eventType, delivery.payloadJson);
  const signature = signatureHeader(delivery.secrets, timestamp, body);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    [HEADERS.signature]: signature,
    [HEADERS.contactsManagerSignature]: signature,
    [HEADERS.id]: delivery.eventId,
    [HEADERS.event]: delivery.eventType,
    [HEADERS.attempt]: String(delivery.attempt),
    'user-agent': userAgent,
  };
  if (delivery.signatureScheme === 'both') {
    headers[STANDARD_WEBHOOKS_HEADERS.id] = delivery.eventId;
    headers[STANDARD_WEBHOOKS_HEADERS.timestamp] = String(timestamp);
    const standard = standardWebhooksSignature(delivery.secrets, delivery.eventId, timestamp, body);
    // Only secrets Herald did not generate can fail to be Standard Webhooks keys; without one, a
    // signature header would only mislead verifiers, so it is left out.
    if (standard !== '') headers[STANDARD_WEBHOOKS_HEADERS.signature] = standard;
  }
  return { url: delivery.url, headers, body };
}
