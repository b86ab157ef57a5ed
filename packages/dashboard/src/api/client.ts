import { describeError } from './error-text.js';
import type { Session } from './types.js';

/**
 * The dashboard talks to Herald's public REST API only. The session cookie (HttpOnly, set by
 * `POST /v1/session`) authorizes it; every request that changes something also carries the CSRF
 * token the session answered with, in `X-Herald-CSRF`.
 */

/**
 * An error answer of the API: `{"error": {"code", "message", "field"?}}`, or a network failure.
 * `message` is the sentence shown to people; `detail` is the API's own wording, for the console.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** What was asked for is not there: unknown, deleted, or an id that cannot be one. */
  get notFound(): boolean {
    return this.status === 404 || (this.status === 400 && (this.field === 'id' || this.field === 'path'));
  }
}

let csrfToken: string | null = null;
let onSessionLost: () => void = () => undefined;

/** Called when the API answers 401 to a signed-in dashboard: the session expired or was cleared. */
export function whenSessionLost(listener: () => void): void {
  onSessionLost = listener;
}

export function rememberSession(session: Session | null): void {
  csrfToken = session?.csrf_token ?? null;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

async function call<T>(method: Method, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: {
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(method !== 'GET' && csrfToken !== null ? { 'x-herald-csrf': csrfToken } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiError(0, 'network_error', 'Herald did not answer. Check your connection and that the server is running.');
  }
  const text = await response.text();
  const json: unknown = text === '' ? undefined : safeParse(text);
  if (response.ok) return json as T;
  const error = errorOf(json);
  // A 401 to anything but the session check itself means a signed-in dashboard lost its session.
  if (response.status === 401 && path !== '/v1/session') onSessionLost();
  const parts = {
    status: response.status,
    code: error?.code ?? `http_${response.status}`,
    message: error?.message ?? `Herald answered ${response.status} ${response.statusText}`,
    ...(error?.field !== undefined ? { field: error.field } : {}),
  };
  throw new ApiError(parts.status, parts.code, describeError(parts), parts.field, parts.message);
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorOf(json: unknown): { code: string; message: string; field?: string } | undefined {
  if (typeof json !== 'object' || json === null || !('error' in json)) return undefined;
  const error = (json as { error: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message, field } = error as Record<string, unknown>;
  if (typeof code !== 'string' || typeof message !== 'string') return undefined;
  return { code, message, ...(typeof field === 'string' ? { field } : {}) };
}

/** A query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

export const api = {
  get: <T>(path: string) => call<T>('GET', path),
  post: <T>(path: string, body?: unknown) => call<T>('POST', path, body),
  patch: <T>(path: string, body: unknown) => call<T>('PATCH', path, body),
  delete: <T = void>(path: string) => call<T>('DELETE', path),
  /** Trades an API key for the session cookie; the key itself is not kept anywhere. */
  signIn: (apiKey: string) => call<Session>('POST', '/v1/session', undefined, { authorization: `Bearer ${apiKey}` }),
};
