import { issueApiKey } from '../../src/bootstrap.js';
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { createTestApi, endpointBody, publishBody, type TestApi } from '../helpers/fixtures.js';

describe('operations routes', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi();
  });
  afterEach(() => api.dispose());

  it('answers /healthz without a key once the database answers', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok', version: '0.0.0-test' });
  });

  it('answers /healthz 503 when the database is gone', async () => {
    await api.store.close();
    const response = await api.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(response.statusCode, 503);
    assert.deepEqual(response.json(), { status: 'unavailable' });
  });

  it("refuses metrics without the operator key: an organization's key or none at all", async () => {
    for (const headers of [{}, api.org.headers]) {
      const response = await api.app.inject({ method: 'GET', url: '/metrics', headers });
      assert.equal(response.statusCode, 401);
      assert.equal(response.json().error.field, 'authorization');
    }
  });

  it('serves Prometheus metrics with the accepted events and the queue depth', async () => {
    await api.request('POST', '/v1/endpoints', endpointBody({ events: ['*'] }));
    await api.request('POST', '/v1/events', publishBody());
    await api.request('POST', '/v1/events', publishBody());
    const { apiKey } = await issueApiKey(api.store, api.clock, { organizationId: null });
    const response = await api.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${apiKey}` } });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const lines = response.body.split('\n');
    assert.ok(lines.includes('# TYPE herald_events_accepted_total counter'));
    assert.ok(lines.includes('herald_events_accepted_total 2'));
    assert.ok(lines.includes('# TYPE herald_queue_depth gauge'));
    assert.ok(lines.includes('herald_queue_depth 2'));
    for (const line of lines.filter((l) => l !== '' && !l.startsWith('#'))) {
      assert.match(line, /^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$/, line);
    }
  });

  it('describes every route in /openapi.json', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(response.statusCode, 200);
    const document = response.json();
    assert.equal(document.openapi, '3.1.0');
    const routes = Object.entries(document.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    assert.deepEqual(routes, [
      'DELETE /v1/api-keys/{id}',
      'DELETE /v1/endpoints/{id}',
      'DELETE /v1/endpoints/{id}/secret/previous',
      'DELETE /v1/events',
      'DELETE /v1/organizations/{org}',
      'DELETE /v1/session',
      'DELETE /v1/sessions',
      'GET /healthz',
      'GET /metrics',
      'GET /portal',
      'GET /v1/api-keys',
      'GET /v1/deliveries',
      'GET /v1/deliveries/{id}',
      'GET /v1/endpoint-stats',
      'GET /v1/endpoints',
      'GET /v1/endpoints/{id}',
      'GET /v1/endpoints/{id}/recoveries',
      'GET /v1/endpoints/{id}/recoveries/{recovery}',
      'GET /v1/endpoints/{id}/secret',
      'GET /v1/event-types',
      'GET /v1/events',
      'GET /v1/events/{id}',
      'GET /v1/operational-webhook',
      'GET /v1/organizations',
      'GET /v1/organizations/{org}',
      'GET /v1/session',
      'PATCH /v1/endpoints/{id}',
      'PATCH /v1/organizations/{org}',
      'POST /v1/api-keys',
      'POST /v1/deliveries/{id}/resend',
      'POST /v1/endpoints',
      'POST /v1/endpoints/validate',
      'POST /v1/endpoints/{id}/recover',
      'POST /v1/endpoints/{id}/secret/rotate',
      'POST /v1/endpoints/{id}/test',
      'POST /v1/events',
      'POST /v1/organizations',
      'POST /v1/portal-links',
      'POST /v1/session',
    ]);
    assert.ok(document.components.securitySchemes.apiKey);
    // The /v1/organizations/{org}/… copies are described once, not listed twice.
    assert.match(document.info.description, /\/v1\/organizations\/\{org\}\/…/);
  });

  it('lists the event catalog at /v1/event-types', async () => {
    const response = await api.request('GET', '/v1/event-types');
    assert.equal(response.statusCode, 200);
    const types = response.json();
    assert.equal(types.length, 15);
    assert.deepEqual(Object.keys(types[0]), ['name', 'group', 'description', 'schema', 'example']);
    assert.deepEqual(types[0].example, api.catalog.get('user.new')!.example);
    assert.deepEqual(types[0].schema, api.catalog.get('user.new')!.schema);
  });

  it('answers unknown routes with 404 in the error shape', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/v2/nothing?x=1' });
    assert.equal(response.statusCode, 404);
    assert.deepEqual(response.json(), { error: { code: 'not_found', message: 'no route GET /v2/nothing' } });
  });

  it('answers a body that is not JSON with 415', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/v1/endpoints',
      headers: { ...api.org.headers, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'url=http://example.com',
    });
    assert.equal(response.statusCode, 415);
    assert.equal(response.json().error.code, 'unsupported_media_type');
    assert.equal(response.json().error.field, 'content-type');
  });

  it('answers a body shorter than its Content-Length with 400 naming the header', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { ...api.org.headers, 'content-type': 'application/json', 'content-length': '5' },
      payload: JSON.stringify(publishBody()),
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().error.code, 'invalid_request');
    assert.equal(response.json().error.field, 'content-length');
  });

  it('answers a path the router cannot decode, or too long to be an id, in the error shape', async () => {
    for (const url of ['/v1/endpoints/%E0%A4%A', `/v1/endpoints/${'x'.repeat(101)}`]) {
      const response = await api.request('GET', url);
      assert.equal(response.statusCode, 400, url);
      assert.equal(response.json().error.code, 'invalid_request', url);
      assert.equal(response.json().error.field, 'path', url);
    }
  });

  it('hides the cause of a 500 from the caller and logs it', async () => {
    const logged: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void logged.push(line) });
    const logging = await createTestApi({ logger });
    try {
      logging.store.listEndpoints = async () => {
        throw new Error('SQLITE_CORRUPT: secret internals');
      };
      const response = await logging.request('GET', '/v1/endpoints');
      assert.equal(response.statusCode, 500);
      assert.equal(response.json().error.code, 'internal_error');
      assert.doesNotMatch(response.body, /SQLITE|internals/);
      assert.ok(logged.some((line) => line.includes('SQLITE_CORRUPT: secret internals')));
    } finally {
      await logging.dispose();
    }
  });
});
