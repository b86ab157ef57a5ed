import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import type { HeraldConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../store/store.js';
import { VERSION } from '../version.js';
import { EndpointLifecycle } from '../lifecycle/endpoint-lifecycle.js';
import { createOperationalPublisher } from '../lifecycle/operational-events.js';
import { DEFAULT_LIFECYCLE_POLICY } from '../lifecycle/policy.js';
import { Dispatcher } from './dispatcher.js';
import { validateRetryPolicy, type RetryPolicy } from './retry-policy.js';

export type DispatchSettings = Pick<
  HeraldConfig,
  | 'retrySchedule' | 'attemptTimeoutMs' | 'concurrency' | 'endpointConcurrency' | 'leaseMs' | 'allowPrivateNetworks'
  | 'maxAttempts' | 'maxAttemptTimeoutMs' | 'maxRetryAfterMs' | 'warnAfterMs' | 'disableAfterMs'
>;

/** The retry policy the settings describe. Read it before opening anything, so a bad schedule fails first. */
export function retryPolicyFromConfig(config: DispatchSettings): RetryPolicy {
  return validateRetryPolicy({ schedule: config.retrySchedule, timeoutMs: config.attemptTimeoutMs, maxRetryAfterMs: config.maxRetryAfterMs });
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
  const clock = deps.clock ?? systemClock;
  const lifecycle = new EndpointLifecycle({
    store: deps.store,
    logger: deps.logger.child({ component: 'lifecycle' }),
    clock,
    policy: { ...DEFAULT_LIFECYCLE_POLICY, warnAfterMs: config.warnAfterMs, disableAfterMs: config.disableAfterMs },
    publisher: createOperationalPublisher(deps.store, clock),
  });
  return new Dispatcher({
    lifecycle,
    ...deps,
    concurrency: config.concurrency,
    perEndpointConcurrency: config.endpointConcurrency,
    leaseMs: config.leaseMs,
    endpointCaps: { maxAttempts: config.maxAttempts, maxTimeoutMs: config.maxAttemptTimeoutMs ?? config.attemptTimeoutMs },
    allowPrivateNetworks: config.allowPrivateNetworks,
    userAgent: `Herald/${VERSION}`,
  });
}
