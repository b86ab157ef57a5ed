import { WebhookVerificationError } from './errors.js';

/** Tuning for `verifyWebhook` and everything built on it. */
export interface VerifyOptions {
  /** How old a timestamp may be, in seconds. Default 900 (the official SDKs' window). */
  toleranceSeconds?: number;
  /** How far in the future a timestamp may be, in seconds (clock skew). Default 300. */
  futureToleranceSeconds?: number;
  /** The current time in Unix milliseconds; inject it in tests. Default `Date.now`. */
  now?: () => number;
}

export const DEFAULT_TOLERANCE_SECONDS = 900;
export const DEFAULT_FUTURE_TOLERANCE_SECONDS = 300;

/** Options checked once, with defaults filled in. */
export interface ResolvedVerifyOptions {
  toleranceSeconds: number;
  futureToleranceSeconds: number;
  now: () => number;
}

const DEFAULTS: ResolvedVerifyOptions = {
  toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
  futureToleranceSeconds: DEFAULT_FUTURE_TOLERANCE_SECONDS,
  now: Date.now,
};

export function resolveVerifyOptions(options: VerifyOptions | undefined, argument = 'options'): ResolvedVerifyOptions {
  if (options === undefined) return DEFAULTS;
  if (typeof options !== 'object' || options === null) throw new TypeError(`${argument} must be an object`);
  const { toleranceSeconds = DEFAULT_TOLERANCE_SECONDS, futureToleranceSeconds = DEFAULT_FUTURE_TOLERANCE_SECONDS, now = Date.now } = options;
  for (const [name, value] of [['toleranceSeconds', toleranceSeconds], ['futureToleranceSeconds', futureToleranceSeconds]] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new TypeError(`${argument}.${name} must be a non-negative number of seconds`);
    }
  }
  if (typeof now !== 'function') throw new TypeError(`${argument}.now must be a function returning Unix milliseconds`);
  return { toleranceSeconds, futureToleranceSeconds, now };
}

/** Normalizes `secret | secrets` to a non-empty list of non-empty strings. */
export function resolveSecrets(secret: unknown, argument = 'secret'): readonly string[] {
  if (typeof secret === 'string') {
    if (secret === '') throw new TypeError(`${argument} must not be empty`);
    return [secret];
  }
  if (Array.isArray(secret)) {
    if (secret.length === 0) throw new TypeError(`${argument} must hold at least one secret`);
    secret.forEach((value: unknown, i) => {
      if (typeof value !== 'string' || value === '') throw new TypeError(`${argument}[${i}] must be a non-empty string`);
    });
    return secret as string[];
  }
  throw new TypeError(`${argument} must be the endpoint secret (a string) or a list of secrets`);
}

/** Throws unless the timestamp (whole Unix seconds) is inside the window around `now`. */
export function checkTimestamp(timestamp: number, options: ResolvedVerifyOptions): void {
  const nowSeconds = Math.floor(options.now() / 1000);
  const age = nowSeconds - timestamp;
  if (age > options.toleranceSeconds) {
    throw new WebhookVerificationError('timestamp_too_old', `timestamp is ${age} s old; at most ${options.toleranceSeconds} s is accepted`);
  }
  if (-age > options.futureToleranceSeconds) {
    throw new WebhookVerificationError(
      'timestamp_in_future',
      `timestamp is ${-age} s in the future; at most ${options.futureToleranceSeconds} s is accepted (check the clocks)`,
    );
  }
}

/** Parses whole Unix seconds written as 1–15 plain digits, or returns undefined. */
export function parseTimestamp(text: string): number | undefined {
  if (text.length === 0 || text.length > 15) return undefined;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return value;
}
