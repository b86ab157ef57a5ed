import { fastifySwagger } from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Catalog } from '../catalog/catalog.js';
import { systemClock, type Clock } from '../clock.js';
import type { Metrics } from '../metrics.js';
import { createPublisher, type Publisher } from '../publish/publisher.js';
import type { Store } from '../store/store.js';
import { createAuthenticator } from './auth.js';
import { anyOrganization, operatorOnly, ownOrganization } from './organization-scope.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { organizationRoutes } from './routes/organizations.js';
import { installSecurityHeaders } from './security-headers.js';
import { DEFAULT_DASHBOARD_DIR, loadDashboard } from './dashboard.js';
import { answerClientError, errorResponder, installErrorHandler } from './error-handler.js';
import { installJsonBodyParser } from './json-body.js';
import { deliveryRoutes } from './routes/deliveries.js';
import { endpointStatsRoutes } from './routes/endpoint-stats.js';
import { endpointUrlCheckRoutes } from './routes/endpoint-url-check.js';
import { endpointRoutes } from './routes/endpoints.js';
import { recoveryRoutes } from './routes/recoveries.js';
import { operationalWebhookRoutes } from './routes/operational-webhook.js';
import { createOperationalPublisher, type OperationalPublisher } from '../lifecycle/operational-events.js';
import { DEFAULT_RETRY_POLICY, type EndpointPolicyCaps } from '../dispatch/retry-policy.js';
import { eventTypeRoutes } from './routes/event-types.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { openapiRoutes } from './routes/openapi.js';
import { portalLinkRoutes } from './routes/portal-links.js';
import { portalRoutes } from './routes/portal.js';
import { secretRoutes } from './routes/secrets.js';
import { sessionRoutes } from './routes/session.js';
import { createSessions, type Sessions } from './sessions.js';
import { refuseRequestsWhileClosing } from './shutting-down.js';
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
  /** Origins that may frame the portal (`--portal-frame-ancestors`). Default none: nothing may frame Herald. */
  portalFrameAncestors?: readonly string[];
  /** What an endpoint may set for itself (`--max-attempts`, `--max-attempt-timeout`). Default 10 attempts, 10 s. */
  endpointCaps?: EndpointPolicyCaps;
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
  /** Drops a revoked key from this process's key cache. */
  forgetApiKey: (keyId: string) => void;
  endpointCaps: EndpointPolicyCaps;
  /** Publishes `endpoint.enabled` / `endpoint.disabled` when a PATCH turns an endpoint on or off. */
  operational: OperationalPublisher;
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
    sessions: createSessions(deps.store, clock, { embeddablePortal: (deps.portalFrameAncestors ?? []).length > 0 }),
    forgetApiKey: (keyId) => authenticator.forget(keyId),
    endpointCaps: deps.endpointCaps ?? { maxAttempts: 10, maxTimeoutMs: DEFAULT_RETRY_POLICY.timeoutMs },
    operational: createOperationalPublisher(deps.store, clock),
    version: deps.version,
  };
  const dashboard = loadDashboard(deps.dashboardDir === undefined ? DEFAULT_DASHBOARD_DIR : deps.dashboardDir);

  const authenticator = createAuthenticator(deps.store, clock, routeDeps.sessions);

  const app: FastifyInstance = Fastify({
    bodyLimit,
    // A malformed or overlong path is refused by the router before any route runs; answer it in our shape too.
    frameworkErrors: errorResponder(bodyLimit, dashboard.answerUnknownPage),
    // What Node's HTTP parser refuses, and requests that arrive while closing, are answered in our shape as well.
    clientErrorHandler: answerClientError,
    return503OnClosing: false,
    ...(isLogger(deps.logger) ? { loggerInstance: deps.logger } : { logger: deps.logger ?? false }),
  });
  app.setValidatorCompiler(createValidatorCompiler());
  // Only JSON bodies: anything else is answered 415 rather than parsed as text.
  app.removeContentTypeParser('text/plain');
  installJsonBodyParser(app);
  app.decorateRequest('organizationId', '');
  app.decorateRequest('session', null);
  app.decorateRequest('principal', null);
  installErrorHandler(app, bodyLimit, dashboard.answerUnknownPage);
  refuseRequestsWhileClosing(app);
  installSecurityHeaders(app, deps.portalFrameAncestors ?? []);

  app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Herald', version: deps.version, description: ORGANIZATION_PREFIX_DESCRIPTION },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key, hk_…' } } },
      security: [{ apiKey: [] }],
    },
  });
  app.register(async (publicRoutes) => {
    healthRoutes(publicRoutes, routeDeps);
    openapiRoutes(publicRoutes);
    portalRoutes(publicRoutes, routeDeps);
    dashboard.routes(publicRoutes);
  });
  app.register(
    async (v1) => {
      v1.addHook('onRequest', authenticator.hook);
      // Everything inside one organization, served for its own keys and sessions at /v1/… and for an
      // operator key at /v1/organizations/{org}/… (organization-scope.ts).
      const organizationScoped = (scope: FastifyInstance) => {
        endpointRoutes(scope, routeDeps);
        recoveryRoutes(scope, routeDeps);
        secretRoutes(scope, routeDeps);
        eventRoutes(scope, routeDeps);
        deliveryRoutes(scope, routeDeps);
        eventTypeRoutes(scope, routeDeps);
        portalLinkRoutes(scope, routeDeps);
        endpointStatsRoutes(scope, routeDeps);
        endpointUrlCheckRoutes(scope);
        apiKeyRoutes(scope, routeDeps);
      };
      v1.register(ownOrganization((scope) => {
        organizationScoped(scope);
        sessionRoutes(scope, routeDeps);
      }));
      v1.register(anyOrganization(deps.store, organizationScoped), { prefix: '/organizations/:org' });
      v1.register(operatorOnly((scope) => {
        organizationRoutes(scope, routeDeps);
        operationalWebhookRoutes(scope, routeDeps);
      }));
    },
    { prefix: '/v1' },
  );
  return app;
}

function isLogger(logger: AppDeps['logger']): logger is FastifyBaseLogger {
  return typeof logger === 'object' && logger !== null && typeof (logger as { child?: unknown }).child === 'function';
}

const ORGANIZATION_PREFIX_DESCRIPTION = `Webhook delivery service.

Every route that acts inside one organization (endpoints, secrets, events, deliveries, event types, portal links, API keys, endpoint statistics, sessions excepted) is also served under \`/v1/organizations/{org}/…\` for an operator key, where \`{org}\` is the organization's id or uid: \`POST /v1/organizations/acme/events\` publishes for the organization whose uid is \`acme\`. Those paths take the same parameters and bodies and answer the same way as the ones listed here, so they are described once, here, rather than twice. With an organization's own key, use the paths as listed.`;
