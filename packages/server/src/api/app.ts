import { fastifySwagger } from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Catalog } from '../catalog/catalog.js';
import { systemClock, type Clock } from '../clock.js';
import type { Metrics } from '../metrics.js';
import { createPublisher, type Publisher } from '../publish/publisher.js';
import type { Store } from '../store/store.js';
import { createAuthenticator } from './auth.js';
import { dashboardRoutes, DEFAULT_DASHBOARD_DIR } from './dashboard.js';
import { errorResponder, installErrorHandler } from './error-handler.js';
import { deliveryRoutes } from './routes/deliveries.js';
import { endpointStatsRoutes } from './routes/endpoint-stats.js';
import { endpointUrlCheckRoutes } from './routes/endpoint-url-check.js';
import { endpointRoutes } from './routes/endpoints.js';
import { eventTypeRoutes } from './routes/event-types.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { openapiRoutes } from './routes/openapi.js';
import { portalLinkRoutes } from './routes/portal-links.js';
import { portalRoutes } from './routes/portal.js';
import { secretRoutes } from './routes/secrets.js';
import { sessionRoutes } from './routes/session.js';
import { createSessions, type Sessions } from './sessions.js';
import { createValidatorCompiler } from './validation.js';
import { DEFAULT_BODY_LIMIT } from '../config.js';

export interface AppDeps {
  store: Store;
  catalog: Catalog;
  /** Made from `store`, `catalog` and `idempotencyWindowMs` when not given. */
  publisher?: Publisher;
  metrics: Metrics;
  clock?: Clock;
  /** A pino logger, pino options, or `false` for none. Default: none. */
  logger?: FastifyBaseLogger | FastifyServerOptions['logger'];
  /** Largest request body in bytes. Default 256 KiB. */
  bodyLimit?: number;
  /** Only used when `publisher` is not given. Default 24 h. */
  idempotencyWindowMs?: number;
  /** How long a rotated-out secret keeps signing when the request does not say. Default 24 h. */
  secretGraceMs?: number;
  /** The dashboard's built files, served at `/`. Default: packages/dashboard/dist; null: no dashboard. */
  dashboardDir?: string | null;
  version: string;
}

/** What the route files get: the dependencies with every default filled in. */
export interface RouteDeps {
  store: Store;
  catalog: Catalog;
  publisher: Publisher;
  metrics: Metrics;
  clock: Clock;
  secretGraceMs: number;
  sessions: Sessions;
  version: string;
}

/**
 * The HTTP API as a Fastify instance that is never started here: the CLI's `serve` calls `listen`,
 * tests call `inject`. Everything under `/v1` needs an API key (or the dashboard's session cookie);
 * `/healthz`, `/metrics`, `/openapi.json`, the dashboard's pages and `/portal` are public.
 */
export function buildApp(deps: AppDeps): FastifyInstance {
  const clock = deps.clock ?? systemClock;
  const bodyLimit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const routeDeps: RouteDeps = {
    store: deps.store,
    catalog: deps.catalog,
    publisher:
      deps.publisher ??
      createPublisher({
        store: deps.store,
        catalog: deps.catalog,
        clock,
        metrics: deps.metrics,
        ...(deps.idempotencyWindowMs !== undefined ? { idempotencyWindowMs: deps.idempotencyWindowMs } : {}),
      }),
    metrics: deps.metrics,
    clock,
    secretGraceMs: deps.secretGraceMs ?? 24 * 60 * 60 * 1000,
    sessions: createSessions(deps.store, clock),
    version: deps.version,
  };

  const app: FastifyInstance = Fastify({
    bodyLimit,
    // A malformed or overlong path is refused by the router before any route runs; answer it in our shape too.
    frameworkErrors: errorResponder(bodyLimit),
    ...(isLogger(deps.logger) ? { loggerInstance: deps.logger } : { logger: deps.logger ?? false }),
  });
  app.setValidatorCompiler(createValidatorCompiler());
  // Only JSON bodies: anything else is answered 415 rather than parsed as text.
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('organizationId', '');
  app.decorateRequest('session', null);
  installErrorHandler(app, bodyLimit);

  app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Herald', version: deps.version, description: 'Webhook delivery service.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key, hk_…' } } },
      security: [{ apiKey: [] }],
    },
  });
  app.register(async (publicRoutes) => {
    healthRoutes(publicRoutes, routeDeps);
    openapiRoutes(publicRoutes);
    portalRoutes(publicRoutes, routeDeps);
    dashboardRoutes(publicRoutes, deps.dashboardDir === undefined ? DEFAULT_DASHBOARD_DIR : deps.dashboardDir);
  });
  app.register(
    async (v1) => {
      v1.addHook('onRequest', createAuthenticator(deps.store, clock, routeDeps.sessions));
      endpointRoutes(v1, routeDeps);
      secretRoutes(v1, routeDeps);
      eventRoutes(v1, routeDeps);
      deliveryRoutes(v1, routeDeps);
      eventTypeRoutes(v1, routeDeps);
      sessionRoutes(v1, routeDeps);
      portalLinkRoutes(v1, routeDeps);
      endpointStatsRoutes(v1, routeDeps);
      endpointUrlCheckRoutes(v1);
    },
    { prefix: '/v1' },
  );
  return app;
}

function isLogger(logger: AppDeps['logger']): logger is FastifyBaseLogger {
  return typeof logger === 'object' && logger !== null && typeof (logger as { child?: unknown }).child === 'function';
}
