import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { api, runHerald, startHeraldProcess } from '../../../../test-support/herald-process.js';
import { makeTempDir } from '../../../../test-support/temp-dir.js';

describe('herald serve', () => {
  const dir = makeTempDir('herald-cli-');
  after(() => dir.remove());

  it('prints the dashboard URL and an API key on an empty database, and on restart no key but the organization id to ask for one', async () => {
    const db = join(dir.path, 'first-run.db');
    const first = await startHeraldProcess(['--db', db]);
    let orgId: string;
    try {
      assert.match(first.output(), /Dashboard:\s+http:\/\/127\.0\.0\.1:\d+\//);
      assert.match(first.apiKey ?? '', /^hk_[A-Za-z0-9_-]{43}$/);
      orgId = /Organization: (\S+)/.exec(first.output())![1]!;
      const listed = await api(first.url, first.apiKey!, 'GET', '/v1/endpoints');
      assert.equal(listed.status, 200);
    } finally {
      await first.stop();
    }
    const second = await startHeraldProcess(['--db', db]);
    try {
      assert.equal(second.apiKey, null);
      assert.ok(second.output().includes(`Organization: ${orgId} (Default organization)`), second.output());
      assert.ok(second.output().includes(`herald keys create --org ${orgId}\``), second.output());
      assert.equal((await api(second.url, first.apiKey!, 'GET', '/v1/endpoints')).status, 200);
    } finally {
      await second.stop();
    }
  });

  it('seeds the first API key from HERALD_API_KEY', async () => {
    const key = 'automation-key-0123456789abcdef';
    const herald = await startHeraldProcess(['--db', join(dir.path, 'seeded.db')], { HERALD_API_KEY: key });
    try {
      assert.equal(herald.apiKey, key);
      assert.equal((await api(herald.url, key, 'GET', '/v1/endpoints')).status, 200);
      assert.equal((await api(herald.url, 'wrong-key-0123456789abcdef', 'GET', '/v1/endpoints')).status, 401);
    } finally {
      await herald.stop();
    }
  });

  it('exits on SIGTERM with status 0', async () => {
    const herald = await startHeraldProcess(['--db', join(dir.path, 'sigterm.db')]);
    herald.child.kill('SIGTERM');
    assert.equal(await herald.exited, 0);
  });

  for (const [args, env, mention] of [
    [['--port', 'eighty'], {}, /--port must be a whole number from 0 to 65535, got "eighty"/],
    [['--retry-schedule', '3s,soon'], {}, /--retry-schedule\[1\] must be a duration/],
    [[], { HERALD_ATTEMPT_TIMEOUT: '-1s' }, /HERALD_ATTEMPT_TIMEOUT must be a duration/],
    [[], { HERALD_API_KEY: 'short' }, /HERALD_API_KEY must be at least 24 characters/],
    [['--lease', '5s', '--attempt-timeout', '10s'], {}, /--lease \(HERALD_LEASE\) must be longer than --attempt-timeout/],
    [['--max-attempt-timeout', '90s'], {}, /--lease \(HERALD_LEASE\) must be longer than --max-attempt-timeout/],
    [['--max-attempts', '0'], {}, /--max-attempts must be a whole number from 1 to 100/],
    [['--log-level', 'loud'], {}, /--log-level must be one of/],
  ] as const) {
    it(`refuses ${[...args, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)].join(' ')} naming the setting and the rule`, async () => {
      const result = await runHerald(['serve', '--db', join(dir.path, 'never.db'), ...args], env);
      assert.equal(result.code, 2);
      assert.match(result.stderr, mention);
    });
  }
});

describe('herald orgs and keys', () => {
  const dir = makeTempDir('herald-cli-');
  after(() => dir.remove());

  it('creates an organization and further keys that authorize only that organization', async () => {
    const db = join(dir.path, 'orgs.db');
    const created = await runHerald(['orgs', 'create', 'Globex', '--db', db]);
    assert.equal(created.code, 0, created.stderr);
    const orgId = /organization: (\S+)/.exec(created.stdout)![1]!;
    const firstKey = /api key:\s+(\S+)/.exec(created.stdout)![1]!;
    const more = await runHerald(['keys', 'create', '--org', orgId, '--db', db]);
    assert.equal(more.code, 0, more.stderr);
    const secondKey = /api key: (\S+)/.exec(more.stdout)![1]!;
    assert.notEqual(secondKey, firstKey);

    const herald = await startHeraldProcess(['--db', db]);
    try {
      assert.equal(herald.apiKey, null, 'an existing organization means no bootstrap key');
      const made = await api<{ id: string }>(herald.url, firstKey, 'POST', '/v1/endpoints', { url: 'https://example.com/hook', events: ['*'] });
      assert.equal(made.status, 201);
      assert.equal((await api(herald.url, secondKey, 'GET', `/v1/endpoints/${made.body.id}`)).status, 200);
    } finally {
      await herald.stop();
    }
  });

  it('lists every organization oldest first with its id, name, uid and creation time, and serve points to the list', async () => {
    const db = join(dir.path, 'list.db');
    const empty = await runHerald(['orgs', 'list', '--db', db]);
    assert.equal(empty.code, 0, empty.stderr);
    assert.match(empty.stdout, /^no organizations yet/);
    const ids: string[] = [];
    for (const name of ['Globex', 'Initech Corp']) {
      const created = await runHerald(['orgs', 'create', name, '--db', db]);
      assert.equal(created.code, 0, created.stderr);
      ids.push(/organization: (\S+)/.exec(created.stdout)![1]!);
    }
    const listed = await runHerald(['orgs', 'list', '--db', db]);
    assert.equal(listed.code, 0, listed.stderr);
    const [header, ...rows] = listed.stdout.trimEnd().split('\n').map((line) => line.split(/\s{2,}/));
    assert.deepEqual(header, ['id', 'name', 'uid', 'created']);
    assert.deepEqual(rows.map((row) => row.slice(0, 3)), [[ids[0], 'Globex', '-'], [ids[1], 'Initech Corp', '-']]);
    const createdAt = rows.map((row) => row[3]!);
    for (const time of createdAt) assert.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(createdAt[0]! <= createdAt[1]!, `created ${createdAt.join(', ')}`);

    const herald = await startHeraldProcess(['--db', db]);
    try {
      assert.ok(herald.output().includes(`Organizations: 2, the first ${ids[0]} (Globex); \`herald orgs list\``), herald.output());
    } finally {
      await herald.stop();
    }
  });

  it('refuses a key for an organization that does not exist', async () => {
    const result = await runHerald(['keys', 'create', '--org', '0190a0a0-0000-7000-8000-000000000000', '--db', join(dir.path, 'none.db')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--org: no organization/);
  });
});
