import type { FastifyInstance } from 'fastify';
import type { Catalog } from '../../catalog/catalog.js';
import { validateEndpointUrl } from '../../dispatch/ssrf-guard.js';
import { ConflictError, NotFoundError, UnknownEventTypeError, ValidationError } from '../../errors.js';
import { uuidv7 } from '../../ids.js';
import type { SignatureScheme } from '../../store/store.js';
import type { RouteDeps } from '../app.js';
import { errorResponses, eventTypeName, endpointResource, idParams, publishResponse } from '../schemas.js';
import { generateEndpointSecret } from '../secrets.js';
import { endpointJson, publishJson } from '../serialize.js';
import { absentBodyAsEmpty } from '../validation.js';
import { announceEnabledChange } from '../../lifecycle/operational-events.js';
import { endpointSettingFields, settingsFromBody, type EndpointSettingsBody } from '../endpoint-settings.js';

interface EndpointBody extends EndpointSettingsBody {
  url: string;
  events: string[];
  description?: string;
  enabled?: boolean;
  signature_scheme?: SignatureScheme;
}

const endpointFields = {
  url: { type: 'string', minLength: 1, maxLength: 2048, description: 'http(s) URL that receives the POSTs.' },
  events: {
    type: 'array',
    minItems: 1,
    maxItems: 100,
    uniqueItems: true,
    items: eventTypeName,
    description: 'Event types to receive, or ["*"] for every type.',
  },
  description: { type: 'string', maxLength: 500 },
  enabled: { type: 'boolean' },
  signature_scheme: { type: 'string', enum: ['contactsmanager', 'both'] },
  ...endpointSettingFields,
} as const;

const tags = ['endpoints'];

