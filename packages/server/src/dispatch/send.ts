/**
 * Sends one delivery attempt and reports what happened as a value: failures a receiver or the network
 * can cause (status codes, timeouts, refused connections, TLS, refused addresses) are outcomes, not
 * exceptions. One keep-alive undici `Pool` per origin carries every attempt to that origin.
 */
import { Pool } from 'undici';
import type { AttemptErrorKind } from '../store/store.js';
import { BlockedAddressError, createGuardedConnector, validateEndpointUrl } from './ssrf-guard.js';

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Limit on the whole attempt: connecting, sending, and reading the complete response. */
  timeoutMs: number;
  /**
   * The attempt's own controller: aborted from outside (shutdown), the outcome is `aborted`; the
   * sender aborts it itself when the timeout runs out. One controller and one timer per attempt:
   * `AbortSignal.timeout` plus `AbortSignal.any` cost several times that, thousands of times a second.
   */
  abort?: AbortController;
}

export interface AttemptSuccess {
  ok: true;
  status: number;
  durationMs: number;
  /** The first bytes of the response body, as received (`maxResponseBytes`). */
  responseBody: Uint8Array;
  /** The receiver sent more than `responseBody` holds. */
  responseBodyTruncated: boolean;
}

export interface AttemptFailure {
  ok: false;
  /** False when trying again cannot help; the delivery then fails without further attempts. */
  retryable: boolean;
  errorKind: AttemptErrorKind;
  message: string;
  status?: number;
  durationMs: number;
  responseBody?: Uint8Array;
  responseBodyTruncated?: boolean;
  /**
   * The response's `Retry-After` header as sent (first 100 characters), for the retry policy. It is
   * receiver text: it reaches the database only inside `message`, through the storable-text boundary.
   */
  retryAfter?: string;
}

export type AttemptOutcome = AttemptSuccess | AttemptFailure;

export interface SenderOptions {
  /** Deliver to loopback, private and other non-public addresses too (development, tests). */
  allowPrivateNetworks: boolean;
  /** Bytes of the response body kept for the attempt log; the rest is read and thrown away. */
  maxResponseBytes?: number;
}

export interface Sender {
  send(request: SendRequest): Promise<AttemptOutcome>;
  /** Closes every pool, letting requests still in flight finish. */
  close(): Promise<void>;
}

export function createSender({ allowPrivateNetworks, maxResponseBytes = 4096 }: SenderOptions): Sender {
  const pools = new Map<string, Pool>();
  let closed = false;

  function poolFor(origin: string): Pool {
    let pool = pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, allowPrivateNetworks ? {} : { connect: createGuardedConnector({}) });
      pools.set(origin, pool);
    }
    return pool;
  }

  async function send({ url, headers, body, timeoutMs, abort = new AbortController() }: SendRequest): Promise<AttemptOutcome> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    if (closed) {
      return { ok: false, retryable: true, errorKind: 'aborted', message: 'attempt not sent: the sender is closed', durationMs: 0 };
    }
    let target: URL;
    try {
      target = validateEndpointUrl(url);
    } catch (error) {
      return { ok: false, retryable: false, errorKind: 'invalid_url', message: (error as Error).message, durationMs: 0 };
    }

    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, timeoutMs);
    try {
      const response = await poolFor(target.origin).request({
        path: `${target.pathname}${target.search}`,
        method: 'POST',
        headers,
        body,
        signal: abort.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const { kept: responseBody, truncated: responseBodyTruncated } = await readCapped(response.body, maxResponseBytes);
      const status = response.statusCode;
      if (status >= 200 && status < 300) return { ok: true, status, durationMs: elapsed(), responseBody, responseBodyTruncated };
      const retryAfter = headerText(response.headers['retry-after']);
      return {
        ok: false,
        retryable: true,
        errorKind: 'http_status',
        status,
        message: statusMessage(status, response.headers.location) + (retryAfter === undefined ? '' : ` (Retry-After: ${retryAfter})`),
        durationMs: elapsed(),
        responseBody,
        responseBodyTruncated,
        ...(retryAfter === undefined ? {} : { retryAfter }),
      };
    } catch (error) {
      return failure(error, { timedOut, aborted: abort.signal.aborted, timeoutMs, durationMs: elapsed() });
    } finally {
      clearTimeout(timer);
    }
  }

  async function close(): Promise<void> {
    closed = true;
    const closing = [...pools.values()].map((pool) => pool.close());
    pools.clear();
    const results = await Promise.allSettled(closing);
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (errors.length > 0) throw new AggregateError(errors, 'closing the delivery connection pools failed');
  }

  return { send, close };
}

/**
 * Reads the whole body, keeping the first `limit` bytes as received and discarding the rest. Success
 * needs the complete response (wire spec §2): a body still arriving when the attempt timeout runs out
 * makes the attempt a timeout, and that timeout is what bounds the cost of an endless body.
 */
async function readCapped(body: AsyncIterable<Buffer>, limit: number): Promise<{ kept: Buffer; truncated: boolean }> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let discarded = 0;
  for await (const chunk of body) {
    const part = keptBytes < limit ? chunk.subarray(0, limit - keptBytes) : chunk.subarray(0, 0);
    if (part.length > 0) kept.push(part);
    keptBytes += part.length;
    discarded += chunk.length - part.length;
  }
  return { kept: Buffer.concat(kept), truncated: discarded > 0 };
}

/** A response header's value, the first one when repeated, cut to 100 characters; undefined when absent. */
function headerText(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.slice(0, 100);
}

function statusMessage(status: number, location: string | string[] | undefined): string {
  if (status >= 300 && status < 400) {
    const to = typeof location === 'string' ? ` to ${location}` : '';
    return `HTTP ${status}: redirect${to} not followed (the endpoint URL must answer 2xx itself)`;
  }
  return `HTTP ${status}: a 2xx status was expected`;
}

interface FailureContext {
  timedOut: boolean;
  aborted: boolean;
  timeoutMs: number;
  durationMs: number;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
const TLS_CODE = /^ERR_(TLS|SSL)_|CERT|SELF_SIGNED|UNABLE_TO_(VERIFY|GET)|^EPROTO$/;

function failure(error: unknown, { timedOut, aborted, timeoutMs, durationMs }: FailureContext): AttemptFailure {
  const blocked = findCause(error, (e): e is BlockedAddressError => e instanceof BlockedAddressError);
  if (blocked) return { ok: false, retryable: false, errorKind: 'blocked_address', message: blocked.message, durationMs };
  if (aborted && !timedOut) {
    return { ok: false, retryable: true, errorKind: 'aborted', message: 'attempt aborted: Herald is shutting down', durationMs };
  }
  const code = errorCode(error);
  if (timedOut || TIMEOUT_CODES.has(code)) {
    return {
      ok: false,
      retryable: true,
      errorKind: 'timeout',
      message: `no complete response within ${timeoutMs} ms${code && code !== 'ABORT_ERR' ? ` (${code})` : ''}`,
      durationMs,
    };
  }
  const detail = error instanceof Error ? error.message : String(error);
  const kind: AttemptErrorKind = TLS_CODE.test(code) ? 'tls' : 'connection';
  return { ok: false, retryable: true, errorKind: kind, message: code ? `${code}: ${detail}` : detail, durationMs };
}

function findCause<T extends Error>(error: unknown, match: (e: unknown) => e is T): T | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) if (match(e)) return e;
  return undefined;
}

function errorCode(error: unknown): string {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return '';
}
