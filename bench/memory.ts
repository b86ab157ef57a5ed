/**
 * Memory (issue 13): peak RSS of `herald serve` on SQLite while 100,000 deliveries are pending and
 * Herald keeps delivering. Target: at most 150 MiB.
 *
 * The backlog is real: every event goes to `hangingEndpoints` endpoints on the receiver's `/hang/`
 * path, which never answers, so their deliveries stay `pending` in the database (counted there, by
 * another process, while Herald still runs); and to `answeringEndpoints` that answer 200 at once, so
 * the dispatcher claims, signs, POSTs and records all the while. Events are published over HTTP as
 * fast as `concurrency` callers can.
 *
 * The peak is the kernel's high-water mark (VmHWM), so transients between samples count too; VmRSS
 * is also read every 100 ms, split into anonymous and file-backed pages (the latter mostly node's
 * own code). A probe loaded into every thread of Herald (`--import`, through NODE_OPTIONS) writes
 * `process.memoryUsage()` every 250 ms, for a breakdown at the highest sample: each isolate's V8
 * heap and external memory, and the rest, which is native (code, SQLite's page caches, malloc,
 * stacks). Herald's CPU time per event is reported beside it, because every memory lever costs some.
 * Baselines from the same run: the same process idle, before the load, and a bare `node` opening
 * the same database with better-sqlite3 and reading the backlog's count.
 *
 * Herald runs with `HERALD_NODE_OPTIONS` (the young generation's size, which only node's command
 * line can set); `--node-options=` measures it without.
 *
 *   node --import tsx bench/memory.ts [--pending 100000] [--hanging 2] [--answering 1] [--concurrency 64] [--node-options=...]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { startHeraldProcess } from '../test-support/herald-process.js';
import { makeTempDir } from '../test-support/temp-dir.js';
import { createEndpoints, now, publishOverHttp, sleep, startReceiverProcess, waitForRequests, wholeNumberFlag, type ReceiverHandle } from './support.js';

export interface MemoryBenchOptions {
  receiver: ReceiverHandle;
  /** Deliveries that must be pending at once. Default 100,000. */
  pending?: number;
  /** Endpoints that never answer; each event leaves one pending delivery on each. Default 2. */
  hangingEndpoints?: number;
  /** Endpoints that answer 200 at once, delivered to throughout. Default 1. */
  answeringEndpoints?: number;
  /** Publishes in flight at once. Default 64. */
  concurrency?: number;
  /** Node options Herald runs with. Default `HERALD_NODE_OPTIONS`; '' to measure without them. */
  nodeOptions?: string;
}

/**
 * What `herald serve` needs from node's own command line for the memory target: the main thread's
 * young generation is sized when the process starts, before `bin/herald.js` can set anything
 * (see there). Given through NODE_OPTIONS, it also sizes the dispatcher thread's.
 */
export const HERALD_NODE_OPTIONS = '--max-semi-space-size=4';

/** One thread's V8 isolate, as its own `process.memoryUsage()` saw it. */
export interface ThreadMemory {
  /** 0 is the main thread (the API); a worker's is its `threadId`. */
  threadId: number;
  heapTotalBytes: number;
  heapUsedBytes: number;
  /** Memory outside the V8 heap that V8 knows of (buffers; array buffers among it). */
  externalBytes: number;
  arrayBuffersBytes: number;
}

/** The probe's samples at the moment of the highest RSS it saw. */
export interface MemoryAtPeak {
  rssBytes: number;
  threads: ThreadMemory[];
  /** RSS less every thread's heap and external memory: native (SQLite, malloc, code, stacks). */
  otherBytes: number;
}

export interface MemoryResult {
  nodeOptions: string;
  pendingTarget: number;
  /** `status = 'pending'`, counted in the database after the load, Herald still running. */
  pendingCounted: number;
  eventsPublished: number;
  publishedPerSec: number;
  /** Deliveries that reached the answering endpoints while the backlog grew. */
  delivered: number;
  /** Herald's CPU time (user + system, every thread) from the first publish to the end, per event published. */
  cpuMsPerEvent: number;
  /** The kernel's high-water mark (VmHWM), read at the end: the peak, transients between samples included. */
  peakRssBytes: number;
  /** The highest VmRSS sampled, and its anonymous and file-backed parts. */
  sampledPeakRssBytes: number;
  sampledPeakAnonBytes: number;
  sampledPeakFileBytes: number;
  /** Null when the probe wrote nothing. */
  atPeak: MemoryAtPeak | null;
  /** The same `herald serve`, started and idle, before the load. */
  idleRssBytes: number;
  /** A bare `node` that opened the same database with better-sqlite3 and counted the backlog. */
  bareSqliteRssBytes: number;
  /** [seconds since the load began, RSS bytes], one a second. */
  timeline: Array<[number, number]>;
}

export const RSS_TARGET_BYTES = 150 * 1024 * 1024;

