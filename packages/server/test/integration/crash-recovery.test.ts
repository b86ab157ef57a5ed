import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { api, startHeraldProcess, type HeraldProcess } from '../../../../test-support/herald-process.js';
import { startReceiver } from '../../../../test-support/receiver.js';
import { makeTempDir } from '../../../../test-support/temp-dir.js';

const EVENTS = 300;
const PATHS = ['/hook/a', '/hook/b'];

describe('crash recovery', () => {
  const dir = makeTempDir('herald-crash-');
  after(() => dir.remove());

  it('delivers every accepted event to every subscribed endpoint after a SIGKILL mid-delivery', async () => {
    const db = join(dir.path, 'herald.db');
    // Slow answers keep deliveries in flight (leased) when the process dies: at 64 in flight and
    // 200 ms each, the 600 deliveries need about 2 s, far longer than publishing takes.
    const receiver = await startReceiver((_req, _n, res) => void setTimeout(() => res.end('ok'), 200));
    const flags = ['--db', db, '--allow-private-networks', '--lease', '2s', '--attempt-timeout', '1s', '--retry-schedule', '200ms,200ms'];
    let first: HeraldProcess | undefined;
    let second: HeraldProcess | undefined;
    try {
      const crashing = await startHeraldProcess(flags);
      first = crashing;
      const key = crashing.apiKey!;
      for (const path of ['/a', '/b']) {
        const made = await api(crashing.url, key, 'POST', '/v1/endpoints', { url: receiver.url + path, events: ['user.follow'] });
        assert.equal(made.status, 201);
      }

      const accepted = await Promise.all(
        Array.from({ length: EVENTS }, async (_, i) => {
          const published = await api<{ id: string }>(crashing.url, key, 'POST', '/v1/events', {
            event: 'user.follow',
            payload: { organization_id: 'org', follower_id: `u${i}`, followed_id: 'u0' },
          });
          assert.equal(published.status, 202);
          return published.body.id;
        }),
      );
      await receiver.waitForRequests(1);
      crashing.child.kill('SIGKILL');
      await crashing.exited;
      assert.ok(receiver.requests.length < EVENTS * PATHS.length, 'the crash must happen while deliveries are still pending');

      second = await startHeraldProcess(flags);
      const expected = accepted.flatMap((id) => PATHS.map((path) => `${id} ${path}`));
      const seen = new Set<string>();
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        for (const request of receiver.requests) seen.add(`${String(request.headers['x-webhook-id'])} ${request.path}`);
        if (expected.every((pair) => seen.has(pair))) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const missing = expected.filter((pair) => !seen.has(pair));
      assert.deepEqual(missing, [], `${missing.length} (event, endpoint) pairs were never delivered`);
    } finally {
      first?.child.kill('SIGKILL');
      await second?.stop();
      await receiver.close();
    }
  });
});
