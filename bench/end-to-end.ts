/**
 * Publishing and delivering at once, as issue 13 defines the run: `wrk -t1 -c50` POSTs events
 * (`bench/wrk-load.ts`) for a few seconds against Herald and, interleaved in the same run (baseline,
 * Herald, baseline, Herald), against the one-file pipeline of `bench/pipeline-baseline.ts`. Each
 * event goes to one endpoint, a loopback nginx answering 200 (`bench/nginx-receiver.ts`). The
 * end-to-end rate is accepted events divided by the time from the start of the load to the last
 * delivery's arrival; "keeping pace" is the share delivered when the load ends. Without wrk or
 * nginx every row is skipped, loudly, with what to install.
 *
 * Each round also runs Herald on PostgreSQL (one `herald serve --no-dispatch` and one `herald
 * dispatch` process, a fresh schema each time) when a server answers at `HERALD_BENCH_DATABASE_URL`
 * (default below); otherwise the table says loudly that the row was skipped, and why.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startDispatchProcess, startHeraldProcess, type HeraldChild } from '../test-support/herald-process.js';
import { makeTempDir } from '../test-support/temp-dir.js';
import pg from 'pg';
import { Pool } from 'undici';
import { missingLoadTools, startNginxReceiver, type NginxReceiver } from './nginx-receiver.js';
import { createEndpoints, freshPostgresSchema, sleep } from './support.js';
import { runWrk } from './wrk-load.js';

export type EndToEndRow = MeasuredRow | SkippedRow;

export interface MeasuredRow {
  target: 'baseline' | 'herald (sqlite)' | 'herald (postgres)';
  round: number;
  skipped?: undefined;
  accepted: number;
  endToEndPerSec: number;
  /** Share of accepted events delivered when the load ended. */
  deliveredAtLoadEnd: number;
  publishP50Ms: number;
  publishP99Ms: number;
  publishMaxMs: number;
}

/** A row that could not be measured: kept in the results so a missing figure is never silent. */
export interface SkippedRow {
  target: MeasuredRow['target'];
  round: number;
  skipped: string;
}

export const DEFAULT_BENCH_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface EndToEndOptions {
  seconds: number;
  connections: number;
  rounds: number;
  /**
   * The PostgreSQL server for the Herald-on-PostgreSQL row (1 API + 1 dispatcher process) of each
   * round. Default: `HERALD_BENCH_DATABASE_URL`, else `DEFAULT_BENCH_DATABASE_URL`; `false` leaves
   * the row out. An unreachable server skips the row, loudly.
   */
  postgres?: string | false;
}

export async function benchEndToEnd(options: EndToEndOptions): Promise<EndToEndRow[]> {
  const server = options.postgres === false ? null : (options.postgres ?? process.env.HERALD_BENCH_DATABASE_URL ?? DEFAULT_BENCH_DATABASE_URL);
  const targets: Array<MeasuredRow['target']> = ['baseline', 'herald (sqlite)', ...(server === null ? [] : (['herald (postgres)'] as const))];
  const missing = missingLoadTools();
  if (missing !== null) {
    const skipped = `skipped: ${missing}`;
    console.error(`\n!!! publishing and delivering at once: ${skipped}\n`);
    return Array.from({ length: options.rounds }, (_, r) => targets.map((target) => ({ target, round: r + 1, skipped }))).flat();
  }
  const unreachable = server === null ? null : await postgresUnreachable(server);
  if (server !== null && unreachable !== null) console.error(`\n!!! herald (postgres): ${skippedBecause(server, unreachable)}\n`);
  const receiverDir = makeTempDir('herald-bench-nginx-');
  const receiver = await startNginxReceiver(receiverDir.path);
  const rows: EndToEndRow[] = [];
  try {
    for (let round = 1; round <= options.rounds; round++) {
      rows.push(await measure('baseline', round, options, receiver, startBaseline));
      rows.push(await measure('herald (sqlite)', round, options, receiver, startHeraldSqlite));
      if (server === null) continue;
      rows.push(
        unreachable === null
          ? await measure('herald (postgres)', round, options, receiver, (_dir, receiverUrl) => startHeraldPostgres(server, receiverUrl))
          : { target: 'herald (postgres)', round, skipped: skippedBecause(server, unreachable) },
      );
    }
  } finally {
    await receiver.stop();
    receiverDir.remove();
  }
  return rows;
}

