import type { EndpointPolicyCaps } from '../dispatch/retry-policy.js';
import { ValidationError } from '../errors.js';
import type { EndpointSettings } from '../store/store.js';

/**
 * An endpoint's own delivery settings as the API reads and writes them: seconds on the wire,
 * milliseconds in the store. Their types are checked by the route schemas; the operator's caps,
 * which are configuration rather than constants, here, with a message naming the field and the cap.
 */

/** The longest single retry delay an endpoint may ask for. */
export const MAX_RETRY_DELAY_S = 86_400;
export const MAX_RATE_LIMIT = 10_000;

export const endpointSettingFields = {
  rate_limit: {
    type: ['integer', 'null'],
    minimum: 1,
    maximum: MAX_RATE_LIMIT,
    description: 'At most this many attempts started per second, across every dispatcher; null: no limit. A delivery over the limit waits, uncharged.',
  },
  retry_schedule: {
    type: ['array', 'null'],
    maxItems: 100,
    items: { type: 'number', minimum: 0, maximum: MAX_RETRY_DELAY_S },
    description: "Delays before each retry, in seconds (at most --max-attempts − 1 of them); [] for no retries; null: the server's schedule.",
  },
  timeout: {
    type: ['number', 'null'],
    minimum: 0.001,
    description: "Per-attempt timeout in seconds, at most --max-attempt-timeout; null: the server's.",
  },
} as const;

export interface EndpointSettingsBody {
  rate_limit?: number | null;
  retry_schedule?: number[] | null;
  timeout?: number | null;
}

/** The settings a create or patch body gives (left out: absent), refused when over a cap. */
export function settingsFromBody(body: EndpointSettingsBody, caps: EndpointPolicyCaps): Partial<EndpointSettings> {
  const settings: Partial<EndpointSettings> = {};
  if (body.rate_limit !== undefined) settings.rateLimit = body.rate_limit;
  if (body.retry_schedule !== undefined) {
    const schedule = body.retry_schedule;
    if (schedule !== null && schedule.length + 1 > caps.maxAttempts) {
      throw new ValidationError(
        `retry_schedule may have at most ${caps.maxAttempts - 1} delays: this server allows ${caps.maxAttempts} attempts (--max-attempts), got ${schedule.length + 1}`,
        { field: 'retry_schedule' },
      );
    }
    settings.retrySchedule = schedule === null ? null : schedule.map(toMs);
  }
  if (body.timeout !== undefined) {
    const timeout = body.timeout;
    if (timeout !== null && toMs(timeout) > caps.maxTimeoutMs) {
      throw new ValidationError(
        `timeout must be at most ${caps.maxTimeoutMs / 1000} seconds on this server (--max-attempt-timeout), got ${timeout}`,
        { field: 'timeout' },
      );
    }
    settings.timeoutMs = timeout === null ? null : Math.max(1, toMs(timeout));
  }
  return settings;
}

export function endpointSettingsJson(settings: EndpointSettings) {
  return {
    rate_limit: settings.rateLimit,
    retry_schedule: settings.retrySchedule === null ? null : settings.retrySchedule.map(toSeconds),
    timeout: settings.timeoutMs === null ? null : toSeconds(settings.timeoutMs),
  };
}

function toMs(seconds: number): number {
  return Math.round(seconds * 1000);
}

function toSeconds(ms: number): number {
  return ms / 1000;
}
