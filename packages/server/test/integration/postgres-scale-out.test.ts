import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import {
  api,
  runHerald,
  startDispatchProcess,
  startHeraldProcess,
  type DispatchProcess,
} from '../../../../test-support/herald-process.js';
import { startReceiver, type ReceivedRequest, type Responder } from '../../../../test-support/receiver.js';
import { adminQuery, eventually, postgresSchemaOrSkip } from '../store/postgres-support.js';
import { createOrg, newEndpoint, newEvent } from '../store/store-contract.js';
import { schemaUrl } from './postgres-processes.js';

/**
 * Herald scaled out on one PostgreSQL schema: real `herald serve --no-dispatch` and `herald dispatch`
 * child processes, a real receiver on 127.0.0.1. The processes know nothing of each other.
 */
describe('Herald on PostgreSQL with several processes', () => {
  it('three dispatcher processes deliver every event to every endpoint, each attempt once, retrying as the policy says', async (t) => {
    const schema = await postgresSchemaOrSkip(t);
    if (!schema) return;
    const db = schemaUrl(schema);
    const receiver = await startReceiver((request, _n, res) => {
      res.statusCode = flakyAnswer(request);
      res.end();
    });
    schema.defer(() => receiver.close());
    const apiKey = 'scale-out-test-key-0123456789';
    const herald = await startHeraldProcess(['--db', db, '--no-dispatch', '--allow-private-networks'], { HERALD_API_KEY: apiKey });
    schema.defer(() => herald.stop());
    const dispatchers = await Promise.all(
      [1, 2, 3].map(() =>
        startDispatchProcess(
          ['--db', db, '--allow-private-networks', '--retry-schedule', '100ms,200ms', '--concurrency', '16', '--endpoint-concurrency', '12'],
          { HERALD_ATTEMPT_TIMEOUT: '5s', HERALD_LEASE: '60s' },
        ),
      ),
    );
    schema.defer(() => stopAll(dispatchers));

    for (const to of ['steady', 'flaky']) {
      const created = await api(herald.url, apiKey, 'POST', '/v1/endpoints', { url: `${receiver.url}?to=${to}`, events: ['*'] });
      assert.equal(created.status, 201);
    }
    const events = 2000;
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < events) {
          const i = next++;
          const published = await api(herald.url, apiKey, 'POST', '/v1/events', {
            event: 'user.follow',
            payload: { organization_id: 'org', follower_id: `u${i}`, followed_id: 'u0' },
          });
          assert.equal(published.status, 202);
        }
      }),
    );

    const store = await schema.open();
    await eventually('every delivery to finish', async () => (await store.countPendingDeliveries()) === 0, 90_000);

    // At the receiver: every (event, endpoint) pair got exactly the attempts the policy dictates.
    const seen = attemptsByPair(receiver.requests);
    assert.equal(seen.size, events * 2);
    for (const [pair, attempts] of seen) {
      const [follower, to] = pair.split(' ') as [string, string];
      assert.deepEqual(attempts, range(expectedAttempts(follower, to)), `attempts received for ${pair}`);
    }
    // In the database: the same counts, every attempt recorded once, the right final status.
    const rows = await adminQuery<{ follower: string; url: string; status: string; attempt_count: number; numbers: number[] }>(
      `SELECT ev.payload::json->>'follower_id' AS follower, en.url, d.status, d.attempt_count,
              array_agg(a.number ORDER BY a.number) AS numbers
       FROM "${schema.schema}".deliveries d
       JOIN "${schema.schema}".events ev ON ev.id = d.event_id
       JOIN "${schema.schema}".endpoints en ON en.id = d.endpoint_id
       JOIN "${schema.schema}".attempts a ON a.delivery_id = d.id
       GROUP BY ev.payload, en.url, d.status, d.attempt_count`,
    );
    assert.equal(rows.length, events * 2);
    for (const row of rows) {
      const to = new URL(row.url).searchParams.get('to')!;
      const expected = expectedAttempts(row.follower, to);
      assert.equal(row.attempt_count, expected, `attempt count of ${row.follower} → ${to}`);
      assert.deepEqual(row.numbers, range(expected), `attempts recorded for ${row.follower} → ${to}`);
      assert.equal(row.status, alwaysFails(row.follower, to) ? 'failed' : 'succeeded');
    }
  });

  it('finishes the leased deliveries of a SIGKILLed dispatcher once its leases expire, losing nothing', async (t) => {
    const schema = await postgresSchemaOrSkip(t);
    if (!schema) return;
    const db = schemaUrl(schema);
    // Slow enough that every dispatcher always has attempts in flight.
    const answerSlowly: Responder = (_request, _n, res) => void setTimeout(() => res.end('ok'), 20);
    const receiver = await startReceiver(answerSlowly);
    schema.defer(() => receiver.close());
    const store = await schema.open();
    const org = await createOrg(store);
    for (const to of ['a', 'b']) await store.createEndpoint(newEndpoint(org, { url: `${receiver.url}?to=${to}` }));
    // The victim's connections carry a name of their own, to see when PostgreSQL is done with them.
    const victimName = `${schema.schema}_victim`;
    const victimDb = new URL(db);
    victimDb.searchParams.set('application_name', victimName);
    const dispatchers = await Promise.all(
      [victimDb.toString(), db, db].map((url) =>
        startDispatchProcess(
          ['--db', url, '--allow-private-networks', '--concurrency', '8', '--endpoint-concurrency', '100'],
          // A short lease keeps the test quick: the killed dispatcher's deliveries are due again in 6 s.
          // The attempt timeout outlasts the moment the receiver holds its answers (below).
          { HERALD_ATTEMPT_TIMEOUT: '5s', HERALD_LEASE: '6s' },
        ),
      ),
    );
    schema.defer(() => stopAll(dispatchers));

    const events = 1200;
    for (let batch = 0; batch < events / 100; batch++) {
      await store.publishEvents(
        Array.from({ length: 100 }, (_, i) =>
          newEvent(org, { payloadJson: JSON.stringify({ follower_id: `u${batch * 100 + i}` }), createdAt: Date.now() }),
        ),
      );
    }
    await receiver.waitForRequests(100, 60_000);
    const victim = dispatchers[0]!;
    const leasedBy = (owner: string) =>
      adminQuery<{ id: string }>(`SELECT id FROM "${schema.schema}".deliveries WHERE lease_owner = $1 AND status = 'pending'`, [owner]);
    // Hold every answer while the victim dies, so that it cannot finish (and record) the attempts it
    // has in flight: whatever it holds then is certain to be orphaned.
    const held: ServerResponse[] = [];
    receiver.respondWith((_request, _n, res) => void held.push(res));
    await eventually('the victim to hold leases', async () => (await leasedBy(victim.leaseOwner)).length > 0);
    victim.child.kill('SIGKILL');
    assert.equal(await victim.exited, 'SIGKILL');
    receiver.respondWith(answerSlowly);
    for (const res of held.splice(0)) res.end('ok');
    // A statement it sent just before dying still finishes; once its sessions are gone, what it
    // held stays leased to it until the leases expire.
    await eventually('the victim’s sessions to end', async () =>
      (await adminQuery('SELECT 1 FROM pg_stat_activity WHERE application_name = $1', [victimName])).length === 0,
    );
    const orphaned = (await leasedBy(victim.leaseOwner)).map((r) => r.id);
    assert.ok(orphaned.length > 0);

    await eventually('every delivery to finish', async () => (await store.countPendingDeliveries()) === 0, 60_000);

    const seen = attemptsByPair(receiver.requests);
    assert.equal(seen.size, events * 2, 'every (event, endpoint) pair reached the receiver');
    for (const [pair, attempts] of seen) {
      assert.equal(new Set(attempts).size, attempts.length, `an attempt of ${pair} was sent twice`);
    }
    const rows = await adminQuery<{ id: string; status: string; attempt_count: number; numbers: number[] }>(
      `SELECT d.id, d.status, d.attempt_count, array_agg(a.number ORDER BY a.number) AS numbers
       FROM "${schema.schema}".deliveries d JOIN "${schema.schema}".attempts a ON a.delivery_id = d.id
       GROUP BY d.id`,
    );
    assert.equal(rows.length, events * 2);
    assert.ok(rows.every((r) => r.status === 'succeeded'));
    for (const row of rows) assert.deepEqual(row.numbers, [row.attempt_count]);
    // The victim's leases were claimed again as the next attempt; its own attempts, whose results
    // it never wrote, are not in the log.
    for (const id of orphaned) assert.equal(rows.find((r) => r.id === id)?.attempt_count, 2, `delivery ${id}`);
  });

  it('herald migrate creates the schema and says so', async (t) => {
    const schema = await postgresSchemaOrSkip(t);
    if (!schema) return;
    const result = await runHerald(['migrate', '--db', schemaUrl(schema)]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /is up to date/);
    const tables = await adminQuery<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'deliveries'",
      [schema.schema],
    );
    assert.equal(tables.length, 1);
  });
});

