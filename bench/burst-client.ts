/**
 * The bursting organization of the burst scenario (bench/isolation.ts), in a process of its own:
 * its 32 clients would otherwise share an event loop with the steady organization's client, whose
 * publish timings would then include the burst's response handling. Publishes `count` events with
 * `concurrency` requests in flight, says `done` over IPC and exits.
 *
 *   fork('burst-client.ts', [heraldUrl, apiKey, count, concurrency])
 */
import { Pool } from 'undici';
import { publishOverHttp } from './support.js';

const [url, apiKey, countArg, concurrencyArg] = process.argv.slice(2);
if (!url || !apiKey || !countArg || !concurrencyArg) throw new Error('usage: burst-client.ts <herald url> <api key> <count> <concurrency>');
const count = Number(countArg);
const concurrency = Number(concurrencyArg);

const pool = new Pool(url, { connections: concurrency });
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < count) await publishOverHttp(pool, apiKey, next++);
  }),
);
await pool.close();
process.send!({ type: 'done' });
process.disconnect();
