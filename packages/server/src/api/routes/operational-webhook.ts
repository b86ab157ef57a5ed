import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../errors.js';
import { findOperationalWebhook } from '../../lifecycle/operational-webhook.js';
import type { RouteDeps } from '../app.js';
import { errorResponses } from '../schemas.js';

const resource = {
  type: 'object',
  required: ['url', 'secret', 'enabled', 'organization_id', 'endpoint_id'],
  properties: {
    url: { type: 'string' },
    secret: { type: 'string', description: 'Verifies its deliveries as any endpoint secret does (docs/receiving.md).' },
    enabled: { type: 'boolean' },
    organization_id: { type: 'string', description: 'The system organization holding it: its delivery log is under /v1/organizations/{this id}/deliveries.' },
    endpoint_id: { type: 'string' },
  },
} as const;

/** The operator API's view of the platform-wide operational receiver (`docs/operational-webhooks.md`). */
export function operationalWebhookRoutes(app: FastifyInstance, { store, clock }: RouteDeps): void {
  app.get('/operational-webhook', {
    schema: {
      tags: ['organizations'],
      summary: 'The platform-wide operational webhook (--operational-webhook-url) with its signing secret. Needs an operator key.',
      response: { 200: resource, ...errorResponses },
    },
  }, async (_request, reply) => {
    const webhook = await findOperationalWebhook(store, clock.now());
    if (webhook === null) {
      throw new NotFoundError('no operational webhook: start Herald with --operational-webhook-url (HERALD_OPERATIONAL_WEBHOOK_URL)', { field: 'url' });
    }
    // A secret: never kept by a cache on the way.
    void reply.header('cache-control', 'no-store');
    return {
      url: webhook.endpoint.url,
      secret: webhook.secret,
      enabled: webhook.endpoint.enabled,
      organization_id: webhook.organizationId,
      endpoint_id: webhook.endpoint.id,
    };
  });
}
