import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createTestApi, endpointBody, finishDueDeliveries, publishBody, userNewPayload, type TestApi } from '../helpers/fixtures.js';

describe('deliveries API', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi();
  });
  afterEach(() => api.dispose());

  const createEndpoint = async (overrides: Record<string, unknown> = {}): Promise<string> =>
    (await api.request('POST', '/v1/endpoints', endpointBody(overrides))).json().id;

  const publish = async (overrides: Record<string, unknown> = {}) =>
    (await api.request('POST', '/v1/events', publishBody(overrides))).json();

  const finishDue = (statusCode: number) => finishDueDeliveries(api.store, api.clock, statusCode);

  it('shows a delivery with every attempt: headers, status, response body, duration, start time', async () => {
    await createEndpoint();
    const event = await publish();
    api.clock.advance(1000);
    assert.equal(await finishDue(500), 1);
    const response = await api.request('GET', `/v1/deliveries/${event.deliveries[0].id}`);
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json();
    assert.equal(body.status, 'failed');
    assert.equal(body.attempt_count, 1);
    assert.equal(body.last_status_code, 500);
    assert.deepEqual(body.attempts, [
      {
        id: body.attempts[0].id,
        number: 1,
        started_at: '2026-01-01T00:00:01.000Z',
        duration_ms: 12,
        status_code: 500,
        error_kind: 'http_status',
        error_message: 'HTTP 500',
        response_body: 'nope',
        response_body_truncated: false,
        response_body_sanitized: false,
        request_headers: { 'x-webhook-id': event.id, 'x-webhook-attempt': '1' },
        succeeded: false,
        final: true,
        retry_after_requested_ms: null,
        retry_after_applied_ms: null,
      },
    ]);
  });

  it('resends a finished delivery as a new pending delivery of the same event to the same endpoint', async () => {
    const endpointId = await createEndpoint();
    const event = await publish();
    await finishDue(500);
    api.clock.advance(5000);
    const original = event.deliveries[0].id;
    const response = await api.request('POST', `/v1/deliveries/${original}/resend`);
    assert.equal(response.statusCode, 202, response.body);
    const resent = response.json();
    assert.notEqual(resent.id, original);
    assert.equal(resent.resend_of, original);
    assert.equal(resent.event_id, event.id);
    assert.equal(resent.endpoint_id, endpointId);
    assert.equal(resent.status, 'pending');
    assert.equal(resent.attempt_count, 0);
    assert.equal(resent.created_at, '2026-01-01T00:00:05.000Z');
  });

  it('refuses to resend a delivery that is still pending', async () => {
    await createEndpoint();
    const event = await publish();
    const response = await api.request('POST', `/v1/deliveries/${event.deliveries[0].id}/resend`);
    assert.equal(response.statusCode, 409);
    assert.equal(response.json().error.code, 'conflict');
    assert.equal(response.json().error.field, 'status');
  });

  it('filters deliveries by endpoint, status, event and event type', async () => {
    const a = await createEndpoint({ events: ['*'] });
    const b = await createEndpoint({ events: ['user.new'] });
    const first = await publish();
    await finishDue(200);
    const second = await publish({ event: 'user.follow', payload: { organization_id: 'o', follower_id: 'x', followed_id: 'y' } });

    const ids = async (query: string) =>
      (await api.request('GET', `/v1/deliveries?${query}`)).json().data.map((d: { id: string }) => d.id).sort();
    const deliveryOf = (event: { deliveries: Array<{ id: string; endpoint_id: string }> }, endpoint: string) =>
      event.deliveries.find((d) => d.endpoint_id === endpoint)!.id;

    assert.deepEqual(await ids(`endpoint_id=${b}`), [deliveryOf(first, b)]);
    assert.deepEqual(await ids('status=pending'), [deliveryOf(second, a)]);
    assert.deepEqual(await ids('status=succeeded'), [deliveryOf(first, a), deliveryOf(first, b)].sort());
    assert.deepEqual(await ids(`event_id=${first.id}`), [deliveryOf(first, a), deliveryOf(first, b)].sort());
    assert.deepEqual(await ids('event_type=user.follow'), [deliveryOf(second, a)]);
    const bad = await api.request('GET', '/v1/deliveries?status=lost');
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.field, 'status');
  });

  it('pages through deliveries with next_cursor', async () => {
    await createEndpoint();
    for (let i = 0; i < 5; i++) await publish({ payload: userNewPayload({ user_id: `u${i}` }) });
    const seen = new Set<string>();
    let url = '/v1/deliveries?limit=2';
    let pages = 0;
    for (;;) {
      const page = (await api.request('GET', url)).json();
      pages += 1;
      for (const d of page.data) seen.add(d.id);
      if (page.next_cursor === null) break;
      url = `/v1/deliveries?limit=2&cursor=${encodeURIComponent(page.next_cursor)}`;
    }
    assert.equal(seen.size, 5);
    assert.equal(pages, 3);
  });

  it('lists the deliveries created since a time (inclusive) and until a time (exclusive)', async () => {
    await createEndpoint();
    const created: string[] = [];
    for (let i = 0; i < 4; i++) {
      created.push((await publish({ payload: userNewPayload({ user_id: `u${i}` }) })).deliveries[0].id);
      api.clock.advance(60_000);
    }
    const response = await api.request('GET', '/v1/deliveries?since=2026-01-01T00:01:00Z&until=2026-01-01T00:03:00Z');
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json().data.map((d: { id: string }) => d.id), [created[2], created[1]]);
    const bad = await api.request('GET', '/v1/deliveries?until=yesterday');
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.field, 'until');
  });

  it('answers 404 for an unknown delivery', async () => {
    const response = await api.request('GET', '/v1/deliveries/01900000-0000-7000-8000-000000000000');
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().error.code, 'not_found');
  });
});

