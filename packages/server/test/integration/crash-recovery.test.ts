import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { api, startHeraldProcess, type HeraldProcess } from '../../../../test-support/herald-process.js';
import { startReceiver, type ReceivedRequest } from '../../../../test-support/receiver.js';
import { makeTempDir } from '../../../../test-support/temp-dir.js';

const EVENTS = 300;
const PATHS = ['/hook/a', '/hook/b'];

const pairOf = (request: ReceivedRequest): string => `${String(request.headers['x-webhook-id'])} ${request.path}`;

describe('crash recovery', () => {
  const dir = makeTempDir('herald-crash-');
  after(() => dir.remove());

  it('delivers every accepted event to every subscribed endpoint after a SIGKILL mid-delivery', async () => {
    const db = join(dir.path, 'herald.db');
    // Until the crash the receiver holds every answer, so nothing is delivered before it however fast
    // or slow this machine is, and whatever the crashing process has in flight is certain to be orphaned.
    const held: ServerResponse[] = [];
    const receiver = await startReceiver((_request, _n, res) => void held.push(res));
    // The attempt timeout outlasts the moment the answers are held; the lease outlasts the timeout.
    const flags = ['--db', db, '--allow-private-networks', '--lease', '4s', '--attempt-timeout', '3s', '--retry-schedule', '200ms,200ms'];
    let running: HeraldProcess | undefined;
    try {
      // Accepted with no dispatcher running: every delivery is pending when one starts.
      const accepting = await startHeraldProcess([...flags, '--no-dispatch']);
      running = accepting;
      const key = accepting.apiKey!;
      for (const path of PATHS) {
        const made = await api(accepting.url, key, 'POST', '/v1/endpoints', { url: receiver.url.replace('/hook', path), events: ['user.follow'] });
        assert.equal(made.status, 201);
      }
      const accepted = await Promise.all(
        Array.from({ length: EVENTS }, async (_, i) => {
          const published = await api<{ id: string }>(accepting.url, key, 'POST', '/v1/events', {
            event: 'user.follow',
            payload: { organization_id: 'org', follower_id: `u${i}`, followed_id: 'u0' },
          });
          assert.equal(published.status, 202);
          return published.body.id;
        }),
      );
      await accepting.stop();

      const crashing = await startHeraldProcess(flags);
      running = crashing;
      await receiver.waitForRequests(1);
      crashing.child.kill('SIGKILL');
      assert.equal(await crashing.exited, 'SIGKILL');
      const orphaned = new Set(receiver.requests.map(pairOf));
      assert.ok(orphaned.size > 0, 'the crashing process had deliveries in flight');

      // From now on the receiver answers, and records which attempt of each pair it answered.
      const answered = new Map<string, number>();
      receiver.respondWith((request, _n, res) => {
        answered.set(pairOf(request), Number(request.headers['x-webhook-attempt']));
        res.end('ok');
      });
      for (const res of held.splice(0)) res.destroy();
      running = await startHeraldProcess(flags);

      const expected = accepted.flatMap((id) => PATHS.map((path) => `${id} ${path}`));
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && !expected.every((pair) => answered.has(pair))) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const missing = expected.filter((pair) => !answered.has(pair));
      assert.deepEqual(missing, [], `${missing.length} (event, endpoint) pairs were never delivered`);
      // What the dead process had in flight was claimed again once its lease ran out, as a later attempt.
      for (const pair of orphaned) assert.ok(answered.get(pair)! > 1, `${pair} was delivered again as attempt ${answered.get(pair)}`);
    } finally {
      await running?.stop();
      await receiver.close();
    }
  });
});
