import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { HeraldConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../store/store.js';
import { VERSION } from '../version.js';
import { Dispatcher } from './dispatcher.js';
import { validateRetryPolicy, type RetryPolicy } from './retry-policy.js';

export type DispatchSettings = Pick<
  HeraldConfig,
  'retrySchedule' | 'attemptTimeoutMs' | 'concurrency' | 'endpointConcurrency' | 'leaseMs' | 'allowPrivateNetworks'
>;

/** The retry policy the settings describe. Read it before opening anything, so a bad schedule fails first. */
export function retryPolicyFromConfig(config: DispatchSettings): RetryPolicy {
  return validateRetryPolicy({ schedule: config.retrySchedule, timeoutMs: config.attemptTimeoutMs });
}

export interface DispatcherDeps {
  store: Store;
  logger: Logger;
  metrics: Metrics;
  /** From `retryPolicyFromConfig(config)`. */
  policy: RetryPolicy;
  clock?: Clock;
}

/** The dispatcher `herald serve` and `herald dispatch` run, built (not started) from their settings. */
export function createDispatcherFromConfig(config: DispatchSettings, deps: DispatcherDeps): Dispatcher {
  return new Dispatcher({
    ...deps,
    concurrency: config.concurrency,
    perEndpointConcurrency: config.endpointConcurrency,
    leaseMs: config.leaseMs,
    allowPrivateNetworks: config.allowPrivateNetworks,
    userAgent: `Herald/${VERSION}`,
  });
}
