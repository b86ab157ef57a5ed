/**
 * Publish load from `wrk -t1 -c<connections>`: native and light, so it takes little of the two cores
 * the measured service runs on. Issue 13's end-to-end run POSTs `user.new` events for a number of
 * seconds; the burst scenario (bench/isolation.ts) POSTs a number of `user.follow` events as fast as
 * it can. Every event has an id of its own in its payload.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { now } from './support.js';

export interface WrkOptions {
  /** Where the Lua script goes. */
  dir: string;
  url: string;
  apiKey: string;
  connections: number;
  /** Stop after this long. */
  seconds: number;
  /** Stop once this many answers came back (a few more requests may be in flight by then). */
  answers?: number;
  event: 'user.new' | 'user.follow';
}

export interface WrkResult {
  /** Answers with a 2xx status: accepted events. */
  accepted: number;
  /** Answers with any other status, and requests that failed (connect, read, write, timeout). */
  refused: number;
  startedAt: number;
  endedAt: number;
  /** Over every answer, accepted or not, as wrk measures. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const PAYLOADS: Record<WrkOptions['event'], string> = {
  'user.new': `'{"event":"user.new","payload":{"organization_id":"org_bench","user_id":"u' .. n .. '","email":"ada@example.com","phone":"+14155552671","full_name":"Ada Lovelace"}}'`,
  'user.follow': `'{"event":"user.follow","payload":{"organization_id":"org_bench","follower_id":"user_' .. n .. '","followed_id":"user_0"}}'`,
};

export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const script = join(options.dir, 'publish.lua');
  const stopAfter =
    options.answers === undefined
      ? ''
      : `local answers = 0
response = function(status, headers, body)
  answers = answers + 1
  if answers >= ${options.answers} then wrk.thread:stop() end
end
`;
  writeFileSync(
    script,
    `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer ${options.apiKey}"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, "/v1/events", nil, ${PAYLOADS[options.event]})
end
${stopAfter}done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"non2xx":%d,"failed":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d}\\n',
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`,
  );
  const startedAt = now();
  const child = spawn('wrk', ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '10s', '-s', script, options.url], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const endedAt = now();
  const line = out.split('\n').find((l) => l.startsWith('{'));
  if (code !== 0 || line === undefined) throw new Error(`wrk exited with ${code}: ${out}`);
  const r = JSON.parse(line) as { requests: number; non2xx: number; failed: number; p50Us: number; p99Us: number; maxUs: number };
  return {
    accepted: r.requests - r.non2xx,
    refused: r.non2xx + r.failed,
    startedAt,
    endedAt,
    p50Ms: r.p50Us / 1000,
    p99Ms: r.p99Us / 1000,
    maxMs: r.maxUs / 1000,
  };
}
