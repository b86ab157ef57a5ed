import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import { CsrfTokenError, UnauthorizedError } from '../errors.js';
import type { Store } from '../store/store.js';
import { createTokenSigner, tokensEqual, type TokenClaims, type TokenSigner } from './session-tokens.js';

/**
 * Dashboard sessions: an API key (or a portal link) is traded once for an HttpOnly cookie, and the
 * cookie then authorizes the same `/v1` API the key does. Because browsers attach cookies to
 * cross-site requests too, every cookie-authorized request that can change something must also
 * carry `X-Herald-CSRF`, a token only the dashboard's own scripts can have read (another site can
 * neither read Herald's answers nor set custom headers without a CORS preflight Herald never grants).
 * Requests with `Authorization: Bearer` are untouched by all of this.
 */

declare module 'fastify' {
  interface FastifyRequest {
    /** The dashboard session that authorized the request, or null (API key, or a public route). */
    session: VerifiedSession | null;
  }
}

export interface VerifiedSession {
  token: string;
  claims: TokenClaims;
}

export const SESSION_COOKIE = 'herald_session';
const CSRF_HEADER = 'x-herald-csrf';
const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const SERVER_SECRET_NAME = 'dashboard-token-key';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface Sessions {
  /** The signer, made from the stored server secret on first use. */
  signer(): Promise<TokenSigner>;
  /** A new session token for `organizationId`, valid for SESSION_TTL_MS from now. */
  issue(organizationId: string, signedInWith: TokenClaims['signedInWith']): Promise<{ token: string; claims: TokenClaims }>;
}

export function createSessions(store: Store, clock: Clock): Sessions {
  let loading: Promise<TokenSigner> | undefined;
  const signer = () => {
    loading ??= store
      .getOrCreateServerSecret(SERVER_SECRET_NAME, randomBytes(32).toString('base64url'), clock.now())
      .then(createTokenSigner, (error: unknown) => {
        loading = undefined;
        throw error;
      });
    return loading;
  };
  return {
    signer,
    async issue(organizationId, signedInWith) {
      // Whole seconds, as the token carries them, so the expiry the API shows is the one enforced.
      const claims = { organizationId, signedInWith, expiresAt: Math.floor((clock.now() + SESSION_TTL_MS) / 1000) * 1000 };
      return { token: (await signer()).sign('session', claims), claims };
    },
  };
}

/**
 * Authorizes a request by its session cookie. A cookie that no longer verifies is cleared in the
 * same 401 answer, so the browser stops sending it.
 */
export async function authenticateSession(request: FastifyRequest, reply: FastifyReply, sessions: Sessions, token: string, now: number): Promise<void> {
  const signer = await sessions.signer();
  const check = signer.verify('session', token, now);
  if (!check.ok) {
    clearSessionCookie(request, reply);
    throw new UnauthorizedError(
      check.reason === 'expired' ? 'your dashboard session has expired; sign in again' : 'the session cookie is not valid; sign in again',
      { field: 'cookie' },
    );
  }
  if (!SAFE_METHODS.has(request.method)) {
    const given = request.headers[CSRF_HEADER];
    if (typeof given !== 'string' || !tokensEqual(given, signer.csrfToken(token))) {
      throw new CsrfTokenError(`a request made with the session cookie must send the ${CSRF_HEADER} header that GET /v1/session returns`, {
        field: CSRF_HEADER,
      });
    }
  }
  request.organizationId = check.claims.organizationId;
  request.session = { token, claims: check.claims };
}

/** The value of cookie `name` in the request's Cookie header, if present. */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  }
  return undefined;
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, maxAgeMs: number): void {
  reply.header('set-cookie', cookie(request, token, Math.max(0, Math.floor(maxAgeMs / 1000))));
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('set-cookie', cookie(request, '', 0));
}

function cookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(isHttps(request) ? ['Secure'] : []),
  ].join('; ');
}

/**
 * Whether the browser reached Herald over HTTPS, directly or through a TLS-terminating proxy that says
 * so in `X-Forwarded-Proto`. Trusting that header without a proxy allow-list is safe here: all it can
 * do is add `Secure` to a cookie (or make a portal link https), never weaken anything.
 */
export function isHttps(request: FastifyRequest): boolean {
  if (request.protocol === 'https') return true;
  const forwarded = request.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

/** `https://host:port` as the caller reached this server. */
export function originOf(request: FastifyRequest): string {
  const forwardedHost = request.headers['x-forwarded-host'];
  const host = (Array.isArray(forwardedHost) ? forwardedHost[0] : forwardedHost)?.split(',')[0]?.trim() || request.headers.host || 'localhost';
  return `${isHttps(request) ? 'https' : 'http'}://${host}`;
}
