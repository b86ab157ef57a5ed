import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ForbiddenError, InsufficientScopeError, NotFoundError } from '../../errors.js';
import type { Store } from '../../store/store.js';
import type { RouteDeps } from '../app.js';
import { errorResponses } from '../schemas.js';
import type { IssuedSession, Sessions, VerifiedSession } from '../sessions.js';

const tags = ['dashboard'];

const sessionResource = {
  type: 'object',
  required: ['organization_id', 'organization_name', 'organization_uid', 'csrf_token', 'expires_at', 'signed_in_with', 'scope'],
  properties: {
    organization_id: { type: 'string' },
    organization_name: { type: 'string' },
    organization_uid: { type: ['string', 'null'] },
    csrf_token: { type: 'string', description: 'Send it as X-Herald-CSRF on every request that changes something.' },
    expires_at: { type: 'string', format: 'date-time' },
    signed_in_with: { type: 'string', enum: ['api_key', 'portal_link'] },
    scope: { type: 'string', enum: ['admin', 'publish', 'read', 'portal'], description: 'What the session may do (see Scopes).' },
  },
} as const;

/**
 * The dashboard's session: trade an API key for the HttpOnly cookie, read the session (and its CSRF
 * token) back, sign out, sign everyone out. See `sessions.ts` for why the cookie is safe to accept on `/v1`.
 */
export function sessionRoutes(app: FastifyInstance, { sessions, store, clock }: RouteDeps): void {
  app.get('/session', {
    schema: {
      tags,
      summary: "The dashboard session this request's cookie carries, with its CSRF token and its organization.",
      response: { 200: sessionResource, ...errorResponses },
    },
  }, async (request) => sessionJson(store, sessions, currentSession(request)));

  app.post('/session', {
    schema: {
      tags,
      summary: 'Sign in to the dashboard: sets an HttpOnly session cookie (12 h, or until the key expires) with the scope of the API key of this request.',
      response: { 201: sessionResource, ...errorResponses },
    },
  }, async (request, reply) => {
    requireApiKey(request, 'a dashboard session cannot start another one; sign in with "Authorization: Bearer <API key>"');
    const principal = request.principal;
    if (principal?.kind !== 'api_key' || principal.key.organizationId === null) {
      throw new InsufficientScopeError("the dashboard signs in with an organization's key; an operator key opens an organization's dashboard with a portal link", { field: 'authorization' });
    }
    const issued = await sessions.startWithKey({ ...principal.key, organizationId: principal.key.organizationId });
    return reply.code(201).send(await startSession(request, reply, store, sessions, issued, clock.now()));
  });

  app.delete('/session', {
    schema: {
      tags,
      summary: 'Sign out of the dashboard: ends the session on the server and clears the cookie.',
      response: { 204: { type: 'null' }, ...errorResponses },
    },
  }, async (request, reply) => {
    const session = currentSession(request);
    await store.endSession(session.record.id, clock.now());
    sessions.clearCookie(request, reply);
    return reply.code(204).send();
  });

  app.delete('/sessions', {
    schema: {
      tags,
      summary: "Sign out everywhere: ends every dashboard session of the organization, this one included. Needs the admin scope.",
      response: { 200: { type: 'object', required: ['ended'], properties: { ended: { type: 'integer' } } }, ...errorResponses },
    },
  }, async (request, reply) => {
    const ended = await store.endOrganizationSessions(request.organizationId, clock.now());
    if (request.session !== null) sessions.clearCookie(request, reply);
    return { ended };
  });
}

function currentSession(request: FastifyRequest): VerifiedSession {
  if (request.session === null) {
    throw new NotFoundError('there is no dashboard session here: this request was authorized by an API key', { field: 'cookie' });
  }
  return request.session;
}

/** Sets the cookie and answers the session as `GET /session` shows it. */
export async function startSession(
  request: FastifyRequest,
  reply: FastifyReply,
  store: Store,
  sessions: Sessions,
  issued: IssuedSession,
  now: number,
) {
  sessions.setCookie(request, reply, issued, now);
  return sessionJson(store, sessions, issued);
}

async function sessionJson(store: Store, sessions: Sessions, session: VerifiedSession | IssuedSession) {
  const organization = await store.getOrganizationProfile(session.record.organizationId);
  return {
    organization_id: session.record.organizationId,
    organization_name: organization?.name ?? '',
    organization_uid: organization?.uid ?? null,
    csrf_token: (await sessions.signer()).csrfToken(session.token),
    expires_at: new Date(session.record.expiresAt).toISOString(),
    signed_in_with: session.record.signedInWith,
    scope: session.record.scope,
  };
}

/** Some things need the API key itself, so that a session (or a portal link's holder) cannot outlive it. */
export function requireApiKey(request: FastifyRequest, message: string): void {
  if (request.session !== null) throw new ForbiddenError(message, { field: 'authorization' });
}
