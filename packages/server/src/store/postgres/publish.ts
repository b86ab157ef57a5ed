import type { PoolClient } from 'pg';
import { uuidv7 } from '../../ids.js';
import {
  DELIVERY_COLUMNS,
  newDelivery,
  newEventRecord,
  toDelivery,
  toEvent,
  type DeliveryRow,
  type EventRow,
} from '../records.js';
import type { Delivery, Event, NewEvent, PublishResult } from '../store.js';
import { recipients, type Subscriber } from '../subscription.js';
import { DUE_CHANNEL } from './due-notifier.js';

/**
 * Publishing a batch of events in one transaction (group commit), with idempotency keys that hold
 * when several API processes race on the same key.
 *
 * A key is taken by `INSERT … ON CONFLICT DO UPDATE … WHERE the stored key has expired`, never by
 * reading first: of two transactions inserting the same key, PostgreSQL makes the second wait for the
 * first; if the first commits, the second's insert conflicts with a live key, changes nothing, and
 * the second reads the winner's event. Keys are inserted in a fixed order (organization, key) so two
 * batches that share several keys cannot deadlock on them. Within one batch the first event with a
 * key owns it and later ones are its duplicates.
 *
 * The endpoints fanned out to are read `FOR KEY SHARE`: an endpoint deleted at the same moment is
 * either gone before the read or waits for this commit (then takes its deliveries with it), so a
 * concurrent delete can never fail the batch with a foreign-key error. Events, deliveries and the
 * `pg_notify` that wakes dispatchers go in one statement; the notification is sent on commit.
 */
export async function publishInTransaction(
  client: PoolClient,
  events: NewEvent[],
  notifyPayload: string,
): Promise<PublishResult[]> {
  const owners = keyOwners(events);
  const originals = await takeIdempotencyKeys(client, [...owners.values()]);
  const fresh = events.filter((event) => resolveKey(event, owners, originals) === null);

  const endpoints = await subscribersOf(client, [...new Set(fresh.map((e) => e.organizationId))]);
  const deliveriesByEvent = new Map<string, Delivery[]>();
  for (const event of fresh) {
    const targets = recipients(endpoints.get(event.organizationId) ?? [], event);
    deliveriesByEvent.set(
      event.id,
      targets.map((endpoint) => newDelivery(uuidv7(event.createdAt), event, endpoint.id)),
    );
  }
  await insertEventsAndDeliveries(client, fresh, [...deliveriesByEvent.values()].flat(), notifyPayload);

  const existing = await readOriginals(client, [...new Set(originals.values())]);
  const freshById = new Map(fresh.map((e) => [e.id, e]));
  return events.map((event) => {
    const original = resolveKey(event, owners, originals);
    if (original === null) {
      return { event: newEventRecord(event), deliveries: deliveriesByEvent.get(event.id)!, duplicate: false };
    }
    const inBatch = freshById.get(original);
    if (inBatch) return { event: newEventRecord(inBatch), deliveries: deliveriesByEvent.get(inBatch.id)!, duplicate: true };
    const stored = existing.get(original);
    if (!stored) throw new Error(`idempotency key of event ${event.id} points at missing event ${original}`);
    return { ...stored, duplicate: true };
  });
}

type KeyId = string;

function keyIdOf(event: NewEvent): KeyId | null {
  return event.idempotencyKey === null ? null : `${event.organizationId}\u0000${event.idempotencyKey}`;
}

/** The first event of the batch carrying each (organization, key). */
function keyOwners(events: NewEvent[]): Map<KeyId, NewEvent> {
  const owners = new Map<KeyId, NewEvent>();
  for (const event of events) {
    const keyId = keyIdOf(event);
    if (keyId !== null && !owners.has(keyId)) owners.set(keyId, event);
  }
  return owners;
}

/**
 * Null when `event` is stored as new; otherwise the id of the event it duplicates — an earlier one
 * in the batch, or one already stored under a live key (`originals`).
 */
function resolveKey(event: NewEvent, owners: Map<KeyId, NewEvent>, originals: Map<KeyId, string>): string | null {
  const keyId = keyIdOf(event);
  if (keyId === null) return null;
  const stored = originals.get(keyId);
  if (stored !== undefined) return stored;
  const owner = owners.get(keyId)!;
  return owner === event ? null : owner.id;
}

/**
 * Takes each key for its owner event unless a live one exists. Returns the keys that were live,
 * mapped to the event that holds them.
 */
