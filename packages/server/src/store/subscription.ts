import type { NewEvent } from './store.js';

/** An enabled endpoint as fan-out sees it. */
export interface Subscriber {
  id: string;
  /** Subscribed event types, or `['*']`. */
  events: string[];
}

/** Whether an endpoint subscribed to `events` (types, or `['*']`) receives events of `type`. */
export function subscribes(events: readonly string[], type: string): boolean {
  return events.includes('*') || events.includes(type);
}

/** The endpoints an event goes to: the one a test event names, whatever it subscribes to, or every subscriber of its type. */
export function recipients(subscribers: readonly Subscriber[], event: NewEvent): Subscriber[] {
  return event.onlyEndpointId
    ? subscribers.filter((e) => e.id === event.onlyEndpointId)
    : subscribers.filter((e) => subscribes(e.events, event.type));
}
