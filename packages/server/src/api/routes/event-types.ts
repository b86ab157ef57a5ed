import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.js';
import { errorResponses } from '../schemas.js';

const anyObject = { type: 'object', additionalProperties: true } as const;

export function eventTypeRoutes(app: FastifyInstance, { catalog }: RouteDeps): void {
  app.get('/event-types', {
    schema: {
      tags: ['event types'],
      summary: 'The event catalog: every event type with its payload JSON Schema and an example payload.',
      response: {
        200: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'group', 'description', 'schema', 'example'],
            properties: {
              name: { type: 'string' },
              group: { type: 'string' },
              description: { type: 'string' },
              schema: anyObject,
              example: anyObject,
            },
          },
        },
        ...errorResponses,
      },
    },
  }, async () => catalog.eventTypes);
}