/** Null when `server` answers a query within 3 s; otherwise why not. */
async function postgresUnreachable(server: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: server, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    if (message && (!code || message.includes(code))) return message;
    return [code, message].filter(Boolean).join(': ') || String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function skippedBecause(server: string, reason: string): string {
  // Without its password: the line ends up in the saved results.
  let shown = 'an invalid URL';
  if (URL.canParse(server)) {
    const url = new URL(server);
    url.password = '';
    shown = url.toString();
  }
  return `skipped: PostgreSQL not reachable (${shown}: ${reason}); set HERALD_BENCH_DATABASE_URL`;
}

interface Target {
  url: string;
  apiKey: string;
  stop(): Promise<void>;
}

async function measure(
  target: EndToEndRow['target'],
  round: number,
  options: EndToEndOptions,
  receiver: NginxReceiver,
  start: (dir: string, receiverUrl: string) => Promise<Target>,
): Promise<MeasuredRow> {
  const dir = makeTempDir('herald-bench-e2e-');
  const running = await start(dir.path, receiver.url);
  try {
    receiver.reset();
    const load = await runWrk({ dir: dir.path, url: running.url, apiKey: running.apiKey, connections: options.connections, seconds: options.seconds, event: 'user.new' });
    if (load.refused > 0) throw new Error(`${target}: ${load.refused} publishes were refused or failed`);
    const atLoadEnd = receiver.count();
    const done = await allDelivered(receiver, load.accepted, 120_000);
    if (done.requests < load.accepted) throw new Error(`${target}: only ${done.requests} of ${load.accepted} events were delivered`);
    return {
      target,
      round,
      accepted: load.accepted,
      endToEndPerSec: load.accepted / ((done.lastAt - load.startedAt) / 1000),
      deliveredAtLoadEnd: atLoadEnd.requests / load.accepted,
      publishP50Ms: load.p50Ms,
      publishP99Ms: load.p99Ms,
      publishMaxMs: load.maxMs,
    };
  } finally {
    await running.stop();
    dir.remove();
  }
}

/**
 * Waits for `count` deliveries, then until none has arrived for a moment: publishes still in flight
 * when wrk stopped may have been accepted without wrk counting them, and the last delivery is the
 * last of those.
 */
async function allDelivered(receiver: NginxReceiver, count: number, timeoutMs: number): Promise<{ requests: number; lastAt: number }> {
  const deadline = Date.now() + timeoutMs;
  let seen = receiver.count();
  while (seen.requests < count && Date.now() < deadline) {
    await sleep(50);
    seen = receiver.count();
  }
  for (;;) {
    await sleep(300);
    const later = receiver.count();
    if (later.requests === seen.requests) return seen;
    seen = later;
  }
}

async function startBaseline(dir: string, receiverUrl: string): Promise<Target> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./pipeline-baseline.ts', import.meta.url).pathname, join(dir, 'baseline.db'), receiverUrl],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening (\d+)/.exec(chunk.toString('utf8'));
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the baseline pipeline exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey: 'none',
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

async function startHeraldSqlite(dir: string, receiverUrl: string): Promise<Target> {
  const herald = await startHeraldProcess(['--db', join(dir, 'bench.db'), '--allow-private-networks', '--log-level', 'error']);
  await withEndpoint(herald.url, herald.apiKey!, receiverUrl);
  return { url: herald.url, apiKey: herald.apiKey!, stop: () => herald.stop() };
}

async function startHeraldPostgres(server: string, receiverUrl: string): Promise<Target> {
  const schema = freshPostgresSchema(server);
  const api = await startHeraldProcess(['--db', schema.url, '--no-dispatch', '--allow-private-networks', '--log-level', 'error']);
  const dispatcher: HeraldChild = await startDispatchProcess(['--db', schema.url, '--allow-private-networks']);
  await withEndpoint(api.url, api.apiKey!, receiverUrl);
  return {
    url: api.url,
    apiKey: api.apiKey!,
    stop: async () => {
      await Promise.all([api.stop(), dispatcher.stop()]);
      await schema.drop();
    },
  };
}

async function withEndpoint(url: string, apiKey: string, receiverUrl: string): Promise<void> {
  const pool = new Pool(url, { connections: 1 });
  await createEndpoints(pool, apiKey, receiverUrl, 1);
  await pool.close();
}

export function printEndToEndTable(rows: EndToEndRow[]): void {
  const measured = rows.filter((r): r is MeasuredRow => r.skipped === undefined);
  const mean = (target: MeasuredRow['target']) => {
    const of = measured.filter((r) => r.target === target);
    return of.length === 0 ? Number.NaN : of.reduce((n, r) => n + r.endToEndPerSec, 0) / of.length;
  };
  const sqliteOf = (round: number) => measured.find((r) => r.target === 'herald (sqlite)' && r.round === round);
  const baseline = mean('baseline');
  const sqlite = mean('herald (sqlite)');
  console.log('\nPublishing and delivering at once (wrk -t1 -c50 → nginx; end to end = accepted ÷ time to the last delivery)');
  console.log('  target              round  accepted  end to end/s  × sqlite  delivered at load end  publish p50   p99    max');
  for (const r of rows) {
    if (r.skipped !== undefined) {
      console.log(`  ${r.target.padEnd(18)}  ${String(r.round).padStart(5)}  !!! ${r.skipped}`);
      continue;
    }
    // PostgreSQL against the SQLite row of the same round: the two ran seconds apart, on the same load.
    const sameRound = r.target === 'herald (postgres)' ? sqliteOf(r.round) : undefined;
    const ratio = sameRound ? (r.endToEndPerSec / sameRound.endToEndPerSec).toFixed(2) : '';
    console.log(
      `  ${r.target.padEnd(18)}  ${String(r.round).padStart(5)}  ${String(r.accepted).padStart(8)}  ${Math.round(r.endToEndPerSec).toLocaleString('en-US').padStart(12)}` +
        `  ${ratio.padStart(8)}  ${`${(r.deliveredAtLoadEnd * 100).toFixed(0)} %`.padStart(21)}  ${r.publishP50Ms.toFixed(1).padStart(8)} ${r.publishP99Ms.toFixed(1).padStart(6)} ${r.publishMaxMs.toFixed(0).padStart(6)} ms`,
    );
  }
  console.log(`  Herald on SQLite: ${(sqlite / baseline).toFixed(2)} × the baseline pipeline (target ≥ 0.7)`);
  const postgres = mean('herald (postgres)');
  const skipped = rows.find((r): r is SkippedRow => r.skipped !== undefined);
  if (Number.isFinite(postgres)) console.log(`  Herald on PostgreSQL: ${(postgres / sqlite).toFixed(2)} × Herald on SQLite (target ≥ 0.5)`);
  else if (skipped) console.log(`  !!! Herald on PostgreSQL: ${skipped.skipped}`);
}
