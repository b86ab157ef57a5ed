import { ConfigError } from './errors.js';

/**
 * Herald's settings. Each one has a command-line flag and a `HERALD_*` environment variable; the flag
 * wins. Values are parsed here, once, and a bad one fails fast with a message naming the flag, the
 * variable and the rule.
 */
export interface HeraldConfig {
  /** A SQLite file path, or a `postgres://` URL. */
  db: string;
  host: string;
  port: number;
  /** Deliver to loopback, private and link-local addresses too (development only). */
  allowPrivateNetworks: boolean;
  /** Run the dispatcher in this process. */
  dispatch: boolean;
  /** Attempts in flight at once in this process. */
  concurrency: number;
  /** Attempts in flight at once to one endpoint. */
  endpointConcurrency: number;
  /** Delays between attempts, in ms. */
  retrySchedule: number[];
  attemptTimeoutMs: number;
  /** The most attempts an endpoint's own `retry_schedule` may make (its length + 1). */
  maxAttempts: number;
  /** The longest timeout an endpoint may set for itself; undefined: `attemptTimeoutMs`. */
  maxAttemptTimeoutMs: number | undefined;
  /** The longest wait a receiver's `Retry-After` can impose. */
  maxRetryAfterMs: number;
  /** How long an endpoint fails before `endpoint.failing`; null: never (`off`). */
  warnAfterMs: number | null;
  /** How long an endpoint fails (with 10+ failed deliveries) before it is disabled; null: never (`off`). */
  disableAfterMs: number | null;
  /** The platform-wide receiver of every organization's operational events. */
  operationalWebhookUrl: string | undefined;
  /** How long a claimed delivery stays leased to its dispatcher. */
  leaseMs: number;
  /** How long shutdown waits for attempts in flight before aborting them. */
  shutdownTimeoutMs: number;
  /** Largest accepted request body, in bytes. */
  bodyLimit: number;
  /** Publishes in progress at once per organization while several organizations publish. */
  publishFairShare: number;
  /** A JSON file of extra event types. */
  catalogFile: string | undefined;
  /** Seeds the first organization's API key on an empty database. */
  apiKey: string | undefined;
  /** Seeds an operator key on an empty database. */
  operatorKey: string | undefined;
  /** Origins allowed to frame the customer portal; empty: nothing may frame Herald. */
  portalFrameAncestors: string[];
  /** `herald dispatch`: serve `GET /metrics` (operator key required) on this port; undefined: no listener. */
  metricsPort: number | undefined;
  metricsHost: string;
  logLevel: LogLevel;
  /** How long finished deliveries (with their attempts) and their events are kept. */
  retentionMs: number;
}

/** The largest request body accepted unless configured otherwise. */
export const DEFAULT_BODY_LIMIT = 256 * 1024;

/** Publishes in progress per organization while others publish (`publish/fair-admission.ts`, measured in `bench/isolation.ts`). */
export const DEFAULT_PUBLISH_FAIR_SHARE = 2;

/**
 * Attempts in flight per dispatcher, and to one endpoint. One endpoint's deliveries per second are at
 * most its limit ÷ the time an attempt holds its slot (the POST and the wait for its record): at 32,
 * a single endpoint on loopback topped out near 5,500/s on SQLite and 2,200/s on PostgreSQL
 * (bench/end-to-end.ts), and 640/s at a 50 ms round trip. Adaptive concurrency (dispatch/endpoint-circuit.ts)
 * starts every endpoint at 4 and drops one that stops answering to 1; the 4 : 1 ratio of the two keeps
 * what four endpoints that turn hanging at once can hold until their first timeout where it was.
 */
export const DEFAULT_CONCURRENCY = 512;
export const DEFAULT_ENDPOINT_CONCURRENCY = 128;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One setting: its flag, its variable, its default and its parser. */
export interface Setting<K extends keyof HeraldConfig> {
  key: K;
  flag: string;
  env: string;
  description: string;
  default: HeraldConfig[K];
  parse: (raw: string, name: string) => HeraldConfig[K];
}

const setting = <K extends keyof HeraldConfig>(s: Setting<K>): Setting<K> => s;

