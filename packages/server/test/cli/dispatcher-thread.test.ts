import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { api, runHerald, startHeraldProcess } from '../../../../test-support/herald-process.js';
import { startReceiver } from '../../../../test-support/receiver.js';
import { makeTempDir } from '../../../../test-support/temp-dir.js';

const OPERATOR_KEY = 'operator-key-for-the-thread-test-0123456789';

describe("herald serve's dispatcher thread", () => {
  const dir = makeTempDir('herald-thread-');
  after(() => dir.remove());

  it("delivers what the API accepted, and the API's /metrics counts the thread's attempts", async (t) => {
    const receiver = await startReceiver();
    t.after(() => receiver.close());
    const herald = await startHeraldProcess(['--db', join(dir.path, 'thread.db'), '--allow-private-networks'], { HERALD_OPERATOR_KEY: OPERATOR_KEY });
    t.after(() => herald.stop());
    const key = herald.apiKey!;
    assert.equal((await api(herald.url, key, 'POST', '/v1/endpoints', { url: receiver.url, events: ['user.follow'] })).status, 201);
    for (let i = 0; i < 3; i++) {
      const published = await api(herald.url, key, 'POST', '/v1/events', { event: 'user.follow', payload: { organization_id: 'o', follower_id: `u${i}`, followed_id: 'u0' } });
      assert.equal(published.status, 202, JSON.stringify(published.body));
    }
    await receiver.waitForRequests(3);
    let scraped = '';
    for (let tries = 0; tries < 100 && !/herald_delivery_attempts_total\{outcome="succeeded"\} 3$/m.test(scraped); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      scraped = await (await fetch(`${herald.url}/metrics`, { headers: { authorization: `Bearer ${OPERATOR_KEY}` } })).text();
    }
    assert.match(scraped, /^herald_delivery_attempts_total\{outcome="succeeded"\} 3$/m);
    assert.match(scraped, /^herald_delivery_latency_seconds_count 3$/m);
  });

  it('refuses --db :memory:, which the thread could not share, naming the setting', async () => {
    const result = await runHerald(['serve', '--db', ':memory:', '--port', '0']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /--db :memory: cannot be shared with the dispatcher thread/);
  });
});
