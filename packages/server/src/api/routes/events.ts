import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../../errors.js';
import { pruneOrganization } from '../../retention/organization-pruning.js';
import { notFoundOrPruned } from '../not-found-or-pruned.js';
import type { RouteDeps } from '../app.js';
import { errorResponses, eventResource, eventTypeName, eventWithDeliveries, idParams, pageOf, pageQuery, publishResponse } from '../schemas.js';
import { deliveryJson, eventJsonText, eventPageJsonText, publishJson } from '../serialize.js';

interface PublishBody {
  event: string;
  payload: Record<string, unknown>;
  idempotency_key?: string;
}

interface EventQuery {
  event_type?: string;
  since?: string;
  until?: string;
  cursor?: string;
  limit: number;
}

const idempotencyKey = { type: 'string', minLength: 1, maxLength: 255 } as const;
const tags = ['events'];
// Event answers are written as text, their payload spliced in as stored (see `eventJsonText`); the
// response schemas still describe them in /openapi.json.
const JSON_TEXT = 'application/json; charset=utf-8';

export function eventRoutes(app: FastifyInstance, { store, publisher }: RouteDeps): void {
  app.post<{ Body: PublishBody; Headers: { 'idempotency-key'?: string } }>('/events', {
    schema: {
      tags,
      summary: 'Publish an event. Answers once it is stored; a repeated idempotency key answers 200 with the original.',
      headers: { type: 'object', properties: { 'idempotency-key': idempotencyKey } },
      body: {
        type: 'object',
        required: ['event', 'payload'],
        additionalProperties: false,
        properties: {
          event: eventTypeName,
          payload: { type: 'object', description: 'Must match the event type\'s schema (GET /v1/event-types).' },
          idempotency_key: { ...idempotencyKey, description: 'Or the Idempotency-Key header.' },
        },
      },
      response: { 200: publishResponse, 202: publishResponse, ...errorResponses },
    },
  }, async (request, reply) => {
    const { event, payload, idempotency_key: bodyKey } = request.body;
    const headerKey = request.headers['idempotency-key'];
    if (bodyKey !== undefined && headerKey !== undefined && bodyKey !== headerKey) {
      throw new ValidationError('idempotency_key differs from the Idempotency-Key header; send one, or the same value in both', {
        field: 'idempotency_key',
      });
    }
    const result = await publisher.publish({
      organizationId: request.organizationId,
      type: event,
      payload,
      idempotencyKey: bodyKey ?? headerKey ?? null,
    });
    return reply.code(result.duplicate ? 200 : 202).send(publishJson(result));
  });

  app.get<{ Querystring: EventQuery }>('/events', {
    schema: {
      tags,
      summary: 'List events, newest first.',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          event_type: eventTypeName,
          since: { type: 'string', format: 'date-time', description: 'Created at or after this time.' },
          until: { type: 'string', format: 'date-time', description: 'Created before this time.' },
          ...pageQuery,
        },
      },
      response: { 200: pageOf(eventResource), ...errorResponses },
    },
  }, async (request, reply) => {
    const { event_type, since, until, cursor, limit } = request.query;
    const page = await store.listEvents({
      organizationId: request.organizationId,
      limit,
      ...(event_type !== undefined ? { type: event_type } : {}),
      ...(since !== undefined ? { since: Date.parse(since) } : {}),
      ...(until !== undefined ? { until: Date.parse(until) } : {}),
      ...(cursor !== undefined ? { cursor } : {}),
    });
    return reply.type(JSON_TEXT).send(eventPageJsonText(page));
  });

  app.delete<{ Querystring: { until: string } }>('/events', {
    schema: {
      tags,
      summary:
        'Operator only, at /v1/organizations/{org}/events: deletes the organization\'s events created before `until`, with their finished deliveries and attempts, ahead of retention. Events with a pending delivery stay. Later reads, resends and recoveries of what was deleted answer 404 `pruned`.',
      querystring: {
        type: 'object',
        required: ['until'],
        additionalProperties: false,
        properties: { until: { type: 'string', format: 'date-time', description: 'Delete what was created before this time.' } },
      },
      response: {
        200: {
          type: 'object',
          required: ['deleted_events', 'deleted_deliveries'],
          properties: { deleted_events: { type: 'integer' }, deleted_deliveries: { type: 'integer' } },
        },
        ...errorResponses,
      },
    },
  }, async (request) => {
    const pruned = await pruneOrganization(store, request.organizationId, Date.parse(request.query.until));
    return { deleted_events: pruned.events, deleted_deliveries: pruned.deliveries };
  });

  app.get<{ Params: { id: string } }>('/events/:id', {
    schema: {
      tags,
      summary: 'An event with its payload and its deliveries.',
      params: idParams,
      response: { 200: eventWithDeliveries, ...errorResponses },
    },
  }, async (request, reply) => {
    const event = await store.getEvent(request.organizationId, request.params.id);
    if (event === null) throw await notFoundOrPruned(store, request.organizationId, 'event', request.params.id);
    const deliveries = await store.listDeliveriesForEvent(request.organizationId, event.id);
    return reply.type(JSON_TEXT).send(eventJsonText(event, { deliveries: deliveries.map(deliveryJson) }));
  });
}
