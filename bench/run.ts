/**
 * `npm run bench`: Herald end to end on this machine, with a baseline measured in the same run.
 *
 * Three processes: the receiver, a `herald serve` child, and this load generator. The baseline is a
 * raw undici POST loop from here to the same receiver; Herald's delivery rate is shown as a ratio to
 * it, because this machine is shared and absolute numbers drift from run to run.
 *
 * Then publishing and delivering at once (`bench/end-to-end.ts`), interleaved with a one-file
 * pipeline baseline (`bench/pipeline-baseline.ts`) and, when PostgreSQL answers at `--db` or
 * `HERALD_BENCH_DATABASE_URL` (default the local server), Herald on PostgreSQL; and the isolation scenarios
 * (`bench/isolation.ts`): noisy neighbours and a burst from another organization, each beside a
 * control run, at half the delivery rate of the same 200 endpoints measured there.
 *
 * Last, the soak (`bench/soak.ts`): 1,000 events/s with `--retention 60s` beside the same without,
 * for `--soak` seconds (30 by default; `--soak 300` for the 2-minute size target). And memory
 * (`bench/memory.ts`): peak RSS of `herald serve` with 100,000 deliveries pending.
 *
 *   npm run bench -- [--db postgres://…] [--events 20000] [--endpoints 2] [--rate 1000] [--isolation-seconds 60] [--soak 30] [--quick]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { benchVerify, type VerifyBenchResult } from '../packages/sdk/bench/verify-bench.js';
import { isPostgresUrl } from '../packages/server/src/store/open-store.js';
import { startHeraldProcess, type HeraldProcess } from '../test-support/herald-process.js';
import { makeTempDir } from '../test-support/temp-dir.js';
import { benchEndToEnd, printEndToEndTable, type EndToEndRow } from './end-to-end.js';
import { benchIsolation, printIsolationTable, type IsolationResult } from './isolation.js';
import { benchSoak, printSoakTable, type SoakResult } from './soak.js';
import { benchMemory, printMemoryTable, type MemoryResult } from './memory.js';
import { benchPostgresScaling, printScalingTable, type ScalingRow } from './postgres.js';
import {
  createEndpoints,
  freshPostgresSchema,
  measureLatency,
  now,
  publishOverHttp,
  startReceiverProcess,
  waitForRequests,
  wholeNumberFlag,
  type LatencyResult,
} from './support.js';

const { values: flags } = parseArgs({
  options: {
    db: { type: 'string' },
    events: { type: 'string', default: '20000' },
    endpoints: { type: 'string', default: '2' },
    rate: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '64' },
    'isolation-seconds': { type: 'string', default: '60' },
    soak: { type: 'string', default: '30' },
    quick: { type: 'boolean', default: false },
  },
});
const ISOLATION_SECONDS = flags.quick ? 10 : wholeNumberFlag('isolation-seconds', flags['isolation-seconds']);
const EVENTS = flags.quick ? 2000 : wholeNumberFlag('events', flags.events);
const ENDPOINTS = wholeNumberFlag('endpoints', flags.endpoints);
const RATE = wholeNumberFlag('rate', flags.rate);
const LATENCY_SECONDS = flags.quick ? 2 : 5;
const CONCURRENCY = wholeNumberFlag('concurrency', flags.concurrency);
const POSTGRES = flags.db !== undefined && isPostgresUrl(flags.db);

/** The baseline: how fast this process can POST signed-size bodies to the receiver with undici. */
async function rawUndiciLoop(url: string, total: number): Promise<number> {
  const pool = new Pool(url, { connections: CONCURRENCY, pipelining: 1 });
  const body = JSON.stringify({ id: crypto.randomUUID(), event: 'user.follow', payload: { organization_id: 'o', follower_id: 'a', followed_id: 'b' } });
  let sent = 0;
  const started = now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (sent < total) {
        sent += 1;
        const res = await pool.request({ path: '/baseline', method: 'POST', body, headers: { 'content-type': 'application/json', 'x-webhook-id': `b${sent}` } });
        await res.body.dump();
      }
    }),
  );
  const seconds = (now() - started) / 1000;
  await pool.close();
  return total / seconds;
}

function rssSampler(pid: number): { stop: () => number } {
  let peak = 0;
  const read = () => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      peak = Math.max(peak, kb * 1024);
    } catch {
      // The process has exited; keep the peak seen so far.
    }
  };
  const timer = setInterval(read, 100);
  return { stop: () => (read(), clearInterval(timer), peak) };
}

