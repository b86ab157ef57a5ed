import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/api/app.js';
import { loadCatalog } from '../../src/catalog/load-catalog.js';
import { createMetrics } from '../../src/metrics.js';
import { MAX_PAYLOAD_DEPTH } from '../../src/publish/payload-json.js';
import type { Store } from '../../src/store/store.js';
import { countRows, createOrganization, manualClock, openTempStore, userNewPayload, type TestOrganization } from '../helpers/fixtures.js';

/** An operator's event type with a number of each kind, to see what validation makes of kept numbers. */
const ORDER_PAID = {
  name: 'order.paid',
  group: 'Orders',
  description: 'An order is paid.',
  schema: {
    type: 'object',
    required: ['organization_id', 'amount'],
    properties: {
      organization_id: { type: 'string' },
      amount: { type: 'integer', minimum: 0 },
      ratio: { type: 'number' },
      reference: { type: 'string' },
    },
  },
  example: { organization_id: 'org_1', amount: 100 },
};

/** The wire spec's user.new payload as text, with `extra` (JSON text) appended to its fields. */
function userNewText(extra: string): string {
  return `${JSON.stringify(userNewPayload()).slice(0, -1)},${extra}}`;
}

/** `depth` nested arrays. */
function nested(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

describe('payloads arrive exactly as published', () => {
  let catalogDir: string;
  let store: Store;
  let dispose: () => Promise<void>;
  let app: FastifyInstance;
  let org: TestOrganization;

  before(() => {
    catalogDir = mkdtempSync(join(tmpdir(), 'herald-catalog-'));
    writeFileSync(join(catalogDir, 'catalog.json'), JSON.stringify({ event_types: [ORDER_PAID] }));
  });
  after(() => rmSync(catalogDir, { recursive: true, force: true }));

  beforeEach(async () => {
    ({ store, dispose } = await openTempStore());
    const clock = manualClock();
    app = buildApp({ store, catalog: loadCatalog(join(catalogDir, 'catalog.json')), metrics: createMetrics(), clock, version: '0.0.0-test' });
    org = await createOrganization(store, clock);
  });
  afterEach(async () => {
    await app.close();
    await dispose();
  });

  /** POST /v1/events with this exact body text. */
  function publishText(body: string): Promise<LightMyRequestResponse> {
    return app.inject({ method: 'POST', url: '/v1/events', headers: { ...org.headers, 'content-type': 'application/json' }, payload: body });
  }

  function get(url: string): Promise<LightMyRequestResponse> {
    return app.inject({ method: 'GET', url, headers: org.headers });
  }

  /** Publishes `payload` (JSON text) as `type`; asserts the 202 and returns the event id. */
  async function published(payload: string, type = 'user.new'): Promise<string> {
    const response = await publishText(`{"event": "${type}", "payload": ${payload}}`);
    assert.equal(response.statusCode, 202, response.body);
    return (response.json() as { id: string }).id;
  }

  /** The payload as stored, as GET /v1/events/:id shows it, and as GET /v1/events lists it: all three as text. */
  async function payloadTexts(id: string): Promise<string[]> {
    const stored = await store.getEvent(org.id, id);
    const shown = await get(`/v1/events/${id}`);
    const listed = await get('/v1/events');
    for (const response of [shown, listed]) {
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
    }
    const payloadIn = (text: string) => /"payload":(.*),"idempotency_key":/.exec(text)?.[1];
    return [stored!.payloadJson, payloadIn(shown.body)!, payloadIn(listed.body)!];
  }

  it('stores, shows and lists 12345678901234567890 and -9007199254740993 digit for digit', async () => {
    const id = await published(userNewText('"big": 12345678901234567890, "neg": -9007199254740993'));
    const exact = userNewText('"big":12345678901234567890,"neg":-9007199254740993');
    assert.deepEqual(await payloadTexts(id), [exact, exact, exact]);
  });

  it('keeps 1e400 and a 30-digit integer as published, not as null and 1.2345678901234568e+29', async () => {
    const id = await published(userNewText('"huge": 1e400, "thirty": 123456789012345678901234567890, "fine": [0.1000000000000000055511151231257827]'));
    const exact = userNewText('"huge":1e400,"thirty":123456789012345678901234567890,"fine":[0.1000000000000000055511151231257827]');
    assert.deepEqual(await payloadTexts(id), [exact, exact, exact]);
  });

  it('stores a payload with no such number as JSON.stringify writes it: spaces gone, 1.0 as 1, key order, unicode and escapes kept', async () => {
    const text = `{ "organization_id": "org_1", "user_id": "u_1", "email": null, "phone": null,
      "full_name": "Zoë “Ω” 😀 \\u00e9\\ud83d\\ude00 \\"q\\" \\\\ \\n", "n": 1.0, "e": 1E2, "t": 1e21, "z": -0, "id": "12345678901234567890",
      "list": [[1, [2, []]], {}], "b": 2, "a": 1 }`;
    const id = await published(text);
    const stored = JSON.stringify(JSON.parse(text));
    assert.match(stored, /"n":1,"e":100,"t":1e\+21,"z":0,/);
    assert.deepEqual(await payloadTexts(id), [stored, stored, stored]);
  });

  it('validates a kept number against the schema as the integer or number it is', async () => {
    await published('{"organization_id": "org_1", "amount": 12345678901234567890, "ratio": 1e400}', 'order.paid');
    await published('{"organization_id": "org_1", "amount": 1e400, "ratio": -9007199254740993}', 'order.paid');
    const cases: Array<[string, string]> = [
      ['{"organization_id": "org_1", "amount": -12345678901234567890}', 'payload.amount'],
      ['{"organization_id": "org_1", "amount": 1, "reference": 12345678901234567890}', 'payload.reference'],
    ];
    for (const [payload, field] of cases) {
      const response = await publishText(`{"event": "order.paid", "payload": ${payload}}`);
      assert.equal(response.statusCode, 422, payload);
      assert.deepEqual([response.json().error.code, response.json().error.field], ['invalid_payload', field]);
    }
  });

  it('delivers __proto__ and constructor keys as data, changing no prototype', async () => {
    const extra = '"__proto__": {"polluted": true, "big": 12345678901234567890}, "constructor": {"prototype": {"polluted": true}}';
    const id = await published(userNewText(extra));
    const exact = userNewText('"__proto__":{"polluted":true,"big":12345678901234567890},"constructor":{"prototype":{"polluted":true}}');
    assert.deepEqual(await payloadTexts(id), [exact, exact, exact]);
    const plain = await published(userNewText('"__proto__": {"polluted": true}'));
    assert.equal((await store.getEvent(org.id, plain))!.payloadJson, userNewText('"__proto__":{"polluted":true}'));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('does not let a __proto__ key stand in for a field of the request', async () => {
    const response = await publishText(`{"__proto__": {"event": "user.new"}, "payload": ${JSON.stringify(userNewPayload())}}`);
    assert.equal(response.statusCode, 400);
    assert.deepEqual([response.json().error.code, response.json().error.field], ['invalid_request', 'event']);
    const endpoint = await app.inject({
      method: 'POST',
      url: '/v1/endpoints',
      headers: org.headers,
      payload: { url: 'http://127.0.0.1:9/hook', events: ['user.new'], ['__proto__']: { enabled: false } },
    });
    assert.equal(endpoint.statusCode, 400, endpoint.body);
    assert.equal(endpoint.json().error.code, 'invalid_request');
    assert.deepEqual(await countRows(store, org.id), { events: 0, deliveries: 0 });
  });

  it(`takes a payload ${MAX_PAYLOAD_DEPTH} levels deep`, async () => {
    const id = await published(userNewText(`"deep": ${nested(MAX_PAYLOAD_DEPTH - 1)}`));
    assert.equal((await store.getEvent(org.id, id))!.payloadJson, userNewText(`"deep":${nested(MAX_PAYLOAD_DEPTH - 1)}`));
  });

  it(`refuses a payload ${MAX_PAYLOAD_DEPTH + 1} or 5,000 levels deep with 422 payload_too_deep, writing nothing`, async () => {
    for (const depth of [MAX_PAYLOAD_DEPTH, 5000]) {
      const response = await publishText(`{"event": "user.new", "payload": ${userNewText(`"deep": ${nested(depth)}`)}}`);
      assert.equal(response.statusCode, 422);
      assert.deepEqual(response.json(), {
        error: { code: 'payload_too_deep', message: 'payload nests objects and arrays more than 64 levels deep', field: 'payload' },
      });
    }
    assert.deepEqual(await countRows(store, org.id), { events: 0, deliveries: 0 });
  });

  it('refuses any other body nested too deep the same way, naming its field', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/endpoints',
      headers: { ...org.headers, 'content-type': 'application/json' },
      payload: `{"url": "http://127.0.0.1:9/hook", "events": ${nested(MAX_PAYLOAD_DEPTH + 1)}}`,
    });
    assert.equal(response.statusCode, 422);
    assert.deepEqual([response.json().error.code, response.json().error.field], ['payload_too_deep', 'events']);
  });

  it('still answers 400 malformed_json for a body that is not JSON or is empty', async () => {
    for (const [body, message] of [
      ['{"event": "user.new", "payload": {"n": 12345678901234567890', 'request body is not valid JSON'],
      ['', 'request body is empty but Content-Type is application/json'],
    ]) {
      const response = await publishText(body!);
      assert.equal(response.statusCode, 400);
      assert.deepEqual(response.json(), { error: { code: 'malformed_json', message, field: 'body' } });
    }
  });
});
