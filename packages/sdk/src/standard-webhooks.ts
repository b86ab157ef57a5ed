import { createHmac } from 'node:crypto';
import type { RawBody } from './signature.js';

/**
 * Standard Webhooks (https://www.standardwebhooks.com) signatures, sent alongside the wire format's
 * own headers for endpoints that ask for both. Unlike the wire format, the key is the base64-decoded
 * part of the secret after `whsec_`.
 */

const PREFIX = 'whsec_';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Builds the `webhook-signature` header value: `v1,<base64 HMAC-SHA256 of "<msgId>.<timestamp>.<body>">`
 * per secret, space-separated, in the order given. A secret whose key part is not valid base64 cannot
 * be a Standard Webhooks key and is skipped; when none is usable the result is the empty string.
 *
 * @example
 * standardWebhooksSignature(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 'msg_1', 1614265330, '{"test":1}')
 * // 'v1,…base64…='
 */
export function standardWebhooksSignature(
  secrets: readonly string[],
  msgId: string,
  timestamp: number,
  body: RawBody,
): string {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new TypeError('timestamp must be whole Unix seconds (a non-negative integer)');
  }
  const signatures: string[] = [];
  for (const secret of secrets) {
    const key = standardWebhooksKey(secret);
    if (key === null) continue;
    const mac = createHmac('sha256', key).update(`${msgId}.${timestamp}.`).update(body).digest('base64');
    signatures.push(`v1,${mac}`);
  }
  return signatures.join(' ');
}

/** The HMAC key of a Standard Webhooks secret, or null when it is not `[whsec_]<base64>`. */
function standardWebhooksKey(secret: string): Buffer | null {
  const encoded = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
  if (encoded === '' || !BASE64.test(encoded)) return null;
  return Buffer.from(encoded, 'base64');
}
