import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createTestApi, endpointBody, type TestApi } from '../helpers/fixtures.js';

describe('endpoints API', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi();
  });
  afterEach(() => api.dispose());

  const create = async (overrides: Record<string, unknown> = {}) => {
    const response = await api.request('POST', '/v1/endpoints', endpointBody(overrides));
    assert.equal(response.statusCode, 201, response.body);
    return response.json();
  };

  it('creates an endpoint and shows its whsec_ secret once, in the creation response', async () => {
    const endpoint = await create();
    assert.match(endpoint.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(
      { ...endpoint, id: 'x', secret: 'x' },
      {
        id: 'x',
        url: 'http://127.0.0.1:9/webhooks',
        description: 'CRM sync',
        events: ['user.new'],
        enabled: true,
        signature_scheme: 'contactsmanager',
        created_at: '2026-01-01T00:00:00.000Z',
        updated_at: '2026-01-01T00:00:00.000Z',
        rate_limit: null,
        retry_schedule: null,
        timeout: null,
        disabled_reason: null,
        disabled_at: null,
        failing_since: null,
        failed_deliveries_in_streak: 0,
        warned_at: null,
        secret: 'x',
      },
    );
    const read = await api.request('GET', `/v1/endpoints/${endpoint.id}`);
    assert.equal(read.statusCode, 200);
    assert.equal(read.json().secret, undefined);
  });

  it('lists the endpoints of the organization', async () => {
    const a = await create();
    const b = await create({ events: ['*'] });
    const list = await api.request('GET', '/v1/endpoints');
    assert.equal(list.statusCode, 200);
    assert.deepEqual(list.json().data.map((e: { id: string }) => e.id).sort(), [a.id, b.id].sort());
  });

  it('changes only the fields a PATCH sends', async () => {
    const endpoint = await create();
    api.clock.advance(1000);
    const patched = await api.request('PATCH', `/v1/endpoints/${endpoint.id}`, {
      enabled: false,
      events: ['user.follow', 'user.unfollow'],
      signature_scheme: 'both',
    });
    assert.equal(patched.statusCode, 200, patched.body);
    const body = patched.json();
    assert.equal(body.url, endpoint.url);
    assert.equal(body.description, 'CRM sync');
    assert.equal(body.enabled, false);
    assert.deepEqual(body.events, ['user.follow', 'user.unfollow']);
    assert.equal(body.signature_scheme, 'both');
    assert.equal(body.updated_at, '2026-01-01T00:00:01.000Z');
  });

  it('deletes an endpoint, then answers 404 for it', async () => {
    const endpoint = await create();
    assert.equal((await api.request('DELETE', `/v1/endpoints/${endpoint.id}`)).statusCode, 204);
    const read = await api.request('GET', `/v1/endpoints/${endpoint.id}`);
    assert.equal(read.statusCode, 404);
    assert.equal(read.json().error.code, 'not_found');
    assert.equal((await api.request('DELETE', `/v1/endpoints/${endpoint.id}`)).statusCode, 404);
  });

  it('refuses an unknown event type, naming events[i]', async () => {
    const response = await api.request('POST', '/v1/endpoints', endpointBody({ events: ['user.new', 'user.teleported'] }));
    assert.equal(response.statusCode, 422);
    assert.equal(response.json().error.code, 'unknown_event_type');
    assert.equal(response.json().error.field, 'events[1]');
  });

  it('refuses an empty events list', async () => {
    const response = await api.request('POST', '/v1/endpoints', endpointBody({ events: [] }));
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json().error, {
      code: 'invalid_request',
      message: 'events must NOT have fewer than 1 items (rule: minItems)',
      field: 'events',
    });
  });

  it('refuses "*" mixed with event types', async () => {
    const response = await api.request('POST', '/v1/endpoints', endpointBody({ events: ['*', 'user.new'] }));
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().error.field, 'events');
  });

  it('refuses a URL that is not http(s)', async () => {
    const response = await api.request('POST', '/v1/endpoints', endpointBody({ url: 'ftp://example.com/hook' }));
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().error.field, 'url');
  });

  it('refuses a missing url', async () => {
    const { url: _dropped, ...body } = endpointBody();
    const response = await api.request('POST', '/v1/endpoints', body);
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().error.field, 'url');
    assert.match(response.json().error.message, /url is required/);
  });

  it('refuses a field it does not know rather than ignoring it', async () => {
    const response = await api.request('POST', '/v1/endpoints', endpointBody({ secret: 'whsec_mine' }));
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().error.field, 'secret');
  });

  it('does not coerce body types: "enabled": "false" is an error', async () => {
    const response = await api.request('POST', '/v1/endpoints', endpointBody({ enabled: 'false' }));
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().error.field, 'enabled');
  });

  it('refuses an unknown signature scheme', async () => {
    const endpoint = await create();
    const response = await api.request('PATCH', `/v1/endpoints/${endpoint.id}`, { signature_scheme: 'stripe' });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().error.field, 'signature_scheme');
  });

  it('refuses an empty PATCH and a PATCH of an unknown event type', async () => {
    const endpoint = await create();
    assert.equal((await api.request('PATCH', `/v1/endpoints/${endpoint.id}`, {})).statusCode, 400);
    const unknown = await api.request('PATCH', `/v1/endpoints/${endpoint.id}`, { events: ['nope.nope'] });
    assert.equal(unknown.statusCode, 422);
    assert.equal(unknown.json().error.field, 'events[0]');
    assert.deepEqual((await api.request('GET', `/v1/endpoints/${endpoint.id}`)).json().events, ['user.new']);
  });
});
