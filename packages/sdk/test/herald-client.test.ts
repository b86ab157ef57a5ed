import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, test } from 'node:test';
import { HeraldApiError, HeraldClient } from '../src/index.js';
import { listen, type Listening } from './fixtures.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP server on 127.0.0.1 standing in for the API: answers with `respond(n)` for the n-th request. */
async function fakeApi(respond: (n: number, request: Seen, res: ServerResponse) => void): Promise<Listening & { seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      seen.push(request);
      respond(seen.length, request, res);
    });
  });
  return { ...server, seen };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const client = (baseUrl: string, retries = 3) => new HeraldClient({ baseUrl, apiKey: 'hk_test_key', retries, retryBaseDelayMs: 1 });

describe('HeraldClient', () => {
  test('sends the API key as a bearer token and snake_case JSON', async () => {
    const api = await fakeApi((_n, _req, res) => json(res, 201, { id: 'ep1', secret: 'whsec_x' }));
    try {
      const created = await client(api.url).endpoints.create({ url: 'https://example.com/h', events: ['*'], signature_scheme: 'both' });
      assert.equal(created.secret, 'whsec_x');
      const [request] = api.seen;
      assert.equal(request?.method, 'POST');
      assert.equal(request?.url, '/v1/endpoints');
      assert.equal(request?.headers.authorization, 'Bearer hk_test_key');
      assert.deepEqual(JSON.parse(request?.body ?? ''), { url: 'https://example.com/h', events: ['*'], signature_scheme: 'both' });
    } finally {
      await api.close();
    }
  });

  test('turns an API error into a HeraldApiError with code, status and field', async () => {
    const api = await fakeApi((_n, _req, res) => json(res, 422, { error: { code: 'invalid_payload', message: 'payload.user_id is required', field: 'payload.user_id' } }));
    try {
      await assert.rejects(
        client(api.url).events.publish({ event: 'user.deleted', payload: { organization_id: 'o', user_id: 'u', email: null, phone: null } }),
        (error: unknown) =>
          error instanceof HeraldApiError && error.code === 'invalid_payload' && error.status === 422 && error.field === 'payload.user_id' && /user_id/.test(error.message),
      );
      assert.equal(api.seen.length, 1, 'a 4xx is not retried');
    } finally {
      await api.close();
    }
  });

  test('retries a GET after 5xx answers until it succeeds', async () => {
    const api = await fakeApi((n, _req, res) => (n < 3 ? json(res, 503, { error: { code: 'unavailable', message: 'busy' } }) : json(res, 200, { data: [] })));
    try {
      assert.deepEqual(await client(api.url).endpoints.list(), []);
      assert.equal(api.seen.length, 3);
    } finally {
      await api.close();
    }
  });

  test('retries a GET after a dropped connection', async () => {
    const api = await fakeApi((n, _req, res) => (n === 1 ? res.socket?.destroy() : json(res, 200, [])));
    try {
      assert.deepEqual(await client(api.url).eventTypes.list(), []);
      assert.equal(api.seen.length, 2);
    } finally {
      await api.close();
    }
  });

  test('gives up after the configured retries with the last error', async () => {
    const api = await fakeApi((_n, _req, res) => json(res, 500, { error: { code: 'internal', message: 'boom' } }));
    try {
      await assert.rejects(client(api.url, 2).deliveries.get('d1'), (error: unknown) => error instanceof HeraldApiError && error.status === 500);
      assert.equal(api.seen.length, 3);
    } finally {
      await api.close();
    }
  });

  test('retries a publish that carries an idempotency key, and sends a publish without one only once', async () => {
    const api = await fakeApi((n, _req, res) => (n % 2 === 1 ? json(res, 502, { error: { code: 'bad_gateway', message: 'x' } }) : json(res, 202, { id: 'e1' })));
    try {
      const herald = client(api.url);
      const payload = { organization_id: 'o', follower_id: 'a', followed_id: 'b' };
      assert.equal((await herald.events.publish({ event: 'user.follow', payload, idempotency_key: 'k1' })).id, 'e1');
      assert.equal(api.seen.length, 2);
      await assert.rejects(herald.events.publish({ event: 'user.follow', payload }), (error: unknown) => error instanceof HeraldApiError && error.status === 502);
      assert.equal(api.seen.length, 3);
    } finally {
      await api.close();
    }
  });

  test('never retries other POSTs and PATCHes', async () => {
    const api = await fakeApi((_n, _req, res) => json(res, 503, { error: { code: 'unavailable', message: 'busy' } }));
    try {
      const herald = client(api.url);
      await assert.rejects(herald.endpoints.rotateSecret('ep1'), HeraldApiError);
      await assert.rejects(herald.endpoints.update('ep1', { enabled: false }), HeraldApiError);
      await assert.rejects(herald.deliveries.resend('d1'), HeraldApiError);
      assert.deepEqual(api.seen.map((r) => `${r.method} ${r.url}`), ['POST /v1/endpoints/ep1/secret/rotate', 'PATCH /v1/endpoints/ep1', 'POST /v1/deliveries/d1/resend']);
    } finally {
      await api.close();
    }
  });

  test('encodes path ids and query filters, and pages through listAll', async () => {
    const api = await fakeApi((n, _req, res) => json(res, 200, n === 1 ? { data: [{ id: 'a' }], next_cursor: 'c1' } : { data: [{ id: 'b' }], next_cursor: null }));
    try {
      const ids: string[] = [];
      for await (const event of client(api.url).events.listAll({ event_type: 'user.new', since: new Date('2025-01-01T00:00:00Z'), limit: 1 })) ids.push(event.id);
      assert.deepEqual(ids, ['a', 'b']);
      assert.equal(api.seen[0]?.url, '/v1/events?event_type=user.new&since=2025-01-01T00%3A00%3A00.000Z&limit=1');
      assert.equal(api.seen[1]?.url, '/v1/events?event_type=user.new&since=2025-01-01T00%3A00%3A00.000Z&limit=1&cursor=c1');
      await client(api.url).endpoints.get('a/b?c').catch(() => {});
      assert.equal(api.seen[2]?.url, '/v1/endpoints/a%2Fb%3Fc');
    } finally {
      await api.close();
    }
  });

  test('resolves paths under a base URL with a path prefix', async () => {
    const api = await fakeApi((_n, _req, res) => res.writeHead(204).end());
    try {
      await new HeraldClient({ baseUrl: `${api.url}/herald`, apiKey: 'k' }).endpoints.delete('ep1');
      assert.equal(api.seen[0]?.url, '/herald/v1/endpoints/ep1');
    } finally {
      await api.close();
    }
  });

  test('describes an answer that is not the API error shape', async () => {
    const api = await fakeApi((_n, _req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not here</h1>'));
    try {
      await assert.rejects(client(api.url).events.get('e1'), (error: unknown) => error instanceof HeraldApiError && error.code === 'invalid_response' && error.status === 404);
    } finally {
      await api.close();
    }
  });

  test('names bad constructor options', () => {
    assert.throws(() => new HeraldClient({ baseUrl: 'ftp://x', apiKey: 'k' }), /^TypeError: options.baseUrl/);
    assert.throws(() => new HeraldClient({ baseUrl: 'http://x', apiKey: '' }), /^TypeError: options.apiKey/);
    assert.throws(() => new HeraldClient({ baseUrl: 'http://x', apiKey: 'k', retries: -1 }), /^TypeError: options.retries/);
  });
});
