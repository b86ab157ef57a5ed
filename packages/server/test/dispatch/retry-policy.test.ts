import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import {
  DEFAULT_RETRY_POLICY,
  maxAttempts,
  nextAttemptAt,
  requestedWaitMs,
  validateRetryPolicy,
  type RetryPolicy,
} from '../../src/dispatch/retry-policy.js';

const failedAt = 1_700_000_000_000;

describe('retry policy', () => {
  it('defaults to 3 attempts: retries 3 s, then 7 s after each failure, with a 10 s timeout', () => {
    assert.deepEqual(DEFAULT_RETRY_POLICY.schedule, [3000, 7000]);
    assert.equal(DEFAULT_RETRY_POLICY.timeoutMs, 10_000);
    assert.equal(maxAttempts(DEFAULT_RETRY_POLICY), 3);
  });

  it('schedules the second attempt 3 s after the first one failed', () => {
    assert.equal(nextAttemptAt(DEFAULT_RETRY_POLICY, 1, failedAt), failedAt + 3000);
  });

  it('schedules the third attempt 7 s after the second one failed', () => {
    assert.equal(nextAttemptAt(DEFAULT_RETRY_POLICY, 2, failedAt), failedAt + 7000);
  });

  it('gives up after the third attempt', () => {
    assert.equal(nextAttemptAt(DEFAULT_RETRY_POLICY, 3, failedAt), null);
  });

  it('gives up on an attempt numbered past the schedule (a re-send after an expired lease)', () => {
    assert.equal(nextAttemptAt(DEFAULT_RETRY_POLICY, 4, failedAt), null);
  });

  it('gives up at once on an outcome that must not be retried', () => {
    assert.equal(nextAttemptAt(DEFAULT_RETRY_POLICY, 1, failedAt, { retryable: false }), null);
  });

  it('follows a custom schedule, one attempt more than it has delays', () => {
    const policy: RetryPolicy = { schedule: [0, 60_000, 3_600_000], timeoutMs: 5000 };
    assert.equal(maxAttempts(policy), 4);
    assert.equal(nextAttemptAt(policy, 1, failedAt), failedAt);
    assert.equal(nextAttemptAt(policy, 3, failedAt), failedAt + 3_600_000);
    assert.equal(nextAttemptAt(policy, 4, failedAt), null);
  });

  it('makes an empty schedule a single attempt', () => {
    const policy = validateRetryPolicy({ schedule: [], timeoutMs: 1000 });
    assert.equal(maxAttempts(policy), 1);
    assert.equal(nextAttemptAt(policy, 1, failedAt), null);
  });
});

describe('validateRetryPolicy', () => {
  it('accepts the default policy', () => {
    assert.equal(validateRetryPolicy(DEFAULT_RETRY_POLICY), DEFAULT_RETRY_POLICY);
  });

  const invalid: Array<[string, RetryPolicy, string]> = [
    ['a negative delay', { schedule: [3000, -1], timeoutMs: 10_000 }, 'schedule[1]'],
    ['a fractional delay', { schedule: [1.5], timeoutMs: 10_000 }, 'schedule[0]'],
    ['a delay that is not a number', { schedule: ['3000' as unknown as number], timeoutMs: 10_000 }, 'schedule[0]'],
    ['an infinite delay', { schedule: [Infinity], timeoutMs: 10_000 }, 'schedule[0]'],
    ['a delay longer than a timer can wait', { schedule: [2 ** 31], timeoutMs: 10_000 }, 'schedule[0]'],
    ['a schedule that is not a list', { schedule: 3000 as unknown as number[], timeoutMs: 10_000 }, 'schedule'],
    ['a zero timeout', { schedule: [], timeoutMs: 0 }, 'timeoutMs'],
    ['a negative timeout', { schedule: [], timeoutMs: -5 }, 'timeoutMs'],
    ['a fractional timeout', { schedule: [], timeoutMs: 0.5 }, 'timeoutMs'],
    ['a NaN timeout', { schedule: [], timeoutMs: NaN }, 'timeoutMs'],
  ];
  for (const [what, policy, field] of invalid) {
    it(`refuses ${what}, naming ${field}`, () => {
      assert.throws(
        () => validateRetryPolicy(policy),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.equal(error.field, field);
          assert.match(error.message, new RegExp(`^${field.replace(/[[\]]/g, '\\$&')} must be`));
          return true;
        },
      );
    });
  }
});

describe('retry policy: receivers that ask to wait, and receivers that are gone', () => {
  const verdict = (status: number, retryAfter?: string) => ({ retryable: true, status, ...(retryAfter === undefined ? {} : { retryAfter }) });

  it('waits the delta-seconds a 429 asks for when it is longer than the schedule', () => {
    assert.equal(nextAttemptAt(DEFAULT_RETRY_POLICY, 1, failedAt, verdict(429, '5')), failedAt + 5000);
    assert.equal(requestedWaitMs(verdict(429, ' 5 '), failedAt), 5000);
  });

  it('keeps the schedule when Retry-After asks for less than it', () => {
    assert.equal(nextAttemptAt(DEFAULT_RETRY_POLICY, 1, failedAt, verdict(503, '1')), failedAt + 3000);
  });

  it('honours an HTTP date on a 503, and a date in the past asks for no wait', () => {
    const at = new Date(failedAt + 42_000).toUTCString();
    assert.equal(requestedWaitMs(verdict(503, at), failedAt), 42_000);
    assert.equal(nextAttemptAt(DEFAULT_RETRY_POLICY, 1, failedAt, verdict(503, at)), failedAt + 42_000);
    assert.equal(requestedWaitMs(verdict(503, new Date(failedAt - 5000).toUTCString()), failedAt), 0);
  });

  it('caps a two-day Retry-After at maxRetryAfterMs (1 h by default)', () => {
    assert.equal(nextAttemptAt(DEFAULT_RETRY_POLICY, 1, failedAt, verdict(429, String(2 * 86_400))), failedAt + 3_600_000);
    const policy = { ...DEFAULT_RETRY_POLICY, maxRetryAfterMs: 60_000 };
    assert.equal(nextAttemptAt(policy, 1, failedAt, verdict(429, String(2 * 86_400))), failedAt + 60_000);
  });

  it('ignores Retry-After on other statuses and values that are neither seconds nor a date', () => {
    assert.equal(requestedWaitMs(verdict(500, '5'), failedAt), null);
    assert.equal(requestedWaitMs(verdict(429, 'soon'), failedAt), null);
    assert.equal(requestedWaitMs(verdict(429, '-5'), failedAt), null);
    assert.equal(nextAttemptAt(DEFAULT_RETRY_POLICY, 1, failedAt, verdict(500, '60')), failedAt + 3000);
  });

  it('still counts the attempt: a Retry-After on the last attempt gives up', () => {
    assert.equal(nextAttemptAt(DEFAULT_RETRY_POLICY, 3, failedAt, verdict(429, '5')), null);
  });

  it('never retries a 410 Gone', () => {
    assert.equal(nextAttemptAt(DEFAULT_RETRY_POLICY, 1, failedAt, verdict(410)), null);
  });

  it('refuses a negative maxRetryAfterMs, naming it', () => {
    assert.throws(() => validateRetryPolicy({ ...DEFAULT_RETRY_POLICY, maxRetryAfterMs: -1 }), { field: 'maxRetryAfterMs' });
  });
});
