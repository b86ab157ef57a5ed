/**
 * A closed-loop publish load in its own process (as `wrk -c<connections>` would be): each connection
 * POSTs a `user.new` event, waits for the answer and sends the next, for `seconds`. Prints one JSON
 * line: accepted count, start and end times, and publish latency percentiles.
 *
 *   node --import tsx bench/load.ts <base url> <api key> <seconds> <connections>
 */
import { Pool } from 'undici';
import { now, percentile } from './support.js';

const [url, apiKey, secondsText, connectionsText] = process.argv.slice(2) as [string, string, string, string];
const seconds = Number(secondsText);
const connections = Number(connectionsText);
const pool = new Pool(url, { connections });
const latencies: number[] = [];
let accepted = 0;
let refused = 0;
const startedAt = now();
const stopAt = startedAt + seconds * 1000;

await Promise.all(
  Array.from({ length: connections }, async (_, c) => {
    for (let i = 0; now() < stopAt; i++) {
      const sent = now();
      const res = await pool.request({
        path: '/v1/events',
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          event: 'user.new',
          payload: { organization_id: 'org_bench', user_id: `u${c}_${i}`, email: 'ada@example.com', phone: '+14155552671', full_name: 'Ada Lovelace' },
        }),
      });
      await res.body.dump();
      if (res.statusCode === 202) {
        accepted += 1;
        latencies.push(now() - sent);
      } else refused += 1;
    }
  }),
);
const endedAt = now();
await pool.close();
latencies.sort((a, b) => a - b);
console.log(
  JSON.stringify({ accepted, refused, startedAt, endedAt, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: latencies.at(-1) ?? 0 }),
);
