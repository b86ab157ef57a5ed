import { WebhookVerificationError } from './errors.js';

/** A Fetch API `Headers` (or anything with the same `get`). */
export interface HeadersLike {
  get(name: string): string | null;
}

/** One header's value as Node (`string | string[]`) or a hand-written object gives it. */
export type HeaderValue = string | readonly string[] | undefined;

/**
 * Request headers: a plain object with header names in any case (Node's `req.headers`, a
 * framework's, a test's), or a Fetch `Headers`.
 */
export type WebhookHeaders = HeadersLike | Readonly<Record<string, HeaderValue>>;

/** Throws a TypeError naming `argument` unless `headers` is something `readHeader` can read. */
export function assertHeaders(headers: unknown, argument: string): asserts headers is WebhookHeaders {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new TypeError(`${argument} must be a headers object (plain object or Fetch Headers), got ${describe(headers)}`);
  }
}

/**
 * The value of header `lowerName` (given in lower case), or undefined when absent or empty. A header
 * sent more than once is malformed: which copy was signed is anyone's guess.
 */
export function readHeader(headers: WebhookHeaders, lowerName: string): string | undefined {
  if (isHeadersLike(headers)) return headers.get(lowerName) || undefined;
  // Node lower-cases incoming names, so the direct lookup is the common case; the scan serves
  // hand-written objects such as `{ 'X-Webhook-Signature': … }`.
  let value = headers[lowerName];
  if (value === undefined) {
    for (const name in headers) {
      if (name.length === lowerName.length && name.toLowerCase() === lowerName) {
        value = headers[name];
        break;
      }
    }
  }
  if (typeof value === 'string') return value || undefined;
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    throw new TypeError(`header ${lowerName} must be a string or an array of strings`);
  }
  if (value.length > 1) {
    throw new WebhookVerificationError('malformed_header', `header ${lowerName} was sent ${value.length} times`);
  }
  const first: unknown = value[0];
  if (first !== undefined && typeof first !== 'string') {
    throw new TypeError(`header ${lowerName} must be a string or an array of strings`);
  }
  return first || undefined;
}

function isHeadersLike(headers: WebhookHeaders): headers is HeadersLike {
  return typeof (headers as Partial<HeadersLike>).get === 'function';
}

/** A short description of a value's type for error messages (never the value itself). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
