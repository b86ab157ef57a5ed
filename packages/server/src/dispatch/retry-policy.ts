import { ConfigError } from '../errors.js';

/**
 * When a failed delivery is tried again: data (a list of delays) plus one pure function, so the
 * schedule can be configured and tested without a dispatcher. The default table is in
 * `docs/retries.md`.
 */
export interface RetryPolicy {
  /** Delay before each retry, in ms, counted from when the previous attempt's failure was known. */
  schedule: readonly number[];
  /** Per-attempt limit on the whole exchange: connect, request, and the complete response. */
  timeoutMs: number;
}

/** Wire spec §2: three attempts — at once, 3 s after the first failure, 7 s after the second. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  schedule: Object.freeze([3000, 7000]),
  timeoutMs: 10_000,
});

/** The largest delay `setTimeout` and `AbortSignal.timeout` honour (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The initial attempt plus one per entry of the schedule. */
export function maxAttempts(policy: RetryPolicy): number {
  return policy.schedule.length + 1;
}

export interface AttemptVerdict {
  /** False for outcomes that no retry can fix (e.g. a refused address): the delivery fails at once. */
  retryable: boolean;
}

/**
 * When to try again after attempt `attemptNumber` (1-based) failed at `failedAt` (Unix ms), or null
 * to give up: the schedule is exhausted, or the failure is not retryable.
 *
 * @example
 * nextAttemptAt(DEFAULT_RETRY_POLICY, 1, 1_000) // 4_000
 * nextAttemptAt(DEFAULT_RETRY_POLICY, 2, 4_500) // 11_500
 * nextAttemptAt(DEFAULT_RETRY_POLICY, 3, 12_000) // null
 */
export function nextAttemptAt(
  policy: RetryPolicy,
  attemptNumber: number,
  failedAt: number,
  verdict: AttemptVerdict = { retryable: true },
): number | null {
  if (!verdict.retryable) return null;
  // Attempt numbers past the schedule happen when a lease expired after the last attempt was sent
  // but before it was recorded: that re-send is the last one too.
  const delay = policy.schedule[attemptNumber - 1];
  return delay === undefined ? null : failedAt + delay;
}

/**
 * Throws a `ConfigError` naming the offending field when `policy` is not usable. An empty schedule is
 * valid: one attempt, no retries.
 */
export function validateRetryPolicy(policy: RetryPolicy): RetryPolicy {
  if (!Array.isArray(policy.schedule)) {
    throw new ConfigError('schedule must be a list of delays in milliseconds', { field: 'schedule' });
  }
  policy.schedule.forEach((delay, i) => {
    if (!isWholeMs(delay) || delay < 0 || delay > MAX_TIMER_MS) {
      throw new ConfigError(
        `schedule[${i}] must be a whole number of milliseconds from 0 to ${MAX_TIMER_MS}, got ${String(delay)}`,
        { field: `schedule[${i}]` },
      );
    }
  });
  const { timeoutMs } = policy;
  if (!isWholeMs(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMER_MS) {
    throw new ConfigError(
      `timeoutMs must be a whole number of milliseconds from 1 to ${MAX_TIMER_MS}, got ${String(timeoutMs)}`,
      { field: 'timeoutMs' },
    );
  }
  return policy;
}

function isWholeMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}
