import type { FastifyInstance } from 'fastify';
import { ConflictError, NotFoundError } from '../../errors.js';
import { uuidv7 } from '../../ids.js';
import type { DeliveryStatus } from '../../store/store.js';
import type { RouteDeps } from '../app.js';
import { attemptResource, deliveryResource, errorResponses, eventTypeName, idParams, pageOf, pageQuery, resourceId } from '../schemas.js';
import { attemptJson, deliveryJson } from '../serialize.js';
import { notFoundOrPruned } from '../not-found-or-pruned.js';

interface DeliveryQuery {
  endpoint_id?: string;
  event_id?: string;
  event_type?: string;
  status?: DeliveryStatus;
  since?: string;
  until?: string;
  cursor?: string;
  limit: number;
}

const tags = ['deliveries'];

export function deliveryRoutes(app: FastifyInstance, { store, clock }: RouteDeps): void {
  async function find(organizationId: string, deliveryId: string) {
    const delivery = await store.getDelivery(organizationId, deliveryId);
    if (delivery === null) throw await notFoundOrPruned(store, organizationId, 'delivery', deliveryId);
    return delivery;
  }

  app.get<{ Querystring: DeliveryQuery }>('/deliveries', {
    schema: {
      tags,
      summary: 'List deliveries, newest first.',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          endpoint_id: resourceId,
          event_id: resourceId,
          event_type: eventTypeName,
          status: { type: 'string', enum: ['pending', 'succeeded', 'failed'] },
          since: { type: 'string', format: 'date-time', description: 'Created at or after this time.' },
          until: { type: 'string', format: 'date-time', description: 'Created before this time.' },
          ...pageQuery,
        },
      },
      response: { 200: pageOf(deliveryResource), ...errorResponses },
    },
  }, async (request) => {
    const { endpoint_id, event_id, event_type, status, since, until, cursor, limit } = request.query;
    const page = await store.listDeliveries({
      organizationId: request.organizationId,
      limit,
      ...(endpoint_id !== undefined ? { endpointId: endpoint_id } : {}),
      ...(event_id !== undefined ? { eventId: event_id } : {}),
      ...(event_type !== undefined ? { eventType: event_type } : {}),
      ...(status !== undefined ? { status } : {}),
      ...(since !== undefined ? { since: Date.parse(since) } : {}),
      ...(until !== undefined ? { until: Date.parse(until) } : {}),
      ...(cursor !== undefined ? { cursor } : {}),
    });
    return { data: page.items.map(deliveryJson), next_cursor: page.nextCursor };
  });

  app.get<{ Params: { id: string } }>('/deliveries/:id', {
    schema: {
      tags,
      summary: 'A delivery with every attempt: request headers, status code or error, response body, timing.',
      params: idParams,
      response: {
        200: {
          ...deliveryResource,
          required: [...deliveryResource.required, 'attempts'],
          properties: { ...deliveryResource.properties, attempts: { type: 'array', items: attemptResource } },
        },
        ...errorResponses,
      },
    },
  }, async (request) => {
    const delivery = await find(request.organizationId, request.params.id);
    const attempts = await store.listAttempts(delivery.id);
    return { ...deliveryJson(delivery), attempts: attempts.map(attemptJson) };
  });

  app.post<{ Params: { id: string } }>('/deliveries/:id/resend', {
    schema: {
      tags,
      summary: 'Send the event to the same endpoint again, as a new delivery with a fresh attempt series and the same envelope id.',
      params: idParams,
      response: { 202: deliveryResource, ...errorResponses },
    },
  }, async (request, reply) => {
    const original = await find(request.organizationId, request.params.id);
    if (original.status === 'pending') {
      throw new ConflictError('the delivery is still pending; resend it once it has succeeded or failed', { field: 'status' });
    }
    const now = clock.now();
    const resent = await store.resendDelivery(request.organizationId, original.id, uuidv7(now), now);
    if (resent === null) throw new NotFoundError(`no delivery ${request.params.id}`, { field: 'id' });
    return reply.code(202).send(deliveryJson(resent));
  });
}
