import assert from 'node:assert/strict';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { InjectOptions, RouteOptions } from 'fastify';
import { countRows, createTestApi, endpointBody, publishBody, userNewPayload, type TestApi } from '../helpers/fixtures.js';
import { accessFor } from '../../src/tenancy/scopes.js';

/**
 * "Every input gets a clear answer, never a 500", on both stores (this suite also runs with
 * HERALD_TEST_STORE=postgres): text that cannot be stored exactly, times, malformed ids, and what
 * Fastify and Node refuse before a route runs.
 */

const NUL = 'a\u0000b';
const LONE_HIGH = 'a\ud800b';
const LONE_LOW = 'a\udc00b';

/** A valid body for each route whose body has string fields, so a case can spoil one field only. */
const VALID_BODIES: Record<string, () => Record<string, unknown>> = {
  'POST /v1/endpoints': () => endpointBody(),
  'PATCH /v1/endpoints/:id': () => ({ description: 'still valid' }),
  'POST /v1/endpoints/validate': () => ({ url: 'http://127.0.0.1:9/webhooks' }),
  'POST /v1/endpoints/:id/test': () => ({ event: 'user.new' }),
  'POST /v1/events': () => publishBody(),
  'POST /v1/api-keys': () => ({ scope: 'read', name: 'ci' }),
  'POST /v1/endpoints/:id/recover': () => ({ since: '2026-01-01T00:00:00Z' }),
};

interface JsonSchema {
  type?: string | readonly string[];
  enum?: readonly unknown[];
  format?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
}

interface BadInput {
  name: string;
  request: InjectOptions;
  field: string;
  /** False where a rule of the schema (an enum, a format) refuses the text first, naming the same field. */
  saysUnstorable: boolean;
}

interface Ids {
  endpoint: string;
  event: string;
  delivery: string;
}

const isString = (schema: JsonSchema | undefined): boolean =>
  schema !== undefined && (schema.type === 'string' || (Array.isArray(schema.type) && schema.type.includes('string')));

const isFreeText = (schema: JsonSchema | undefined): boolean => schema?.enum === undefined && schema?.format === undefined;

function routeName(route: RouteOptions): string {
  return `${String(route.method)} ${route.url}`;
}

/** The path of `route` with every `:param` filled in with a real id, or `params[name]` when given. */
function pathOf(route: RouteOptions, ids: Ids, params: Record<string, string> = {}): string {
  const real = route.url.startsWith('/v1/events/') ? ids.event : route.url.startsWith('/v1/deliveries/') ? ids.delivery : ids.endpoint;
  return route.url.replace(/:(\w+)/g, (_, name: string) => params[name] ?? real);
}

/**
 * One case per string a route reads and per kind of unstorable text: each path param, each query
 * parameter, each declared header and each string (or list of strings) in the body.
 */
function badInputs(routes: RouteOptions[], ids: Ids, headers: Record<string, string>): BadInput[] {
  const cases: BadInput[] = [];
  for (const route of routes) {
    const schema = (route.schema ?? {}) as Record<string, JsonSchema | undefined>;
    const name = routeName(route);
    const method = route.method as InjectOptions['method'];
    const validBody = VALID_BODIES[name];
    const base = { method, headers, ...(validBody ? { payload: validBody() } : {}) };
    for (const [param, property] of Object.entries(schema.params?.properties ?? {})) {
      cases.push({
        name: `NUL in :${param} of ${name}`,
        field: param,
        saysUnstorable: isFreeText(property),
        request: { ...base, url: pathOf(route, ids, { [param]: '%00' }) },
      });
    }
    for (const [query, property] of Object.entries(schema.querystring?.properties ?? {})) {
      if (!isString(property)) continue;
      cases.push({
        name: `NUL in ?${query} of ${name}`,
        field: query,
        saysUnstorable: isFreeText(property),
        request: { ...base, url: `${pathOf(route, ids)}?${query}=%00` },
      });
    }
    for (const [header, property] of Object.entries(schema.headers?.properties ?? {})) {
      for (const [kind, text] of [['NUL', NUL], ['a lone surrogate', LONE_HIGH]] as const) {
        cases.push({
          name: `${kind} in the ${header} header of ${name}`,
          field: header,
          saysUnstorable: isFreeText(property),
          request: { ...base, url: pathOf(route, ids), headers: { ...headers, [header]: text } },
        });
      }
    }
    for (const [field, property] of Object.entries(schema.body?.properties ?? {})) {
      const list = property.type === 'array' && isString(property.items);
      if (!isString(property) && !list) continue;
      assert.ok(validBody, `bad-input.test.ts needs a valid body for ${name} in VALID_BODIES`);
      for (const [kind, text] of [['NUL', NUL], ['a lone high surrogate', LONE_HIGH], ['a lone low surrogate', LONE_LOW]] as const) {
        cases.push({
          name: `${kind} in the body field ${field} of ${name}`,
          field: list ? `${field}[0]` : field,
          saysUnstorable: isFreeText(list ? property.items : property),
          request: { ...base, url: pathOf(route, ids), payload: { ...validBody(), [field]: list ? [text] : text } },
        });
      }
    }
  }
  return cases;
}

