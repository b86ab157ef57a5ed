import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { resolveConfig } from '../../src/config.js';
import { startHerald, type RunningHerald } from '../../src/server.js';
import { startReceiver, type Receiver } from '../../../../test-support/receiver.js';
import { requireOrSkip } from '../../../../test-support/skip.js';
import { createOrganization, publishBody } from '../helpers/fixtures.js';
import { eventually, POSTGRES_URL, postgresUnavailable, testSchema } from '../store/postgres-support.js';

/**
 * A database that cannot write loses nothing. On SQLite the disk really fills: the database lives on
 * a small tmpfs (mounted here; it needs root, so where mounting is refused the test is skipped,
 * loudly, and fails under CI=true). On PostgreSQL the database turns read-only under Herald
 * (`default_transaction_read_only` for Herald's own role, and its connections dropped, as in a
 * failover to a standby), which is what managed PostgreSQL services do when storage runs out.
 *
 * Either way: publishing answers 503 storage_unavailable and stores nothing of that request;
 * dispatching stalls; once the database can write again both carry on by themselves, and every
 * acknowledged event is delivered, each delivery recorded exactly once.
 */

const quiet = pino({ level: 'silent' });

async function startOn(db: string): Promise<{ herald: RunningHerald; key: string; receiver: Receiver }> {
  const config = resolveConfig({ db, port: '0', allowPrivateNetworks: true, leaseMs: '60s', logLevel: 'silent' }, {});
  const herald = await startHerald(config, { logger: quiet, secretBox: null, warn: () => undefined });
  const org = await createOrganization(herald.store);
  const receiver = await startReceiver();
  const endpoint = await post(herald, org.apiKey, '/v1/endpoints', { url: `${receiver.url}/hook`, events: ['*'] });
  assert.equal(endpoint.status, 201);
  return { herald, key: org.apiKey, receiver };
}

interface Answer {
  status: number;
  body: { id?: string; error?: { code: string } };
}

