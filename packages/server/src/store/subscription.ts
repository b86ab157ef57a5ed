import { isOperationalEventType } from '../catalog/operational-events.js';
import type { NewEvent } from './store.js';

/** An enabled endpoint as fan-out sees it. */
export interface Subscriber {
  id: string;
  /** Subscribed event types, or `['*']`. */
  events: string[];
}

/**
 * Whether an endpoint subscribed to `events` (types, or `['*']`) receives events of `type`. `*` leaves
 * out the operational types: those go only to endpoints that name them.
 */
export function subscribes(events: readonly string[], type: string): boolean {
  return events.includes(type) || (events.includes('*') && !isOperationalEventType(type));
}

/**
 * The endpoints an event goes to: the one a test event names, whatever it subscribes to, or every
 * subscriber of its type but the one it is about (`exceptEndpointId`).
 */
export function recipients(subscribers: readonly Subscriber[], event: NewEvent): Subscriber[] {
  return event.onlyEndpointId
    ? subscribers.filter((e) => e.id === event.onlyEndpointId)
    : subscribers.filter((e) => subscribes(e.events, event.type) && e.id !== event.exceptEndpointId);
}
