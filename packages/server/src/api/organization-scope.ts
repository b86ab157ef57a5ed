import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { InsufficientScopeError, NotFoundError } from '../errors.js';
import type { Store } from '../store/store.js';
import { resolveOrganization } from '../tenancy/organization-ref.js';
import { accessFor, requireAccess } from '../tenancy/scopes.js';

/**
 * The three ways into `/v1`, as Fastify plugins around the same route files:
 * - `ownOrganization`: `/v1/endpoints` and the rest, for an organization key or session, within its
 *   scope. An operator key here may only manage operator keys (`/v1/api-keys`).
 * - `anyOrganization`: the same routes under `/v1/organizations/{org}/…`, for an operator key; `{org}`
 *   is an id or a uid. Hidden from the OpenAPI paths, which describe the prefix once instead.
 * - `operatorOnly`: the operator API itself (`/v1/organizations`).
 */

export function ownOrganization(routes: (scope: FastifyInstance) => void) {
  return async (scope: FastifyInstance) => {
    scope.addHook('onRequest', async (request) => {
      const principal = request.principal!;
      const path = organizationPath(request);
      if (principal.scope === 'operator') {
        if (/^\/api-keys(\/|$)/.test(path)) return;
        throw new InsufficientScopeError(
          `an operator key acts for an organization under /v1/organizations/{org}${path}; here it needs an organization's key`,
          { field: 'authorization' },
        );
      }
      requireAccess(principal.scope, accessFor(request.method, path), `${request.method} /v1${path}`);
    });
    routes(scope);
  };
}

export function anyOrganization(store: Store, routes: (scope: FastifyInstance) => void) {
  return async (scope: FastifyInstance) => {
    scope.addHook('onRoute', hideFromOpenApi);
    scope.addHook('onRequest', async (request: FastifyRequest<{ Params: { org?: string } }>) => {
      requireOperator(request);
      const ref = request.params.org ?? '';
      const organization = await resolveOrganization(store, ref);
      if (organization === null) throw new NotFoundError(`no organization ${ref}`, { field: 'org' });
      request.organizationId = organization.id;
    });
    routes(scope);
  };
}

export function operatorOnly(routes: (scope: FastifyInstance) => void) {
  return async (scope: FastifyInstance) => {
    scope.addHook('onRequest', async (request) => requireOperator(request));
    routes(scope);
  };
}

function requireOperator(request: FastifyRequest): void {
  if (request.principal?.scope === 'operator') return;
  throw new InsufficientScopeError(`${request.method} ${request.routeOptions.url ?? request.url} needs an operator key (the "operator" scope)`, {
    field: 'authorization',
  });
}

/** The route's path relative to its organization: `/v1/organizations/:org/endpoints/:id` → `/endpoints/:id`. */
function organizationPath(request: FastifyRequest): string {
  return (request.routeOptions.url ?? '').replace(/^\/v1(\/organizations\/:org)?/, '');
}

function hideFromOpenApi(route: RouteOptions): void {
  route.schema = { ...route.schema, hide: true };
}
