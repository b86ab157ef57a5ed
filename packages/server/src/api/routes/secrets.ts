import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../errors.js';
import type { RouteDeps } from '../app.js';
import { errorResponses, idParams, secretResource } from '../schemas.js';
import { generateEndpointSecret } from '../secrets.js';
import { secretJson } from '../serialize.js';
import { absentBodyAsEmpty } from '../validation.js';

const tags = ['secrets'];
const MAX_GRACE_SECONDS = 7 * 24 * 60 * 60;

/**
 * An endpoint's signing secret. Rotation keeps the previous secret signing (a second `v1`) until its
 * grace period ends, so receivers can switch over without dropping deliveries (wire spec §3).
 */
export function secretRoutes(app: FastifyInstance, { store, clock, secretGraceMs }: RouteDeps): void {
  async function current(organizationId: string, endpointId: string) {
    const secrets = await store.listSecrets(organizationId, endpointId, clock.now());
    if (secrets.length === 0) throw new NotFoundError(`no endpoint ${endpointId}`, { field: 'id' });
    return secretJson(secrets);
  }

  app.get<{ Params: { id: string } }>('/endpoints/:id/secret', {
    schema: {
      tags,
      summary: 'The current secret, and the previous one while it is still valid.',
      params: idParams,
      response: { 200: secretResource, ...errorResponses },
    },
  }, async (request) => current(request.organizationId, request.params.id));

  app.post<{ Params: { id: string }; Body: { grace_seconds?: number } }>('/endpoints/:id/secret/rotate', {
    schema: {
      tags,
      summary: 'Make a new secret current; the old one keeps signing for grace_seconds.',
      params: idParams,
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          grace_seconds: {
            type: 'integer',
            minimum: 0,
            maximum: MAX_GRACE_SECONDS,
            description: `How long the previous secret stays valid. Default ${secretGraceMs / 1000}.`,
          },
        },
      },
      response: { 200: secretResource, ...errorResponses },
    },
    preValidation: absentBodyAsEmpty,
  }, async (request) => {
    const now = clock.now();
    const graceMs = request.body.grace_seconds === undefined ? secretGraceMs : request.body.grace_seconds * 1000;
    const rotated = await store.rotateSecret(
      request.organizationId,
      request.params.id,
      generateEndpointSecret(),
      now,
      now + graceMs,
    );
    if (!rotated) throw new NotFoundError(`no endpoint ${request.params.id}`, { field: 'id' });
    return current(request.organizationId, request.params.id);
  });

  app.delete<{ Params: { id: string } }>('/endpoints/:id/secret/previous', {
    schema: {
      tags,
      summary: 'Stop signing with the previous secret now.',
      params: idParams,
      response: { 204: { type: 'null' }, ...errorResponses },
    },
  }, async (request, reply) => {
    if (!(await store.revokePreviousSecrets(request.organizationId, request.params.id, clock.now()))) {
      throw new NotFoundError(`no endpoint ${request.params.id}`, { field: 'id' });
    }
    return reply.code(204).send();
  });
}