export function endpointRoutes(app: FastifyInstance, { store, catalog, publisher, clock, endpointCaps, operational }: RouteDeps): void {
  async function find(organizationId: string, id: string) {
    const endpoint = await store.getEndpoint(organizationId, id);
    if (endpoint === null) throw new NotFoundError(`no endpoint ${id}`, { field: 'id' });
    return endpoint;
  }

  app.post<{ Body: EndpointBody }>('/endpoints', {
    schema: {
      tags,
      summary: 'Create an endpoint; the response is the only one that shows its secret unasked.',
      body: { type: 'object', required: ['url', 'events'], additionalProperties: false, properties: endpointFields },
      response: {
        201: {
          ...endpointResource,
          required: [...endpointResource.required, 'secret'],
          properties: { ...endpointResource.properties, secret: { type: 'string' } },
        },
        ...errorResponses,
      },
    },
  }, async (request, reply) => {
    const { body } = request;
    validateEndpointUrl(body.url);
    checkEvents(catalog, body.events);
    const settings = settingsFromBody(body, endpointCaps);
    const secret = generateEndpointSecret();
    const endpoint = await store.createEndpoint({
      id: uuidv7(clock.now()),
      organizationId: request.organizationId,
      url: body.url,
      description: body.description ?? '',
      events: body.events,
      enabled: body.enabled ?? true,
      signatureScheme: body.signature_scheme ?? 'contactsmanager',
      secret,
      createdAt: clock.now(),
      settings,
    });
    return reply.code(201).send({ ...endpointJson(endpoint), secret });
  });

  app.get('/endpoints', {
    schema: {
      tags,
      summary: 'List the endpoints of your organization.',
      response: {
        200: { type: 'object', required: ['data'], properties: { data: { type: 'array', items: endpointResource } } },
        ...errorResponses,
      },
    },
  }, async (request) => ({ data: (await store.listEndpoints(request.organizationId)).map(endpointJson) }));

  app.get<{ Params: { id: string } }>('/endpoints/:id', {
    schema: { tags, summary: 'Get an endpoint.', params: idParams, response: { 200: endpointResource, ...errorResponses } },
  }, async (request) => endpointJson(await find(request.organizationId, request.params.id)));

  app.patch<{ Params: { id: string }; Body: Partial<EndpointBody> }>('/endpoints/:id', {
    schema: {
      tags,
      summary: 'Change an endpoint; fields left out keep their value.',
      params: idParams,
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: endpointFields },
      response: { 200: endpointResource, ...errorResponses },
    },
  }, async (request) => {
    const { body } = request;
    if (body.url !== undefined) validateEndpointUrl(body.url);
    if (body.events !== undefined) checkEvents(catalog, body.events);
    const settings = settingsFromBody(body, endpointCaps);
    const before = body.enabled === undefined ? null : await find(request.organizationId, request.params.id);
    const endpoint = await store.updateEndpoint(request.organizationId, request.params.id, {
      ...(body.url !== undefined ? { url: body.url } : {}),
      ...(body.events !== undefined ? { events: body.events } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
      ...(body.signature_scheme !== undefined ? { signatureScheme: body.signature_scheme } : {}),
      ...(Object.keys(settings).length > 0 ? { settings } : {}),
    }, clock.now());
    if (endpoint === null) throw new NotFoundError(`no endpoint ${request.params.id}`, { field: 'id' });
    if (before !== null && before.enabled !== endpoint.enabled) {
      // The change is made; a failure to tell subscribers is logged, not answered as a failed PATCH.
      await announceEnabledChange(operational, endpoint, clock.now()).catch((error: unknown) => {
        request.log.error({ err: error, endpointId: endpoint.id }, 'publishing the endpoint\'s operational event failed');
      });
    }
    return endpointJson(endpoint);
  });

  app.delete<{ Params: { id: string } }>('/endpoints/:id', {
    schema: { tags, summary: 'Delete an endpoint.', params: idParams, response: { 204: { type: 'null' }, ...errorResponses } },
  }, async (request, reply) => {
    if (!(await store.deleteEndpoint(request.organizationId, request.params.id))) {
      throw new NotFoundError(`no endpoint ${request.params.id}`, { field: 'id' });
    }
    return reply.code(204).send();
  });

  app.post<{ Params: { id: string }; Body: { event?: string } }>('/endpoints/:id/test', {
    schema: {
      tags,
      summary: "Send an event type's example payload, as a new event, to this endpoint only.",
      params: idParams,
      body: { type: 'object', additionalProperties: false, properties: { event: eventTypeName } },
      response: { 202: publishResponse, ...errorResponses },
    },
    preValidation: absentBodyAsEmpty,
  }, async (request, reply) => {
    const endpoint = await find(request.organizationId, request.params.id);
    if (!endpoint.enabled) throw new ConflictError('the endpoint is disabled; enable it to send a test event', { field: 'enabled' });
    const type = request.body.event ?? endpoint.events.find((e) => e !== '*') ?? 'user.new';
    const definition = catalog.get(type);
    if (definition === undefined) throw unknownType(type, 'event');
    // The example's placeholder organization_id is replaced by the caller's, in place, so the field
    // order stays the example's.
    const payload = 'organization_id' in definition.example
      ? { ...definition.example, organization_id: request.organizationId }
      : definition.example;
    const result = await publisher.publish({
      organizationId: request.organizationId,
      type,
      payload,
      onlyEndpointId: endpoint.id,
    });
    return reply.code(202).send(publishJson(result));
  });
}

function checkEvents(catalog: Catalog, events: readonly string[]): void {
  if (events.includes('*') && events.length > 1) {
    throw new ValidationError('events must be ["*"] alone or a list of event types, not both', { field: 'events' });
  }
  events.forEach((type, i) => {
    if (type !== '*' && catalog.get(type) === undefined) throw unknownType(type, `events[${i}]`);
  });
}

function unknownType(type: string, field: string): UnknownEventTypeError {
  return new UnknownEventTypeError(`${field}: event type "${type}" is not in the catalog (GET /v1/event-types lists them)`, {
    field,
  });
}
