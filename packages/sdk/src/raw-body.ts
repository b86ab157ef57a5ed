import { isAscii } from 'node:buffer';
import { describe } from './headers.js';

/**
 * Checks that `body` is the raw request body. A parsed object is refused with advice, because
 * re-serializing it is not guaranteed to give back the signed bytes.
 */
export function assertRawBody(body: unknown, argument: string): asserts body is string | Uint8Array {
  if (typeof body === 'string' || body instanceof Uint8Array) return;
  if (body instanceof ArrayBuffer) {
    throw new TypeError(`${argument} must be a string, Buffer or Uint8Array: wrap an ArrayBuffer as new Uint8Array(buffer)`);
  }
  if (typeof body === 'object' && body !== null) {
    throw new TypeError(
      `${argument} must be the raw request body (string, Buffer or Uint8Array), got ${describe(body)}: ` +
        'pass the bytes as received, before any JSON parsing (e.g. express.raw({ type: "application/json" }))',
    );
  }
  throw new TypeError(`${argument} must be the raw request body (string, Buffer or Uint8Array), got ${describe(body)}`);
}

/** The body as UTF-8 text. */
export function bodyText(body: string | Uint8Array): string {
  if (typeof body === 'string') return body;
  const buffer = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  // For ASCII (most bodies) latin1 decodes to the same text and skips UTF-8 validation.
  return isAscii(buffer) ? buffer.toString('latin1') : buffer.toString('utf8');
}
