/**
 * The isolation scenarios of `npm run bench`, each beside a control in the same run:
 *
 * - Noisy neighbours: 200 endpoints, each subscribed to an event type of its own (so every event goes
 *   to one endpoint), 10 of them never answering and 50 answering 500, at half the clean capacity.
 *   The clean capacity is measured first, on the same 200 endpoints all healthy: a backlog published
 *   over HTTP as fast as it is accepted, divided by the time to its last delivery. (A capacity
 *   measured with 2 endpoints overstates what 200 can take, and "half" of it already saturated the
 *   control.) The control has the same 200 endpoints, all healthy. Reported: the healthy endpoints'
 *   p99 publish→delivered, and whether every healthy delivery arrived.
 * - Burst: organization B publishes at a steady rate while organization A publishes 50,000 events as
 *   fast as it can; the control is B alone. Reported: B's p99 publish→delivered. A's clients and
 *   receiver would be machines of their own in life; here they are wrk (32 connections) and an nginx,
 *   native processes that take as little as possible of the cores Herald and B share. Without wrk or
 *   nginx the burst rows are skipped, loudly.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { runHerald, startHeraldProcess } from '../test-support/herald-process.js';
import { makeTempDir } from '../test-support/temp-dir.js';
import { missingLoadTools, startNginxReceiver } from './nginx-receiver.js';
import { now, percentile, sleep, waitForRequests, type ReceiverHandle } from './support.js';
import { runWrk } from './wrk-load.js';

const ENDPOINTS = 200;
const HANGING = 10;
const FAILING = 50;

export interface IsolationRow {
  scenario: string;
  run: 'control' | 'hostile';
  rate: number;
  seconds: number;
  published: number;
  /** Deliveries that should have arrived at a healthy endpoint, and did. */
  expected: number;
  delivered: number;
  p50Ms: number;
  p99Ms: number;
  /** The publish request alone (sent → 202), p99: the part of the latency spent in the API. */
  publishP99Ms: number;
}

export interface IsolationOptions {
  receiver: ReceiverHandle;
  seconds: number;
  burstEvents: number;
  /** Events in the backlog that measures the clean capacity of 200 endpoints. */
  capacityEvents: number;
  /**
   * Seconds of healthy traffic before each measured run, at that run's rate, delivered and then
   * forgotten: every run starts a fresh Herald, whose first seconds are JIT compilation.
   */
  warmUpSeconds: number;
}

export interface IsolationResult {
  /** Deliveries/s of the 200 healthy endpoints, from the first publish to the last delivery. */
  cleanCapacity: number;
  rows: IsolationRow[];
  /** Why the burst rows are missing, when they are. */
  burstSkipped?: string;
}

export async function benchIsolation(options: IsolationOptions): Promise<IsolationResult> {
  const cleanCapacity = await withNoisyNeighbours(options, 'control', (pool, apiKey) => capacity(pool, apiKey, options));
  const rate = Math.max(100, Math.round(cleanCapacity / 2));
  const rows: IsolationRow[] = [];
  for (const run of ['control', 'hostile'] as const) rows.push(await noisyNeighbours(options, rate, run));
  const steady = Math.min(200, rate);
  const missing = missingLoadTools();
  if (missing !== null) {
    const burstSkipped = `skipped: ${missing}`;
    console.error(`\n!!! burst of ${options.burstEvents} (other org): ${burstSkipped}\n`);
    return { cleanCapacity, rows, burstSkipped };
  }
  for (const run of ['control', 'hostile'] as const) rows.push(await burst(options, steady, run));
  return { cleanCapacity, rows };
}

/** Endpoint i's path: hanging, failing or healthy (the hostile run), or always healthy (the control). */
function endpointPath(i: number, run: 'control' | 'hostile'): string {
  if (run === 'hostile' && i < HANGING) return `/hang/${i}`;
  if (run === 'hostile' && i < HANGING + FAILING) return `/fail/${i}`;
  return `/ok/${i}`;
}

/** A fresh Herald with the 200 endpoints of `run`, the receiver reset, for the length of `measure`. */
async function withNoisyNeighbours<T>(options: IsolationOptions, run: 'control' | 'hostile', measure: (pool: Pool, apiKey: string) => Promise<T>): Promise<T> {
  const dir = makeTempDir('herald-bench-isolation-');
  const catalog = join(dir.path, 'catalog.json');
  writeFileSync(catalog, JSON.stringify({ event_types: Array.from({ length: ENDPOINTS }, (_, i) => eventType(`bench.endpoint_${i}`)) }));
  const herald = await startHeraldProcess(['--db', join(dir.path, 'bench.db'), '--allow-private-networks', '--log-level', 'error', '--catalog', catalog]);
  const pool = new Pool(herald.url, { connections: 64 });
  try {
    for (let i = 0; i < ENDPOINTS; i++) {
      await call(pool, herald.apiKey!, 'POST', '/v1/endpoints', { url: `${options.receiver.url}${endpointPath(i, run)}`, events: [`bench.endpoint_${i}`] }, 201);
    }
    await options.receiver.reset();
    return await measure(pool, herald.apiKey!);
  } finally {
    await pool.close();
    await herald.stop();
    dir.remove();
  }
}

