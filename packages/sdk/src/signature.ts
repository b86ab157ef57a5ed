import { createHmac } from 'node:crypto';

/**
 * The wire format's signature (wire spec §3): `v1 = hex(HMAC-SHA256(secret, "<t>.<raw body>"))`, keyed
 * with the UTF-8 bytes of the whole secret string, `whsec_` prefix included.
 */

/** The body as bytes or text; text is encoded as UTF-8. */
export type RawBody = string | Uint8Array;

/**
 * Computes one `v1` signature (64 lowercase hex characters).
 *
 * @example
 * computeSignature('whsec_test_secret', 1672531200, body) // '3337234a…'
 */
export function computeSignature(secret: string, timestamp: number, body: RawBody): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/**
 * Builds the `X-Webhook-Signature` header value: `t=<t>,v1=<sig>` with one `v1` per secret, in the
 * order given (newest first during a rotation).
 *
 * @example
 * signatureHeader(['whsec_new', 'whsec_old'], 1672531200, body) // 't=1672531200,v1=…,v1=…'
 */
export function signatureHeader(secrets: readonly string[], timestamp: number, body: RawBody): string {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new TypeError('timestamp must be whole Unix seconds (a non-negative integer)');
  }
  if (secrets.length === 0) throw new TypeError('secrets must hold at least one secret');
  let header = `t=${timestamp}`;
  for (const secret of secrets) header += `,v1=${computeSignature(secret, timestamp, body)}`;
  return header;
}

/**
 * Compares a computed signature with one from a request (hex or base64 text) in time independent of
 * where they differ: the one comparison every verifier of this package uses. Character codes are
 * compared as they are, rather than through `timingSafeEqual` on Buffers: that allocates two Buffers
 * per candidate on every delivery, and a latin1 encoding would alias characters above U+00FF onto
 * ASCII ones. Only the length, which is no secret, ends the comparison early.
 *
 * @example
 * signaturesEqual(computeSignature(secret, t, body), v1FromHeader) // true when they match
 */
export function signaturesEqual(expected: string, candidate: string): boolean {
  if (expected.length !== candidate.length) return false;
  let difference = 0;
  for (let i = 0; i < expected.length; i++) difference |= expected.charCodeAt(i) ^ candidate.charCodeAt(i);
  return difference === 0;
}
