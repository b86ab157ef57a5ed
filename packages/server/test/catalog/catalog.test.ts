import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { makeTempDir } from '../../../../test-support/temp-dir.js';
import { loadCatalog } from '../../src/catalog/load-catalog.js';
import { ConfigError, InvalidPayloadError, UnknownEventTypeError } from '../../src/errors.js';

const catalog = loadCatalog();

function validationError(type: string, payload: unknown): InvalidPayloadError | UnknownEventTypeError {
  try {
    catalog.validatePayload(type, payload);
  } catch (error) {
    if (error instanceof InvalidPayloadError || error instanceof UnknownEventTypeError) return error;
    throw error;
  }
  assert.fail(`expected ${type} payload to be rejected`);
}

function example(type: string): Record<string, unknown> {
  const definition = catalog.get(type);
  assert.ok(definition, `${type} is in the catalog`);
  return structuredClone(definition.example);
}

describe('default event catalog', () => {
  it('holds the eleven event types of wire spec §4 in four groups, then the four operational types', () => {
    assert.deepEqual(
      catalog.eventTypes.map((t) => `${t.group}: ${t.name}`),
      [
        'User: user.new',
        'User: user.is_contact',
        'User: user.deleted',
        'Social: user.follow',
        'Social: user.unfollow',
        'Event management: user.create_event',
        'Event management: user.update_event',
        'Event management: user.delete_event',
        'Reaction: user.create_reaction',
        'Reaction: user.update_reaction',
        'Reaction: user.delete_reaction',
        'Operational: endpoint.failing',
        'Operational: endpoint.disabled',
        'Operational: endpoint.enabled',
        'Operational: delivery.exhausted',
      ],
    );
    for (const type of catalog.eventTypes) assert.ok(type.description.length > 0, `${type.name} has a description`);
  });

  it('gives the three documented event types exactly the payloads of the spec, field order included', () => {
    assert.equal(
      JSON.stringify(example('user.new')),
      '{"organization_id":"uuid","user_id":"uuid","email":"user@example.com","phone":"+14155552671","full_name":"John Doe"}',
    );
    assert.equal(
      JSON.stringify(example('user.is_contact')),
      '{"organization_id":"uuid","user_id":"uuid","email":"user@example.com","phone":"+14155552671","matched_user_ids":["uuid","uuid"]}',
    );
    assert.equal(
      JSON.stringify(example('user.deleted')),
      '{"organization_id":"uuid","user_id":"uuid","email":"user@example.com","phone":"+14155552671"}',
    );
  });

  it('accepts every example payload and requires organization_id in every type', () => {
    for (const type of catalog.eventTypes) {
      assert.doesNotThrow(() => catalog.validatePayload(type.name, type.example), type.name);
      const { organization_id: _dropped, ...withoutOrg } = type.example;
      assert.equal(validationError(type.name, withoutOrg).field, 'payload.organization_id', type.name);
    }
  });

  it('accepts fields a producer adds', () => {
    assert.doesNotThrow(() => catalog.validatePayload('user.follow', { ...example('user.follow'), source: 'import' }));
  });

  it('names the missing field and the rule', () => {
    const { full_name: _dropped, ...payload } = example('user.new');
    const error = validationError('user.new', payload);
    assert.ok(error instanceof InvalidPayloadError);
    assert.equal(error.status, 422);
    assert.equal(error.field, 'payload.full_name');
    assert.match(error.message, /payload\.full_name is required \(rule: required\)/);
  });

  it('names the array element with the wrong type', () => {
    const error = validationError('user.is_contact', { ...example('user.is_contact'), matched_user_ids: ['u1', 7] });
    assert.equal(error.field, 'payload.matched_user_ids[1]');
    assert.match(error.message, /must be string \(rule: type\)/);
  });

  it('refuses an empty reaction_type but accepts any other string', () => {
    const error = validationError('user.create_reaction', { ...example('user.create_reaction'), reaction_type: '' });
    assert.equal(error.field, 'payload.reaction_type');
    assert.match(error.message, /rule: minLength/);
    assert.doesNotThrow(() =>
      catalog.validatePayload('user.update_reaction', { ...example('user.update_reaction'), reaction_type: 'party_parrot' }),
    );
  });

  it('requires only organization_id, user_id and event_id to update an event', () => {
    assert.doesNotThrow(() =>
      catalog.validatePayload('user.update_event', { organization_id: 'o', user_id: 'u', event_id: 'e' }),
    );
    assert.equal(validationError('user.create_event', { organization_id: 'o', user_id: 'u', event_id: 'e' }).field, 'payload.event_type');
  });

  it('refuses event times that are not ISO 8601 date-times, and metadata that is not an object', () => {
    const startTime = validationError('user.create_event', { ...example('user.create_event'), start_time: 'next tuesday' });
    assert.equal(startTime.field, 'payload.start_time');
    assert.match(startTime.message, /rule: format/);
    const metadata = validationError('user.create_event', { ...example('user.create_event'), metadata: ['x'] });
    assert.equal(metadata.field, 'payload.metadata');
  });

  it('refuses a payload that is not an object', () => {
    assert.equal(validationError('user.new', ['not', 'an', 'object']).field, 'payload');
  });

  it('answers unknown_event_type for a type it does not know', () => {
    const error = validationError('user.teleported', {});
    assert.ok(error instanceof UnknownEventTypeError);
    assert.equal(error.code, 'unknown_event_type');
    assert.equal(error.field, 'event');
  });
});