export const SETTINGS = [
  setting({ key: 'db', flag: '--db <path|url>', env: 'HERALD_DATABASE_URL', description: 'SQLite file or postgres:// URL', default: './.herald/herald.db', parse: nonEmpty }),
  setting({ key: 'host', flag: '--host <host>', env: 'HERALD_HOST', description: 'address to listen on', default: '127.0.0.1', parse: nonEmpty }),
  setting({ key: 'port', flag: '--port <n>', env: 'HERALD_PORT', description: 'port to listen on (0 = any free port)', default: 8080, parse: (raw, name) => integer(raw, name, 0, 65535) }),
  setting({ key: 'allowPrivateNetworks', flag: '--allow-private-networks', env: 'HERALD_ALLOW_PRIVATE_NETWORKS', description: 'deliver to loopback and private addresses (development only)', default: false, parse: boolean }),
  setting({ key: 'dispatch', flag: '--no-dispatch', env: 'HERALD_DISPATCH', description: 'serve the API without running the dispatcher', default: true, parse: boolean }),
  setting({ key: 'concurrency', flag: '--concurrency <n>', env: 'HERALD_CONCURRENCY', description: 'attempts in flight at once', default: DEFAULT_CONCURRENCY, parse: (raw, name) => integer(raw, name, 1, 10_000) }),
  setting({ key: 'endpointConcurrency', flag: '--endpoint-concurrency <n>', env: 'HERALD_ENDPOINT_CONCURRENCY', description: 'attempts in flight at once to one endpoint', default: DEFAULT_ENDPOINT_CONCURRENCY, parse: (raw, name) => integer(raw, name, 1, 10_000) }),
  setting({ key: 'retrySchedule', flag: '--retry-schedule <delays>', env: 'HERALD_RETRY_SCHEDULE', description: 'delays between attempts, e.g. "3s,7s" ("" = no retries)', default: [3000, 7000], parse: durationList }),
  setting({ key: 'attemptTimeoutMs', flag: '--attempt-timeout <duration>', env: 'HERALD_ATTEMPT_TIMEOUT', description: 'per-attempt timeout, e.g. "10s"', default: 10_000, parse: (raw, name) => duration(raw, name, 1) }),
  setting({ key: 'maxAttempts', flag: '--max-attempts <n>', env: 'HERALD_MAX_ATTEMPTS', description: "most attempts an endpoint's own retry_schedule may make", default: 10, parse: (raw, name) => integer(raw, name, 1, 100) }),
  setting({ key: 'maxAttemptTimeoutMs', flag: '--max-attempt-timeout <duration>', env: 'HERALD_MAX_ATTEMPT_TIMEOUT', description: "longest timeout an endpoint may set for itself (default: --attempt-timeout); --lease must exceed it", default: undefined, parse: (raw, name) => duration(raw, name, 1) }),
  setting({ key: 'maxRetryAfterMs', flag: '--max-retry-after <duration>', env: 'HERALD_MAX_RETRY_AFTER', description: 'longest wait a 429/503 Retry-After can impose, e.g. "1h"', default: 3_600_000, parse: (raw, name) => duration(raw, name, 0) }),
  setting({ key: 'warnAfterMs', flag: '--warn-after <duration|off>', env: 'HERALD_WARN_AFTER', description: 'send endpoint.failing after an endpoint has failed this long, e.g. "24h", or "off"', default: 24 * 3_600_000, parse: (raw, name) => durationOrOff(raw, name) }),
  setting({ key: 'disableAfterMs', flag: '--disable-after <duration|off>', env: 'HERALD_DISABLE_AFTER', description: 'disable an endpoint that has failed this long with 10+ failed deliveries, e.g. "5d", or "off"', default: 5 * 24 * 3_600_000, parse: (raw, name) => durationOrOff(raw, name) }),
  setting({ key: 'operationalWebhookUrl', flag: '--operational-webhook-url <url>', env: 'HERALD_OPERATIONAL_WEBHOOK_URL', description: "receives every organization's operational events (docs/operational-webhooks.md)", default: undefined, parse: httpUrl }),
  setting({ key: 'leaseMs', flag: '--lease <duration>', env: 'HERALD_LEASE', description: 'how long a claimed delivery stays leased, e.g. "60s"; must exceed the attempt timeout', default: 60_000, parse: (raw, name) => duration(raw, name, 1) }),
  setting({ key: 'shutdownTimeoutMs', flag: '--shutdown-timeout <duration>', env: 'HERALD_SHUTDOWN_TIMEOUT', description: 'how long shutdown waits for attempts in flight', default: 10_000, parse: (raw, name) => duration(raw, name, 0) }),
  setting({ key: 'bodyLimit', flag: '--body-limit <bytes>', env: 'HERALD_BODY_LIMIT', description: 'largest request body, e.g. "256kb"', default: DEFAULT_BODY_LIMIT, parse: byteSize }),
  setting({ key: 'publishFairShare', flag: '--publish-fair-share <n>', env: 'HERALD_PUBLISH_FAIR_SHARE', description: 'publishes in progress at once per organization while other organizations publish too', default: DEFAULT_PUBLISH_FAIR_SHARE, parse: (raw, name) => integer(raw, name, 1, 10_000) }),
  setting({ key: 'catalogFile', flag: '--catalog <file>', env: 'HERALD_CATALOG', description: 'JSON file of extra event types', default: undefined, parse: nonEmpty }),
  setting({ key: 'apiKey', flag: '--api-key <key>', env: 'HERALD_API_KEY', description: 'API key to create on an empty database (24+ characters)', default: undefined, parse: apiKey }),
  setting({ key: 'operatorKey', flag: '--operator-key <key>', env: 'HERALD_OPERATOR_KEY', description: 'operator key to create on an empty database (24+ characters)', default: undefined, parse: apiKey }),
  setting({ key: 'portalFrameAncestors', flag: '--portal-frame-ancestors <origins>', env: 'HERALD_PORTAL_FRAME_ANCESTORS', description: 'origins allowed to embed the portal in an iframe, comma-separated, e.g. "https://app.example.com"', default: [], parse: origins }),
  setting({ key: 'metricsPort', flag: '--metrics-port <n>', env: 'HERALD_METRICS_PORT', description: 'serve GET /metrics on this port (operator key required)', default: undefined, parse: (raw, name) => integer(raw, name, 0, 65535) }),
  setting({ key: 'metricsHost', flag: '--metrics-host <host>', env: 'HERALD_METRICS_HOST', description: 'address the metrics listener binds', default: '127.0.0.1', parse: nonEmpty }),
  setting({ key: 'retentionMs', flag: '--retention <duration>', env: 'HERALD_RETENTION', description: 'how long finished deliveries, their attempts and events are kept, e.g. "30d", "12h"', default: 30 * 86_400_000, parse: retention }),
  setting({ key: 'logLevel', flag: '--log-level <level>', env: 'HERALD_LOG_LEVEL', description: `one of ${LOG_LEVELS.join(', ')}`, default: 'info', parse: logLevel }),
] as const;

