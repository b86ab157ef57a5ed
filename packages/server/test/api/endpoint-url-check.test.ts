import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createTestApi, endpointBody, type TestApi } from '../helpers/fixtures.js';

describe('checking an endpoint URL before saving it', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi({ dashboardDir: null });
  });
  afterEach(() => api.dispose());

  it('accepts an https URL and saves nothing', async () => {
    const response = await api.request('POST', '/v1/endpoints/validate', { url: 'https://example.com/webhooks' });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), { valid: true });
    assert.equal((await api.store.listEndpoints(api.org.id)).length, 0);
  });

  for (const url of ['ftp://example.com/hooks', 'example.com/hooks', 'https://user:secret@example.com/hooks', '']) {
    it(`gives the same reason as saving would for ${JSON.stringify(url)}`, async () => {
      const checked = await api.request('POST', '/v1/endpoints/validate', { url });
      const saved = await api.request('POST', '/v1/endpoints', endpointBody({ url }));
      assert.equal(checked.statusCode, 400);
      assert.equal(checked.json().error.field, 'url');
      assert.deepEqual(checked.json(), saved.json());
    });
  }
});