/** Everything the organization has: proves a refused request wrote nothing. */
async function snapshot(api: TestApi, ids: Ids) {
  return {
    rows: await countRows(api.store, api.org.id),
    endpoints: await api.store.listEndpoints(api.org.id),
    secrets: await api.store.listSecrets(api.org.id, ids.endpoint, api.clock.now()),
  };
}

/** The API with one endpoint, one event and its delivery; and every /v1 route as Fastify registered it. */
async function seededApi(): Promise<{ api: TestApi; ids: Ids; routes: RouteOptions[] }> {
  const api = await createTestApi();
  const routes: RouteOptions[] = [];
  api.app.addHook('onRoute', (route) => void routes.push(route));
  await api.app.ready();
  const endpoint = (await api.request('POST', '/v1/endpoints', endpointBody({ events: ['*'] }))).json();
  const event = (await api.request('POST', '/v1/events', publishBody())).json();
  const ids = { endpoint: endpoint.id, event: event.id, delivery: event.deliveries[0].id };
  // The operator API, the /v1/organizations/{org}/… copies of these routes (the same handlers and
  // schemas, hidden from OpenAPI) and the operator-only organization routes (DELETE /v1/events) take
  // an operator key; organizations.test.ts and the retention tests cover them.
  const own = (r: RouteOptions) =>
    r.url.startsWith('/v1/') && !r.url.startsWith('/v1/organizations') && r.method !== 'HEAD' &&
    accessFor(String(r.method), r.url.slice('/v1'.length)) !== 'operator';
  return { api, ids, routes: routes.filter(own) };
}

describe('unstorable text in any input', () => {
  // One API for the whole suite: each case checks that it changed nothing. (A beforeEach would also run before each subtest.)
  let api: TestApi;
  let ids: Ids;
  let routes: RouteOptions[];
  before(async () => {
    ({ api, ids, routes } = await seededApi());
  });
  after(() => api.dispose());

  it('covers every string input of every route in one table', () => {
    const names = badInputs(routes, ids, api.org.headers).map((c) => c.name);
    for (const expected of [
      'NUL in :id of GET /v1/endpoints/:id',
      'NUL in :id of DELETE /v1/endpoints/:id/secret/previous',
      'NUL in ?cursor of GET /v1/events',
      'NUL in ?event_type of GET /v1/deliveries',
      'NUL in ?since of GET /v1/deliveries',
      'NUL in the idempotency-key header of POST /v1/events',
      'NUL in the body field description of PATCH /v1/endpoints/:id',
      'a lone high surrogate in the body field events of POST /v1/endpoints',
      'a lone low surrogate in the body field idempotency_key of POST /v1/events',
      'NUL in the body field url of POST /v1/endpoints/validate',
      'NUL in the body field event of POST /v1/endpoints/:id/test',
    ]) {
      assert.ok(names.includes(expected), `the table lacks "${expected}"`);
    }
  });

  it('answers each with 400 invalid_request naming the field, and writes nothing', async (t) => {
    const cases = badInputs(routes, ids, api.org.headers);
    for (const { name, request, field, saysUnstorable } of cases) {
      await t.test(name, async () => {
        const before = await snapshot(api, ids);
        const response = await api.app.inject(request);
        assert.equal(response.statusCode, 400, response.body);
        const { error } = response.json();
        assert.equal(error.code, 'invalid_request');
        assert.equal(error.field, field);
        if (saysUnstorable) assert.match(error.message, /NUL character|unpaired UTF-16 surrogate/);
        assert.deepEqual(await snapshot(api, ids), before);
      });
    }
  });

  it('refuses an idempotency key with a lone surrogate every time instead of storing a different key', async () => {
    const before = await snapshot(api, ids);
    for (let i = 0; i < 3; i++) {
      const response = await api.request('POST', '/v1/events', publishBody({ idempotency_key: 'retry-\ud800-1' }));
      assert.equal(response.statusCode, 400, response.body);
      assert.equal(response.json().error.field, 'idempotency_key');
    }
    assert.deepEqual(await snapshot(api, ids), before);
  });

  it('keeps NUL and lone surrogates inside a payload exactly, escaped in its JSON', async () => {
    const payload = userNewPayload({ full_name: 'Ada\u0000 \ud800 \udc00', 'key \ud83d': 'value \u0000', nested: { 'x\u0000': ['\udfff'] } });
    const published = await api.request('POST', '/v1/events', publishBody({ payload }));
    assert.equal(published.statusCode, 202, published.body);
    const read = await api.request('GET', `/v1/events/${published.json().id}`);
    assert.deepEqual(read.json().payload, payload);
    assert.ok(read.body.includes(String.raw`"key \ud83d":"value \u0000"`), read.body);
  });
});

