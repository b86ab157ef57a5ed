/**
 * The benchmark's baseline: the least a webhook pipeline must do on this machine, in one file, with
 * Herald's guarantees and nothing else. It accepts `POST /v1/events` over HTTP, commits each event
 * and its delivery to SQLite (WAL, `synchronous=FULL`, group commit) before answering 202, leases
 * due deliveries, signs them with HMAC-SHA256, POSTs them through an undici `Pool`, and records
 * every attempt in SQLite. No validation beyond JSON, no auth, no retries beyond "failed".
 *
 * Run as a child of `bench/end-to-end.ts`: `node --import tsx bench/pipeline-baseline.ts <db> <receiver url>`;
 * it prints `listening <port>`.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import BetterSqlite3 from 'better-sqlite3';
import { Pool } from 'undici';

const [dbPath, receiverUrl] = process.argv.slice(2) as [string, string];
const SECRET = 'whsec_baseline';
const CONCURRENCY = 128;

const db = new BetterSqlite3(dbPath);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`
  CREATE TABLE events (id TEXT PRIMARY KEY, payload TEXT NOT NULL, created_at INTEGER NOT NULL);
  CREATE TABLE deliveries (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL, status TEXT NOT NULL, leased INTEGER NOT NULL DEFAULT 0);
  CREATE INDEX deliveries_due ON deliveries(id) WHERE status = 'pending' AND leased = 0;
  CREATE TABLE attempts (id INTEGER PRIMARY KEY, delivery_id INTEGER NOT NULL, status_code INTEGER, duration_ms REAL, body TEXT);
`);
const insertEvent = db.prepare('INSERT INTO events (id, payload, created_at) VALUES (?, ?, ?)');
const insertDelivery = db.prepare("INSERT INTO deliveries (event_id, status) VALUES (?, 'pending')");
const lease = db.prepare(
  `UPDATE deliveries SET leased = 1 WHERE id IN (SELECT id FROM deliveries WHERE status = 'pending' AND leased = 0 ORDER BY id LIMIT ?)
   RETURNING id, event_id, (SELECT payload FROM events WHERE events.id = deliveries.event_id) AS payload`,
);
const finish = db.prepare('UPDATE deliveries SET status = ?, leased = 0 WHERE id = ?');
const insertAttempt = db.prepare('INSERT INTO attempts (delivery_id, status_code, duration_ms, body) VALUES (?, ?, ?, ?)');

/** Group commit: every publish that arrives while one commit runs shares the next. */
let queue: Array<{ id: string; payload: string; done: () => void }> = [];
let committing = false;
function commitSoon(): void {
  if (committing) return;
  committing = true;
  setImmediate(() => {
    const batch = queue;
    queue = [];
    db.transaction(() => {
      for (const e of batch) {
        insertEvent.run(e.id, e.payload, Date.now());
        insertDelivery.run(e.id);
      }
    })();
    committing = false;
    for (const e of batch) e.done();
    if (queue.length > 0) commitSoon();
    wake();
  });
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let body: { event: string; payload: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { event: string; payload: unknown };
    } catch {
      res.writeHead(400).end();
      return;
    }
    const id = randomUUID();
    const envelope = JSON.stringify({ id, event: body.event, payload: body.payload });
    queue.push({ id, payload: envelope, done: () => void res.writeHead(202, { 'content-type': 'application/json' }).end(`{"id":"${id}"}`) });
    commitSoon();
  });
});

const pool = new Pool(receiverUrl, { connections: CONCURRENCY });
let inFlight = 0;
let results: Array<[number, number, number, string]> = [];
let claiming = false;

function wake(): void {
  if (claiming) return;
  claiming = true;
  setImmediate(claimAndSend);
}

function claimAndSend(): void {
  claiming = false;
  const free = CONCURRENCY - inFlight;
  if (free <= 0) return;
  const rows = lease.all(free) as Array<{ id: number; event_id: string; payload: string }>;
  for (const row of rows) void send(row);
}

async function send(row: { id: number; event_id: string; payload: string }): Promise<void> {
  inFlight += 1;
  const started = performance.now();
  const t = Math.floor(Date.now() / 1000);
  const signature = createHmac('sha256', SECRET).update(`${t}.${row.payload}`).digest('hex');
  let status = 0;
  let text = '';
  try {
    const res = await pool.request({
      path: '/baseline',
      method: 'POST',
      body: row.payload,
      headers: { 'content-type': 'application/json', 'x-webhook-id': row.event_id, 'x-webhook-signature': `t=${t},v1=${signature}` },
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    status = res.statusCode;
    text = await res.body.text();
  } catch (error) {
    text = String(error);
  }
  inFlight -= 1;
  results.push([row.id, status, performance.now() - started, text.slice(0, 4096)]);
  if (results.length === 1) setImmediate(recordResults);
}

/** Group commit for attempts, the same way. */
function recordResults(): void {
  const batch = results;
  results = [];
  db.transaction(() => {
    for (const [id, status, duration, body] of batch) {
      insertAttempt.run(id, status, duration, body);
      finish.run(status >= 200 && status < 300 ? 'succeeded' : 'failed', id);
    }
  })();
  wake();
}

server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening ${(server.address() as AddressInfo).port}`));
