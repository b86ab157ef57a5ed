/** Header names of the wire format (wire spec §1). */
export const HEADERS = {
  signature: 'x-webhook-signature',
  contactsManagerSignature: 'x-contactsmanager-signature',
  id: 'x-webhook-id',
  event: 'x-webhook-event',
  attempt: 'x-webhook-attempt',
} as const;

/**
 * The delivery body: exactly `JSON.stringify({ id, event, payload })`, built from the payload's
 * already-serialized JSON so the bytes are identical on every attempt.
 *
 * @example
 * envelopeJson('123e…', 'user.new', '{"user_id":"u1"}') // '{"id":"123e…","event":"user.new","payload":{"user_id":"u1"}}'
 */
export function envelopeJson(id: string, event: string, payloadJson: string): string {
  return `{"id":${JSON.stringify(id)},"event":${JSON.stringify(event)},"payload":${payloadJson}}`;
}