describe('ids that cannot exist', () => {
  // One API for the whole suite: each case checks that it changed nothing. (A beforeEach would also run before each subtest.)
  let api: TestApi;
  let ids: Ids;
  let routes: RouteOptions[];
  before(async () => {
    ({ api, ids, routes } = await seededApi());
  });
  after(() => api.dispose());

  it('answers 404 not_found naming id for a malformed, an unknown and a case-changed id on every route, writing nothing', async (t) => {
    const withId = routes.filter((r) => r.url.includes(':id'));
    assert.ok(withId.length >= 10, `only ${withId.length} routes with :id`);
    for (const route of withId) {
      const name = routeName(route);
      const validBody = VALID_BODIES[name];
      for (const id of ['not-a-uuid', '00000000-0000-7000-8000-000000000000', pathOf(route, ids).split('/')[3]!.toUpperCase(), '%20']) {
        await t.test(`${name} with id ${id}`, async () => {
          const before = await snapshot(api, ids);
          const response = await api.app.inject({
            method: route.method as InjectOptions['method'],
            url: pathOf(route, ids, { id }),
            headers: api.org.headers,
            ...(validBody ? { payload: validBody() } : {}),
          });
          assert.equal(response.statusCode, 404, response.body);
          assert.equal(response.json().error.code, 'not_found');
          assert.equal(response.json().error.field, 'id');
          assert.deepEqual(await snapshot(api, ids), before);
        });
      }
    }
  });
});

describe('idempotency keys beyond ASCII', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi();
  });
  afterEach(() => api.dispose());

  const keys = {
    emoji: 'order-🎉-1',
    'a combining accent': 'cafe\u0301',
    'right-to-left text': 'הזמנה-42',
    'a zero-width joiner': '👩\u200d💻',
    'the last code point': 'k\u{10ffff}',
  };

  for (const [kind, key] of Object.entries(keys)) {
    it(`deduplicates a key with ${kind}, in the body or the header, and stores it exactly`, async () => {
      const first = await api.request('POST', '/v1/events', publishBody({ idempotency_key: key }));
      assert.equal(first.statusCode, 202, first.body);
      const again = await api.request('POST', '/v1/events', publishBody({ idempotency_key: key }));
      const header = await api.request('POST', '/v1/events', publishBody(), { ...api.org.headers, 'idempotency-key': key });
      for (const duplicate of [again, header]) {
        assert.equal(duplicate.statusCode, 200, duplicate.body);
        assert.equal(duplicate.json().id, first.json().id);
      }
      assert.equal((await api.request('GET', `/v1/events/${first.json().id}`)).json().idempotency_key, key);
      assert.deepEqual(await countRows(api.store, api.org.id), { events: 1, deliveries: 0 });
    });
  }

  it('treats the composed and decomposed forms of a character as two keys, as sent', async () => {
    const composed = await api.request('POST', '/v1/events', publishBody({ idempotency_key: 'caf\u00e9' }));
    const decomposed = await api.request('POST', '/v1/events', publishBody({ idempotency_key: 'cafe\u0301' }));
    assert.equal(composed.statusCode, 202);
    assert.equal(decomposed.statusCode, 202);
    assert.notEqual(composed.json().id, decomposed.json().id);
  });
});

