import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { countRows, createTestApi, endpointBody, publishBody, userNewPayload, type TestApi } from '../helpers/fixtures.js';

describe('events API', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi();
  });
  afterEach(() => api.dispose());

  const createEndpoint = async (overrides: Record<string, unknown> = {}): Promise<string> =>
    (await api.request('POST', '/v1/endpoints', endpointBody(overrides))).json().id;

  /** Publishes and checks the request was rejected without writing anything. */
  const assertRejectedWithoutWrites = async (
    send: () => ReturnType<TestApi['request']>,
    status: number,
    error: { code: string; field?: string },
  ) => {
    await createEndpoint({ events: ['*'] });
    const before = await countRows(api.store, api.org.id);
    const response = await send();
    assert.equal(response.statusCode, status, response.body);
    assert.equal(response.json().error.code, error.code);
    if (error.field !== undefined) assert.equal(response.json().error.field, error.field);
    assert.deepEqual(await countRows(api.store, api.org.id), before);
  };

  it('accepts an event with 202 once stored, with one pending delivery per subscribed endpoint', async () => {
    const endpointId = await createEndpoint();
    const response = await api.request('POST', '/v1/events', publishBody());
    assert.equal(response.statusCode, 202, response.body);
    const body = response.json();
    assert.equal(body.event, 'user.new');
    assert.equal(body.created_at, '2026-01-01T00:00:00.000Z');
    assert.equal(body.duplicate, false);
    assert.deepEqual(body.deliveries.map((d: { endpoint_id: string; status: string }) => [d.endpoint_id, d.status]), [
      [endpointId, 'pending'],
    ]);
    const stored = await api.store.getEvent(api.org.id, body.id);
    assert.equal(stored?.payloadJson, JSON.stringify(userNewPayload()));
  });

  it('fans out only to enabled endpoints subscribed to the type or to "*"', async () => {
    const exact = await createEndpoint({ events: ['user.new'] });
    const wildcard = await createEndpoint({ events: ['*'] });
    await createEndpoint({ events: ['user.deleted'] });
    await createEndpoint({ events: ['user.new'], enabled: false });
    const body = (await api.request('POST', '/v1/events', publishBody())).json();
    assert.deepEqual(body.deliveries.map((d: { endpoint_id: string }) => d.endpoint_id).sort(), [exact, wildcard].sort());
  });

  it('returns the original event for a repeated Idempotency-Key, with 200 and nothing new', async () => {
    await createEndpoint();
    const headers = { ...api.org.headers, 'idempotency-key': 'order-1' };
    const first = await api.request('POST', '/v1/events', publishBody(), headers);
    assert.equal(first.statusCode, 202);
    const before = await countRows(api.store, api.org.id);
    api.clock.advance(60_000);
    const again = await api.request('POST', '/v1/events', publishBody({ payload: userNewPayload({ full_name: 'Jane' }) }), headers);
    assert.equal(again.statusCode, 200);
    assert.deepEqual(again.json(), { ...first.json(), duplicate: true });
    assert.deepEqual(await countRows(api.store, api.org.id), before);
  });

  it('treats the idempotency_key body field like the header', async () => {
    const first = await api.request('POST', '/v1/events', publishBody({ idempotency_key: 'k' }));
    const again = await api.request('POST', '/v1/events', publishBody(), { ...api.org.headers, 'idempotency-key': 'k' });
    assert.equal(again.json().id, first.json().id);
    assert.equal(again.json().duplicate, true);
  });

  it('creates a new event for an idempotency key older than 24 hours', async () => {
    const first = (await api.request('POST', '/v1/events', publishBody({ idempotency_key: 'k' }))).json();
    api.clock.advance(24 * 60 * 60 * 1000);
    const later = await api.request('POST', '/v1/events', publishBody({ idempotency_key: 'k' }));
    assert.equal(later.statusCode, 202);
    assert.notEqual(later.json().id, first.id);
  });

  it('refuses different idempotency keys in the body and the header', async () => {
    await assertRejectedWithoutWrites(
      () => api.request('POST', '/v1/events', publishBody({ idempotency_key: 'a' }), { ...api.org.headers, 'idempotency-key': 'b' }),
      400,
      { code: 'invalid_request', field: 'idempotency_key' },
    );
  });

  it('refuses a payload that breaks its schema with 422 naming the field, writing nothing', async () => {
    await assertRejectedWithoutWrites(
      () => api.request('POST', '/v1/events', publishBody({ payload: userNewPayload({ user_id: 12 }) })),
      422,
      { code: 'invalid_payload', field: 'payload.user_id' },
    );
  });

  it('refuses an unknown event type with 422, writing nothing', async () => {
    await assertRejectedWithoutWrites(
      () => api.request('POST', '/v1/events', publishBody({ event: 'user.teleported' })),
      422,
      { code: 'unknown_event_type', field: 'event' },
    );
  });

  it('refuses a body over the limit with 413, writing nothing', async () => {
    const big = publishBody({ payload: userNewPayload({ full_name: 'x'.repeat(256 * 1024) }) });
    await assertRejectedWithoutWrites(() => api.request('POST', '/v1/events', big), 413, {
      code: 'payload_too_large',
      field: 'body',
    });
  });

  it('refuses malformed JSON with 400, writing nothing', async () => {
    await assertRejectedWithoutWrites(
      () =>
        api.app.inject({
          method: 'POST',
          url: '/v1/events',
          headers: { ...api.org.headers, 'content-type': 'application/json' },
          payload: '{"event":"user.new","payload":{',
        }),
      400,
      { code: 'malformed_json', field: 'body' },
    );
  });

  it('refuses a payload that is not an object', async () => {
    await assertRejectedWithoutWrites(
      () => api.request('POST', '/v1/events', publishBody({ payload: 'hello' })),
      400,
      { code: 'invalid_request', field: 'payload' },
    );
  });

  it('shows an event with its payload and its deliveries', async () => {
    const endpointId = await createEndpoint();
    const published = (await api.request('POST', '/v1/events', publishBody({ idempotency_key: 'k' }))).json();
    const response = await api.request('GET', `/v1/events/${published.id}`);
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.equal(JSON.stringify(body.payload), JSON.stringify(userNewPayload()));
    assert.equal(body.idempotency_key, 'k');
    assert.equal(body.deliveries.length, 1);
    assert.equal(body.deliveries[0].endpoint_id, endpointId);
    assert.equal(body.deliveries[0].event_id, published.id);
    assert.equal(body.deliveries[0].status, 'pending');
    assert.equal(body.deliveries[0].attempt_count, 0);
  });

  it('pages through events newest first with next_cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await api.request('POST', '/v1/events', publishBody({ payload: userNewPayload({ user_id: `u${i}` }) }))).json().id);
      api.clock.advance(1000);
    }
    const seen: string[] = [];
    let url = '/v1/events?limit=2';
    for (;;) {
      const page = (await api.request('GET', url)).json();
      assert.ok(page.data.length <= 2);
      seen.push(...page.data.map((e: { id: string }) => e.id));
      if (page.next_cursor === null) break;
      url = `/v1/events?limit=2&cursor=${encodeURIComponent(page.next_cursor)}`;
    }
    assert.deepEqual(seen, ids.reverse());
  });

  it('filters events by type and time range', async () => {
    await api.request('POST', '/v1/events', publishBody());
    api.clock.advance(60_000);
    const follow = { organization_id: 'o', follower_id: 'a', followed_id: 'b' };
    const middle = (await api.request('POST', '/v1/events', publishBody({ event: 'user.follow', payload: follow }))).json();
    api.clock.advance(60_000);
    await api.request('POST', '/v1/events', publishBody());

    const byType = (await api.request('GET', '/v1/events?event_type=user.follow')).json();
    assert.deepEqual(byType.data.map((e: { id: string }) => e.id), [middle.id]);
    const byTime = (await api.request('GET', '/v1/events?since=2026-01-01T00:01:00Z&until=2026-01-01T00:02:00Z')).json();
    assert.deepEqual(byTime.data.map((e: { id: string }) => e.id), [middle.id]);
  });

  it('refuses a since that is not an ISO 8601 time, and a limit over 250', async () => {
    const since = await api.request('GET', '/v1/events?since=yesterday');
    assert.equal(since.statusCode, 400);
    assert.equal(since.json().error.field, 'since');
    const limit = await api.request('GET', '/v1/events?limit=251');
    assert.equal(limit.statusCode, 400);
    assert.equal(limit.json().error.field, 'limit');
  });
});
