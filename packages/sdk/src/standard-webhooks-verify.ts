import { WebhookVerificationError } from './errors.js';
import { readHeader, type WebhookHeaders } from './headers.js';
import { signaturesEqual } from './signature.js';
import { standardWebhooksSignature } from './standard-webhooks.js';
import { checkTimestamp, parseTimestamp, type ResolvedVerifyOptions } from './verify-options.js';

/** Header names of Standard Webhooks (sent by endpoints with `signature_scheme: "both"`). */
export const STANDARD_WEBHOOKS_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

/**
 * Verifies the Standard Webhooks headers: `webhook-signature` holds space-separated `v1,<base64>`
 * entries over `"<webhook-id>.<webhook-timestamp>.<body>"`; any entry may match any secret.
 * Signing is `standardWebhooksSignature`, the same function the server sends with. Entries are
 * compared as base64 text, as the `standardwebhooks` library does, not decoded: Node's lenient base64
 * decoder would let a differently written entry through.
 */
export function verifyStandardWebhooks(
  body: string | Uint8Array,
  headers: WebhookHeaders,
  signatureHeader: string,
  secrets: readonly string[],
  options: ResolvedVerifyOptions,
): void {
  const msgId = readHeader(headers, STANDARD_WEBHOOKS_HEADERS.id);
  const timestampHeader = readHeader(headers, STANDARD_WEBHOOKS_HEADERS.timestamp);
  if (msgId === undefined) throw new WebhookVerificationError('missing_header', 'webhook-signature is present but webhook-id is missing');
  if (timestampHeader === undefined) {
    throw new WebhookVerificationError('missing_header', 'webhook-signature is present but webhook-timestamp is missing');
  }
  const timestamp = parseTimestamp(timestampHeader.trim());
  if (timestamp === undefined) throw new WebhookVerificationError('malformed_header', 'webhook-timestamp must be whole Unix seconds');

  const candidates: string[] = [];
  for (const entry of signatureHeader.split(' ')) {
    if (entry === '') continue;
    const comma = entry.indexOf(',');
    if (comma <= 0) throw new WebhookVerificationError('malformed_header', 'webhook-signature entries must look like v1,<base64>');
    // Other versions (v1a: asymmetric) are legal but not ours to check.
    if (entry.slice(0, comma) === 'v1') candidates.push(entry.slice(comma + 1));
  }
  if (candidates.length === 0) throw new WebhookVerificationError('no_matching_signature', 'webhook-signature has no v1 signature');

  checkTimestamp(timestamp, options);
  for (const secret of secrets) {
    const signed = standardWebhooksSignature([secret], msgId, timestamp, body);
    if (signed === '') continue;
    const expected = signed.slice('v1,'.length);
    for (const candidate of candidates) {
      if (signaturesEqual(expected, candidate)) return;
    }
  }
  throw new WebhookVerificationError('no_matching_signature', 'no webhook-signature entry matches any of the secrets');
}