describe('times in since and until', () => {
  let api: TestApi;
  /** Events (each with one delivery) 0.5 s before and at the end of the leap second of 2016-12-31. */
  let before: string;
  let after: string;
  beforeEach(async () => {
    api = await createTestApi();
    await api.request('POST', '/v1/endpoints', endpointBody({ events: ['*'] }));
    api.clock.advance(Date.UTC(2016, 11, 31, 23, 59, 59, 500) - api.clock.now());
    before = (await api.request('POST', '/v1/events', publishBody())).json().id;
    api.clock.advance(500);
    after = (await api.request('POST', '/v1/events', publishBody())).json().id;
  });
  afterEach(() => api.dispose());

  /** The event ids the list answers, for events and for deliveries alike. */
  const listed = async (resource: 'events' | 'deliveries', query: string): Promise<string[]> => {
    const response = await api.request('GET', `/v1/${resource}?${query}`);
    assert.equal(response.statusCode, 200, `${query}: ${response.body}`);
    return response.json().data.map((item: { id: string; event_id?: string }) => item.event_id ?? item.id).sort();
  };

  for (const resource of ['events', 'deliveries'] as const) {
    it(`reads a leap second in since and until on ${resource} as the next minute's 00:00:00`, async () => {
      for (const leap of ['2016-12-31T23:59:60Z', '2017-01-01T08:59:60%2B09:00', '2016-12-31T18:59:60-05:00']) {
        assert.deepEqual(await listed(resource, `since=${leap}`), [after], leap);
        assert.deepEqual(await listed(resource, `until=${leap}`), [before], leap);
      }
    });

    it(`reads every RFC 3339 form of a time alike on ${resource}`, async () => {
      for (const time of [
        '2017-01-01T00:00:00Z',
        '2017-01-01t00:00:00z',
        '2017-01-01 00:00:00Z',
        '2017-01-01T00:00:00.000000001Z',
        '2017-01-01T14:00:00%2B14:00',
        '2016-12-31T12:00:00-12:00',
        '2017-01-01T05:00:00%2B05',
        '2017-01-01T05:30:00%2B0530',
      ]) {
        assert.deepEqual(await listed(resource, `since=${time}`), [after], time);
      }
      assert.deepEqual(await listed(resource, 'since=0000-01-01T00:00:00Z'), [after, before].sort());
      assert.deepEqual(await listed(resource, 'since=0000-01-01T00:00:00%2B14:00'), [after, before].sort());
      assert.deepEqual(await listed(resource, 'until=9999-12-31T23:59:59-14:00'), [after, before].sort());
    });

    it(`refuses a time that is not RFC 3339 on ${resource} with 400 naming the parameter`, async () => {
      for (const param of ['since', 'until']) {
        for (const time of [
          '2016-12-31T12:00:60Z',
          '2017-02-29T00:00:00Z',
          '2017-01-01T24:00:00Z',
          '2017-01-01T00:00:00%2B24:00',
          '2017-01-01T00:00:00',
          '10000-01-01T00:00:00Z',
          '%2B275760-09-13T00:00:00Z',
          '1483228800000',
        ]) {
          const response = await api.request('GET', `/v1/${resource}?${param}=${time}`);
          assert.equal(response.statusCode, 400, `${param}=${time}: ${response.body}`);
          assert.equal(response.json().error.code, 'invalid_request');
          assert.equal(response.json().error.field, param);
        }
      }
    });
  }
});

