import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createTestApi, endpointBody, type TestApi } from '../helpers/fixtures.js';

describe('endpoint secrets API', () => {
  let api: TestApi;
  let endpoint: { id: string; secret: string };
  beforeEach(async () => {
    api = await createTestApi();
    endpoint = (await api.request('POST', '/v1/endpoints', endpointBody())).json();
  });
  afterEach(() => api.dispose());

  const secretOf = async () => {
    const response = await api.request('GET', `/v1/endpoints/${endpoint.id}/secret`);
    assert.equal(response.statusCode, 200, response.body);
    return response.json();
  };

  it('shows the current secret, and no previous one before a rotation', async () => {
    assert.deepEqual(await secretOf(), { secret: endpoint.secret });
  });

  it('rotates to a new secret and keeps the old one valid for 24 hours by default', async () => {
    const rotated = await api.request('POST', `/v1/endpoints/${endpoint.id}/secret/rotate`);
    assert.equal(rotated.statusCode, 200, rotated.body);
    const body = rotated.json();
    assert.notEqual(body.secret, endpoint.secret);
    assert.match(body.secret, /^whsec_/);
    assert.deepEqual(body.previous, { secret: endpoint.secret, expires_at: '2026-01-02T00:00:00.000Z' });
    assert.deepEqual(await secretOf(), body);
  });

  it('honours grace_seconds, and drops the previous secret once it expires', async () => {
    const rotated = (await api.request('POST', `/v1/endpoints/${endpoint.id}/secret/rotate`, { grace_seconds: 60 })).json();
    assert.equal(rotated.previous.expires_at, '2026-01-01T00:01:00.000Z');
    api.clock.advance(60_000);
    assert.deepEqual(await secretOf(), { secret: rotated.secret });
  });

  it('refuses grace_seconds beyond seven days', async () => {
    const response = await api.request('POST', `/v1/endpoints/${endpoint.id}/secret/rotate`, { grace_seconds: 604_801 });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().error.field, 'grace_seconds');
    assert.deepEqual(await secretOf(), { secret: endpoint.secret });
  });

  it('revokes the previous secret at once', async () => {
    const rotated = (await api.request('POST', `/v1/endpoints/${endpoint.id}/secret/rotate`)).json();
    assert.equal((await api.request('DELETE', `/v1/endpoints/${endpoint.id}/secret/previous`)).statusCode, 204);
    assert.deepEqual(await secretOf(), { secret: rotated.secret });
  });

  it('answers 404 for the secret of an unknown endpoint', async () => {
    const missing = '01900000-0000-7000-8000-000000000000';
    assert.equal((await api.request('GET', `/v1/endpoints/${missing}/secret`)).statusCode, 404);
    assert.equal((await api.request('POST', `/v1/endpoints/${missing}/secret/rotate`)).statusCode, 404);
    assert.equal((await api.request('DELETE', `/v1/endpoints/${missing}/secret/previous`)).statusCode, 404);
  });
});
