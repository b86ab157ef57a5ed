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
  /** The longest wait a `Retry-After` can impose (`--max-retry-after`). Default 1 h. */
  maxRetryAfterMs?: number;
}

/** Wire spec §2: three attempts — at once, 3 s after the first failure, 7 s after the second. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  schedule: Object.freeze([3000, 7000]),
  timeoutMs: 10_000,
  maxRetryAfterMs: 3_600_000,
});

export const DEFAULT_MAX_RETRY_AFTER_MS = 3_600_000;

/** Statuses whose `Retry-After` is honoured: "too many requests" and "unavailable, come back later". */
const WAIT_STATUSES = new Set([429, 503]);

/** The largest delay `setTimeout` and `AbortSignal.timeout` honour (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The initial attempt plus one per entry of the schedule. */
export function maxAttempts(policy: RetryPolicy): number {
  return policy.schedule.length + 1;
}

export interface AttemptVerdict {
  /** False for outcomes that no retry can fix (e.g. a refused address): the delivery fails at once. */
  retryable: boolean;
  /** The status code, when the receiver answered. `410 Gone` is never retried. */
  status?: number;
  /** The receiver's `Retry-After` header as sent; honoured on 429 and 503 only. */
  retryAfter?: string;
}

/**
 * When to try again after attempt `attemptNumber` (1-based) failed at `failedAt` (Unix ms), or null
 * to give up: the schedule is exhausted, or the failure is not retryable (a `410` included). A 429 or
 * 503 with `Retry-After` is tried again no earlier than it asks, capped at `maxRetryAfterMs`, and
 * never earlier than the schedule says; the attempt still counts.
 *
 * @example
 * nextAttemptAt(DEFAULT_RETRY_POLICY, 1, 1_000) // 4_000
 * nextAttemptAt(DEFAULT_RETRY_POLICY, 2, 4_500) // 11_500
 * nextAttemptAt(DEFAULT_RETRY_POLICY, 3, 12_000) // null
 * nextAttemptAt(DEFAULT_RETRY_POLICY, 1, 1_000, { retryable: true, status: 429, retryAfter: '5' }) // 6_000
 */
export function nextAttemptAt(
  policy: RetryPolicy,
  attemptNumber: number,
  failedAt: number,
  verdict: AttemptVerdict = { retryable: true },
): number | null {
  if (!verdict.retryable || verdict.status === 410) return null;
  // Attempt numbers past the schedule happen when a lease expired after the last attempt was sent
  // but before it was recorded: that re-send is the last one too.
  const delay = policy.schedule[attemptNumber - 1];
  if (delay === undefined) return null;
  const asked = requestedWaitMs(verdict, failedAt);
  const wait = asked === null ? delay : Math.max(delay, Math.min(asked, policy.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS));
  return failedAt + wait;
}

/**
 * The wait, in ms from `failedAt`, that a 429 or 503 asked for with `Retry-After` (delta-seconds or
 * an HTTP date, RFC 9110 §10.2.3), or null when there is none to honour. A date in the past asks for
 * no wait; a value that is neither form is ignored.
 *
 * @example
 * requestedWaitMs({ retryable: true, status: 503, retryAfter: '120' }, 0) // 120_000
 * requestedWaitMs({ retryable: true, status: 500, retryAfter: '120' }, 0) // null
 */
export function requestedWaitMs(verdict: AttemptVerdict, failedAt: number): number | null {
  if (verdict.retryAfter === undefined || verdict.status === undefined || !WAIT_STATUSES.has(verdict.status)) return null;
  const value = verdict.retryAfter.trim();
  if (/^\d+$/.test(value)) return Math.min(Number(value), MAX_RETRY_AFTER_SECONDS) * 1000;
  // An HTTP date names a day of the week and GMT; Date.parse reads all three RFC 9110 forms.
  if (!/GMT$/.test(value)) return null;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - failedAt);
}

/** Beyond any cap anyone would set (about 31 years), so a huge delta-seconds stays a safe integer. */
const MAX_RETRY_AFTER_SECONDS = 1_000_000_000;

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
  const { timeoutMs, maxRetryAfterMs } = policy;
  if (maxRetryAfterMs !== undefined && (!isWholeMs(maxRetryAfterMs) || maxRetryAfterMs < 0)) {
    throw new ConfigError(`maxRetryAfterMs must be a whole number of milliseconds ≥ 0, got ${String(maxRetryAfterMs)}`, {
      field: 'maxRetryAfterMs',
    });
  }
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

/** What an endpoint may set for itself, at most (`--max-attempts`, `--max-attempt-timeout`). */
export interface EndpointPolicyCaps {
  maxAttempts: number;
  maxTimeoutMs: number;
}

/** An endpoint's own settings; null: the server's. */
export interface EndpointPolicySettings {
  retrySchedule: readonly number[] | null;
  timeoutMs: number | null;
}

/**
 * The policy for one endpoint: its own schedule and timeout where it set them, `base`'s otherwise,
 * held to `caps`. The API refuses settings over the caps; holding them here too means an endpoint
 * saved before the operator lowered a cap gets the new one.
 *
 * @example
 * endpointRetryPolicy(DEFAULT_RETRY_POLICY, { retrySchedule: [1000], timeoutMs: null }, { maxAttempts: 10, maxTimeoutMs: 10_000 })
 * // { schedule: [1000], timeoutMs: 10_000, maxRetryAfterMs: 3_600_000 }
 */
export function endpointRetryPolicy(base: RetryPolicy, own: EndpointPolicySettings, caps: EndpointPolicyCaps): RetryPolicy {
  return {
    ...base,
    schedule: own.retrySchedule === null ? base.schedule : own.retrySchedule.slice(0, Math.max(0, caps.maxAttempts - 1)),
    timeoutMs: own.timeoutMs === null ? base.timeoutMs : Math.min(own.timeoutMs, caps.maxTimeoutMs),
  };
}