describe("what Fastify and Node refuse, in Herald's shape", () => {
  let api: TestApi;
  let port: number;
  beforeEach(async () => {
    api = await createTestApi();
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    port = (api.app.server.address() as AddressInfo).port;
  });
  afterEach(() => api.dispose());

  const assertHeraldShape = (response: RawResponse, status: number, code: string) => {
    assert.equal(response.status, status, response.body);
    assert.match(response.headers['content-type'] ?? '', /^application\/json/);
    const { error } = JSON.parse(response.body);
    assert.equal(error.code, code);
    assert.equal(typeof error.message, 'string');
  };

  it('answers a path too long for the request line with 431 headers_too_large', async () => {
    const [response] = await exchange(port, `GET /v1/endpoints/${'x'.repeat(20_000)} HTTP/1.1\r\nHost: h\r\n\r\n`);
    assertHeraldShape(response!, 431, 'headers_too_large');
  });

  it('answers an id longer than any id with 400 naming the path, and a long unknown path with a 404 that does not echo it', async () => {
    const long = await api.request('GET', `/v1/endpoints/${'x'.repeat(5_000)}`);
    assert.equal(long.statusCode, 400);
    assert.deepEqual(long.json().error.field, 'path');
    const deep = await api.request('GET', `/v1/${'x/'.repeat(2_000)}`);
    assert.equal(deep.statusCode, 404);
    assert.equal(deep.json().error.code, 'not_found');
    assert.ok(deep.body.length < 400, deep.body);
  });

  it('answers requests the HTTP parser refuses with 400 invalid_request', async () => {
    const auth = `Authorization: Bearer ${api.org.apiKey}\r\n`;
    const requests = {
      'a NUL in a header': `POST /v1/events HTTP/1.1\r\nHost: h\r\n${auth}Idempotency-Key: a\u0000b\r\nContent-Length: 0\r\n\r\n`,
      'a Content-Length that is not a number': `POST /v1/events HTTP/1.1\r\nHost: h\r\n${auth}Content-Type: application/json\r\nContent-Length: abc\r\n\r\n{}`,
      'two Content-Lengths': `POST /v1/events HTTP/1.1\r\nHost: h\r\n${auth}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
      'a broken chunk': `POST /v1/events HTTP/1.1\r\nHost: h\r\n${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n`,
      'no request line': 'GARBAGE\r\n\r\n',
    };
    for (const [what, text] of Object.entries(requests)) {
      const [response] = await exchange(port, text);
      assert.ok(response, what);
      assertHeraldShape(response, 400, 'invalid_request');
    }
    assert.deepEqual(await countRows(api.store, api.org.id), { events: 0, deliveries: 0 });
  });

  it('answers bodies Fastify cannot parse with 4xx in the error shape', async () => {
    const bodies: Array<[string, string, number]> = [
      ['{"event": ', 'application/json', 400],
      ['', 'application/json', 400],
      ['{"__proto__": {"x": 1}, "event": "user.new", "payload": {}}', 'application/json', 400],
      ['{"constructor": {"prototype": {"x": 1}}, "event": "user.new", "payload": {}}', 'application/json', 400],
      ['event=user.new', 'application/x-www-form-urlencoded', 415],
    ];
    for (const [payload, type, status] of bodies) {
      const response = await api.app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { ...api.org.headers, 'content-type': type },
        payload,
      });
      assert.equal(response.statusCode, status, `${type} ${payload}: ${response.body}`);
      assert.equal(typeof response.json().error.code, 'string', response.body);
    }
    assert.deepEqual(await countRows(api.store, api.org.id), { events: 0, deliveries: 0 });
  });

  it('answers a request that arrives while the app closes with 503 shutting_down, after finishing the one in flight', async () => {
    const socket = connect(port, '127.0.0.1');
    const body = JSON.stringify(publishBody());
    const received = readAll(socket);
    // Fastify's listener runs first, so once this one has, the first request is in the app: in flight, its body half sent.
    const arrived = new Promise((resolve) => api.app.server.once('request', resolve));
    socket.write(
      `POST /v1/events HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer ${api.org.apiKey}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`,
    );
    await arrived;
    const closing = api.app.close();
    await until(() => !api.app.server.listening);
    socket.write(`${body.slice(10)}GET /v1/endpoints HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer ${api.org.apiKey}\r\n\r\n`);
    const [published, refused] = parseResponses(await received);
    await closing;

    assert.equal(published?.status, 202, published?.body);
    assert.equal(refused?.status, 503, refused?.body);
    assert.equal(refused!.headers.connection, 'close');
    assert.match(refused!.headers['content-type'] ?? '', /^application\/json/);
    assert.deepEqual(JSON.parse(refused!.body), { error: { code: 'shutting_down', message: 'Herald is shutting down; send the request again' } });
    assert.deepEqual(await countRows(api.store, api.org.id), { events: 1, deliveries: 0 });
  });
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `text` on a fresh connection and answers the responses read until the server closes it. */
async function exchange(port: number, text: string): Promise<RawResponse[]> {
  const socket = connect(port, '127.0.0.1');
  const received = readAll(socket);
  socket.write(text);
  return parseResponses(await received);
}

function readAll(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}

/** HTTP/1.1 responses with a Content-Length, one after the other. */
function parseResponses(text: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    assert.ok(end > 0, `not an HTTP response: ${rest.slice(0, 200)}`);
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
    const length = Number(headers['content-length']);
    const bodyBytes = Buffer.from(rest.slice(end + 4));
    responses.push({ status: Number(statusLine!.split(' ')[1]), headers, body: bodyBytes.subarray(0, length).toString('utf8') });
    rest = bodyBytes.subarray(length).toString('utf8');
  }
  return responses;
}

/** Waits, a turn of the event loop at a time, for `condition` to hold. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}
