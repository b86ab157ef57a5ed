/**
 * The bursting organization of the burst scenario (bench/isolation.ts), in a process of its own:
 * its 32 clients would otherwise share an event loop with the steady organization's client, whose
 * publish timings would then include the burst's response handling. Publishes `count` events with
 * `concurrency` requests in flight, then reports how many and how long over IPC and exits.
 *
 *   fork('burst-client.ts', [heraldUrl, apiKey, count, concurrency])
 */
import { Pool } from 'undici';

const [url, apiKey, countArg, concurrencyArg] = process.argv.slice(2);
if (!url || !apiKey || !countArg || !concurrencyArg) throw new Error('usage: burst-client.ts <herald url> <api key> <count> <concurrency>');
const count = Number(countArg);
const concurrency = Number(concurrencyArg);

const pool = new Pool(url, { connections: concurrency });
const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next += 1;
      const res = await pool.request({
        path: '/v1/events',
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ event: 'user.follow', payload: { organization_id: 'org_burst', follower_id: `user_${next}`, followed_id: 'user_0' } }),
      });
      const text = await res.body.text();
      if (res.statusCode !== 202) throw new Error(`burst publish answered ${res.statusCode}: ${text}`);
    }
  }),
);
await pool.close();
process.send!({ type: 'done', published: count, seconds: (performance.now() - started) / 1000 });
process.disconnect();