// Loaded into every thread of Herald (a preload given through NODE_OPTIONS runs in workers too).
const PROBE = `
import { appendFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
const file = process.env.HERALD_BENCH_MEMORY_PROBE;
setInterval(() => {
  const m = process.memoryUsage();
  appendFileSync(file, JSON.stringify([threadId, Date.now(), m.rss, m.heapTotal, m.heapUsed, m.external, m.arrayBuffers]) + '\\n');
}, 250).unref();
`;

export async function benchMemory(options: MemoryBenchOptions): Promise<MemoryResult> {
  const pendingTarget = options.pending ?? 100_000;
  const hanging = options.hangingEndpoints ?? 2;
  const answering = options.answeringEndpoints ?? 1;
  const concurrency = options.concurrency ?? 64;
  const nodeOptions = options.nodeOptions ?? HERALD_NODE_OPTIONS;
  const events = Math.ceil(pendingTarget / hanging);
  const dir = makeTempDir('herald-memory-');
  const db = join(dir.path, 'memory.db');
  const probeFile = join(dir.path, 'probe.jsonl');
  const herald = await startHeraldProcess(['--db', db, '--allow-private-networks', '--log-level', 'error'], {
    NODE_OPTIONS: `${nodeOptions} --import=data:text/javascript;base64,${Buffer.from(PROBE).toString('base64')}`,
    HERALD_BENCH_MEMORY_PROBE: probeFile,
  });
  const pid = herald.child.pid!;
  const pool = new Pool(herald.url, { connections: concurrency });
  try {
    await options.receiver.reset();
    await createEndpoints(pool, herald.apiKey!, `${options.receiver.url}/hang`, hanging);
    await createEndpoints(pool, herald.apiKey!, options.receiver.url, answering);
    await sleep(1000);
    const idleRssBytes = procStatus(pid).rss;

    const sampler = sampleRss(pid);
    const cpuAtStart = cpuMs(pid);
    let next = 0;
    const start = now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < events) await publishOverHttp(pool, herald.apiKey!, next++);
      }),
    );
    const publishSeconds = (now() - start) / 1000;
    // The answering endpoints' deliveries drain while the backlog stays.
    const stats = await waitForRequests(options.receiver, events * answering, 120_000);
    await sleep(2000);
    const pendingCounted = bareSqlite(db, "SELECT count(*) AS n FROM deliveries WHERE status = 'pending'");
    const peak = sampler.stop();
    const cpuMsPerEvent = (cpuMs(pid) - cpuAtStart) / events;
    const hwmBytes = procStatus(pid).hwm;
    return {
      nodeOptions,
      pendingTarget,
      pendingCounted: pendingCounted.n,
      eventsPublished: events,
      publishedPerSec: events / publishSeconds,
      delivered: stats.requests,
      cpuMsPerEvent,
      peakRssBytes: Math.max(hwmBytes, peak.rss),
      sampledPeakRssBytes: peak.rss,
      sampledPeakAnonBytes: peak.anon,
      sampledPeakFileBytes: peak.file,
      atPeak: probePeak(probeFile),
      idleRssBytes,
      bareSqliteRssBytes: pendingCounted.rss,
      timeline: sampler.timeline,
    };
  } finally {
    await pool.close();
    await herald.stop();
    dir.remove();
  }
}

interface ProcStatus {
  rss: number;
  anon: number;
  file: number;
  hwm: number;
}

function procStatus(pid: number): ProcStatus {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kib('VmRSS'), anon: kib('RssAnon'), file: kib('RssFile'), hwm: kib('VmHWM') };
}

/** User + system CPU time of `pid`, all its threads (`/proc/<pid>/stat`, in clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  // The fields after the parenthesized command name; utime and stime are the 12th and 13th of them.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Every 100 ms; the peak sample, and one sample a second for the timeline. */
function sampleRss(pid: number): { stop: () => ProcStatus; timeline: Array<[number, number]> } {
  let peak: ProcStatus = { rss: 0, anon: 0, file: 0, hwm: 0 };
  const timeline: Array<[number, number]> = [];
  const start = now();
  const read = () => {
    const status = procStatus(pid);
    if (status.rss > peak.rss) peak = status;
    const seconds = (now() - start) / 1000;
    if (seconds >= timeline.length) timeline.push([Math.round(seconds), status.rss]);
  };
  const timer = setInterval(read, 100);
  return { timeline, stop: () => (read(), clearInterval(timer), peak) };
}

/** Runs `sql` (one row, column `n`) in a fresh `node` with better-sqlite3; returns `n` and that process's RSS. */
function bareSqlite(path: string, sql: string): { n: number; rss: number } {
  const script = `
    const db = new (require('better-sqlite3'))(process.argv[1], { readonly: true });
    const { n } = db.prepare(process.argv[2]).get();
    process.stdout.write(JSON.stringify({ n, rss: process.memoryUsage().rss }));`;
  const cwd = fileURLToPath(new URL('..', import.meta.url));
  return JSON.parse(execFileSync(process.execPath, ['-e', script, path, sql], { cwd, encoding: 'utf8' })) as { n: number; rss: number };
}

