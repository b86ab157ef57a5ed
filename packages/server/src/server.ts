import type { Logger } from 'pino';
import { createLogger } from './logging.js';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './api/app.js';
import { loadCatalog } from './catalog/load-catalog.js';
import { systemClock, type Clock } from './clock.js';
import type { HeraldConfig } from './config.js';
import { DispatcherThread } from './dispatch/dispatcher-thread.js';
import { retryPolicyFromConfig } from './dispatch/from-config.js';
import { createMetrics } from './metrics.js';
import { createPublisher } from './publish/publisher.js';
import { ensureOperationalWebhook, type OperationalWebhook } from './lifecycle/operational-webhook.js';
import { Pruner } from './retention/pruner.js';
import { openSecuredStore } from './store/encrypted-store.js';
import { isPostgresUrl } from './store/open-store.js';
import { secretBoxFromEnv, type SecretBox } from './store/secret-box.js';
import type { Store } from './store/store.js';
import { VERSION } from './version.js';

export interface RunningHerald {
  /** Base URL the API and dashboard answer on, e.g. `http://127.0.0.1:8080`. */
  url: string;
  store: Store;
  app: FastifyInstance;
  /** The dispatcher, on its own thread (`dispatch/dispatcher-thread.ts`), unless `--no-dispatch`. */
  dispatcher: DispatcherThread | null;
  /** Deletes what `--retention` no longer keeps (`retention/pruner.ts`). */
  pruner: Pruner;
  /** The platform-wide operational receiver, when `--operational-webhook-url` is set (`secretCreated`: print it, once). */
  operationalWebhook: (OperationalWebhook & { secretCreated: boolean }) | null;
  logger: Logger;
  /** Graceful stop: no new requests, drain attempts in flight up to the shutdown timeout, close. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** The API's clock. The dispatcher thread runs on the system clock. */
  clock?: Clock;
  logger?: Logger;
  /** Called with the opened store before anything listens (first-run bootstrap). */
  beforeListen?: (store: Store) => Promise<void>;
  /** The key for secrets at rest. Default: `HERALD_ENCRYPTION_KEY`, or none. */
  secretBox?: SecretBox | null;
  /** Start-up warnings (plain-text secrets). Default: the logger. */
  warn?: (message: string) => void;
}

/** Opens the store and starts the API and, unless disabled, the dispatcher. Only `herald serve` calls this. */
export async function startHerald(config: HeraldConfig, options: StartOptions = {}): Promise<RunningHerald> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel, { service: 'herald' });
  // A bad schedule fails here, before anything is opened; the thread reads the same settings.
  retryPolicyFromConfig(config);
  const catalog = loadCatalog(config.catalogFile);
  const warn = options.warn ?? ((message: string) => logger.warn(message.trim()));
  const secretBox = options.secretBox === undefined ? secretBoxFromEnv() : options.secretBox;
  const store = await openSecuredStore(config.db, secretBox, warn);
  const metrics = createMetrics();
  const publisher = createPublisher({ store, catalog, clock, metrics, fairShare: config.publishFairShare });

  let app: FastifyInstance | undefined;
  let dispatcher: DispatcherThread | null = null;
  let unsubscribe = (): void => undefined;
  let operationalWebhook: RunningHerald['operationalWebhook'] = null;
  const pruner = new Pruner({ store, logger: logger.child({ component: 'pruner' }), clock, retentionMs: config.retentionMs });
  try {
    await options.beforeListen?.(store);
    if (config.operationalWebhookUrl !== undefined) {
      operationalWebhook = await ensureOperationalWebhook(store, clock, config.operationalWebhookUrl);
    }
    app = buildApp({
      store, catalog, publisher, metrics, clock, logger, bodyLimit: config.bodyLimit, version: VERSION,
      portalFrameAncestors: config.portalFrameAncestors,
      endpointCaps: { maxAttempts: config.maxAttempts, maxTimeoutMs: config.maxAttemptTimeoutMs ?? config.attemptTimeoutMs },
    });
    if (config.dispatch) {
      const started = await DispatcherThread.start(
        { config, encryptionKey: secretBox?.toBase64() ?? null },
        { logger: logger.child({ component: 'dispatcher' }), metrics },
      );
      dispatcher = started;
      // On PostgreSQL the thread's own store hears every write through LISTEN/NOTIFY.
      if (!isPostgresUrl(config.db)) unsubscribe = store.onDeliveriesDue(() => started.notify());
    }
    pruner.start();
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    unsubscribe();
    await pruner.stop().catch(() => undefined);
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
    pruner,
    operationalWebhook,
    logger,
    stop() {
      stopping ??= (async () => {
        // Each step runs even if an earlier one failed; the first failure is rethrown at the end.
        const failures: unknown[] = [];
        const step = async (fn: () => Promise<unknown>) => fn().catch((error: unknown) => void failures.push(error));
        await step(() => running.close());
        await step(() => publisher.drain());
        unsubscribe();
        if (dispatcher) await step(() => dispatcher!.stop({ deadlineMs: config.shutdownTimeoutMs }));
        await step(() => pruner.stop());
        await step(() => store.close());
        if (failures.length > 0) throw failures[0];
      })();
      return stopping;
    },
  };
}
