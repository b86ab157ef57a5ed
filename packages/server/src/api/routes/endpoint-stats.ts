import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.js';
import { errorResponses } from '../schemas.js';

const HOUR_MS = 60 * 60 * 1000;

/** What the webhooks list shows next to each endpoint: recent success rate, attempts, last delivery. */
export function endpointStatsRoutes(app: FastifyInstance, { store, clock }: RouteDeps): void {
  app.get<{ Querystring: { window_hours: number } }>('/endpoint-stats', {
    schema: {
      tags: ['endpoints'],
      summary: 'Per endpoint: attempts and successes in the last window_hours, and when its last delivery was created.',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { window_hours: { type: 'integer', minimum: 1, maximum: 720, default: 24 } },
      },
      response: {
        200: {
          type: 'object',
          required: ['since', 'data'],
          properties: {
            since: { type: 'string', format: 'date-time' },
            data: {
              type: 'array',
              items: {
                type: 'object',
                required: ['endpoint_id', 'attempts', 'succeeded', 'success_rate', 'last_attempt_at', 'last_delivery_at'],
                properties: {
                  endpoint_id: { type: 'string' },
                  attempts: { type: 'integer', description: 'Attempts started since `since`.' },
                  succeeded: { type: 'integer' },
                  success_rate: { type: ['number', 'null'], description: 'succeeded / attempts; null without attempts.' },
                  last_attempt_at: { type: ['string', 'null'], format: 'date-time', description: 'Latest attempt since `since`.' },
                  last_delivery_at: { type: ['string', 'null'], format: 'date-time', description: 'Newest delivery ever made to it.' },
                },
              },
            },
          },
        },
        ...errorResponses,
      },
    },
  }, async (request) => {
    const organizationId = request.organizationId;
    const since = clock.now() - request.query.window_hours * HOUR_MS;
    const [endpoints, stats] = await Promise.all([store.listEndpoints(organizationId), store.endpointStats(organizationId, since)]);
    const byEndpoint = new Map(stats.map((s) => [s.endpointId, s]));
    const data = await Promise.all(
      endpoints.map(async (endpoint) => {
        const s = byEndpoint.get(endpoint.id);
        // One indexed read per endpoint (deliveries by endpoint, newest first); the list is not paginated either.
        const newest = await store.listDeliveries({ organizationId, endpointId: endpoint.id, limit: 1 });
        const attempts = s?.attempts ?? 0;
        const succeeded = s?.succeeded ?? 0;
        return {
          endpoint_id: endpoint.id,
          attempts,
          succeeded,
          success_rate: attempts === 0 ? null : succeeded / attempts,
          last_attempt_at: s?.lastAttemptAt != null ? new Date(s.lastAttemptAt).toISOString() : null,
          last_delivery_at: newest.items[0] !== undefined ? new Date(newest.items[0].createdAt).toISOString() : null,
        };
      }),
    );
    return { since: new Date(since).toISOString(), data };
  });
}
