/**
 * The end-to-end run's publish load, as issue 13 defines it: `wrk -t1 -c<connections>` POSTing
 * `user.new` events to `/v1/events` for a number of seconds, each with a user id of its own. wrk is
 * native and light, so the load takes little of the two cores the measured pipeline runs on.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { now } from './support.js';

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

export async function runWrk(dir: string, url: string, apiKey: string, seconds: number, connections: number): Promise<WrkResult> {
  const script = join(dir, 'publish.lua');
  writeFileSync(
    script,
    `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer ${apiKey}"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, "/v1/events", nil, '{"event":"user.new","payload":{"organization_id":"org_bench","user_id":"u' .. n .. '","email":"ada@example.com","phone":"+14155552671","full_name":"Ada Lovelace"}}')
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"non2xx":%d,"failed":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d}\\n',
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`,
  );
  const startedAt = now();
  const child = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', script, url], {
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
