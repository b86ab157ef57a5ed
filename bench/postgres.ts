/**
 * The PostgreSQL scaling row of `npm run bench -- --db postgres://…`: successful deliveries/s with
 * 1, 2 and 4 `herald dispatch` processes sharing one database and one receiver, each as a ratio to
 * the 1-process figure, and publish→delivered latency at a steady rate for each.
 *
 * Each run gets a fresh schema (dropped afterwards), one `herald serve --no-dispatch` API process
 * and N dispatcher processes. Throughput: a backlog of `events` events is committed straight into
 * the store (so publishing is not what is measured), then the dispatchers start; the rate is
 * deliveries / (last arrival − first arrival) at the receiver. Latency: `rate` events/s published
 * over HTTP to the API process for `latencySeconds`, from the publish request's start to the
 * event's first arrival at the receiver.
 *
 * Every process shares this machine's cores with PostgreSQL and the receiver, so the ratios say how
 * far more dispatchers help HERE; on separate machines the database is the shared limit.
 *
 * Standalone: `node --import tsx bench/postgres.ts --db postgres://… [--quick] [--processes 1,2,4]`.
 */
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { uuidv7 } from '../packages/server/src/ids.js';
import { isPostgresUrl } from '../packages/server/src/store/open-store.js';
import { openPostgresStore } from '../packages/server/src/store/postgres/postgres-store.js';
import type { NewEvent } from '../packages/server/src/store/store.js';
import {
  startDispatchProcess,
  startHeraldProcess,
  type DispatchProcess,
  type HeraldProcess,
} from '../test-support/herald-process.js';
import {
  createEndpoints,
  freshPostgresSchema,
  measureLatency,
  startReceiverProcess,
  waitForRequests,
  wholeNumberFlag,
  type LatencyResult,
  type ReceiverHandle,
} from './support.js';

export interface PostgresScalingOptions {
  /** A postgres:// URL; each run adds its own `schema` parameter. */
  db: string;
  receiver: ReceiverHandle;
  events: number;
  endpoints: number;
  /** Events/s of the latency phase. */
  rate: number;
  latencySeconds: number;
  /** Dispatcher process counts to measure; the first is the ratio's base. Default [1, 2, 4]. */
  processes?: number[];
  /** Attempts in flight per dispatcher process. Default 64. */
  concurrency?: number;
}

export interface ScalingRow {
  processes: number;
  successfulDeliveriesPerSec: number;
  /** Relative to the first row (1 process). */
  ratio: number;
  deliveriesCompleted: number;
  deliveriesExpected: number;
  latency: LatencyResult;
}

const API_KEY = 'bench-postgres-api-key-0123456789';

export async function benchPostgresScaling(options: PostgresScalingOptions): Promise<ScalingRow[]> {
  const rows: ScalingRow[] = [];
  for (const processes of options.processes ?? [1, 2, 4]) {
    const row = await runOnce(options, processes);
    rows.push({ ...row, ratio: rows.length === 0 ? 1 : row.successfulDeliveriesPerSec / rows[0]!.successfulDeliveriesPerSec });
  }
  return rows;
}

