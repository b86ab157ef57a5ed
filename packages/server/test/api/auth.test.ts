import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { apiKeyDisplayPrefix, generateApiKey, hashApiKey } from '../../src/api/api-keys.js';
import { buildApp } from '../../src/api/app.js';
import { KEY_CACHE_TTL_MS } from '../../src/api/auth.js';
import { uuidv7 } from '../../src/ids.js';
import { createMetrics } from '../../src/metrics.js';
import { createTestApi, type TestApi } from '../helpers/fixtures.js';

describe('API key authentication', () => {
  let api: TestApi;
  let keyReads: number;
  beforeEach(async () => {
    api = await createTestApi({ dashboardDir: null });
    keyReads = 0;
    const find = api.store.findApiKeyByHash.bind(api.store);
    api.store.findApiKeyByHash = (keyHash) => {
      keyReads += 1;
      return find(keyHash);
    };
  });
  afterEach(() => api.dispose());

  it('reads a known key from the database at most once per half second, not once per request', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await api.request('GET', '/v1/endpoints')).statusCode, 200);
    assert.equal(keyReads, 1);
    api.clock.advance(KEY_CACHE_TTL_MS - 1);
    await api.request('GET', '/v1/endpoints');
    assert.equal(keyReads, 1);
    api.clock.advance(1);
    await api.request('GET', '/v1/endpoints');
    assert.equal(keyReads, 2);
  });

  it('accepts a key created after it was refused, at once: unknown keys are not remembered', async () => {
    const apiKey = generateApiKey();
    const headers = { authorization: `Bearer ${apiKey}` };
    assert.equal((await api.request('GET', '/v1/endpoints', undefined, headers)).statusCode, 401);
    await api.store.createApiKey(
      { id: uuidv7(api.clock.now()), organizationId: api.org.id, prefix: apiKeyDisplayPrefix(apiKey), createdAt: api.clock.now() },
      hashApiKey(apiKey),
    );
    assert.equal((await api.request('GET', '/v1/endpoints', undefined, headers)).statusCode, 200);
    assert.equal(keyReads, 2);
  });

  it('refuses a key revoked through this process at once, and through another process within the cache time', async () => {
    const other = buildApp({ store: api.store, catalog: api.catalog, metrics: createMetrics(), clock: api.clock, version: '0.0.0-test', dashboardDir: null });
    try {
      const created = await api.request('POST', '/v1/api-keys', { scope: 'read', name: 'doomed' });
      assert.equal(created.statusCode, 201, created.body);
      const headers = { authorization: `Bearer ${created.json().key}` };
      const onOther = () => other.inject({ method: 'GET', url: '/v1/endpoints', headers });
      assert.equal((await api.request('GET', '/v1/endpoints', undefined, headers)).statusCode, 200);
      assert.equal((await onOther()).statusCode, 200);

      assert.equal((await api.request('DELETE', `/v1/api-keys/${created.json().id}`)).statusCode, 204);
      const here = await api.request('GET', '/v1/endpoints', undefined, headers);
      assert.equal(here.statusCode, 401);
      assert.match(here.json().error.message, /revoked/);
      api.clock.advance(KEY_CACHE_TTL_MS);
      assert.equal((await onOther()).statusCode, 401);
    } finally {
      await other.close();
    }
  });

  it('refuses a key once its expiry has passed, whatever the cache holds', async () => {
    const expiresAt = new Date(api.clock.now() + 60_000).toISOString();
    const created = await api.request('POST', '/v1/api-keys', { scope: 'admin', expires_at: expiresAt });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().expires_at, expiresAt);
    const headers = { authorization: `Bearer ${created.json().key}` };
    assert.equal((await api.request('GET', '/v1/endpoints', undefined, headers)).statusCode, 200);
    api.clock.advance(60_000);
    const refused = await api.request('GET', '/v1/endpoints', undefined, headers);
    assert.equal(refused.statusCode, 401);
    assert.match(refused.json().error.message, /expired/);
  });

  it('records when a key was last used, to the minute', async () => {
    await api.request('GET', '/v1/endpoints');
    const [key] = (await api.request('GET', '/v1/api-keys')).json().data;
    assert.equal(key.last_used_at, new Date(api.clock.now()).toISOString());
  });
});
