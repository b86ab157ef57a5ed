import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { HEADERS } from './envelope.js';
import { WebhookVerificationError } from './errors.js';
import { isEnvelope, type HeraldEvent } from './events.js';
import { assertHeaders, readHeader, type WebhookHeaders } from './headers.js';
import { assertRawBody, bodyText } from './raw-body.js';
import { signaturesEqual } from './signature.js';
import { STANDARD_WEBHOOKS_HEADERS, verifyStandardWebhooks } from './standard-webhooks-verify.js';
import { checkTimestamp, parseTimestamp, resolveSecrets, resolveVerifyOptions, type ResolvedVerifyOptions, type VerifyOptions } from './verify-options.js';

/**
 * Verifies a delivery and returns its parsed, typed event; throws one `WebhookVerificationError`
 * (see `reason`) for anything that must not be trusted.
 *
 * Reads `X-Webhook-Signature` (or `X-ContactsManager-Signature`): `t=<t>,v1=<hex>[,v1=<hex>…]`.
 * Every `v1` is checked against every secret, so a receiver keeps working through a rotation
 * whichever secret it holds. Without those headers, the Standard Webhooks headers
 * (`webhook-id`, `webhook-timestamp`, `webhook-signature`) are verified instead.
 *
 * @param rawBody the body exactly as received — never a parsed object.
 * @param headers the request headers: a plain object (any name case) or a Fetch `Headers`.
 * @param secret the endpoint secret, or several (during a rotation).
 * @throws TypeError for a bad argument, naming it.
 *
 * @example
 * import { verifyWebhook, isCatalogEvent } from '@herald/sdk';
 *
 * const event = verifyWebhook(rawBody, req.headers, process.env.HERALD_WEBHOOK_SECRET!);
 * if (isCatalogEvent(event) && event.event === 'user.new') console.log(event.payload.full_name);
 */
export function verifyWebhook(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string | readonly string[],
  options?: VerifyOptions,
): HeraldEvent {
  verifySignature(rawBody, headers, secret, options);
  return parseEnvelope(rawBody);
}

/**
 * `verifyWebhook` without parsing the body: checks the signature headers and timestamp, throws a
 * `WebhookVerificationError` or returns nothing. For receivers that pass the verified bytes on
 * as they are (to a queue, say) and parse them elsewhere.
 *
 * @example
 * verifySignature(rawBody, req.headers, process.env.HERALD_WEBHOOK_SECRET!);
 * await queue.send(rawBody);
 */
export function verifySignature(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string | readonly string[],
  options?: VerifyOptions,
): void {
  assertRawBody(rawBody, 'rawBody');
  assertHeaders(headers, 'headers');
  const secrets = resolveSecrets(secret);
  const resolved = resolveVerifyOptions(options);

  const signature = readHeader(headers, HEADERS.signature) ?? readHeader(headers, HEADERS.contactsManagerSignature);
  if (signature !== undefined) return verifySignatureHeader(rawBody, signature, secrets, resolved);
  const standard = readHeader(headers, STANDARD_WEBHOOKS_HEADERS.signature);
  if (standard === undefined) {
    throw new WebhookVerificationError('missing_header', 'no X-Webhook-Signature, X-ContactsManager-Signature or webhook-signature header');
  }
  verifyStandardWebhooks(rawBody, headers, standard, secrets, resolved);
}

/** Checks `t=<t>,v1=<hex>…` against the body; throws `WebhookVerificationError` unless a `v1` matches. */
function verifySignatureHeader(body: string | Uint8Array, header: string, secrets: readonly string[], options: ResolvedVerifyOptions): void {
  let timestampText: string | undefined;
  const candidates: string[] = [];
  // Hand-rolled rather than split(','): this runs on every delivery and is a visible share of it.
  // Parts are trimmed because Node and Fetch join a header sent twice with ", ": the second copy's
  // " t" then counts as a second t and the request is refused as malformed, as a repeat must be.
  for (let start = 0; start <= header.length; ) {
    let end = header.indexOf(',', start);
    if (end < 0) end = header.length;
    const equals = header.indexOf('=', start);
    if (equals < 0 || equals > end) throw new WebhookVerificationError('malformed_header', 'signature header parts must look like key=value');
    const key = header.slice(start, equals).trim();
    if (key === 't') {
      if (timestampText !== undefined) throw new WebhookVerificationError('malformed_header', 'signature header has more than one t');
      timestampText = header.slice(equals + 1, end).trim();
    } else if (key === 'v1') {
      candidates.push(header.slice(equals + 1, end).trim());
    }
    start = end + 1;
  }
  if (timestampText === undefined) throw new WebhookVerificationError('malformed_header', 'signature header has no t=<timestamp>');
  const timestamp = parseTimestamp(timestampText);
  if (timestamp === undefined) throw new WebhookVerificationError('malformed_header', 't must be whole Unix seconds');
  if (candidates.length === 0) {
    throw new WebhookVerificationError('malformed_header', 'signature header has no v1=<signature>');
  }
  checkTimestamp(timestamp, options);

  // The signed prefix uses the header's own digits, exactly as the sender signed them.
  const prefix = `${timestampText}.`;
  for (const secret of secrets) {
    const expected = createHmac('sha256', hmacKey(secret)).update(prefix).update(body).digest('hex');
    for (const candidate of candidates) {
      if (signaturesEqual(expected, candidate)) return;
    }
  }
  throw new WebhookVerificationError('no_matching_signature', 'no v1 signature matches any of the secrets');
}

/**
 * Secrets as `KeyObject`s, made once: the per-call key import is a measurable share of a 1 KiB
 * verification. Bounded, since a receiver has a handful of secrets, not thousands.
 */
const keyCache = new Map<string, KeyObject>();

function hmacKey(secret: string): KeyObject {
  let key = keyCache.get(secret);
  if (key === undefined) {
    if (keyCache.size >= 64) keyCache.clear();
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    keyCache.set(secret, key);
  }
  return key;
}

function parseEnvelope(body: string | Uint8Array): HeraldEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText(body));
  } catch (cause) {
    throw new WebhookVerificationError('invalid_json', 'the signature is valid but the body is not JSON', { cause });
  }
  if (!isEnvelope(parsed)) {
    throw new WebhookVerificationError('invalid_json', 'the body is not an envelope {"id": string, "event": string, "payload": object}');
  }
  return parsed;
}
