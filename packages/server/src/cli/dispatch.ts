import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { createLogger } from '../logging.js';
import { startMetricsListener } from '../metrics-listener.js';
import type { HeraldConfig } from '../config.js';
import { createDispatcherFromConfig, retryPolicyFromConfig } from '../dispatch/from-config.js';
import { createMetrics } from '../metrics.js';
import { openSecuredStore } from '../store/encrypted-store.js';
import { secretBoxFromEnv } from '../store/secret-box.js';
import { VERSION } from '../version.js';
import { ensureOperationalWebhook } from '../lifecycle/operational-webhook.js';
import { describeDatabase } from './database-name.js';
import { operationalWebhookLines } from './operational-webhook-banner.js';
import { addSettings, configFrom } from './options.js';
import { stopOnSignals, warnIfPrivateNetworksAllowed } from './process-lifecycle.js';

const DISPATCH_SETTINGS: Array<keyof HeraldConfig> = [
  'db', 'allowPrivateNetworks', 'concurrency', 'endpointConcurrency', 'retrySchedule', 'attemptTimeoutMs', 'leaseMs',
  'maxAttempts', 'maxAttemptTimeoutMs', 'maxRetryAfterMs', 'warnAfterMs', 'disableAfterMs', 'operationalWebhookUrl', 'shutdownTimeoutMs', 'metricsPort', 'metricsHost', 'logLevel',
];

/**
 * `herald dispatch`: a dispatcher with no API, for scaling delivery out on PostgreSQL. Any number of
 * them (and of `herald serve --no-dispatch` API processes) share one database and know nothing of
 * each other: leases in the database divide the work. Shutdown is two-stage like `serve`: the first
 * signal drains attempts in flight up to the shutdown timeout and releases the rest; a second exits.
 */
export function dispatchCommand(program: Command): void {
  addSettings(program.command('dispatch').description('run only the dispatcher (no API): deliver due webhooks'), DISPATCH_SETTINGS).action(
    async (_options: unknown, command: Command) => {
      const config = configFrom(command);
      warnIfPrivateNetworksAllowed(config);
      const logger = createLogger(config.logLevel, { service: 'herald', role: 'dispatcher' });
      const policy = retryPolicyFromConfig(config);
      const store = await openSecuredStore(config.db, secretBoxFromEnv(), (message) => process.stderr.write(message));
      const operational = config.operationalWebhookUrl === undefined
        ? null
        : await ensureOperationalWebhook(store, systemClock, config.operationalWebhookUrl);
      const metrics = createMetrics();
      const dispatcher = createDispatcherFromConfig(config, { store, logger, policy, metrics });
      dispatcher.start();
      const listener = config.metricsPort === undefined
        ? null
        : await startMetricsListener({ host: config.metricsHost, port: config.metricsPort, store, metrics, clock: systemClock });
      stopOnSignals(logger, () =>
        dispatcher.stop({ deadlineMs: config.shutdownTimeoutMs }).finally(() => Promise.allSettled([listener?.close(), store.close()])).then(() => undefined),
      );
      process.stdout.write(
        `Herald ${VERSION} dispatcher is running (database ${describeDatabase(config.db)}, lease owner ${dispatcher.leaseOwner})\n` +
          (listener === null ? '' : `  Metrics:    ${listener.url} (operator key)\n`) +
          (operational === null ? '' : `${operationalWebhookLines(operational).join('\n')}\n`),
      );
    },
  );
}
