import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import { UnauthorizedError } from '../errors.js';
import type { ApiKeyDetails, Store } from '../store/store.js';
import { API_KEY_REFUSALS, bearerToken, checkApiKey } from '../tenancy/api-key-check.js';
import type { Holder } from '../tenancy/scopes.js';
import { hashApiKey } from './api-keys.js';
import { authenticateSession, readCookie, SESSION_COOKIE, type Sessions } from './sessions.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The organization the request acts for ('' on public routes, and for an operator key outside `/v1/organizations/{org}`). */
    organizationId: string;
    /** Who authenticated the request; null on public routes. */
    principal: Principal | null;
  }
}

export type Principal =
  | { kind: 'api_key'; key: ApiKeyDetails; scope: Holder }
  | { kind: 'session'; sessionId: string; scope: Holder };

/**
 * How long a looked-up key is trusted without asking the store again: the bound on how long a key
 * revoked by another process keeps working here (the promise is 1 s; half of it leaves room). A
 * revoke through this process drops the key from this process's cache at once (`forget`).
 *
 * Cost, measured with `app.inject` (GET /v1/endpoints, 5,000 requests, every one a cache miss vs
 * every one a hit, on the shared 2-core machine): on SQLite the read is lost in the noise (~0.3–0.5
 * ms a request either way); on PostgreSQL a miss adds one round trip, ~0.5–1.5 ms. With a 500 ms TTL
 * a busy producer pays that twice a second per key per process, instead of once a minute: nothing.
 */
export const KEY_CACHE_TTL_MS = 500;
const CACHE_MAX_ENTRIES = 10_000;
/** `last_used_at` is a hint for people reading the key list, so it is written at most once a minute per key. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface Authenticator {
  hook(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** Drops a revoked key from this process's cache. */
  forget(keyId: string): void;
}

/**
 * `Authorization: Bearer <API key>` → the key, its scope and its organization; unknown, revoked and
 * expired keys get 401. Without an Authorization header, the dashboard's session cookie authorizes
 * the request instead (`sessions.ts`: signature, the session's row, CSRF header). A request with both
 * is judged by its key alone. What the credential may then do is the org-scope hooks' business
 * (`organization-scope.ts`).
 */
export function createAuthenticator(store: Store, clock: Clock, sessions: Sessions): Authenticator {
  const cache = new Map<string, { key: ApiKeyDetails; fetchedAt: number }>();
  const lastMarked = new Map<string, number>();

  const lookUp = async (keyHash: string, now: number): Promise<ApiKeyDetails | null> => {
    const cached = cache.get(keyHash);
    if (cached !== undefined && now - cached.fetchedAt < KEY_CACHE_TTL_MS) return cached.key;
    const key = await store.findApiKeyByHash(keyHash);
    if (key === null) {
      // Unknown keys are not remembered, so a key created by the CLI in another process works at once.
      cache.delete(keyHash);
      return null;
    }
    if (cache.size >= CACHE_MAX_ENTRIES) cache.clear();
    cache.set(keyHash, { key, fetchedAt: now });
    return key;
  };

  const markUsed = async (key: ApiKeyDetails, now: number) => {
    const last = lastMarked.get(key.id) ?? key.lastUsedAt ?? -Infinity;
    if (now - last < LAST_USED_RESOLUTION_MS) return;
    if (lastMarked.size >= CACHE_MAX_ENTRIES) lastMarked.clear();
    lastMarked.set(key.id, now);
    await store.markApiKeyUsed(key.id, now);
  };

  return {
    async hook(request, reply) {
      const header = request.headers.authorization;
      const sessionToken = header === undefined ? readCookie(request, SESSION_COOKIE) : undefined;
      const now = clock.now();
      if (sessionToken !== undefined && sessionToken !== '') {
        const session = await authenticateSession(request, reply, sessions, sessionToken, now);
        request.principal = { kind: 'session', sessionId: session.record.id, scope: session.record.scope };
        return;
      }
      const presented = bearerToken(header);
      if (presented === null) {
        throw new UnauthorizedError('send your API key as "Authorization: Bearer <key>"', { field: 'authorization' });
      }
      const check = checkApiKey(await lookUp(hashApiKey(presented), now), now);
      if (!check.ok) throw new UnauthorizedError(API_KEY_REFUSALS[check.reason], { field: 'authorization' });
      await markUsed(check.key, now);
      request.principal = { kind: 'api_key', key: check.key, scope: check.key.scope };
      request.organizationId = check.key.organizationId ?? '';
    },

    forget(keyId) {
      for (const [hash, entry] of cache) if (entry.key.id === keyId) cache.delete(hash);
    },
  };
}