async function main(): Promise<void> {
  const receiver = await startReceiverProcess();
  const dir = makeTempDir('herald-bench-');
  const schema = POSTGRES ? freshPostgresSchema(flags.db!) : null;
  let herald: HeraldProcess | undefined;
  try {
    const baselinePerSec = await rawUndiciLoop(receiver.url, Math.max(EVENTS, 10_000));
    await receiver.reset();

    const db = schema?.url ?? flags.db ?? join(dir.path, 'bench.db');
    herald = await startHeraldProcess(['--db', db, '--allow-private-networks', '--log-level', 'error']);
    const rss = rssSampler(herald.child.pid!);
    const apiKey = herald.apiKey!;
    const pool = new Pool(herald.url, { connections: CONCURRENCY });
    await createEndpoints(pool, apiKey, receiver.url, ENDPOINTS);

    // Throughput: publish EVENTS as fast as CONCURRENCY callers can, then wait for every delivery.
    let next = 0;
    const publishStart = now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < EVENTS) await publishOverHttp(pool, apiKey, next++);
      }),
    );
    const publishSeconds = (now() - publishStart) / 1000;
    const throughput = await waitForRequests(receiver, EVENTS * ENDPOINTS, 120_000);
    const deliverySeconds = (throughput.lastAt - publishStart) / 1000;

    const latency = await measureLatency(pool, apiKey, receiver, { rate: RATE, seconds: LATENCY_SECONDS, endpoints: ENDPOINTS });
    await pool.close();
    const peakRss = rss.stop();
    // Free the cores before the next measurements.
    await herald.stop();

    const scaling: ScalingRow[] | null = POSTGRES
      ? await benchPostgresScaling({ db: flags.db!, receiver, events: EVENTS, endpoints: ENDPOINTS, rate: RATE, latencySeconds: LATENCY_SECONDS })
      : null;
    const endToEnd: EndToEndRow[] = await benchEndToEnd({
      seconds: flags.quick ? 3 : 8,
      connections: 50,
      rounds: flags.quick ? 1 : 2,
      ...(POSTGRES ? { postgres: flags.db! } : {}),
    });
    const isolation: IsolationResult = await benchIsolation({
      receiver,
      seconds: ISOLATION_SECONDS,
      burstEvents: flags.quick ? 5000 : 50_000,
      capacityEvents: flags.quick ? 5000 : 20_000,
      warmUpSeconds: flags.quick ? 2 : 10,
    });
    const soak: SoakResult = await benchSoak({
      receiver,
      seconds: flags.quick ? 10 : wholeNumberFlag('soak', flags.soak),
      rate: 1000,
      ...(POSTGRES ? { postgres: flags.db! } : {}),
    });
    const memory: MemoryResult = await benchMemory({ receiver, pending: flags.quick ? 10_000 : 100_000 });
    const sdk = await benchVerify({ seconds: flags.quick ? 0.5 : 2 });
    const results = {
      at: new Date().toISOString(),
      store: POSTGRES ? 'postgres' : 'sqlite',
      events: EVENTS,
      endpoints: ENDPOINTS,
      publishConcurrency: CONCURRENCY,
      acceptedEventsPerSec: EVENTS / publishSeconds,
      successfulDeliveriesPerSec: throughput.requests / deliverySeconds,
      deliveriesCompleted: throughput.requests,
      deliveriesExpected: EVENTS * ENDPOINTS,
      baselineRawUndiciPostsPerSec: baselinePerSec,
      deliveryRatioToBaseline: throughput.requests / deliverySeconds / baselinePerSec,
      latency,
      peakRssBytes: peakRss,
      scaling,
      endToEnd,
      isolation,
      soak,
      memory,
      sdk,
    };
    printTable(results);
    if (scaling) printScalingTable(scaling);
    printEndToEndTable(endToEnd);
    printIsolationTable(isolation);
    printSoakTable(soak);
    printMemoryTable(memory);
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    const file = new URL(`./results/bench-${results.store}-${results.at.replace(/[:.]/g, '-')}.json`, import.meta.url);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nwrote ${file.pathname}`);
    if (results.deliveriesCompleted < results.deliveriesExpected) {
      throw new Error(`only ${results.deliveriesCompleted} of ${results.deliveriesExpected} deliveries arrived`);
    }
  } finally {
    await herald?.stop();
    receiver.close();
    await schema?.drop();
    dir.remove();
  }
}

function printTable(r: {
  store: string;
  acceptedEventsPerSec: number;
  successfulDeliveriesPerSec: number;
  baselineRawUndiciPostsPerSec: number;
  deliveryRatioToBaseline: number;
  latency: LatencyResult;
  peakRssBytes: number;
  sdk: VerifyBenchResult;
}): void {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const rows: Array<[string, string, string]> = [
    ['accepted events/s (HTTP publish)', fmt(r.acceptedEventsPerSec), 'SQLite target ≥ 5,000'],
    ['successful deliveries/s', fmt(r.successfulDeliveriesPerSec), `${r.deliveryRatioToBaseline.toFixed(2)} × baseline; SQLite target ≥ 5,000`],
    ['baseline: raw undici POST/s', fmt(r.baselineRawUndiciPostsPerSec), 'same receiver, same run'],
    [`publish→delivered p50 at ${r.latency.rate}/s`, `${r.latency.p50Ms.toFixed(1)} ms`, `the load generator reached ${fmt(r.latency.reachedRate)}/s`],
    [`publish→delivered p99 at ${r.latency.rate}/s`, `${r.latency.p99Ms.toFixed(1)} ms`, 'target < 25 ms'],
    ['peak RSS of herald serve', `${(r.peakRssBytes / 1024 / 1024).toFixed(0)} MiB`, ''],
  ];
  rows.push(
    ['SDK signature checks/s (1 KiB body)', fmt(r.sdk.signatureOnlyPerSec), `${r.sdk.signatureOnlyRatio.toFixed(2)} × raw createHmac (${fmt(r.sdk.hmacPerSec)}/s); target ≥ 0.8`],
    ['SDK verifyWebhook/s (check + JSON.parse)', fmt(r.sdk.verifyPerSec), `${r.sdk.ratio.toFixed(2)} × raw createHmac; ${r.sdk.ratioToHmacAndParse.toFixed(2)} × createHmac + JSON.parse`],
  );
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  console.log(`\nHerald benchmark (${r.store})`);
  for (const row of rows) console.log(`  ${row[0].padEnd(widths[0]!)}  ${row[1].padStart(widths[1]!)}  ${row[2]}`);
}

await main();
