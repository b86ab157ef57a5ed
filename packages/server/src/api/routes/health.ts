import type { FastifyInstance } from 'fastify';
import { renderMetrics } from '../../metrics.js';
import type { RouteDeps } from '../app.js';
import { UnauthorizedError } from '../../errors.js';
import { isOperatorKey } from '../metrics-auth.js';
import { errorResponses } from '../schemas.js';

const tags = ['operations'];

export function healthRoutes(app: FastifyInstance, { store, metrics, version, clock }: RouteDeps): void {
  app.get('/healthz', {
    schema: {
      tags,
      summary: 'Liveness and database check.',
      security: [],
      response: {
        200: { type: 'object', required: ['status', 'version'], properties: { status: { const: 'ok' }, version: { type: 'string' } } },
        503: { type: 'object', required: ['status'], properties: { status: { const: 'unavailable' } } },
      },
    },
  }, async (request, reply) => {
    try {
      await store.countOrganizations();
    } catch (err) {
      request.log.error({ err }, 'health check: the database did not answer');
      return reply.code(503).send({ status: 'unavailable' });
    }
    return { status: 'ok', version };
  });

  app.get('/metrics', {
    schema: {
      tags,
      summary: 'Prometheus metrics (text exposition format) of this process. Needs the operator key.',
      response: { 200: { type: 'string' }, ...errorResponses },
    },
  }, async (request, reply) => {
    if (!(await isOperatorKey(store, request.headers.authorization, clock.now()))) {
      throw new UnauthorizedError('metrics need the operator key: "Authorization: Bearer <operator key>"', { field: 'authorization' });
    }
    const queueDepth = await store.countPendingDeliveries();
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(renderMetrics(metrics, queueDepth));
  });
}