async function takeIdempotencyKeys(client: PoolClient, owners: NewEvent[]): Promise<Map<KeyId, string>> {
  const live = new Map<KeyId, string>();
  if (owners.length === 0) return live;
  const ordered = [...owners].sort((a, b) => compare(keyIdOf(a)!, keyIdOf(b)!));
  const { rows: taken } = await client.query<{ organization_id: string; key: string }>(
    `INSERT INTO idempotency_keys (organization_id, key, event_id, created_at, expires_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
     ON CONFLICT (organization_id, key) DO UPDATE
       SET event_id = excluded.event_id, created_at = excluded.created_at, expires_at = excluded.expires_at
       WHERE idempotency_keys.expires_at <= excluded.created_at
     RETURNING organization_id, key`,
    [
      ordered.map((e) => e.organizationId),
      ordered.map((e) => e.idempotencyKey),
      ordered.map((e) => e.id),
      ordered.map((e) => e.createdAt),
      ordered.map((e) => e.idempotencyExpiresAt),
    ],
  );
  if (taken.length === ordered.length) return live;
  const takenIds = new Set(taken.map((r) => `${r.organization_id}\u0000${r.key}`));
  const held = ordered.filter((e) => !takenIds.has(keyIdOf(e)!));
  // A new statement, so it sees the competitor that committed while our insert waited for it.
  const { rows } = await client.query<{ organization_id: string; key: string; event_id: string }>(
    `SELECT k.organization_id, k.key, k.event_id FROM idempotency_keys k
     JOIN unnest($1::text[], $2::text[]) AS wanted(organization_id, key)
       ON k.organization_id = wanted.organization_id AND k.key = wanted.key`,
    [held.map((e) => e.organizationId), held.map((e) => e.idempotencyKey)],
  );
  for (const row of rows) live.set(`${row.organization_id}\u0000${row.key}`, row.event_id);
  return live;
}

async function subscribersOf(client: PoolClient, organizationIds: string[]): Promise<Map<string, Subscriber[]>> {
  const byOrganization = new Map<string, Subscriber[]>();
  if (organizationIds.length === 0) return byOrganization;
  const { rows } = await client.query<{ id: string; organization_id: string; events: string[] }>(
    `SELECT id, organization_id, events FROM endpoints
     WHERE organization_id = ANY($1) AND enabled
     ORDER BY id
     FOR KEY SHARE`,
    [organizationIds],
  );
  for (const row of rows) {
    const list = byOrganization.get(row.organization_id) ?? [];
    list.push({ id: row.id, events: row.events });
    byOrganization.set(row.organization_id, list);
  }
  return byOrganization;
}

async function insertEventsAndDeliveries(
  client: PoolClient,
  events: NewEvent[],
  deliveries: Delivery[],
  notifyPayload: string,
): Promise<void> {
  if (events.length === 0) return;
  await client.query(
    `WITH new_events AS (
       INSERT INTO events (id, organization_id, type, payload, idempotency_key, created_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
     ),
     new_deliveries AS (
       INSERT INTO deliveries (id, organization_id, event_id, event_type, endpoint_id, status, attempt_count,
         next_attempt_at, created_at, updated_at)
       SELECT id, organization_id, event_id, event_type, endpoint_id, 'pending', 0, created_at, created_at, created_at
       FROM unnest($7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[])
         AS t(id, organization_id, event_id, event_type, endpoint_id, created_at)
     )
     SELECT pg_notify($13, $14) WHERE $15`,
    [
      events.map((e) => e.id),
      events.map((e) => e.organizationId),
      events.map((e) => e.type),
      events.map((e) => e.payloadJson),
      events.map((e) => e.idempotencyKey),
      events.map((e) => e.createdAt),
      deliveries.map((d) => d.id),
      deliveries.map((d) => d.organizationId),
      deliveries.map((d) => d.eventId),
      deliveries.map((d) => d.eventType),
      deliveries.map((d) => d.endpointId),
      deliveries.map((d) => d.createdAt),
      DUE_CHANNEL,
      notifyPayload,
      deliveries.length > 0,
    ],
  );
}

async function readOriginals(client: PoolClient, eventIds: string[]): Promise<Map<string, { event: Event; deliveries: Delivery[] }>> {
  const found = new Map<string, { event: Event; deliveries: Delivery[] }>();
  if (eventIds.length === 0) return found;
  const { rows: eventRows } = await client.query<EventRow>('SELECT * FROM events WHERE id = ANY($1)', [eventIds]);
  const { rows: deliveryRows } = await client.query<DeliveryRow>(
    `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE event_id = ANY($1) ORDER BY id`,
    [eventIds],
  );
  for (const row of eventRows) found.set(row.id, { event: toEvent(row), deliveries: [] });
  for (const row of deliveryRows) found.get(row.event_id)?.deliveries.push(toDelivery(row));
  return found;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
