import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import { CsrfTokenError, UnauthorizedError } from '../errors.js';
import { uuidv7 } from '../ids.js';
import type { ApiKeyDetails, DashboardSession, Store } from '../store/store.js';
import { createTokenSigner, tokensEqual, type TokenClaims, type TokenSigner } from './session-tokens.js';

/**
 * Dashboard sessions: an API key (or a portal link) is traded once for an HttpOnly cookie, and the
 * cookie then authorizes the same `/v1` API the key does, within the key's scope (a portal link's
 * session has the `portal` scope). Each session is a row in the store, read on every request it
 * authorizes: signing out, "sign out everywhere" and revoking the key that started it end it at
 * once on every process. The cookie is a signed token naming that row, so garbage costs no read.
 *
 * Because browsers attach cookies to cross-site requests too, every cookie-authorized request that
 * can change something must also carry `X-Herald-CSRF`, a token only the dashboard's own scripts can
 * have read (another site can neither read Herald's answers nor set custom headers without a CORS
 * preflight Herald never grants). Requests with `Authorization: Bearer` are untouched by all of this.
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
  record: DashboardSession;
}

export interface IssuedSession {
  token: string;
  claims: TokenClaims;
  record: DashboardSession;
}

export const SESSION_COOKIE = 'herald_session';
const CSRF_HEADER = 'x-herald-csrf';
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const SERVER_SECRET_NAME = 'dashboard-token-key';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export type SessionCheck = { ok: true; session: VerifiedSession } | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' | 'ended' };

export interface SessionOptions {
  /**
   * The portal may be framed by other origins (`--portal-frame-ancestors`): its cookie must then
   * reach Herald from inside a cross-site iframe, which takes `SameSite=None` (and so `Secure`).
   */
  embeddablePortal?: boolean;
}

export interface Sessions {
  /** The signer, made from the stored server secret on first use. */
  signer(): Promise<TokenSigner>;
  /** A new session for an organization key, with the key's scope, valid for SESSION_TTL_MS. */
  startWithKey(key: ApiKeyDetails & { organizationId: string }): Promise<IssuedSession>;
  /**
   * Redeems a verified portal link: a `portal` session that ends when the link would have expired,
   * if sooner than SESSION_TTL_MS. Null when the link was used before.
   */
  startWithPortalLink(link: TokenClaims): Promise<IssuedSession | null>;
  /** The session a cookie names, if it still authorizes requests at `now`. */
  check(token: string, now: number): Promise<SessionCheck>;
  setCookie(request: FastifyRequest, reply: FastifyReply, issued: IssuedSession, now: number): void;
  clearCookie(request: FastifyRequest, reply: FastifyReply): void;
}

