import type { FastifyInstance } from 'fastify';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import { uuidv7 } from '../../ids.js';
import type { RouteDeps } from '../app.js';
import { errorResponses, idParams, resourceId } from '../schemas.js';
import { recoveryJson } from '../serialize.js';

interface RecoverBody {
  since: string;
  until?: string;
  dry_run?: boolean;
}

const time = { type: 'string', format: 'date-time' } as const;

const recoveryResource = {
  type: 'object',
  required: ['id', 'endpoint_id', 'since', 'until', 'created_at', 'total', 'pending', 'succeeded', 'failed', 'done'],
  properties: {
    id: { type: 'string' },
    endpoint_id: { type: 'string' },
    since: time,
    until: time,
    created_at: time,
    total: { type: 'integer', description: 'Deliveries it created: one per failed delivery in the window not re-sent before.' },
    pending: { type: 'integer' },
    succeeded: { type: 'integer' },
    failed: { type: 'integer' },
    done: { type: 'boolean', description: 'None of its deliveries is pending any more.' },
  },
} as const;

const dryRunResource = {
  type: 'object',
  required: ['dry_run', 'endpoint_id', 'since', 'until', 'total'],
  properties: {
    dry_run: { type: 'boolean', enum: [true] },
    endpoint_id: { type: 'string' },
    since: time,
    until: time,
    total: { type: 'integer', description: 'How many deliveries the recovery would re-send now.' },
  },
} as const;

const tags = ['recoveries'];

/**
 * Recovering what an endpoint missed: every delivery to it that ended `failed` in a window, sent
 * again as a new delivery of the same event (so with the same envelope id), once. The store's
 * `recoverDeliveries` says exactly which deliveries a window takes.
 */
export function recoveryRoutes(app: FastifyInstance, { store, clock }: RouteDeps): void {
  async function find(organizationId: string, id: string) {
    const endpoint = await store.getEndpoint(organizationId, id);
    if (endpoint === null) throw new NotFoundError(`no endpoint ${id}`, { field: 'id' });
    return endpoint;
  }

  app.post<{ Params: { id: string }; Body: RecoverBody }>('/endpoints/:id/recover', {
    schema: {
      tags,
      summary: 'Re-send, once each, the deliveries to this endpoint that ended failed in a window; dry_run only counts them.',
      params: idParams,
      body: {
        type: 'object',
        required: ['since'],
        additionalProperties: false,
        properties: {
          since: { ...time, description: 'Deliveries that ended failed at or after this time.' },
          until: { ...time, description: 'And before this time. Default: now.' },
          dry_run: { type: 'boolean', description: 'Count what would be re-sent, re-send nothing (answered 200).' },
        },
      },
      response: { 200: dryRunResource, 202: recoveryResource, ...errorResponses },
    },
  }, async (request, reply) => {
    const endpoint = await find(request.organizationId, request.params.id);
    const now = clock.now();
    const since = Date.parse(request.body.since);
    const until = request.body.until === undefined ? now : Date.parse(request.body.until);
    if (since >= until) {
      throw new ValidationError(`since must be before until (${new Date(until).toISOString()})`, { field: 'since' });
    }
    const window = { organizationId: request.organizationId, endpointId: endpoint.id, since, until };
    if (request.body.dry_run === true) {
      const total = await store.countRecoverable(window);
      return reply.code(200).send({
        dry_run: true, endpoint_id: endpoint.id, since: new Date(since).toISOString(), until: new Date(until).toISOString(), total,
      });
    }
    if (!endpoint.enabled) {
      throw new ConflictError(
        'the endpoint is disabled; re-enable it (PATCH the endpoint with {"enabled": true}) before recovering, or its deliveries would not be sent',
        { field: 'enabled' },
      );
    }
    const recovery = await store.recoverDeliveries({ ...window, id: uuidv7(now), createdAt: now, newDeliveryId: () => uuidv7(now) });
    if (recovery === null) throw new NotFoundError(`no endpoint ${request.params.id}`, { field: 'id' });
    return reply.code(202).send(recoveryJson(recovery));
  });

  app.get<{ Params: { id: string } }>('/endpoints/:id/recoveries', {
    schema: {
      tags,
      summary: "This endpoint's recoveries, newest first (the last 20), with their progress.",
      params: idParams,
      response: {
        200: { type: 'object', required: ['data'], properties: { data: { type: 'array', items: recoveryResource } } },
        ...errorResponses,
      },
    },
  }, async (request) => {
    const endpoint = await find(request.organizationId, request.params.id);
    return { data: (await store.listRecoveries(request.organizationId, endpoint.id, 20)).map(recoveryJson) };
  });

  app.get<{ Params: { id: string; recovery: string } }>('/endpoints/:id/recoveries/:recovery', {
    schema: {
      tags,
      summary: 'A recovery and its progress: how many of its deliveries are pending, succeeded, failed.',
      params: { type: 'object', required: ['id', 'recovery'], properties: { id: resourceId, recovery: resourceId } },
      response: { 200: recoveryResource, ...errorResponses },
    },
  }, async (request) => {
    await find(request.organizationId, request.params.id);
    const recovery = await store.getRecovery(request.organizationId, request.params.id, request.params.recovery);
    if (recovery === null) throw new NotFoundError(`no recovery ${request.params.recovery} of endpoint ${request.params.id}`, { field: 'recovery' });
    return recoveryJson(recovery);
  });
}
