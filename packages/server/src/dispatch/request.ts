import { deliveryHeaders, envelopeJson } from '@herald/sdk';
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
  const headers = deliveryHeaders({
    secrets: delivery.secrets,
    id: delivery.eventId,
    event: delivery.eventType,
    timestamp,
    attempt: delivery.attempt,
    body,
    userAgent,
    standardWebhooks: delivery.signatureScheme === 'both',
  });
  return { url: delivery.url, headers, body };
}
