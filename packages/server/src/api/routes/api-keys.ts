import type { FastifyInstance, FastifyRequest } from 'fastify';
import { issueApiKey } from '../../bootstrap.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';
import type { ApiKeyDetails, ApiKeyScope } from '../../store/store.js';
import type { RouteDeps } from '../app.js';
import { errorResponses, idParams } from '../schemas.js';

const tags = ['api keys'];
const ORGANIZATION_SCOPES = ['admin', 'publish', 'read'] as const;

const apiKeyResource = {
  type: 'object',
  required: ['id', 'prefix', 'name', 'scope', 'created_at', 'last_used_at', 'expires_at'],
  properties: {
    id: { type: 'string' },
    prefix: { type: 'string', description: 'The first characters of the key, to tell keys apart.' },
    name: { type: 'string' },
    scope: { type: 'string', enum: ['operator', ...ORGANIZATION_SCOPES] },
    created_at: { type: 'string', format: 'date-time' },
    last_used_at: { type: ['string', 'null'], format: 'date-time', description: 'To the minute.' },
    expires_at: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

function apiKeyJson(key: ApiKeyDetails) {
  const time = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: key.id,
    prefix: key.prefix,
    name: key.name,
    scope: key.scope,
    created_at: time(key.createdAt),
    last_used_at: time(key.lastUsedAt),
    expires_at: time(key.expiresAt),
  };
}

/**
 * `/api-keys`: an organization's keys, or with an operator key outside `/v1/organizations/{org}` the
 * operator keys. Creating one shows the key once; only its hash is kept. Revoking is refused by
 * every API process within the key cache's half second (`auth.ts`), and at once by this one.
 */
export function apiKeyRoutes(app: FastifyInstance, { store, clock, forgetApiKey }: RouteDeps): void {
  /** Whose keys this request manages: its organization's, or null for the operator keys. */
  const owner = (request: FastifyRequest) => (request.organizationId === '' ? null : request.organizationId);

  app.post<{ Body: { scope: ApiKeyScope; name?: string; expires_at?: string } }>('/api-keys', {
    schema: {
      tags,
      summary: 'Create an API key; the answer is the only time the key is shown. Needs the admin scope (or an operator key).',
      body: {
        type: 'object',
        required: ['scope'],
        additionalProperties: false,
        properties: {
          scope: { type: 'string', enum: ['operator', ...ORGANIZATION_SCOPES], description: '`operator` only for operator keys (outside /v1/organizations/{org}).' },
          name: { type: 'string', maxLength: 200 },
          expires_at: { type: 'string', format: 'date-time' },
        },
      },
      response: {
        201: { ...apiKeyResource, required: [...apiKeyResource.required, 'key'], properties: { ...apiKeyResource.properties, key: { type: 'string' } } },
        ...errorResponses,
      },
    },
  }, async (request, reply) => {
    if (request.session !== null) {
      throw new ForbiddenError('API keys are created with an API key ("Authorization: Bearer <key>"), not from a dashboard session', { field: 'authorization' });
    }
    const { scope, name = '', expires_at } = request.body;
    const organizationId = owner(request);
    if ((scope === 'operator') !== (organizationId === null)) {
      throw new ValidationError(
        organizationId === null ? 'an operator key creates operator keys here; use /v1/organizations/{org}/api-keys for an organization\'s' : `scope must be one of ${ORGANIZATION_SCOPES.join(', ')}`,
        { field: 'scope' },
      );
    }
    const expiresAt = expires_at === undefined ? null : Date.parse(expires_at);
    if (expiresAt !== null && expiresAt <= clock.now()) throw new ValidationError('expires_at must be in the future', { field: 'expires_at' });
    const { id, apiKey } = await issueApiKey(store, clock, { organizationId, scope, name, expiresAt });
    const created = (await store.listApiKeys(organizationId)).find((key) => key.id === id)!;
    return reply.code(201).send({ ...apiKeyJson(created), key: apiKey });
  });

  app.get('/api-keys', {
    schema: {
      tags,
      summary: 'List the API keys that are not revoked, newest first. Needs the admin scope (or an operator key).',
      response: { 200: { type: 'object', required: ['data'], properties: { data: { type: 'array', items: apiKeyResource } } }, ...errorResponses },
    },
  }, async (request) => ({ data: (await store.listApiKeys(owner(request))).map(apiKeyJson) }));

  app.delete<{ Params: { id: string } }>('/api-keys/:id', {
    schema: {
      tags,
      summary: 'Revoke an API key: refused everywhere within a second, and the dashboard sessions it started end.',
      params: idParams,
      response: { 204: { type: 'null' }, ...errorResponses },
    },
  }, async (request, reply) => {
    if (!(await store.revokeApiKey(owner(request), request.params.id, clock.now()))) {
      throw new NotFoundError(`no API key ${request.params.id}`, { field: 'id' });
    }
    forgetApiKey(request.params.id);
    return reply.code(204).send();
  });
}
