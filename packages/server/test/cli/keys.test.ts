import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { api, runHerald, startDispatchProcess, startHeraldProcess } from '../../../../test-support/herald-process.js';
import { makeTempDir } from '../../../../test-support/temp-dir.js';

const OPERATOR_KEY = 'operator-key-for-the-cli-test-0123456789';

describe('herald keys and the operator key', () => {
  const dir = makeTempDir('herald-keys-');
  after(() => dir.remove());

  it('seeds HERALD_OPERATOR_KEY on an empty database, and the operator API answers to it', async () => {
    const db = join(dir.path, 'seed.db');
    const herald = await startHeraldProcess(['--db', db], { HERALD_OPERATOR_KEY: OPERATOR_KEY });
    try {
      const created = await api<{ uid: string }>(herald.url, OPERATOR_KEY, 'POST', '/v1/organizations', { uid: 'acme', name: 'Acme' });
      assert.equal(created.status, 201);
      const metrics = await fetch(`${herald.url}/metrics`, { headers: { authorization: `Bearer ${OPERATOR_KEY}` } });
      assert.equal(metrics.status, 200);
      assert.equal((await api(herald.url, herald.apiKey!, 'GET', '/v1/organizations')).status, 403);
    } finally {
      await herald.stop();
    }
    const listed = await runHerald(['keys', 'list', '--operator', '--db', db]);
    assert.match(listed.stdout, /operator\s+HERALD_OPERATOR_KEY/);
  });

  it('creates scoped keys for an organization by uid, lists them, and revokes one, which the API then refuses', async () => {
    const db = join(dir.path, 'keys.db');
    const operator = await runHerald(['keys', 'create', '--operator', '--name', 'platform', '--db', db]);
    assert.equal(operator.code, 0, operator.stderr);
    const operatorKey = /api key: (\S+)/.exec(operator.stdout)![1]!;
    const herald = await startHeraldProcess(['--db', db]);
    try {
      assert.equal((await api(herald.url, operatorKey, 'POST', '/v1/organizations', { uid: 'globex', name: 'Globex' })).status, 201);
      const made = await runHerald(['keys', 'create', '--org', 'globex', '--scope', 'publish', '--name', 'ci', '--expires-in', '30d', '--db', db]);
      assert.equal(made.code, 0, made.stderr);
      const key = /api key: (\S+)/.exec(made.stdout)![1]!;
      const id = /id:\s+(\S+)/.exec(made.stdout)![1]!;
      const listed = await runHerald(['keys', 'list', '--org', 'globex', '--db', db]);
      assert.match(listed.stdout, new RegExp(`${id}\\s+hk_\\S+…\\s+publish\\s+ci`));
      assert.equal((await api(herald.url, key, 'GET', '/v1/endpoints')).status, 403, 'a publish key may not read');
      assert.equal((await runHerald(['keys', 'revoke', id, '--org', 'globex', '--db', db])).code, 0);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal((await api(herald.url, key, 'GET', '/v1/endpoints')).status, 401);
    } finally {
      await herald.stop();
    }
  });

  it('refuses a key without --org or --operator, and a scope an organization key cannot have', async () => {
    const db = join(dir.path, 'bad.db');
    const neither = await runHerald(['keys', 'create', '--db', db]);
    assert.equal(neither.code, 2);
    assert.match(neither.stderr, /--org <id or uid> or --operator/);
    await runHerald(['orgs', 'create', 'Acme', '--db', db]);
    const id = (await runHerald(['orgs', 'list', '--db', db])).stdout.split('\n')[1]!.split(/\s+/)[0]!;
    const wrong = await runHerald(['keys', 'create', '--org', id, '--scope', 'operator', '--db', db]);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /--scope must be one of admin, publish, read/);
  });

  it("serves the dispatcher's metrics on --metrics-port, to the operator key only", async () => {
    const db = join(dir.path, 'dispatch.db');
    const operator = await runHerald(['keys', 'create', '--operator', '--db', db]);
    const operatorKey = /api key: (\S+)/.exec(operator.stdout)![1]!;
    const dispatcher = await startDispatchProcess(['--db', db, '--metrics-port', '0']);
    try {
      const url = /Metrics:\s+(http:\/\/\S+)/.exec(dispatcher.output())![1]!;
      assert.equal((await fetch(url)).status, 401);
      const scraped = await fetch(url, { headers: { authorization: `Bearer ${operatorKey}` } });
      assert.equal(scraped.status, 200);
      assert.match(await scraped.text(), /^# TYPE herald_delivery_attempts_total counter$/m);
    } finally {
      await dispatcher.stop();
    }
  });
});