describe('test events', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi();
  });
  afterEach(() => api.dispose());

  it("sends the first subscribed type's example as a new event to that endpoint only", async () => {
    const target = (await api.request('POST', '/v1/endpoints', endpointBody({ events: ['user.is_contact'] }))).json();
    await api.request('POST', '/v1/endpoints', endpointBody({ events: ['*'] }));
    const response = await api.request('POST', `/v1/endpoints/${target.id}/test`);
    assert.equal(response.statusCode, 202, response.body);
    const body = response.json();
    assert.equal(body.event, 'user.is_contact');
    assert.deepEqual(body.deliveries.map((d: { endpoint_id: string }) => d.endpoint_id), [target.id]);
    const stored = await api.store.getEvent(api.org.id, body.id);
    const example = api.catalog.get('user.is_contact')!.example;
    assert.equal(stored?.payloadJson, JSON.stringify({ ...example, organization_id: api.org.id }));
  });

  it('sends the requested type, even one the endpoint does not subscribe to, each time with a fresh id', async () => {
    const endpoint = (await api.request('POST', '/v1/endpoints', endpointBody())).json();
    const first = (await api.request('POST', `/v1/endpoints/${endpoint.id}/test`, { event: 'user.create_reaction' })).json();
    const second = (await api.request('POST', `/v1/endpoints/${endpoint.id}/test`, { event: 'user.create_reaction' })).json();
    assert.equal(first.event, 'user.create_reaction');
    assert.equal(first.deliveries.length, 1);
    assert.notEqual(first.id, second.id);
  });

  it('sends user.new to an endpoint subscribed to "*"', async () => {
    const endpoint = (await api.request('POST', '/v1/endpoints', endpointBody({ events: ['*'] }))).json();
    const response = await api.request('POST', `/v1/endpoints/${endpoint.id}/test`, {});
    assert.equal(response.json().event, 'user.new');
  });

  it('refuses a disabled endpoint with 409 and an unknown type with 422', async () => {
    const endpoint = (await api.request('POST', '/v1/endpoints', endpointBody())).json();
    const unknown = await api.request('POST', `/v1/endpoints/${endpoint.id}/test`, { event: 'user.teleported' });
    assert.equal(unknown.statusCode, 422);
    assert.equal(unknown.json().error.field, 'event');
    await api.request('PATCH', `/v1/endpoints/${endpoint.id}`, { enabled: false });
    const disabled = await api.request('POST', `/v1/endpoints/${endpoint.id}/test`);
    assert.equal(disabled.statusCode, 409);
    assert.equal(disabled.json().error.code, 'conflict');
    assert.equal(disabled.json().error.field, 'enabled');
  });
});
