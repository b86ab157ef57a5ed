/**
 * The soak (`npm run bench -- --soak 300`): a steady 1,000 events/s for `seconds`, twice — once with
 * `--retention 60s`, once with the default (nothing old enough to prune) — each on a fresh database.
 * Reports, for each: the database's size over time (SQLite: file + WAL; PostgreSQL: the tables with
 * their indexes and TOAST), p99 publish→delivered, and the longest pruning batch (from the pruner's
 * own log lines). The targets: with retention, the size at the end is at most 1.2× the size at
 * 2 minutes (reported for runs of 4 minutes or more; the default 30 s run only shows the trend), and
 * p99 at most 1.5× the run without retention.
 *
 * On SQLite it also measures what each row costs on disk, from the `dbstat` table of the run
 * without retention: bytes per event, per delivery and per attempt, each with its indexes.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { Pool } from 'undici';
import { startHeraldProcess } from '../test-support/herald-process.js';
import { makeTempDir } from '../test-support/temp-dir.js';
import { createEndpoints, freshPostgresSchema, now, percentile, publishOverHttp, sleep, waitForRequests, type ReceiverHandle } from './support.js';

export interface SoakRun {
  retention: string;
  /** [seconds since start, bytes]. */
  sizes: Array<[number, number]>;
  p99Ms: number;
  delivered: number;
  published: number;
  publishedPerSec: number;
  longestPruneBatchMs: number | null;
}

export interface SoakResult {
  seconds: number;
  rate: number;
  store: 'sqlite' | 'postgres';
  withRetention: SoakRun;
  withoutRetention: SoakRun;
  /** Size at the end over size at 2 minutes; null for runs under 4 minutes, where retention has barely begun. */
  growthRatio: number | null;
  p99Ratio: number;
  /** SQLite only: bytes on disk per row, indexes included. */
  bytesPer: { event: number; delivery: number; attempt: number } | null;
}

const MAX_IN_FLIGHT = 256;

/** Under this, 60 s of retention has hardly begun to prune, and the size can only grow. */
const MIN_SECONDS_FOR_GROWTH = 240;

export async function benchSoak(options: { seconds: number; rate: number; receiver: ReceiverHandle; postgres?: string }): Promise<SoakResult> {
  const withoutRetention = await soakRun({ ...options, retention: null });
  const withRetention = await soakRun({ ...options, retention: '60s' });
  const sizeAt = (run: SoakRun, seconds: number) => run.sizes.find(([at]) => at >= seconds)?.[1] ?? run.sizes.at(-1)![1];
  return {
    seconds: options.seconds,
    rate: options.rate,
    store: options.postgres ? 'postgres' : 'sqlite',
    withRetention: withRetention.run,
    withoutRetention: withoutRetention.run,
    growthRatio: options.seconds >= MIN_SECONDS_FOR_GROWTH ? withRetention.run.sizes.at(-1)![1] / sizeAt(withRetention.run, 120) : null,
    p99Ratio: withRetention.run.p99Ms / withoutRetention.run.p99Ms,
    bytesPer: withoutRetention.bytesPer,
  };
}

async function soakRun(options: {
  seconds: number;
  rate: number;
  receiver: ReceiverHandle;
  postgres?: string;
  retention: string | null;
}): Promise<{ run: SoakRun; bytesPer: SoakResult['bytesPer'] }> {
  const dir = makeTempDir('herald-soak-');
  const schema = options.postgres ? freshPostgresSchema(options.postgres) : null;
  const db = schema?.url ?? join(dir.path, 'soak.db');
  const herald = await startHeraldProcess([
    '--db', db, '--allow-private-networks', '--log-level', 'info', ...(options.retention ? ['--retention', options.retention] : []),
  ]);
  const pool = new Pool(herald.url, { connections: 64 });
  try {
    await options.receiver.reset();
    await createEndpoints(pool, herald.apiKey!, options.receiver.url, 1);
    const size = schema ? postgresSize(options.postgres!, schema.schema) : async () => sqliteSize(db);
    const sizes: Array<[number, number]> = [];
    const published: Array<{ id: string; startedAt: number }> = [];
    const inFlight = new Set<Promise<void>>();
    const start = now();
    const endAt = start + options.seconds * 1000;
    const sampleEveryMs = Math.max(1000, Math.min(10_000, (options.seconds * 1000) / 30));
    let nextSample = start;
    // For `seconds` of wall time, whatever rate this machine reaches: retention is about time.
    for (let i = 0; now() < endAt; i++) {
      const at = now();
      if (at >= nextSample) {
        sizes.push([(at - start) / 1000, await size()]);
        nextSample += sampleEveryMs;
      }
      const wait = start + (i * 1000) / options.rate - now();
      if (wait > 1) await sleep(wait);
      // A machine that cannot keep the rate up gets a bounded queue, not an ever longer one: the
      // achieved rate is reported, and latency stays Herald's rather than this loop's backlog.
      if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
      const request: Promise<void> = publishOverHttp(pool, herald.apiKey!, i).then((p) => void published.push(p)).finally(() => inFlight.delete(request));
      inFlight.add(request);
    }
    await Promise.all(inFlight);
    const publishSeconds = (now() - start) / 1000;
    sizes.push([publishSeconds, await size()]);
    const stats = await waitForRequests(options.receiver, published.length, 120_000);
    const latencies = published
      .map((p) => (stats.firstSeen[p.id] ?? Number.NaN) - p.startedAt)
      .filter((ms) => Number.isFinite(ms))
      .sort((a, b) => a - b);
    const batches = [...herald.output().matchAll(/"longestBatchMs":([\d.]+)/g)].map((m) => Number(m[1]));
    const run: SoakRun = {
      retention: options.retention ?? 'default (30d)',
      sizes,
      p99Ms: percentile(latencies, 99),
      delivered: latencies.length,
      published: published.length,
      publishedPerSec: published.length / publishSeconds,
      longestPruneBatchMs: batches.length > 0 ? Math.max(...batches) : null,
    };
    await pool.close();
    await herald.stop();
    return { run, bytesPer: schema ? null : sqliteBytesPerRow(db) };
  } finally {
    await herald.stop();
    await schema?.drop();
    dir.remove();
  }
}