type AnySetting = { [K in keyof HeraldConfig]: Setting<K> }[keyof HeraldConfig];

/**
 * Builds the config from parsed flags (raw strings or booleans, keyed by config key) and the
 * environment. Throws a `ConfigError` for the first bad value.
 */
export function resolveConfig(
  flags: Partial<Record<keyof HeraldConfig, string | boolean | undefined>>,
  env: NodeJS.ProcessEnv = process.env,
): HeraldConfig {
  const config = {} as Record<keyof HeraldConfig, unknown>;
  for (const s of SETTINGS as readonly AnySetting[]) {
    const flag = flags[s.key];
    const fromEnv = env[s.env];
    if (typeof flag === 'string') config[s.key] = s.parse(flag, flagName(s));
    else if (typeof flag === 'boolean' && flag !== s.default) config[s.key] = flag;
    else if (fromEnv !== undefined) config[s.key] = s.parse(fromEnv, s.env);
    else config[s.key] = s.default;
  }
  const resolved = config as unknown as HeraldConfig;
  if (resolved.leaseMs <= resolved.attemptTimeoutMs) {
    throw new ConfigError(
      `--lease (HERALD_LEASE) must be longer than --attempt-timeout, got ${resolved.leaseMs} ms ≤ ${resolved.attemptTimeoutMs} ms`,
      { field: 'leaseMs' },
    );
  }
  // An endpoint's own timeout is capped here, so the lease must outlast that too.
  if (resolved.maxAttemptTimeoutMs !== undefined && resolved.leaseMs <= resolved.maxAttemptTimeoutMs) {
    throw new ConfigError(
      `--lease (HERALD_LEASE) must be longer than --max-attempt-timeout, got ${resolved.leaseMs} ms ≤ ${resolved.maxAttemptTimeoutMs} ms`,
      { field: 'leaseMs' },
    );
  }
  return resolved;
}

