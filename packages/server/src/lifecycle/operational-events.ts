import type { OperationalEventType } from '../catalog/operational-events.js';
import type { Clock } from '../clock.js';
import { uuidv7 } from '../ids.js';
import type { Delivery, DisabledReason, Endpoint, NewEvent, Store } from '../store/store.js';
import { subscribes } from '../store/subscription.js';
import { OPERATIONAL_ORGANIZATION_UID } from './operational-webhook.js';

/**
 * Operational events: Herald's own news about an organization's endpoints, published through the
 * normal publish path (`Store.publishEvents`), so they are durable, signed, retried and logged like
 * any other event. Each goes, as one event, to the organization's endpoints that subscribe to its
 * type by name (never to the endpoint it is about), and as another to the platform-wide receiver
 * when one is configured (`operational-webhook.ts`). Payloads match the catalog's schemas
 * (`default-catalog.json`); every one carries `organization_id`.
 */

export type OperationalEvent =
  | { type: 'endpoint.failing'; endpoint: Endpoint; disableAt: number | null }
  | { type: 'endpoint.disabled'; endpoint: Endpoint; reason: DisabledReason }
  | { type: 'endpoint.enabled'; endpoint: Endpoint; at: number }
  | { type: 'delivery.exhausted'; endpoint: Endpoint; delivery: Delivery; count: number; windowMs: number };

export interface OperationalPublisher {
  /** Publishes the event to its subscribers. Never throws for want of subscribers; database errors propagate. */
  publish(event: OperationalEvent): Promise<void>;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The payload, fields in the catalog's order. */
export function operationalPayload(event: OperationalEvent): Record<string, unknown> {
  const { endpoint } = event;
  const about = { organization_id: endpoint.organizationId, endpoint_id: endpoint.id, url: endpoint.url };
  switch (event.type) {
    case 'endpoint.failing':
      return {
        ...about,
        failing_since: iso(endpoint.health.failingSince),
        failed_deliveries: endpoint.health.failedDeliveriesInStreak,
        disable_at: iso(event.disableAt),
      };
    case 'endpoint.disabled':
      return {
        ...about,
        reason: event.reason,
        disabled_at: iso(endpoint.health.disabledAt),
        failing_since: iso(endpoint.health.failingSince),
        failed_deliveries: endpoint.health.failedDeliveriesInStreak,
      };
    case 'endpoint.enabled':
      return { ...about, enabled_at: iso(event.at) };
    case 'delivery.exhausted': {
      const { delivery } = event;
      return {
        ...about,
        delivery_id: delivery.id,
        event_id: delivery.eventId,
        event_type: delivery.eventType,
        attempts: delivery.attemptCount,
        last_status_code: delivery.lastStatusCode,
        last_error: delivery.lastError,
        count: event.count,
        window_seconds: Math.round(event.windowMs / 1000),
      };
    }
  }
}

export function createOperationalPublisher(store: Store, clock: Clock): OperationalPublisher {
  return {
    async publish(event) {
      const { organizationId, id: endpointId } = event.endpoint;
      const platform = await store.findOrganizationByUid(OPERATIONAL_ORGANIZATION_UID);
      // Nothing is said about the platform receiver's own endpoint: there is no one else to tell.
      if (platform !== null && platform.id === organizationId) return;
      const payloadJson = JSON.stringify(operationalPayload(event));
      const now = clock.now();
      const events: NewEvent[] = [];
      if (await hasOtherSubscriber(store, organizationId, endpointId, event.type)) {
        events.push(newOperationalEvent(organizationId, event.type, payloadJson, now, endpointId));
      }
      if (platform !== null) events.push(newOperationalEvent(platform.id, event.type, payloadJson, now, null));
      if (events.length > 0) await store.publishEvents(events);
    },
  };
}

/**
 * Whether an enabled endpoint of the organization other than `endpointId` names `type`: without
 * one, no event is stored, so operational news does not fill an organization's event log unasked.
 */
async function hasOtherSubscriber(store: Store, organizationId: string, endpointId: string, type: OperationalEventType): Promise<boolean> {
  const subscribers = await store.listSubscribers(organizationId);
  return subscribers.some((e) => e.id !== endpointId && subscribes(e.events, type));
}

/** `endpoint.enabled`, or `endpoint.disabled` with reason `manual`, after someone turned `endpoint` on or off. */
export function announceEnabledChange(publisher: OperationalPublisher, endpoint: Endpoint, now: number): Promise<void> {
  return endpoint.enabled
    ? publisher.publish({ type: 'endpoint.enabled', endpoint, at: now })
    : publisher.publish({ type: 'endpoint.disabled', endpoint, reason: endpoint.health.disabledReason ?? 'manual' });
}

function newOperationalEvent(organizationId: string, type: string, payloadJson: string, now: number, exceptEndpointId: string | null): NewEvent {
  return {
    id: uuidv7(now),
    organizationId,
    type,
    payloadJson,
    idempotencyKey: null,
    createdAt: now,
    idempotencyExpiresAt: now,
    exceptEndpointId,
  };
}
