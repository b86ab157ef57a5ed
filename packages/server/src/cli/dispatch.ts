import type { Command } from 'commander';
import { pino } from 'pino';
import type { HeraldConfig } from '../config.js';
import { createDispatcherFromConfig, retryPolicyFromConfig } from '../dispatch/from-config.js';
import { createMetrics } from '../metrics.js';
import { openStore } from '../store/open-store.js';
import { VERSION } from '../version.js';
import { describeDatabase } from './database-name.js';
import { addSettings, configFrom } from './options.js';
import { stopOnSignals, warnIfPrivateNetworksAllowed } from './process-lifecycle.js';

const DISPATCH_SETTINGS: Array<keyof HeraldConfig> = [
  'db', 'allowPrivateNetworks', 'concurrency', 'endpointConcurrency', 'retrySchedule', 'attemptTimeoutMs', 'leaseMs',
  'shutdownTimeoutMs', 'logLevel',
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
      const logger = pino({ level: config.logLevel, base: { service: 'herald', role: 'dispatcher' } });
      const policy = retryPolicyFromConfig(config);
      const store = await openStore(config.db);
      const dispatcher = createDispatcherFromConfig(config, { store, logger, policy, metrics: createMetrics() });
      dispatcher.start();
      stopOnSignals(logger, () => dispatcher.stop({ deadlineMs: config.shutdownTimeoutMs }).finally(() => store.close()));
      process.stdout.write(
        `Herald ${VERSION} dispatcher is running (database ${describeDatabase(config.db)}, lease owner ${dispatcher.leaseOwner})\n`,
      );
    },
  );
}
