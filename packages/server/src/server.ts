import type { Logger } from 'pino';
import { createLogger } from './logging.js';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './api/app.js';
import { loadCatalog } from './catalog/load-catalog.js';
import { systemClock, type Clock } from './clock.js';
import type { HeraldConfig } from './config.js';
import type { Dispatcher } from './dispatch/dispatcher.js';
import { createDispatcherFromConfig, retryPolicyFromConfig } from './dispatch/from-config.js';
import { createMetrics } from './metrics.js';
import { createPublisher } from './publish/publisher.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import { VERSION } from './version.js';

export interface RunningHerald {
  /** Base URL the API and dashboard answer on, e.g. `http://127.0.0.1:8080`. */
  url: string;
  store: Store;
  app: FastifyInstance;
  dispatcher: Dispatcher | null;
  logger: Logger;
  /** Graceful stop: no new requests, drain attempts in flight up to the shutdown timeout, close. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
  /** Called with the opened store before anything listens (first-run bootstrap). */
  beforeListen?: (store: Store) => Promise<void>;
}

/** Opens the store and starts the API and, unless disabled, the dispatcher. Only `herald serve` calls this. */
export async function startHerald(config: HeraldConfig, options: StartOptions = {}): Promise<RunningHerald> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel, { service: 'herald' });
  const policy = retryPolicyFromConfig(config);
  const catalog = loadCatalog(config.catalogFile);
  const store = await openStore(config.db);
  const metrics = createMetrics();
  const publisher = createPublisher({ store, catalog, clock, metrics });

  let app: FastifyInstance | undefined;
  let dispatcher: Dispatcher | null = null;
  try {
    await options.beforeListen?.(store);
    app = buildApp({
      store, catalog, publisher, metrics, clock, logger, bodyLimit: config.bodyLimit, version: VERSION,
      portalFrameAncestors: config.portalFrameAncestors,
    });
    if (config.dispatch) {
      dispatcher = createDispatcherFromConfig(config, {
        store,
        logger: logger.child({ component: 'dispatcher' }),
        clock,
        policy,
        metrics,
      });
      dispatcher.start();
    }
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await dispatcher?.stop({ deadlineMs: 0 }).catch(() => undefined);
    await app?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw error;
  }

  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const running = app;
  let stopping: Promise<void> | undefined;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    store,
    app: running,
    dispatcher,
    logger,
    stop() {
      stopping ??= (async () => {
        // Each step runs even if an earlier one failed; the first failure is rethrown at the end.
        const failures: unknown[] = [];
        const step = async (fn: () => Promise<unknown>) => fn().catch((error: unknown) => void failures.push(error));
        await step(() => running.close());
        await step(() => publisher.drain());
        if (dispatcher) await step(() => dispatcher!.stop({ deadlineMs: config.shutdownTimeoutMs }));
        await step(() => store.close());
        if (failures.length > 0) throw failures[0];
      })();
      return stopping;
    },
  };
}
