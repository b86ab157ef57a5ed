import type { FastifyInstance } from 'fastify';
import { validateEndpointUrl } from '../../dispatch/ssrf-guard.js';
import { errorResponses } from '../schemas.js';

/**
 * Checks a URL by the same rules as saving an endpoint, without saving anything, so a form can show
 * the server's own reason as the user types. (Whether the address is reachable is only known when
 * delivering: see the SSRF guard.)
 */
export function endpointUrlCheckRoutes(app: FastifyInstance): void {
  app.post<{ Body: { url: string } }>('/endpoints/validate', {
    schema: {
      tags: ['endpoints'],
      summary: 'Would this endpoint URL be accepted? 200 if so; otherwise the same 400 that creating the endpoint would give.',
      body: {
        type: 'object',
        required: ['url'],
        additionalProperties: false,
        properties: { url: { type: 'string', minLength: 1, maxLength: 2048 } },
      },
      response: {
        200: { type: 'object', required: ['valid'], properties: { valid: { const: true } } },
        ...errorResponses,
      },
    },
  }, async (request) => {
    validateEndpointUrl(request.body.url);
    return { valid: true as const };
  });
}
