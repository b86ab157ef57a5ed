/** What `bench/run.ts` and `bench/postgres.ts` share: the receiver process, publishing, measuring. */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Pool } from 'undici';

export interface ReceiverStats {
  requests: number;
  firstAt: number;
  lastAt: number;
  /** Envelope id → first arrival (ms since the epoch, sub-millisecond). */
  firstSeen: Record<string, number>;
}

export interface ReceiverCount {
  requests: number;
  byPath: Record<string, number>;
}

export interface ReceiverHandle {
  child: ChildProcess;
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  stats(): Promise<ReceiverStats>;
  /** Requests counted so far, in all and per request path; cheap enough to poll. */
  count(): Promise<ReceiverCount>;
  reset(): Promise<void>;
  close(): void;
}

export interface LatencyResult {
  rate: number;
  /**
   * Publishes per second the load generator actually started. Below `rate`, it fell behind and sent
   * the rest in catch-up bursts, so the latency measured includes queueing it caused itself.
   */
  reachedRate: number;
  seconds: number;
  delivered: number;
  p50Ms: number;
  p99Ms: number;
}

/** A whole-number `--name` flag of at least `min`; anything else stops the run, naming the flag. */
export function wholeNumberFlag(name: string, raw: string, min = 1): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= min)) throw new Error(`--${name} must be a whole number of at least ${min}, got ${JSON.stringify(raw)}`);
  return value;
}

export const now = (): number => performance.timeOrigin + performance.now();
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `bench/receiver.ts` in its own process, so it does not share a core with the load generator. */
export async function startReceiverProcess(): Promise<ReceiverHandle> {
  const child = fork(new URL('./receiver.ts', import.meta.url), [], { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  const ask = <T>(type: string) =>
    new Promise<T>((resolve) => {
      child.once('message', (m) => resolve(m as T));
      child.send({ type });
    });
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    stats: () => ask<ReceiverStats>('stats'),
    count: () => ask<ReceiverCount>('count'),
    reset: async () => void (await ask('reset')),
    close: () => void child.send({ type: 'exit' }),
  };
}

/**
 * Waits until the receiver has counted `count` requests (only those to `path`, when given) or the
 * timeout passes, then returns its full stats.
 */
export async function waitForRequests(receiver: ReceiverHandle, count: number, timeoutMs: number, path?: string): Promise<ReceiverStats> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counted = await receiver.count();
    const seen = path === undefined ? counted.requests : (counted.byPath[path] ?? 0);
    if (seen >= count || Date.now() > deadline) return receiver.stats();
    await sleep(50);
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Publishes the i-th benchmark event over the HTTP API; resolves with its id and when the request began. */
export async function publishOverHttp(pool: Pool, apiKey: string, i: number): Promise<{ id: string; startedAt: number }> {
  const startedAt = now();
  const res = await pool.request({
    path: '/v1/events',
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ event: 'user.follow', payload: { organization_id: 'org_bench', follower_id: `user_${i}`, followed_id: 'user_0' } }),
  });
  const text = await res.body.text();
  if (res.statusCode !== 202) throw new Error(`publish answered ${res.statusCode}: ${text}`);
  return { id: (JSON.parse(text) as { id: string }).id, startedAt };
}

export async function createEndpoints(pool: Pool, apiKey: string, receiverUrl: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const res = await pool.request({
      path: '/v1/endpoints',
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${receiverUrl}/endpoint-${i}`, events: ['*'] }),
    });
    if (res.statusCode !== 201) throw new Error(`endpoint create answered ${res.statusCode}: ${await res.body.text()}`);
    await res.body.dump();
  }
}

/** Publishes `rate` events/s for `seconds`, then reports publish-start → first-arrival percentiles. */
export async function measureLatency(
  pool: Pool,
  apiKey: string,
  receiver: ReceiverHandle,
  options: { rate: number; seconds: number; endpoints: number },
): Promise<LatencyResult> {
  await receiver.reset();
  const published: Array<{ id: string; startedAt: number }> = [];
  const pending: Array<Promise<void>> = [];
  const total = options.rate * options.seconds;
  const start = now();
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / options.rate - now();
    if (wait > 1) await sleep(wait);
    pending.push(publishOverHttp(pool, apiKey, i).then((p) => void published.push(p)));
  }
  const reachedRate = total / ((now() - start) / 1000);
  await Promise.all(pending);
  const stats = await waitForRequests(receiver, total * options.endpoints, 60_000);
  const latencies = published
    .map((p) => (stats.firstSeen[p.id] ?? Number.NaN) - p.startedAt)
    .filter((ms) => Number.isFinite(ms))
    .sort((a, b) => a - b);
  return { rate: options.rate, reachedRate, seconds: options.seconds, delivered: latencies.length, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

/** A fresh schema on the PostgreSQL server of `db`, as a URL for `--db`, dropped by `drop()`. */
export function freshPostgresSchema(db: string): { url: string; schema: string; drop: () => Promise<void> } {
  const schema = `herald_bench_${randomBytes(4).toString('hex')}`;
  const url = new URL(db);
  url.searchParams.set('schema', schema);
  return {
    url: url.toString(),
    schema,
    async drop() {
      const client = new pg.Client({ connectionString: db });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