async function runOnce(options: PostgresScalingOptions, processes: number): Promise<Omit<ScalingRow, 'ratio'>> {
  const fresh = freshPostgresSchema(options.db);
  const { receiver } = options;
  let api: HeraldProcess | undefined;
  const dispatchers: DispatchProcess[] = [];
  const store = await openPostgresStore(options.db, { schema: fresh.schema, poolSize: 4 });
  try {
    api = await startHeraldProcess(['--db', fresh.url, '--no-dispatch', '--allow-private-networks', '--log-level', 'error'], {
      HERALD_API_KEY: API_KEY,
    });
    const organizationId = /Organization:\s+(\S+)/.exec(api.output())?.[1];
    if (!organizationId) throw new Error(`the API process did not create an organization:\n${api.output()}`);
    const http = new Pool(api.url, { connections: 32 });
    await createEndpoints(http, API_KEY, receiver.url, options.endpoints);

    // Throughput: commit the backlog, then let the dispatchers loose on it.
    for (let published = 0; published < options.events; published += 1000) {
      const size = Math.min(1000, options.events - published);
      await store.publishEvents(Array.from({ length: size }, (_, i) => backlogEvent(organizationId, published + i)));
    }
    await receiver.reset();
    const expected = options.events * options.endpoints;
    dispatchers.push(...(await Promise.all(Array.from({ length: processes }, () => startDispatcher(fresh.url, options.concurrency ?? 64)))));
    const throughput = await waitForRequests(receiver, expected, 300_000);
    const seconds = Math.max(throughput.lastAt - throughput.firstAt, 1) / 1000;

    // Latency: a steady rate through the API process.
    const latency = await measureLatency(http, API_KEY, receiver, { rate: options.rate, seconds: options.latencySeconds, endpoints: options.endpoints });
    await http.close();
    return {
      processes,
      successfulDeliveriesPerSec: throughput.requests / seconds,
      deliveriesCompleted: throughput.requests,
      deliveriesExpected: expected,
      latency,
    };
  } finally {
    await Promise.all(dispatchers.map((dispatcher) => dispatcher.stop()));
    await api?.stop();
    await store.close();
    await fresh.drop();
  }
}

function backlogEvent(organizationId: string, i: number): NewEvent {
  const createdAt = Date.now();
  return {
    id: uuidv7(createdAt),
    organizationId,
    type: 'user.follow',
    payloadJson: JSON.stringify({ organization_id: 'org_bench', follower_id: `user_${i}`, followed_id: 'user_0' }),
    idempotencyKey: null,
    createdAt,
    idempotencyExpiresAt: createdAt + 86_400_000,
  };
}

function startDispatcher(db: string, concurrency: number): Promise<DispatchProcess> {
  // The per-endpoint limit is raised so that it is not what this row measures.
  return startDispatchProcess(['--db', db, '--allow-private-networks', '--concurrency', String(concurrency), '--endpoint-concurrency', '1000']);
}

export function printScalingTable(rows: ScalingRow[]): void {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const lines: Array<[string, string, string, string, string]> = [
    ['dispatcher processes', 'deliveries/s', 'ratio to 1', 'p50 publish→delivered', 'p99 publish→delivered'],
    ...rows.map((r): [string, string, string, string, string] => [
      String(r.processes),
      fmt(r.successfulDeliveriesPerSec),
      `${r.ratio.toFixed(2)} ×`,
      `${r.latency.p50Ms.toFixed(1)} ms`,
      `${r.latency.p99Ms.toFixed(1)} ms`,
    ]),
  ];
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...lines.map((line) => line[i]!.length)));
  const rate = rows[0]?.latency.rate ?? 0;
  console.log(`\nPostgreSQL scaling (one database, one receiver; latency at ${rate} events/s over HTTP)`);
  for (const line of lines) console.log(`  ${line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')}`);
}

/** Standalone run: starts `bench/receiver.ts`, measures, prints the table. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      db: { type: 'string' },
      events: { type: 'string', default: '20000' },
      endpoints: { type: 'string', default: '2' },
      rate: { type: 'string', default: '1000' },
      processes: { type: 'string', default: '1,2,4' },
      quick: { type: 'boolean', default: false },
    },
  });
  if (!values.db || !isPostgresUrl(values.db)) throw new Error('--db postgres://… is required');
  const receiver = await startReceiverProcess();
  try {
    const rows = await benchPostgresScaling({
      db: values.db,
      receiver,
      events: values.quick ? 2000 : wholeNumberFlag('events', values.events),
      endpoints: wholeNumberFlag('endpoints', values.endpoints),
      rate: wholeNumberFlag('rate', values.rate),
      latencySeconds: values.quick ? 2 : 5,
      processes: values.processes.split(',').map((count) => wholeNumberFlag('processes', count.trim())),
    });
    printScalingTable(rows);
    console.log(JSON.stringify(rows, null, 2));
  } finally {
    receiver.close();
  }
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) await main();