function probePeak(file: string): MemoryAtPeak | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  type Sample = [threadId: number, at: number, rss: number, heapTotal: number, heapUsed: number, external: number, arrayBuffers: number];
  const samples = text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Sample);
  if (samples.length === 0) return null;
  const peak = samples.reduce((best, sample) => (sample[2] > best[2] ? sample : best));
  // Each thread's sample nearest to the peak's moment (they tick on separate timers).
  const nearest = new Map<number, Sample>();
  for (const sample of samples) {
    const seen = nearest.get(sample[0]);
    if (Math.abs(sample[1] - peak[1]) > 1000) continue;
    if (seen === undefined || Math.abs(sample[1] - peak[1]) < Math.abs(seen[1] - peak[1])) nearest.set(sample[0], sample);
  }
  const threads = [...nearest.values()]
    .sort((a, b) => a[0] - b[0])
    .map(([threadId, , , heapTotal, heapUsed, external, arrayBuffers]) => ({
      threadId,
      heapTotalBytes: heapTotal,
      heapUsedBytes: heapUsed,
      externalBytes: external,
      arrayBuffersBytes: arrayBuffers,
    }));
  const accounted = threads.reduce((sum, t) => sum + t.heapTotalBytes + t.externalBytes, 0);
  return { rssBytes: peak[2], threads, otherBytes: peak[2] - accounted };
}

export function printMemoryTable(r: MemoryResult): void {
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const rows: Array<[string, string, string]> = [
    ['deliveries pending (counted in the database)', fmt(r.pendingCounted), `asked ${fmt(r.pendingTarget)}${r.pendingCounted < r.pendingTarget ? ': NOT REACHED' : ''}`],
    ['delivered meanwhile / events published', `${fmt(r.delivered)} / ${fmt(r.eventsPublished)}`, `${fmt(r.publishedPerSec)} events/s`],
    ['Herald CPU time per event published', `${r.cpuMsPerEvent.toFixed(2)} ms`, 'user + system, all threads: what the memory levers cost'],
    ['peak RSS of herald serve (VmHWM)', mib(r.peakRssBytes), `target ≤ ${mib(RSS_TARGET_BYTES)}: ${r.peakRssBytes <= RSS_TARGET_BYTES ? 'met' : 'NOT MET'}; node options: ${r.nodeOptions || 'none'}`],
    ['highest VmRSS sampled: anonymous / file-backed', `${mib(r.sampledPeakRssBytes)}: ${mib(r.sampledPeakAnonBytes)} / ${mib(r.sampledPeakFileBytes)}`, 'every 100 ms'],
  ];
  if (r.atPeak) {
    for (const t of r.atPeak.threads) {
      const name = t.threadId === 0 ? 'main thread (API)' : `thread ${t.threadId}`;
      rows.push([`  ${name}: V8 heap used / total`, `${mib(t.heapUsedBytes)} / ${mib(t.heapTotalBytes)}`, `external ${mib(t.externalBytes)} (array buffers ${mib(t.arrayBuffersBytes)})`]);
    }
    rows.push(['  the rest: native', mib(r.atPeak.otherBytes), 'file-backed code, SQLite page caches, malloc, stacks']);
  }
  rows.push(
    ['baseline: the same herald serve, idle', mib(r.idleRssBytes), 'before the load'],
    ['baseline: bare node + better-sqlite3', mib(r.bareSqliteRssBytes), 'same database, after counting the backlog'],
  );
  const widths = [0, 1].map((c) => Math.max(...rows.map((row) => row[c]!.length)));
  console.log(`\nMemory: herald serve on SQLite, a backlog of pending deliveries while it keeps delivering`);
  for (const row of rows) console.log(`  ${row[0].padEnd(widths[0]!)}  ${row[1].padEnd(widths[1]!)}  ${row[2]}`);
  const timeline = r.timeline.filter((_, i, all) => i % Math.ceil(all.length / 10) === 0 || i === all.length - 1);
  console.log(`  RSS over time: ${timeline.map(([s, b]) => `${s}s ${mib(b)}`).join(', ')}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: flags } = parseArgs({
    options: {
      pending: { type: 'string', default: '100000' },
      hanging: { type: 'string', default: '2' },
      answering: { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '64' },
      'node-options': { type: 'string', default: HERALD_NODE_OPTIONS },
    },
  });
  const receiver = await startReceiverProcess();
  try {
    const result = await benchMemory({
      receiver,
      pending: wholeNumberFlag('pending', flags.pending),
      hangingEndpoints: wholeNumberFlag('hanging', flags.hanging),
      answeringEndpoints: wholeNumberFlag('answering', flags.answering, 0),
      concurrency: wholeNumberFlag('concurrency', flags.concurrency),
      nodeOptions: flags['node-options'],
    });
    printMemoryTable(result);
    console.log(`\n${JSON.stringify(result)}`);
  } finally {
    receiver.close();
  }
}
