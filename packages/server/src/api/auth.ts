import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import { UnauthorizedError } from '../errors.js';
import type { Store } from '../store/store.js';
import { hashApiKey } from './api-keys.js';
import { authenticateSession, readCookie, SESSION_COOKIE, type Sessions } from './sessions.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The organization of the API key that authenticated the request ('' on public routes). */
    organizationId: string;
  }
}

const CACHE_TTL_MS = 60_000;
const CACHE_MAX_ENTRIES = 10_000;

/**
 * `Authorization: Bearer <API key>` → the key's organization. Known keys are cached for a minute so a
 * busy producer does not cost a database read per request; unknown keys are not cached, so a key
 * created by the CLI in another process works at once. (Keys cannot be revoked yet; when they can,
 * revocation will take up to the cache TTL to apply.)
 *
 * Without an Authorization header, the dashboard's session cookie authorizes the request instead
 * (`sessions.ts`: signature, expiry, CSRF header). A request with both is judged by its key alone.
 */
export function createAuthenticator(
  store: Store,
  clock: Clock,
  sessions: Sessions,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const cache = new Map<string, { organizationId: string; expiresAt: number }>();

  return async (request, reply) => {
    const header = request.headers.authorization;
    const sessionToken = header === undefined ? readCookie(request, SESSION_COOKIE) : undefined;
    if (sessionToken !== undefined && sessionToken !== '') {
      return authenticateSession(request, reply, sessions, sessionToken, clock.now());
    }
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match === null) {
      throw new UnauthorizedError('send your API key as "Authorization: Bearer <key>"', { field: 'authorization' });
    }
    const keyHash = hashApiKey(match[1]!);
    const now = clock.now();
    const cached = cache.get(keyHash);
    if (cached !== undefined && cached.expiresAt > now) {
      request.organizationId = cached.organizationId;
      return;
    }
    const organizationId = await store.findOrganizationIdByKeyHash(keyHash);
    if (organizationId === null) throw new UnauthorizedError('the API key is not valid', { field: 'authorization' });
    if (cache.size >= CACHE_MAX_ENTRIES) cache.clear();
    cache.set(keyHash, { organizationId, expiresAt: now + CACHE_TTL_MS });
    request.organizationId = organizationId;
  };
}