async function post(herald: RunningHerald, key: string, path: string, body: unknown): Promise<Answer> {
  const response = await fetch(`${herald.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

/** Publishes `count` events, each acknowledged. */
async function publishAll(herald: RunningHerald, key: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const response = await post(herald, key, '/v1/events', publishBody());
    assert.equal(response.status, 202);
    ids.push(response.body.id as string);
  }
  return ids;
}

/** Publishes one at a time until one is refused; returns the acknowledged ids and the refusal. */
async function publishUntilRefused(herald: RunningHerald, key: string, max: number) {
  const acknowledged: string[] = [];
  for (let i = 0; i < max; i++) {
    const response = await post(herald, key, '/v1/events', publishBody());
    if (response.status !== 202) return { acknowledged, refusal: response };
    acknowledged.push(response.body.id as string);
  }
  throw new Error(`${max} publishes were all accepted; the database never refused a write`);
}

/** Waits for the database to take writes again, then checks that nothing was lost or recorded twice. */
async function checkRecovery(herald: RunningHerald, key: string, receiver: Receiver, acknowledged: string[], organizationId: string) {
  let again: Answer | undefined;
  await eventually('publishing to recover', async () => (again = await post(herald, key, '/v1/events', publishBody())).status === 202, 30_000);
  const all = [...acknowledged, again!.body.id as string];
  await eventually(
    'every acknowledged event to be delivered',
    async () => {
      for (const eventId of all) {
        const deliveries = await herald.store.listDeliveriesForEvent(organizationId, eventId);
        if (deliveries.length !== 1 || deliveries[0]!.status !== 'succeeded') return false;
      }
      return true;
    },
    60_000,
  );
  for (const eventId of all) {
    const [delivery] = await herald.store.listDeliveriesForEvent(organizationId, eventId);
    assert.equal((await herald.store.listAttempts(delivery!.id)).length, 1, `delivery ${delivery!.id} has one attempt record`);
  }
  const received = receiver.requests.map((request) => JSON.parse(request.body.toString()).id as string);
  for (const eventId of all) assert.ok(received.includes(eventId), `event ${eventId} reached the receiver`);
}

function mountTmpfs(t: TestContext, size: string): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'herald-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmdirSync(dir);
    requireOrSkip(t, false, `cannot mount a small tmpfs to fill (needs root): ${String((error as Error).message).split('\n')[0]}`);
    return null;
  }
  t.after(() => {
    execFileSync('umount', ['-l', dir]);
    rmdirSync(dir);
  });
  return dir;
}

/** Fills the file system holding `dir` to the last block; returns how to give the space back. */
function fill(dir: string): () => void {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  for (const size of [1 << 20, 4096, 512]) {
    const chunk = Buffer.alloc(size, 1);
    try {
      for (;;) writeSync(fd, chunk);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    }
  }
  closeSync(fd);
  return () => rmSync(path);
}

describe('a full disk loses nothing', () => {
  it('on SQLite: publishing answers 503 storage_unavailable and stores nothing of it; with space back, everything acknowledged is delivered once', async (t) => {
    const dir = mountTmpfs(t, '24m');
    if (dir === null) return;
    const { herald, key, receiver } = await startOn(join(dir, 'herald.db'));
    t.after(async () => {
      await herald.stop().catch(() => undefined);
      await receiver.close();
    });
    const organizationId = (await herald.store.listOrganizationProfiles({ limit: 1 })).items[0]!.id;
    const before = await publishAll(herald, key, 20);

    const giveBack = fill(dir);
    const { acknowledged, refusal } = await publishUntilRefused(herald, key, 20_000);
    assert.equal(refusal.status, 503);
    assert.equal(refusal.body.error?.code, 'storage_unavailable');
    // Nothing half-way: exactly the acknowledged events are stored, each with its delivery.
    const stored = await herald.store.listEvents({ organizationId, limit: 250 });
    assert.equal(stored.items.length, before.length + acknowledged.length);
    t.diagnostic(`tmpfs full: ${acknowledged.length} more publishes acknowledged before the first 503`);

    giveBack();
    await checkRecovery(herald, key, receiver, [...before, ...acknowledged], organizationId);
  });

  it('on PostgreSQL: a database turned read-only answers 503 storage_unavailable; once writable again, everything acknowledged is delivered once', async (t) => {
    const missing = await postgresUnavailable();
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const schema = testSchema();
    const role = `herald_ro_${schema.schema.slice('herald_test_'.length)}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    const database = (await admin.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
    await admin.query(`GRANT CREATE ON DATABASE "${database}" TO ${role}`);
    // Herald's connections come and go with its pool: drop them, and the new ones get the role's
    // setting. Until the pool has seen each old one close, a query may still meet one; once as many
    // reads at once as the pool holds (10) all succeed, every connection in it is new.
    const reconnectHerald = async () => {
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
      await eventually('the pool to be on new connections', async () => {
        const reads = await Promise.all(Array.from({ length: 10 }, () => herald.store.countOrganizations().then(() => true, () => false)));
        return reads.every(Boolean);
      });
    };
    const url = new URL(POSTGRES_URL);
    url.username = role;
    url.searchParams.set('schema', schema.schema);
    const { herald, key, receiver } = await startOn(url.toString());
    t.after(async () => {
      await herald.stop().catch(() => undefined);
      await receiver.close();
      await schema.dispose();
      await admin.query(`REVOKE CREATE ON DATABASE "${database}" FROM ${role}`);
      await admin.query(`DROP ROLE ${role}`);
      await admin.end();
    });
    const organizationId = (await herald.store.listOrganizationProfiles({ limit: 1 })).items[0]!.id;
    const before = await publishAll(herald, key, 20);

    await admin.query(`ALTER ROLE ${role} SET default_transaction_read_only = on`);
    await reconnectHerald();
    const { acknowledged, refusal } = await publishUntilRefused(herald, key, 10);
    assert.equal(refusal.status, 503);
    assert.equal(refusal.body.error?.code, 'storage_unavailable');
    const stored = await herald.store.listEvents({ organizationId, limit: 250 });
    assert.equal(stored.items.length, before.length + acknowledged.length);

    await admin.query(`ALTER ROLE ${role} RESET default_transaction_read_only`);
    await reconnectHerald();
    await checkRecovery(herald, key, receiver, [...before, ...acknowledged], organizationId);
  });
});
