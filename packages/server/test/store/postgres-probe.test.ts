import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { probePostgres } from '../../../../test-support/postgres-probe.js';
import { requireOrSkip } from '../../../../test-support/skip.js';
import { closedPortUrl } from '../dispatch/closed-port.js';
import { POSTGRES_URL, postgresUnavailable } from './postgres-support.js';

type Behaviour = 'hang' | 'reset' | 'forward';

/**
 * A TCP proxy in front of the test PostgreSQL server that plays a busy machine: connection n behaves
 * as `script[n]` (the last entry repeats) — accepted but never answered, reset, or passed through.
 */
async function startProxy(script: Behaviour[]): Promise<{ url: string; connections(): number; close(): Promise<void> }> {
  const target = new URL(POSTGRES_URL);
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((client) => {
    const behaviour = script[Math.min(connections++, script.length - 1)]!;
    sockets.add(client);
    client.on('error', () => undefined);
    if (behaviour === 'reset') return void client.resetAndDestroy();
    if (behaviour === 'hang') return;
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(POSTGRES_URL);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as AddressInfo).port);
  return {
    url: url.toString(),
    connections: () => connections,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('the PostgreSQL probe', () => {
  it('keeps asking a server too busy to answer in time until it answers', async (t) => {
    const missing = await postgresUnavailable();
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const proxy = await startProxy(['hang', 'reset', 'hang', 'forward']);
    try {
      assert.equal(await probePostgres(proxy.url, { connectTimeoutMs: 300, patienceMs: 30_000 }), null);
      assert.equal(proxy.connections(), 4);
    } finally {
      await proxy.close();
    }
  });

  it('gives up after its patience runs out, saying what it kept getting', async (t) => {
    const missing = await postgresUnavailable();
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const proxy = await startProxy(['hang']);
    try {
      const why = await probePostgres(proxy.url, { connectTimeoutMs: 200, patienceMs: 1500 });
      assert.match(why ?? '', /^(timeout expired|Connection terminated).*; still no answer after \d+ tries/);
      assert.ok(proxy.connections() > 1, `asked ${proxy.connections()} times`);
    } finally {
      await proxy.close();
    }
  });

  it('reports a refused connection at once, since nothing listens there to become less busy', async () => {
    const url = new URL(POSTGRES_URL);
    const closed = new URL(await closedPortUrl());
    url.hostname = closed.hostname;
    url.port = closed.port;
    const why = await probePostgres(url.toString(), { patienceMs: 60_000 });
    assert.match(why ?? '', /ECONNREFUSED/);
    assert.doesNotMatch(why ?? '', /tries/);
  });
});
