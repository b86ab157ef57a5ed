/**
 * The benchmark's webhook receiver, in its own process so that it does not share a core with Herald
 * or the load generator. It answers 200 at once and remembers when each envelope id first arrived.
 * Hostile endpoints for the isolation scenarios live under `/hang/…` (never answers) and `/fail/…`
 * (answers 500); their requests are not counted. Counts are kept per path too, so a scenario can wait
 * for one organization's endpoint while another's is busy. The parent asks for results over IPC: a
 * cheap `count` while it waits, the full `stats` (every id's arrival) once.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const firstSeen = new Map<string, number>();
let requests = 0;
const byPath = new Map<string, number>();
let firstAt = 0;
let lastAt = 0;

const server = createServer((req, res) => {
  req.resume();
  if (req.url?.startsWith('/hang/')) return;
  if (req.url?.startsWith('/fail/')) {
    req.on('end', () => void res.writeHead(500).end('failing on purpose'));
    return;
  }
  req.on('end', () => {
    const now = performance.timeOrigin + performance.now();
    requests += 1;
    const path = req.url ?? '';
    byPath.set(path, (byPath.get(path) ?? 0) + 1);
    if (firstAt === 0) firstAt = now;
    lastAt = now;
    const id = req.headers['x-webhook-id'];
    if (typeof id === 'string' && !firstSeen.has(id)) firstSeen.set(id, now);
    res.end('ok');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send!({ type: 'listening', port: (server.address() as AddressInfo).port });
});

// A parent that died without saying `exit` must not leave this process running.
process.on('disconnect', () => process.exit(0));
process.on('message', (message: { type: string }) => {
  if (message.type === 'count') {
    process.send!({ type: 'count', requests, byPath: Object.fromEntries(byPath) });
  } else if (message.type === 'stats') {
    process.send!({ type: 'stats', requests, firstAt, lastAt, firstSeen: Object.fromEntries(firstSeen) });
  } else if (message.type === 'reset') {
    firstSeen.clear();
    requests = 0;
    byPath.clear();
    firstAt = 0;
    lastAt = 0;
    process.send!({ type: 'reset' });
  } else if (message.type === 'exit') {
    server.close();
    process.exit(0);
  }
});
