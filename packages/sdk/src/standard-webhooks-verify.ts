import { timingSafeEqual } from 'node:crypto';
import { WebhookVerificationError } from './errors.js';
import { readHeader, type WebhookHeaders } from './headers.js';
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
 * Signing is `standardWebhooksSignature`, the same function the server sends with.
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

  const candidates: Buffer[] = [];
  for (const entry of signatureHeader.split(' ')) {
    if (entry === '') continue;
    const comma = entry.indexOf(',');
    if (comma <= 0) throw new WebhookVerificationError('malformed_header', 'webhook-signature entries must look like v1,<base64>');
    // Other versions (v1a: asymmetric) are legal but not ours to check.
    if (entry.slice(0, comma) === 'v1') candidates.push(Buffer.from(entry.slice(comma + 1), 'base64'));
  }
  if (candidates.length === 0) throw new WebhookVerificationError('no_matching_signature', 'webhook-signature has no v1 signature');

  checkTimestamp(timestamp, options);
  for (const secret of secrets) {
    const signed = standardWebhooksSignature([secret], msgId, timestamp, body);
    if (signed === '') continue;
    const expected = Buffer.from(signed.slice('v1,'.length), 'base64');
    for (const candidate of candidates) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) return;
    }
  }
  throw new WebhookVerificationError('no_matching_signature', 'no webhook-signature entry matches any of the secrets');
}
