import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { apiKeyDisplayPrefix, generateApiKey, hashApiKey } from '../../src/api/api-keys.js';
import { uuidv7 } from '../../src/ids.js';
import { createTestApi, type TestApi } from '../helpers/fixtures.js';

describe('API key authentication', () => {
  let api: TestApi;
  let keyReads: number;
  beforeEach(async () => {
    api = await createTestApi({ dashboardDir: null });
    keyReads = 0;
    const find = api.store.findOrganizationIdByKeyHash.bind(api.store);
    api.store.findOrganizationIdByKeyHash = (keyHash) => {
      keyReads += 1;
      return find(keyHash);
    };
  });
  afterEach(() => api.dispose());

  it('reads a known key from the database once a minute, not once per request', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await api.request('GET', '/v1/endpoints')).statusCode, 200);
    assert.equal(keyReads, 1);
    api.clock.advance(59_999);
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
});
