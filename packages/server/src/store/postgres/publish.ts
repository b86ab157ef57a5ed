import type { Pool, PoolClient } from 'pg';
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
import { lockOrder } from './lock-order.js';
import { inTransaction } from './transaction.js';

/**
 * Publishing a batch of events in one transaction (group commit), with idempotency keys that hold
 * when several API processes race on the same key. Batches without keys usually take a shorter way
 * to the same result: one statement, checked against the endpoints it locks (`PostgresPublisher`).
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
export class PostgresPublisher {
  /**
   * Each organization's enabled endpoints as this process last read them under lock: the guess of
   * the one-statement path. Bounded like the API's key cache: cleared when full.
   */
  private readonly subscribers = new Map<string, Subscriber[]>();

  constructor(
    private readonly pool: Pool,
    private readonly notifyPayload: string,
  ) {}

  /**
   * Most batches are written by one statement: no BEGIN, no COMMIT, one round trip. The fan-out is
   * computed from the remembered subscribers, and the statement writes only if, with those endpoints
   * locked `FOR KEY SHARE`, they are still exactly the organizations' enabled endpoints with the
   * same subscriptions; so what it writes is what the transaction below would have written at that
   * moment. Otherwise it writes nothing, and the batch takes the transaction, which reads the
   * endpoints afresh (and remembers them). Idempotency keys always take the transaction.
   */
  async publish(events: NewEvent[]): Promise<PublishResult[]> {
    const organizationIds = [...new Set(events.map((e) => e.organizationId))];
    const known = organizationIds.every((id) => this.subscribers.has(id));
    if (known && events.every((e) => e.idempotencyKey === null)) {
      const results = await this.publishIfSubscribersUnchanged(events, organizationIds);
      if (results !== null) return results;
    }
    return inTransaction(this.pool, (client) => publishInTransaction(client, events, this.notifyPayload, this.subscribers));
  }

  private async publishIfSubscribersUnchanged(events: NewEvent[], organizationIds: string[]): Promise<PublishResult[] | null> {
    const expected = organizationIds.flatMap((organizationId) =>
      this.subscribers.get(organizationId)!.map((s) => ({ organizationId, ...s })),
    );
    const deliveriesByEvent = fanOut(events, this.subscribers);
    const deliveries = [...deliveriesByEvent.values()].flat();
    const { rows } = await this.pool.query<{ unchanged: boolean }>({
      name: 'herald_publish_if_subscribers_unchanged',
      text: `WITH expected AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS x(organization_id, id, events_json)
       ),
       subscribers AS (
         SELECT e.id, e.organization_id, e.events FROM endpoints e
         WHERE e.organization_id = ANY($4::text[]) AND e.enabled
         ORDER BY e.id
         FOR KEY SHARE
       ),
       unchanged AS (
         SELECT (SELECT count(*) FROM subscribers) = (SELECT count(*) FROM expected)
            AND (SELECT count(*) FROM subscribers s JOIN expected x
                   ON x.id = s.id AND x.organization_id = s.organization_id
                  AND s.events = ARRAY(SELECT t FROM json_array_elements_text(x.events_json::json) WITH ORDINALITY AS j(t, n) ORDER BY n))
                = (SELECT count(*) FROM expected) AS yes
       ),
       new_events AS (
         INSERT INTO events (id, organization_id, type, payload, idempotency_key, created_at)
         SELECT * FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[])
         WHERE (SELECT yes FROM unchanged)
       ),
       new_deliveries AS (
         INSERT INTO deliveries (id, organization_id, event_id, event_type, endpoint_id, status, attempt_count,
           next_attempt_at, created_at, updated_at)
         SELECT id, organization_id, event_id, event_type, endpoint_id, 'pending', 0, created_at, created_at, created_at
         FROM unnest($11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::bigint[])
           AS t(id, organization_id, event_id, event_type, endpoint_id, created_at)
         WHERE (SELECT yes FROM unchanged)
       )
       SELECT yes AS unchanged, CASE WHEN yes AND $19 THEN pg_notify($17, $18) END AS notified FROM unchanged`,
      values: [
        expected.map((s) => s.organizationId),
        expected.map((s) => s.id),
        expected.map((s) => JSON.stringify(s.events)),
        organizationIds,
        ...eventColumns(events),
        ...deliveryColumns(deliveries),
        DUE_CHANNEL,
        this.notifyPayload,
        deliveries.length > 0,
      ],
    });
    if (!rows[0]!.unchanged) {
      for (const id of organizationIds) this.subscribers.delete(id);
      return null;
    }
    return events.map((event) => ({ event: newEventRecord(event), deliveries: deliveriesByEvent.get(event.id)!, duplicate: false }));
  }
}

/** The transaction: idempotency keys, then the fan-out from the endpoints read under lock (and remembered in `subscribers`). */
export async function publishInTransaction(
  client: PoolClient,
  events: NewEvent[],
  notifyPayload: string,
  subscribers: Map<string, Subscriber[]>,
): Promise<PublishResult[]> {
  const owners = keyOwners(events);
  const originals = await takeIdempotencyKeys(client, [...owners.values()]);
  const fresh = events.filter((event) => resolveKey(event, owners, originals) === null);

  const organizationIds = [...new Set(fresh.map((e) => e.organizationId))];
  const endpoints = await subscribersOf(client, organizationIds);
  if (subscribers.size + organizationIds.length > MAX_REMEMBERED_ORGANIZATIONS) subscribers.clear();
  for (const id of organizationIds) subscribers.set(id, endpoints.get(id) ?? []);
  const deliveriesByEvent = fanOut(fresh, endpoints);
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

const MAX_REMEMBERED_ORGANIZATIONS = 10_000;

function fanOut(events: NewEvent[], subscribers: Map<string, Subscriber[]>): Map<string, Delivery[]> {
  const deliveriesByEvent = new Map<string, Delivery[]>();
  for (const event of events) {
    const targets = recipients(subscribers.get(event.organizationId) ?? [], event);
    deliveriesByEvent.set(
      event.id,
      targets.map((endpoint) => newDelivery(uuidv7(event.createdAt), event, endpoint.id)),
    );
  }
  return deliveriesByEvent;
}

function eventColumns(events: NewEvent[]): unknown[] {
  return [
    events.map((e) => e.id),
    events.map((e) => e.organizationId),
    events.map((e) => e.type),
    events.map((e) => e.payloadJson),
    events.map((e) => e.idempotencyKey),
    events.map((e) => e.createdAt),
  ];
}

function deliveryColumns(deliveries: Delivery[]): unknown[] {
  return [
    deliveries.map((d) => d.id),
    deliveries.map((d) => d.organizationId),
    deliveries.map((d) => d.eventId),
    deliveries.map((d) => d.eventType),
    deliveries.map((d) => d.endpointId),
    deliveries.map((d) => d.createdAt),
  ];
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
  const ordered = [...owners].sort((a, b) => lockOrder(keyIdOf(a)!, keyIdOf(b)!));
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
      ...eventColumns(events),
      ...deliveryColumns(deliveries),
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
