import { HeraldApiError } from '../errors.js';

/**
 * One API call over global `fetch`, with retries. Only calls that are safe to repeat are retried —
 * GET and DELETE, and a publish carrying an idempotency key — on a network error, a timeout or a
 * 5xx, with exponential backoff and jitter. A 4xx is never retried: it will not change.
 */

export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
  retries: number;
  retryBaseDelayMs: number;
  timeoutMs: number;
  fetch: typeof fetch;
}

export interface ApiRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | Date | undefined>;
  body?: unknown;
  /** Safe to send again after a failure whose outcome is unknown. */
  idempotent: boolean;
}

export async function callApi<T>(options: TransportOptions, request: ApiRequest): Promise<T> {
  const url = buildUrl(options.baseUrl, request);
  const headers: Record<string, string> = { authorization: `Bearer ${options.apiKey}`, accept: 'application/json' };
  let body: string | undefined;
  if (request.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(request.body);
  }
  const attempts = request.idempotent ? options.retries + 1 : 1;
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await options.fetch(url, { method: request.method, headers, body, signal: AbortSignal.timeout(options.timeoutMs) });
    } catch (error) {
      if (attempt >= attempts) throw error;
      await sleep(backoff(options.retryBaseDelayMs, attempt));
      continue;
    }
    if (response.status >= 500 && attempt < attempts) {
      await response.body?.cancel();
      await sleep(backoff(options.retryBaseDelayMs, attempt));
      continue;
    }
    return readResponse<T>(response);
  }
}

async function readResponse<T>(response: Response): Promise<T> {
  const text = await response.text();
  if (response.ok) {
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new HeraldApiError(response.status, 'invalid_response', `the API answered ${response.status} with a body that is not JSON`);
    }
  }
  throw toApiError(response.status, text);
}

function toApiError(status: number, text: string): HeraldApiError {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; field?: unknown } };
    const error = parsed.error;
    if (typeof error?.code === 'string' && typeof error.message === 'string') {
      return new HeraldApiError(status, error.code, error.message, typeof error.field === 'string' ? error.field : undefined);
    }
  } catch {
    // Not the API's error shape (a proxy's page, say): described below.
  }
  return new HeraldApiError(status, 'invalid_response', `the API answered ${status}: ${text.slice(0, 200)}`);
}

function buildUrl(baseUrl: string, request: ApiRequest): string {
  const url = new URL(request.path, baseUrl);
  for (const [key, value] of Object.entries(request.query ?? {})) {
    if (value === undefined) continue;
    url.searchParams.set(key, value instanceof Date ? value.toISOString() : String(value));
  }
  return url.href;
}

/** Exponential backoff (base, 2×base, 4×base…) with up to 50 % jitter so clients do not retry in step. */
function backoff(baseMs: number, attempt: number): number {
  const delay = baseMs * 2 ** (attempt - 1);
  return delay + Math.random() * delay * 0.5;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