export function flagName(s: { flag: string }): string {
  return s.flag.split(' ')[0]!;
}

function fail(name: string, rule: string, raw: string): never {
  throw new ConfigError(`${name} ${rule}, got ${JSON.stringify(raw)}`, { field: name });
}

function nonEmpty(raw: string, name: string): string {
  if (raw.trim() === '') fail(name, 'must not be empty', raw);
  return raw;
}

function integer(raw: string, name: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw.trim())) fail(name, `must be a whole number from ${min} to ${max}`, raw);
  const value = Number(raw);
  if (value < min || value > max) fail(name, `must be a whole number from ${min} to ${max}`, raw);
  return value;
}

function boolean(raw: string, name: string): boolean {
  const value = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  return fail(name, 'must be true or false', raw);
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "250ms", "3s", "1.5m", "2h", "5d"; a bare number is milliseconds. */
export function duration(raw: string, name: string, min: number): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(raw);
  if (!match) fail(name, 'must be a duration such as 500ms, 3s, 1m, 1h or 5d', raw);
  const ms = Math.round(Number(match[1]) * UNITS[match[2] ?? 'ms']!);
  if (ms < min || ms > 2 ** 31 - 1) fail(name, `must be a duration from ${min} ms to about 24 days`, raw);
  return ms;
}

/** A duration, or `off` (null). */
function durationOrOff(raw: string, name: string): number | null {
  return raw.trim().toLowerCase() === 'off' ? null : duration(raw, name, 0);
}

function httpUrl(raw: string, name: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return fail(name, 'must be an http:// or https:// URL', raw);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(name, 'must be an http:// or https:// URL', raw);
  return url.toString();
}

/** "30d", "12h", "90s", "1.5h"; a bare number is milliseconds. Retention is often months, past `duration`'s 24 days. */
function retention(raw: string, name: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(raw);
  if (!match) fail(name, 'must be a duration such as 30d, 12h, 90s or 500ms', raw);
  const ms = Math.round(Number(match[1]) * ({ ...UNITS, d: 86_400_000 }[match[2] ?? 'ms'] ?? 1));
  if (ms < 1 || ms > 100 * 365 * 86_400_000) fail(name, 'must be a duration from 1 ms to 100 years', raw);
  return ms;
}

function durationList(raw: string, name: string): number[] {
  if (raw.trim() === '') return [];
  return raw.split(',').map((part, i) => duration(part, `${name}[${i}]`, 0));
}

function byteSize(raw: string, name: string): number {
  const match = /^\s*(\d+)\s*(b|kb|mb)?\s*$/i.exec(raw);
  if (!match) fail(name, 'must be a size such as 262144, 256kb or 1mb', raw);
  const bytes = Number(match[1]) * ({ b: 1, kb: 1024, mb: 1024 * 1024 }[(match[2] ?? 'b').toLowerCase()] ?? 1);
  if (bytes < 1024 || bytes > 64 * 1024 * 1024) fail(name, 'must be from 1kb to 64mb', raw);
  return bytes;
}

function apiKey(raw: string, name: string): string {
  if (raw.length < 24 || /\s/.test(raw)) fail(name, 'must be at least 24 characters with no spaces', raw.replace(/./g, '*'));
  return raw;
}

/** `https://app.example.com, https://*.example.com`: CSP host sources with a scheme, nothing looser. */
function origins(raw: string, name: string): string[] {
  const list = raw.split(/[\s,]+/).filter((part) => part !== '');
  if (list.length === 0) fail(name, 'must list at least one origin', raw);
  for (const origin of list) {
    if (!/^https?:\/\/(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:\d{1,5})?$/i.test(origin)) {
      fail(name, 'must be origins such as https://app.example.com (scheme and host, optionally *. and a port, no path)', raw);
    }
  }
  return list;
}

function logLevel(raw: string, name: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) fail(name, `must be one of ${LOG_LEVELS.join(', ')}`, raw);
  return raw as LogLevel;
}