describe('operator event types', () => {
  const dir = makeTempDir('herald-catalog-');
  after(() => dir.remove());
  let files = 0;

  function catalogFile(content: unknown): string {
    const path = join(dir.path, `catalog-${++files}.json`);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  }

  const orderPaid = {
    name: 'order.paid',
    group: 'Commerce',
    description: 'An order is paid.',
    schema: {
      type: 'object',
      required: ['organization_id', 'order_id', 'amount_cents'],
      properties: { organization_id: { type: 'string' }, order_id: { type: 'string' }, amount_cents: { type: 'integer', minimum: 0 } },
    },
    example: { organization_id: 'uuid', order_id: 'ord_1', amount_cents: 1200 },
  };

  function loadError(content: unknown): ConfigError {
    try {
      loadCatalog(catalogFile(content));
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    assert.fail('expected the catalog file to be refused');
  }

  it('adds the types of an operator file after the built-in ones', () => {
    const merged = loadCatalog(catalogFile({ event_types: [orderPaid] }));
    assert.equal(merged.eventTypes.length, 16);
    assert.equal(merged.eventTypes.at(-1)?.name, 'order.paid');
    assert.doesNotThrow(() => merged.validatePayload('order.paid', orderPaid.example));
    assert.throws(() => merged.validatePayload('order.paid', { ...orderPaid.example, amount_cents: -1 }), {
      field: 'payload.amount_cents',
    });
  });

  it('refuses a file that is not JSON, naming the file', () => {
    const error = loadError('{"event_types": [');
    assert.match(error.message, /not valid JSON/);
    assert.match(error.message, /catalog-\d+\.json/);
  });

  it('refuses a file without an event_types array', () => {
    assert.equal(loadError({ types: [] }).field, 'event_types');
  });

  it('refuses a badly formed event type name', () => {
    assert.equal(loadError({ event_types: [{ ...orderPaid, name: 'Order Paid' }] }).field, 'event_types[0].name');
  });

  it('refuses to redefine a built-in event type', () => {
    const error = loadError({ event_types: [{ ...orderPaid, name: 'user.new' }] });
    assert.equal(error.field, 'event_types[0].name');
    assert.match(error.message, /already defined by the built-in catalog/);
  });

  it('refuses an event type defined twice', () => {
    assert.equal(loadError({ event_types: [orderPaid, orderPaid] }).field, 'event_types[1].name');
  });

  it('refuses a missing description', () => {
    assert.equal(loadError({ event_types: [{ ...orderPaid, description: '' }] }).field, 'event_types[0].description');
  });

  it('refuses a schema that is not a valid JSON Schema, with ajv\'s reason', () => {
    const error = loadError({ event_types: [{ ...orderPaid, schema: { type: 'object', properties: { a: { type: 'strnig' } } } }] });
    assert.equal(error.field, 'event_types[0].schema');
    assert.match(error.message, /not a valid JSON Schema/);
  });

  it('refuses an example that does not match its schema, naming the example field', () => {
    const error = loadError({ event_types: [{ ...orderPaid, example: { organization_id: 'o', order_id: 'x' } }] });
    assert.equal(error.field, 'event_types[0].example.amount_cents');
  });
});
