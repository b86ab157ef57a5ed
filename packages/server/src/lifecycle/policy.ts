import { ConfigError } from '../errors.js';
import type { EndpointHealthChange } from '../store/store.js';

/**
 * The failing-endpoint ladder as data (`--warn-after`, `--disable-after`) plus pure functions, so it
 * can be tested without a dispatcher:
 *
 * - an endpoint is failing from its first delivery that ends `failed` until one of its attempts
 *   succeeds (the streak is kept on its row by `Store.recordEndpointHealth`);
 * - `410 Gone` disables it at once, reason `gone`;
 * - after `warnAfterMs` of failing, `endpoint.failing` is sent, once per streak;
 * - after `disableAfterMs`, if at least `minFailedDeliveries` deliveries failed in the streak, it is
 *   disabled, reason `failing`;
 * - `delivery.exhausted` is sent at most once per `exhaustedWindowMs` per endpoint; what the window
 *   holds back is sent, with its count, when the window ends.
 */
export interface LifecyclePolicy {
  /** Null: never warn (`--warn-after off`). */
  warnAfterMs: number | null;
  /** Null: never disable for failing (`--disable-after off`); a 410 still disables. */
  disableAfterMs: number | null;
  minFailedDeliveries: number;
  exhaustedWindowMs: number;
  /** How often the periodic step runs (warnings, disables, held-back notices, failing the backlog of disabled endpoints). */
  sweepIntervalMs: number;
}

const HOUR = 3_600_000;

export const DEFAULT_LIFECYCLE_POLICY: Readonly<LifecyclePolicy> = Object.freeze({
  warnAfterMs: 24 * HOUR,
  disableAfterMs: 5 * 24 * HOUR,
  minFailedDeliveries: 10,
  exhaustedWindowMs: 60_000,
  sweepIntervalMs: 30_000,
});

/** One finished attempt, as the lifecycle sees it. */
export interface FinishedAttempt {
  endpointId: string;
  succeeded: boolean;
  status?: number;
  /** No further attempt follows: a failure here ends the delivery `failed`. */
  final: boolean;
  at: number;
}

export interface AttemptConsequences {
  /** What it does to the failing streak, if anything. */
  health: EndpointHealthChange | null;
  /** The endpoint answered 410: disable it now, reason `gone`. */
  gone: boolean;
  /** The delivery failed its last attempt: a `delivery.exhausted`, subject to coalescing. */
  exhausted: boolean;
}

/** A `410 Gone`: the endpoint is disabled at once (reason `gone`). */
export function answeredGone(status: number | null | undefined): boolean {
  return status === 410;
}

/**
 * @example
 * attemptConsequences({ endpointId: 'e', succeeded: false, status: 410, final: true, at: 5 })
 * // { health: { endpointId: 'e', kind: 'delivery_failed', at: 5 }, gone: true, exhausted: true }
 */
export function attemptConsequences(attempt: FinishedAttempt): AttemptConsequences {
  const failedDelivery = !attempt.succeeded && attempt.final;
  return {
    health: attempt.succeeded
      ? { endpointId: attempt.endpointId, kind: 'succeeded', at: attempt.at }
      : failedDelivery
        ? { endpointId: attempt.endpointId, kind: 'delivery_failed', at: attempt.at }
        : null,
    gone: !attempt.succeeded && answeredGone(attempt.status),
    exhausted: failedDelivery,
  };
}

/** Endpoints failing since this time or earlier are due a warning now; null when warnings are off. */
export function warnCutoff(policy: LifecyclePolicy, now: number): number | null {
  return policy.warnAfterMs === null ? null : now - policy.warnAfterMs;
}

/** Endpoints failing since this time or earlier (and with enough failed deliveries) are disabled now; null when off. */
export function disableCutoff(policy: LifecyclePolicy, now: number): number | null {
  return policy.disableAfterMs === null ? null : now - policy.disableAfterMs;
}

/** When a streak that began at `failingSince` will be disabled, if enough deliveries fail; null when off. */
export function disableDueAt(policy: LifecyclePolicy, failingSince: number): number | null {
  return policy.disableAfterMs === null ? null : failingSince + policy.disableAfterMs;
}

/** Throws a `ConfigError` naming the field when `policy` is not usable. */
export function validateLifecyclePolicy(policy: LifecyclePolicy): LifecyclePolicy {
  const check = (field: keyof LifecyclePolicy, value: number | null, min: number): void => {
    if (value !== null && (!Number.isSafeInteger(value) || value < min)) {
      throw new ConfigError(`${field} must be a whole number ≥ ${min}, got ${String(value)}`, { field });
    }
  };
  check('warnAfterMs', policy.warnAfterMs, 0);
  check('disableAfterMs', policy.disableAfterMs, 0);
  check('minFailedDeliveries', policy.minFailedDeliveries, 1);
  check('exhaustedWindowMs', policy.exhaustedWindowMs, 0);
  check('sweepIntervalMs', policy.sweepIntervalMs, 1);
  return policy;
}
