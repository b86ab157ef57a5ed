import { createHmac, timingSafeEqual } from 'node:crypto';

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
 * Constant-time comparison of two hex signatures.
 *
 * @example
 * signaturesEqual(computeSignature(secret, t, body), v1FromHeader) // true when they match
 */
export function signaturesEqual(expectedHex: string, candidateHex: string): boolean {
  if (expectedHex.length !== candidateHex.length) return false;
  return timingSafeEqual(Buffer.from(expectedHex, 'latin1'), Buffer.from(candidateHex, 'latin1'));
}
