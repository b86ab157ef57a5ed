import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { CATALOG_FILE, GENERATED_FILE, renderEventTypes } from '../scripts/generate-event-types.js';
import { CATALOG_EVENT_TYPES, isCatalogEvent, type CatalogEvent, type HeraldEvent, type UserCreateEventPayload } from '../src/index.js';

const catalog = JSON.parse(readFileSync(CATALOG_FILE, 'utf8')) as { event_types: Array<{ name: string }> };

describe('typed events', () => {
  test("match the server catalog's JSON Schemas (the generated file is up to date)", () => {
    assert.equal(
      readFileSync(GENERATED_FILE, 'utf8'),
      renderEventTypes(catalog),
      'src/catalog-events.generated.ts is stale: run node --import tsx packages/sdk/scripts/generate-event-types.ts',
    );
  });

  test('cover the fifteen catalog types (eleven of wire spec §4, four operational) in catalog order', () => {
    assert.deepEqual([...CATALOG_EVENT_TYPES], catalog.event_types.map((type) => type.name));
    assert.equal(CATALOG_EVENT_TYPES.length, 15);
  });

  test('make required fields required and optional fields optional', () => {
    const rendered = readFileSync(GENERATED_FILE, 'utf8');
    const block = rendered.slice(rendered.indexOf('export interface UserUpdateEventPayload'), rendered.indexOf('export interface UserUpdateEventEvent'));
    assert.match(block, /\n  event_id: string;/);
    assert.match(block, /\n  title\?: string;/);
    assert.match(block, /\n  start_time\?: string \| null;/);
    // Compile-time: a user.create_event payload without its optional fields type-checks.
    const minimal: UserCreateEventPayload = { organization_id: 'o', user_id: 'u', event_id: 'e', event_type: 'meeting', title: 'Standup' };
    assert.equal(minimal.description, undefined);
  });

  test('narrow the payload by event type after isCatalogEvent', () => {
    const event: HeraldEvent = JSON.parse(
      '{"id":"1","event":"user.create_reaction","payload":{"organization_id":"o","user_id":"u","event_id":"e","reaction_id":"r","reaction_type":"love"}}',
    ) as HeraldEvent;
    assert.ok(isCatalogEvent(event));
    const described = describeEvent(event);
    assert.equal(described, 'u reacted love');
  });
});

/** Exhaustive over the catalog: adding a type to the catalog without handling it here fails typecheck. */
function describeEvent(event: CatalogEvent): string {
  switch (event.event) {
    case 'user.new':
    case 'user.is_contact':
    case 'user.deleted':
    case 'user.create_event':
    case 'user.update_event':
    case 'user.delete_event':
    case 'user.delete_reaction':
      return `${event.payload.user_id} ${event.event}`;
    case 'user.follow':
    case 'user.unfollow':
      return `${event.payload.follower_id} → ${event.payload.followed_id}`;
    case 'user.create_reaction':
    case 'user.update_reaction':
      return `${event.payload.user_id} reacted ${event.payload.reaction_type}`;
    case 'endpoint.failing':
    case 'endpoint.disabled':
    case 'endpoint.enabled':
    case 'delivery.exhausted':
      return `endpoint ${event.payload.endpoint_id}`;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}