async function capacity(pool: Pool, apiKey: string, options: IsolationOptions): Promise<number> {
  let next = 0;
  const started = now();
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < options.capacityEvents) {
        const i = next++;
        await call(pool, apiKey, 'POST', '/v1/events', { event: `bench.endpoint_${i % ENDPOINTS}`, payload: { n: i } }, 202);
      }
    }),
  );
  const done = await waitForRequests(options.receiver, options.capacityEvents, 120_000);
  if (done.requests < options.capacityEvents) throw new Error(`capacity run: only ${done.requests} of ${options.capacityEvents} deliveries arrived`);
  return done.requests / ((done.lastAt - started) / 1000);
}

function noisyNeighbours(options: IsolationOptions, rate: number, run: 'control' | 'hostile'): Promise<IsolationRow> {
  return withNoisyNeighbours(options, run, async (pool, apiKey) => {
    // Endpoints healthy in both runs, so the control and the hostile run warm up alike.
    await warmUp(options, rate, () => publishAtRate(pool, apiKey, rate, options.warmUpSeconds, (i) => ({
      type: `bench.endpoint_${HANGING + FAILING + (i % (ENDPOINTS - HANGING - FAILING))}`, healthy: true,
    })));
    const healthyEvents = await publishAtRate(pool, apiKey, rate, options.seconds, (i) => {
      const endpoint = i % ENDPOINTS;
      return { type: `bench.endpoint_${endpoint}`, healthy: endpointPath(endpoint, run).startsWith('/ok/') };
    });
    const healthy = healthyEvents.filter((e) => e.healthy);
    return { scenario: 'noisy neighbours', run, ...(await latencies(options.receiver, healthy, rate, options.seconds)), published: healthyEvents.length };
  });
}

const STEADY_PATH = '/ok/steady';

async function burst(options: IsolationOptions, rate: number, run: 'control' | 'hostile'): Promise<IsolationRow> {
  const { receiver } = options;
  const dir = makeTempDir('herald-bench-burst-');
  const db = join(dir.path, 'bench.db');
  const herald = await startHeraldProcess(['--db', db, '--allow-private-networks', '--log-level', 'error']);
  const pool = new Pool(herald.url, { connections: 64 });
  const burstReceiver = await startNginxReceiver(dir.path);
  try {
    const created = await runHerald(['orgs', 'create', 'Steady', '--db', db]);
    const steadyKey = /api key:\s+(\S+)/.exec(created.stdout)?.[1];
    if (!steadyKey) throw new Error(`herald orgs create printed no key:\n${created.stdout}${created.stderr}`);
    await call(pool, herald.apiKey!, 'POST', '/v1/endpoints', { url: `${burstReceiver.url}/ok/burst`, events: ['*'] }, 201);
    await call(pool, steadyKey, 'POST', '/v1/endpoints', { url: `${receiver.url}${STEADY_PATH}`, events: ['*'] }, 201);
    await receiver.reset();
    await warmUp(options, rate, () => publishAtRate(pool, steadyKey, rate, options.warmUpSeconds, () => ({ type: 'user.follow', healthy: true })), STEADY_PATH);
    const burstDone = run === 'hostile' ? burstFrom(dir.path, herald.url, herald.apiKey!, options.burstEvents) : Promise.resolve();
    const steady = await publishAtRate(pool, steadyKey, rate, options.seconds, () => ({ type: 'user.follow', healthy: true }));
    await burstDone;
    const measured = await latencies(receiver, steady, rate, options.seconds, STEADY_PATH);
    return { scenario: 'burst of 50,000 (other org)', run, ...measured, published: steady.length };
  } finally {
    await burstReceiver.stop();
    await pool.close();
    await herald.stop();
    dir.remove();
  }
}

/** Publishes `count` events as the bursting organization, as fast as wrk with 32 connections can. */
async function burstFrom(dir: string, url: string, apiKey: string, count: number): Promise<void> {
  const burst = await runWrk({ dir, url, apiKey, connections: 32, seconds: 600, answers: count, event: 'user.follow' });
  if (burst.refused > 0) throw new Error(`the burst: ${burst.refused} publishes were refused or failed`);
  if (burst.accepted < count) throw new Error(`the burst: only ${burst.accepted} of ${count} publishes were accepted within 600 s`);
}

