import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHeraldProcess, type HeraldProcess } from '../../../test-support/herald-process.js';
import { requireOrSkip } from '../../../test-support/skip.js';
import { makeTempDir } from '../../../test-support/temp-dir.js';
import { HeraldApiError, HeraldClient } from '../src/index.js';
import { heraldIsBuilt } from './herald-process.js';

const OPERATOR_KEY = 'sdk-operator-key-0123456789abcdef';

/** The operator calls of HeraldClient against a real `herald serve`. */
describe('HeraldClient with an operator key', () => {
  if (!heraldIsBuilt()) {
    it('runs against a built Herald', (t) => void requireOrSkip(t, false, 'the server is not built: run `npm run build`'));
    return;
  }
  const dir = makeTempDir('herald-sdk-operator-');
  let herald: HeraldProcess;
  let client: HeraldClient;
  before(async () => {
    herald = await startHeraldProcess(['--db', join(dir.path, 'herald.db'), '--no-dispatch', '--log-level', 'error'], { HERALD_OPERATOR_KEY: OPERATOR_KEY });
    client = new HeraldClient({ baseUrl: herald.url, apiKey: OPERATOR_KEY, retries: 0 });
  });
  after(async () => {
    await herald?.stop();
    dir.remove();
  });

  it('creates organizations by uid and acts for each one, publishing and reading only its data', async () => {
    for (const uid of ['acme', 'globex']) {
      const org = await client.organizations.create({ uid, name: uid.toUpperCase(), metadata: { plan: 'pro' } });
      assert.equal(org.uid, uid);
      const scoped = client.forOrganization(uid);
      await scoped.endpoints.create({ url: `https://${uid}.example.com/hooks`, events: ['*'] });
      const published = await scoped.events.publish({
        event: 'user.follow',
        payload: { organization_id: uid, follower_id: 'u1', followed_id: 'u2' },
      });
      assert.equal(published.deliveries.length, 1);
    }
    assert.deepEqual((await client.forOrganization('globex').endpoints.list()).map((e) => e.url), ['https://globex.example.com/hooks']);
    const { data } = await client.organizations.list({ uid: 'acme' });
    assert.equal(data[0]?.name, 'ACME');
    assert.equal((await client.organizations.update('acme', { name: 'Acme Inc' })).name, 'Acme Inc');
  });

  it("makes an organization's key that works on its own, and revokes it", async () => {
    await client.organizations.create({ uid: 'initech', name: 'Initech' });
    const made = await client.forOrganization('initech').apiKeys.create({ scope: 'read', name: 'reporting' });
    const own = new HeraldClient({ baseUrl: herald.url, apiKey: made.key, retries: 0 });
    assert.deepEqual(await own.endpoints.list(), []);
    await assert.rejects(own.events.publish({ event: 'user.follow', payload: { organization_id: 'x', follower_id: 'a', followed_id: 'b' } }), (error: unknown) => {
      assert.ok(error instanceof HeraldApiError);
      assert.equal(error.code, 'insufficient_scope');
      return true;
    });
    assert.deepEqual((await client.forOrganization('initech').apiKeys.list()).map((k) => k.name), ['reporting']);
    await client.forOrganization('initech').apiKeys.revoke(made.id);
    await client.organizations.delete('initech');
    await assert.rejects(client.organizations.get('initech'), (error: unknown) => error instanceof HeraldApiError && error.status === 404);
  });
});
