import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { api, runHerald, startHeraldProcess } from '../../../../test-support/herald-process.js';
import { makeTempDir } from '../../../../test-support/temp-dir.js';

const publishBody = {
  event: 'user.new',
  payload: { organization_id: 'org_1', user_id: 'u_1', email: 'ada@example.com', phone: '+14155552671', full_name: 'Ada Lovelace' },
};

describe('herald backup', () => {
  const dir = makeTempDir('herald-backup-');
  after(() => dir.remove());

  it('copies the database while Herald is being published to, and a second Herald on the copy has every event acknowledged before the backup began', async () => {
    const db = join(dir.path, 'live.db');
    const copy = join(dir.path, 'copy.db');
    const herald = await startHeraldProcess(['--db', db, '--allow-private-networks', '--retry-schedule', '']);
    const acknowledged: string[] = [];
    let publishing = true;
    let load: Promise<void[]> | undefined;
    try {
      const key = herald.apiKey!;
      // Deliveries fail at once (nothing listens on port 9), so attempts are written too.
      assert.equal((await api(herald.url, key, 'POST', '/v1/endpoints', { url: 'http://127.0.0.1:9/hook', events: ['*'] })).status, 201);
      load = Promise.all(
        Array.from({ length: 8 }, async () => {
          while (publishing) {
            const response = await api<{ id: string }>(herald.url, key, 'POST', '/v1/events', publishBody);
            assert.equal(response.status, 202);
            acknowledged.push(response.body.id);
          }
        }),
      );
      while (acknowledged.length < 300) await new Promise((resolve) => setTimeout(resolve, 20));

      const beforeBackup = [...acknowledged];
      const backup = await runHerald(['backup', '--db', db, copy]);
      const duringBackup = acknowledged.length - beforeBackup.length;
      assert.equal(backup.code, 0, backup.stderr);
      assert.match(backup.stdout, /backed up .* to .*copy\.db \(\d+ bytes/);
      // The load went on while the copy was taken.
      assert.ok(duringBackup > 0, 'publishes were acknowledged while the backup ran');
      publishing = false;
      await load;

      const restored = await startHeraldProcess(['--db', copy, '--no-dispatch']);
      try {
        const found = new Set<string>();
        let cursor: string | null = null;
        do {
          const page: { status: number; body: { data: Array<{ id: string }>; next_cursor: string | null } } = await api(
            restored.url, key, 'GET', `/v1/events?limit=250${cursor ? `&cursor=${cursor}` : ''}`,
          );
          assert.equal(page.status, 200);
          for (const event of page.body.data) found.add(event.id);
          cursor = page.body.next_cursor;
        } while (cursor !== null);
        const missing = beforeBackup.filter((id) => !found.has(id));
        assert.deepEqual(missing, [], `${missing.length} of ${beforeBackup.length} acknowledged events are not in the copy`);
        const [first] = beforeBackup;
        const event = await api<{ deliveries: unknown[] }>(restored.url, key, 'GET', `/v1/events/${first}`);
        assert.equal(event.body.deliveries.length, 1);
      } finally {
        await restored.stop();
      }
    } finally {
      publishing = false;
      await load?.catch(() => undefined);
      await herald.stop();
    }
  });

  it('refuses to overwrite a file, and a PostgreSQL URL, and writes nothing', async () => {
    const db = join(dir.path, 'small.db');
    const herald = await startHeraldProcess(['--db', db]);
    await herald.stop();
    const existing = join(dir.path, 'small.db');
    const overwrite = await runHerald(['backup', '--db', db, existing]);
    assert.equal(overwrite.code, 2);
    assert.match(overwrite.stderr, /exists already/);
    const postgres = await runHerald(['backup', '--db', 'postgres://localhost/herald', join(dir.path, 'pg.db')]);
    assert.equal(postgres.code, 2);
    assert.match(postgres.stderr, /pg_dump/);
    assert.equal(existsSync(join(dir.path, 'pg.db')), false);
  });
});