export function createSessions(store: Store, clock: Clock, options: SessionOptions = {}): Sessions {
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

  const issue = async (record: DashboardSession): Promise<IssuedSession> => {
    const claims: TokenClaims = {
      id: record.id,
      organizationId: record.organizationId,
      expiresAt: record.expiresAt,
      signedInWith: record.signedInWith,
    };
    return { token: (await signer()).sign('session', claims), claims, record };
  };

  // Whole seconds, as the token carries them, so the expiry the API shows is the one enforced.
  const expiry = (limit: number) => Math.floor(Math.min(clock.now() + SESSION_TTL_MS, limit) / 1000) * 1000;

  return {
    signer,

    async startWithKey(key) {
      const now = clock.now();
      const record: DashboardSession = {
        id: uuidv7(now),
        organizationId: key.organizationId,
        signedInWith: 'api_key',
        scope: key.scope === 'operator' ? 'admin' : key.scope,
        apiKeyId: key.id,
        portalLinkId: null,
        createdAt: now,
        expiresAt: expiry(key.expiresAt ?? Infinity),
        endedAt: null,
      };
      await store.createSession(record);
      return issue(record);
    },

    async startWithPortalLink(link) {
      const now = clock.now();
      const record: DashboardSession = {
        id: uuidv7(now),
        organizationId: link.organizationId,
        signedInWith: 'portal_link',
        scope: 'portal',
        apiKeyId: null,
        portalLinkId: link.id,
        createdAt: now,
        expiresAt: expiry(link.expiresAt),
        endedAt: null,
      };
      const use = { linkId: link.id, organizationId: link.organizationId, usedAt: now, expiresAt: link.expiresAt };
      return (await store.redeemPortalLink(use, record)) ? issue(record) : null;
    },

    async check(token, now) {
      const verified = (await signer()).verify('session', token, now);
      if (!verified.ok) return verified;
      const record = await store.getSession(verified.claims.id);
      if (record === null || record.organizationId !== verified.claims.organizationId) return { ok: false, reason: 'bad_signature' };
      if (record.endedAt !== null) return { ok: false, reason: 'ended' };
      if (record.expiresAt <= now) return { ok: false, reason: 'expired' };
      return { ok: true, session: { token, claims: verified.claims, record } };
    },

    setCookie(request, reply, issued, now) {
      const sameSiteNone = options.embeddablePortal === true && issued.record.scope === 'portal' && isSecureContext(request);
      reply.header('set-cookie', cookie(request, issued.token, Math.max(0, Math.floor((issued.record.expiresAt - now) / 1000)), sameSiteNone));
    },

    clearCookie(request, reply) {
      // A partitioned cookie is cleared only by a partitioned Set-Cookie, an ordinary one by an ordinary one.
      const cleared = [cookie(request, '', 0, false)];
      if (options.embeddablePortal === true && isSecureContext(request)) cleared.push(cookie(request, '', 0, true));
      reply.header('set-cookie', cleared.length === 1 ? cleared[0] : cleared);
    },
  };
}

const REFUSALS: Record<Exclude<SessionCheck, { ok: true }>['reason'], string> = {
  malformed: 'the session cookie is not valid; sign in again',
  bad_signature: 'the session cookie is not valid; sign in again',
  expired: 'your dashboard session has expired; sign in again',
  ended: 'your dashboard session has ended (signed out); sign in again',
};

/**
 * Authorizes a request by its session cookie. A cookie that no longer authorizes is cleared in the
 * same 401 answer, so the browser stops sending it.
 */
export async function authenticateSession(request: FastifyRequest, reply: FastifyReply, sessions: Sessions, token: string, now: number): Promise<VerifiedSession> {
  const check = await sessions.check(token, now);
  if (!check.ok) {
    sessions.clearCookie(request, reply);
    throw new UnauthorizedError(REFUSALS[check.reason], { field: 'cookie' });
  }
  if (!SAFE_METHODS.has(request.method)) {
    const given = request.headers[CSRF_HEADER];
    if (typeof given !== 'string' || !tokensEqual(given, (await sessions.signer()).csrfToken(token))) {
      throw new CsrfTokenError(`a request made with the session cookie must send the ${CSRF_HEADER} header that GET /v1/session returns`, {
        field: CSRF_HEADER,
      });
    }
  }
  request.organizationId = check.session.record.organizationId;
  request.session = check.session;
  return check.session;
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

/**
 * `SameSite=None` lets the cookie travel inside another site's iframe; browsers take it only with
 * `Secure`, and `Partitioned` keeps it to that embedding site (CHIPS), so it still works where
 * third-party cookies are blocked. Otherwise `SameSite=Lax`.
 */
function cookie(request: FastifyRequest, value: string, maxAgeSeconds: number, sameSiteNone: boolean): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    ...(sameSiteNone ? ['SameSite=None', 'Secure', 'Partitioned'] : ['SameSite=Lax', ...(isHttps(request) ? ['Secure'] : [])]),
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

/** HTTPS, or a loopback host, which browsers treat as secure too (so `Secure` cookies work in development). */
function isSecureContext(request: FastifyRequest): boolean {
  if (isHttps(request)) return true;
  const host = (request.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

/** `https://host:port` as the caller reached this server. */
export function originOf(request: FastifyRequest): string {
  const forwardedHost = request.headers['x-forwarded-host'];
  const host = (Array.isArray(forwardedHost) ? forwardedHost[0] : forwardedHost)?.split(',')[0]?.trim() || request.headers.host || 'localhost';
  return `${isHttps(request) ? 'https' : 'http'}://${host}`;
}
