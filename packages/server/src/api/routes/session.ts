import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ForbiddenError, NotFoundError } from '../../errors.js';
import type { RouteDeps } from '../app.js';
import { errorResponses } from '../schemas.js';
import type { TokenClaims } from '../session-tokens.js';
import { clearSessionCookie, setSessionCookie, type Sessions } from '../sessions.js';

const tags = ['dashboard'];

const sessionResource = {
  type: 'object',
  required: ['organization_id', 'csrf_token', 'expires_at', 'signed_in_with'],
  properties: {
    organization_id: { type: 'string' },
    csrf_token: { type: 'string', description: 'Send it as X-Herald-CSRF on every request that changes something.' },
    expires_at: { type: 'string', format: 'date-time' },
    signed_in_with: { type: 'string', enum: ['api_key', 'portal_link'] },
  },
} as const;

/**
 * The dashboard's session: trade an API key for the HttpOnly cookie, read the session (and its CSRF
 * token) back, sign out. See `sessions.ts` for why the cookie is safe to accept on `/v1`.
 */
export function sessionRoutes(app: FastifyInstance, { sessions, clock }: RouteDeps): void {
  app.get('/session', {
    schema: {
      tags,
      summary: "The dashboard session this request's cookie carries, with its CSRF token.",
      response: { 200: sessionResource, ...errorResponses },
    },
  }, async (request) => {
    if (request.session === null) {
      throw new NotFoundError('there is no dashboard session here: this request was authorized by an API key', { field: 'cookie' });
    }
    return sessionJson(sessions, request.session.token, request.session.claims);
  });

  app.post('/session', {
    schema: {
      tags,
      summary: 'Sign in to the dashboard: sets an HttpOnly session cookie (12 h) for the API key of this request.',
      response: { 201: sessionResource, ...errorResponses },
    },
  }, async (request, reply) => {
    requireApiKey(request, 'a dashboard session cannot start another one; sign in with "Authorization: Bearer <API key>"');
    const { token, claims } = await sessions.issue(request.organizationId, 'api_key');
    return reply.code(201).send(await startSession(request, reply, sessions, token, claims, clock.now()));
  });

  app.delete('/session', {
    schema: {
      tags,
      summary: 'Sign out of the dashboard: clears the session cookie.',
      response: { 204: { type: 'null' }, ...errorResponses },
    },
  }, async (request, reply) => {
    clearSessionCookie(request, reply);
    return reply.code(204).send();
  });
}

/** Sets the cookie and answers the session as `GET /session` shows it. */
export async function startSession(
  request: FastifyRequest,
  reply: FastifyReply,
  sessions: Sessions,
  token: string,
  claims: TokenClaims,
  now: number,
) {
  setSessionCookie(request, reply, token, claims.expiresAt - now);
  return sessionJson(sessions, token, claims);
}

async function sessionJson(sessions: Sessions, token: string, claims: TokenClaims) {
  return {
    organization_id: claims.organizationId,
    csrf_token: (await sessions.signer()).csrfToken(token),
    expires_at: new Date(claims.expiresAt).toISOString(),
    signed_in_with: claims.signedInWith,
  };
}

/** Some things need the API key itself, so that a session (or a portal link's holder) cannot outlive it. */
export function requireApiKey(request: FastifyRequest, message: string): void {
  if (request.session !== null) throw new ForbiddenError(message, { field: 'authorization' });
}