function sqliteSize(path: string): number {
  const size = (file: string) => (existsSync(file) ? statSync(file).size : 0);
  return size(path) + size(`${path}-wal`);
}

function postgresSize(url: string, schema: string): () => Promise<number> {
  return async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ bytes: string }>(
        `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) AS bytes FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
        [schema],
      );
      return Number(rows[0]!.bytes);
    } finally {
      await client.end();
    }
  };
}

/** Bytes on disk per row of events, deliveries and attempts, each table with its indexes (SQLite `dbstat`). */
function sqliteBytesPerRow(path: string): SoakResult['bytesPer'] {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    const bytesOf = (table: string) =>
      (db.prepare(
        `SELECT coalesce(sum(d.pgsize), 0) AS bytes FROM dbstat d JOIN sqlite_schema s ON s.name = d.name WHERE s.tbl_name = ?`,
      ).get(table) as { bytes: number }).bytes;
    const rows = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return {
      event: bytesOf('events') / rows('events'),
      delivery: bytesOf('deliveries') / rows('deliveries'),
      attempt: bytesOf('attempts') / rows('attempts'),
    };
  } finally {
    db.close();
  }
}

export function printSoakTable(r: SoakResult): void {
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  const sizes = (run: SoakRun) =>
    run.sizes.filter((_, i, all) => i % Math.ceil(all.length / 6) === 0 || i === all.length - 1).map(([s, b]) => `${Math.round(s)}s ${mib(b)}`).join(', ');
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT MET');
  console.log(`\nSoak: ${r.rate} events/s for ${r.seconds} s on ${r.store}, one endpoint`);
  const rows: Array<[string, string, string]> = [
    ['size over time, --retention 60s', sizes(r.withRetention), ''],
    ['size over time, default retention', sizes(r.withoutRetention), ''],
    r.growthRatio === null
      ? ['size at the end / at 2 min', 'n/a', `needs --soak ${MIN_SECONDS_FOR_GROWTH} or more (60 s retention, then steady state)`]
      : ['size at the end / at 2 min', `${r.growthRatio.toFixed(2)} ×`, `target ≤ 1.2 ×: ${verdict(r.growthRatio <= 1.2)}`],
    ['p99 publish→delivered, --retention 60s', `${r.withRetention.p99Ms.toFixed(1)} ms`, ''],
    ['p99 publish→delivered, default retention', `${r.withoutRetention.p99Ms.toFixed(1)} ms`, ''],
    ['p99 ratio', `${r.p99Ratio.toFixed(2)} ×`, `target ≤ 1.5 ×: ${verdict(r.p99Ratio <= 1.5)}`],
    ['longest pruning batch', r.withRetention.longestPruneBatchMs === null ? 'none ran' : `${r.withRetention.longestPruneBatchMs.toFixed(1)} ms`, ''],
    ['delivered / published', `${r.withRetention.delivered} / ${r.withRetention.published}, ${r.withoutRetention.delivered} / ${r.withoutRetention.published}`, 'with, without retention'],
    ['publish rate reached', `${Math.round(r.withRetention.publishedPerSec)}/s, ${Math.round(r.withoutRetention.publishedPerSec)}/s`, `with, without retention; asked ${r.rate}/s`],
  ];
  if (r.bytesPer) {
    rows.push(['bytes per event / delivery / attempt', `${Math.round(r.bytesPer.event)} / ${Math.round(r.bytesPer.delivery)} / ${Math.round(r.bytesPer.attempt)}`, 'indexes included; bench payload']);
  }
  const widths = [0, 1].map((c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows) console.log(`  ${row[0]!.padEnd(widths[0]!)}  ${row[1]!.padEnd(widths[1]!)}  ${row[2]}`);
}