/** Runs `publish` (the warm-up traffic), waits for its deliveries, and resets the receiver. */
async function warmUp(options: IsolationOptions, rate: number, publish: () => Promise<Published[]>, path?: string): Promise<void> {
  const events = await publish();
  const stats = await waitForRequests(options.receiver, events.length, 60_000, path);
  const arrived = path === undefined ? stats.requests : events.filter((e) => stats.firstSeen[e.id] !== undefined).length;
  if (arrived < events.length) throw new Error(`warm-up at ${rate}/s: only ${arrived} of ${events.length} deliveries arrived`);
  await options.receiver.reset();
}

interface Published {
  id: string;
  startedAt: number;
  acceptedAt: number;
  healthy: boolean;
}

async function publishAtRate(
  pool: Pool,
  apiKey: string,
  rate: number,
  seconds: number,
  event: (i: number) => { type: string; healthy: boolean },
): Promise<Published[]> {
  const published: Published[] = [];
  const pending: Array<Promise<void>> = [];
  const total = rate * seconds;
  const start = now();
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - now();
    if (wait > 1) await sleep(wait);
    const { type, healthy } = event(i);
    const startedAt = now();
    pending.push(
      call(pool, apiKey, 'POST', '/v1/events', { event: type, payload: type === 'user.follow' ? followPayload(i) : { n: i } }, 202).then(
        (body) => void published.push({ id: (body as { id: string }).id, startedAt, acceptedAt: now(), healthy }),
      ),
    );
  }
  await Promise.all(pending);
  return published;
}

async function latencies(
  receiver: ReceiverHandle,
  events: Published[],
  rate: number,
  seconds: number,
  path?: string,
): Promise<Omit<IsolationRow, 'scenario' | 'run' | 'published'>> {
  // Wait for the healthy deliveries; anything still missing after 60 s counts as not delivered.
  const stats = await waitForRequests(receiver, events.length, 60_000, path);
  const sorted = events
    .map((e) => (stats.firstSeen[e.id] ?? Number.NaN) - e.startedAt)
    .filter((ms) => Number.isFinite(ms))
    .sort((a, b) => a - b);
  const publishing = events.map((e) => e.acceptedAt - e.startedAt).sort((a, b) => a - b);
  return {
    rate, seconds, expected: events.length, delivered: sorted.length,
    p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), publishP99Ms: percentile(publishing, 99),
  };
}

async function call(pool: Pool, apiKey: string, method: 'POST', path: string, body: unknown, expected: number): Promise<unknown> {
  const res = await pool.request({
    path,
    method,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode !== expected) throw new Error(`${method} ${path} answered ${res.statusCode}: ${text}`);
  return JSON.parse(text) as unknown;
}

function followPayload(i: number): Record<string, string> {
  return { organization_id: 'org_bench', follower_id: `user_${i}`, followed_id: 'user_0' };
}

function eventType(name: string): Record<string, unknown> {
  return {
    name,
    group: 'Bench',
    description: 'An event type of one benchmark endpoint.',
    schema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
    example: { n: 1 },
  };
}

export function printIsolationTable({ cleanCapacity, rows, burstSkipped }: IsolationResult): void {
  console.log('\nIsolation (healthy deliveries only; hostile vs control in the same run; target p99 ≤ 2 × control, nothing lost)');
  console.log(`  clean capacity of the 200 endpoints: ${Math.round(cleanCapacity).toLocaleString('en-US')} deliveries/s; noisy neighbours run at half of it`);
  console.log('  scenario                      run      rate/s  delivered        p50       p99   p99 / control  publish p99');
  for (const row of rows) {
    const control = rows.find((r) => r.scenario === row.scenario && r.run === 'control')!;
    console.log(
      `  ${row.scenario.padEnd(28)}  ${row.run.padEnd(7)}  ${String(row.rate).padStart(6)}  ${`${row.delivered}/${row.expected}`.padStart(11)}` +
        `  ${row.p50Ms.toFixed(1).padStart(7)} ms  ${row.p99Ms.toFixed(1).padStart(7)} ms  ${(row.p99Ms / control.p99Ms).toFixed(2).padStart(6)} ×` +
        `  ${row.publishP99Ms.toFixed(1).padStart(8)} ms`,
    );
  }
  if (burstSkipped !== undefined) console.log(`  !!! burst of 50,000 (other org): ${burstSkipped}`);
}
