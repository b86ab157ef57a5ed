import type { FastifyInstance } from 'fastify';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import { uuidv7 } from '../../ids.js';
import type { OrganizationProfile, OrganizationWrite } from '../../store/store.js';
import { resolveOrganization, UID_PATTERN, UID_RULE } from '../../tenancy/organization-ref.js';
import type { RouteDeps } from '../app.js';
import { errorResponses, pageOf, pageQuery } from '../schemas.js';

const tags = ['organizations'];
const METADATA_MAX_BYTES = 16 * 1024;

const uid = { type: 'string', minLength: 1, maxLength: 128, pattern: UID_PATTERN, description: `Your own id for the customer: ${UID_RULE}. Unique.` } as const;
const name = { type: 'string', minLength: 1, maxLength: 200 } as const;
const metadata = { type: 'object', additionalProperties: true, description: `Anything you want kept with it, up to ${METADATA_MAX_BYTES / 1024} KiB of JSON.` } as const;

export const organizationResource = {
  type: 'object',
  required: ['id', 'uid', 'name', 'metadata', 'created_at'],
  properties: {
    id: { type: 'string' },
    uid: { type: ['string', 'null'] },
    name: { type: 'string' },
    metadata: { type: 'object', additionalProperties: true },
    created_at: { type: 'string', format: 'date-time' },
  },
} as const;

const orgParams = {
  type: 'object',
  required: ['org'],
  properties: { org: { type: 'string', minLength: 1, maxLength: 128, description: "The organization's id or uid." } },
} as const;

export function organizationJson(org: OrganizationProfile) {
  return { id: org.id, uid: org.uid, name: org.name, metadata: org.metadata, created_at: new Date(org.createdAt).toISOString() };
}

/**
 * The operator API: the platform's own key (scope `operator`) creates, lists, changes and deletes
 * organizations. `{org}` is an id or a uid. Everything inside one organization is reached under
 * `/v1/organizations/{org}/…` (see `organization-scope.ts`).
 */
export function organizationRoutes(app: FastifyInstance, { store, clock }: RouteDeps): void {
  async function find(ref: string) {
    const org = await resolveOrganization(store, ref);
    if (org === null) throw new NotFoundError(`no organization ${ref}`, { field: 'org' });
    return org;
  }

  app.post<{ Body: { uid?: string; name: string; metadata?: Record<string, unknown> } }>('/organizations', {
    schema: {
      tags,
      summary: 'Create an organization for one of your customers. Needs an operator key.',
      body: { type: 'object', required: ['name'], additionalProperties: false, properties: { uid, name, metadata } },
      response: { 201: organizationResource, ...errorResponses },
    },
  }, async (request, reply) => {
    const { body } = request;
    const written = await store.createOrganizationProfile({
      id: uuidv7(clock.now()),
      name: body.name,
      createdAt: clock.now(),
      uid: body.uid ?? null,
      metadata: checkMetadata(body.metadata ?? {}),
    });
    return reply.code(201).send(organizationJson(unwrap(written, body.uid)));
  });

  app.get<{ Querystring: { uid?: string; cursor?: string; limit: number } }>('/organizations', {
    schema: {
      tags,
      summary: 'List organizations, oldest first; `uid` finds one by your id. Needs an operator key.',
      querystring: { type: 'object', additionalProperties: false, properties: { uid, ...pageQuery } },
      response: { 200: pageOf(organizationResource), ...errorResponses },
    },
  }, async (request) => {
    const { uid: byUid, cursor, limit } = request.query;
    const page = await store.listOrganizationProfiles({ limit, ...(byUid !== undefined ? { uid: byUid } : {}), ...(cursor !== undefined ? { cursor } : {}) });
    return { data: page.items.map(organizationJson), next_cursor: page.nextCursor };
  });

  app.get<{ Params: { org: string } }>('/organizations/:org', {
    schema: { tags, summary: 'Get an organization by id or uid. Needs an operator key.', params: orgParams, response: { 200: organizationResource, ...errorResponses } },
  }, async (request) => organizationJson(await find(request.params.org)));

  app.patch<{ Params: { org: string }; Body: { uid?: string | null; name?: string; metadata?: Record<string, unknown> } }>('/organizations/:org', {
    schema: {
      tags,
      summary: 'Change an organization; fields left out keep their value, `"uid": null` removes the uid. Needs an operator key.',
      params: orgParams,
      body: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: { uid: { anyOf: [uid, { type: 'null' }] }, name, metadata },
      },
      response: { 200: organizationResource, ...errorResponses },
    },
  }, async (request) => {
    const { body } = request;
    const org = await find(request.params.org);
    const written = await store.updateOrganizationProfile(org.id, {
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.uid !== undefined ? { uid: body.uid } : {}),
      ...(body.metadata !== undefined ? { metadata: checkMetadata(body.metadata) } : {}),
    });
    return organizationJson(unwrap(written, body.uid ?? undefined));
  });

  app.delete<{ Params: { org: string } }>('/organizations/:org', {
    schema: {
      tags,
      summary: 'Delete an organization with its endpoints, events, deliveries, keys and sessions. Needs an operator key.',
      params: orgParams,
      response: { 204: { type: 'null' }, ...errorResponses },
    },
  }, async (request, reply) => {
    const org = await find(request.params.org);
    if (!(await store.deleteOrganization(org.id))) throw new NotFoundError(`no organization ${request.params.org}`, { field: 'org' });
    return reply.code(204).send();
  });
}

function unwrap(written: OrganizationWrite, uid: string | undefined): OrganizationProfile {
  if (written.ok) return written.organization;
  if (written.reason === 'uid_taken') throw new ConflictError(`another organization has the uid ${JSON.stringify(uid)}`, { field: 'uid' });
  throw new NotFoundError('no such organization', { field: 'org' });
}

function checkMetadata(value: Record<string, unknown>): Record<string, unknown> {
  if (Buffer.byteLength(JSON.stringify(value)) > METADATA_MAX_BYTES) {
    throw new ValidationError(`metadata must be at most ${METADATA_MAX_BYTES} bytes of JSON`, { field: 'metadata' });
  }
  return value;
}
