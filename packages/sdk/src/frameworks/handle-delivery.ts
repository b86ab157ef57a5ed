import { dedupe, defaultDedupeStore, isDedupeStore, type DedupeStore } from '../dedupe.js';
import { WebhookVerificationError } from '../errors.js';
import type { HeraldEvent } from '../events.js';
import type { WebhookHeaders } from '../headers.js';
import { verifyWebhook } from '../verify.js';
import { resolveSecrets, resolveVerifyOptions, type ResolvedVerifyOptions, type VerifyOptions } from '../verify-options.js';

/**
 * The one receive path every framework helper shares: verify → dedupe → handler → an HTTP answer.
 * Helpers differ only in how they get the raw body and write the response.
 */

/** Options of every framework helper. */
export interface WebhookHandlerOptions extends VerifyOptions {
  /** The endpoint secret, or several during a rotation. Keep it in the environment, never in code. */
  secret: string | readonly string[];
  /**
   * Skip events already processed (by envelope `id`), answering 200 without running the handler:
   * `true` for a process-wide in-memory store, or your own `DedupeStore`. Default: off.
   */
  dedupe?: boolean | DedupeStore;
  /** Largest body read, in bytes; a larger one is answered 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Called with every refused delivery, e.g. to log `error.reason`. Never sees the secret. */
  onRejected?: (error: WebhookVerificationError) => void;
}

export interface ResolvedHandlerOptions {
  secrets: readonly string[];
  verify: ResolvedVerifyOptions;
  store: DedupeStore | undefined;
  maxBodyBytes: number;
  onRejected: ((error: WebhookVerificationError) => void) | undefined;
}

/** A response for the helper to write. */
export interface PlainResponse {
  status: number;
  body: string;
}

export type DeliveryResult<T> = { handled: true; result: T } | { handled: false; response: PlainResponse };

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Checks helper options once, when the helper is created, so a bad secret fails at startup. */
export function resolveHandlerOptions(options: WebhookHandlerOptions): ResolvedHandlerOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object with at least { secret }');
  const secrets = resolveSecrets(options.secret, 'options.secret');
  const verify = resolveVerifyOptions(
    { toleranceSeconds: options.toleranceSeconds, futureToleranceSeconds: options.futureToleranceSeconds, now: options.now ?? Date.now },
    'options',
  );
  const { maxBodyBytes = DEFAULT_MAX_BODY_BYTES, onRejected } = options;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) throw new TypeError('options.maxBodyBytes must be a positive integer');
  if (onRejected !== undefined && typeof onRejected !== 'function') throw new TypeError('options.onRejected must be a function');
  let store: DedupeStore | undefined;
  if (options.dedupe === true) store = defaultDedupeStore();
  else if (isDedupeStore(options.dedupe)) store = options.dedupe;
  else if (options.dedupe !== undefined && options.dedupe !== false) {
    throw new TypeError('options.dedupe must be true, false or a DedupeStore (reserve, complete and release)');
  }
  return { secrets, verify, store, maxBodyBytes, onRejected };
}

/**
 * Verifies the delivery and runs `handler` on its event (once per id with dedupe). Handler errors
 * propagate, so the framework answers 5xx and Herald retries.
 */
export async function handleDelivery<T>(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  options: ResolvedHandlerOptions,
  handler: (event: HeraldEvent) => T | Promise<T>,
): Promise<DeliveryResult<T>> {
  let event: HeraldEvent;
  try {
    event = verifyWebhook(rawBody, headers, options.secrets, options.verify);
  } catch (error) {
    if (!(error instanceof WebhookVerificationError)) throw error;
    options.onRejected?.(error);
    return { handled: false, response: { status: 400, body: `webhook refused: ${error.reason}` } };
  }
  if (options.store === undefined) return { handled: true, result: await handler(event) };
  const outcome = await dedupe(event.id, () => handler(event), options.store);
  if (outcome.status === 'processed') return { handled: true, result: outcome.result };
  if (outcome.status === 'duplicate') return { handled: false, response: { status: 200, body: 'duplicate: already processed' } };
  return { handled: false, response: { status: 409, body: 'in progress: retry later' } };
}

export const OK_RESPONSE: PlainResponse = { status: 200, body: 'ok' };
export const TOO_LARGE_RESPONSE: PlainResponse = { status: 413, body: 'webhook refused: body too large' };