/** The flaky endpoint fails the first attempt of every tenth event and every attempt of every fiftieth. */
function flakyAnswer(request: ReceivedRequest): number {
  const to = new URL(request.path, 'http://x').searchParams.get('to')!;
  const follower = followerOf(request);
  if (alwaysFails(follower, to)) return 500;
  if (failsOnce(follower, to) && request.headers['x-webhook-attempt'] === '1') return 500;
  return 200;
}

function alwaysFails(follower: string, to: string): boolean {
  return to === 'flaky' && Number(follower.slice(1)) % 50 === 7;
}

function failsOnce(follower: string, to: string): boolean {
  return to === 'flaky' && Number(follower.slice(1)) % 10 === 1;
}

/** With the schedule "100ms,200ms": three attempts at most. */
function expectedAttempts(follower: string, to: string): number {
  return alwaysFails(follower, to) ? 3 : failsOnce(follower, to) ? 2 : 1;
}

function followerOf(request: ReceivedRequest): string {
  return (JSON.parse(request.body.toString('utf8')) as { payload: { follower_id: string } }).payload.follower_id;
}

/** "u17 flaky" → attempt numbers received, in order of number. */
function attemptsByPair(requests: ReceivedRequest[]): Map<string, number[]> {
  const pairs = new Map<string, number[]>();
  for (const request of requests) {
    const pair = `${followerOf(request)} ${new URL(request.path, 'http://x').searchParams.get('to')}`;
    const attempts = pairs.get(pair) ?? [];
    attempts.push(Number(request.headers['x-webhook-attempt']));
    pairs.set(pair, attempts.sort((a, b) => a - b));
  }
  return pairs;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

async function stopAll(processes: DispatchProcess[]): Promise<void> {
  await Promise.all(processes.map((p) => p.stop()));
}

