import { CATALOG_EVENT_TYPES, type CatalogEvent, type CatalogEventType } from './catalog-events.generated.js';

/**
 * An event whose type is not in the SDK's catalog (an operator's own type, or one added after this
 * SDK was built). Receivers must accept these and ignore what they do not know (wire spec §4).
 */
export interface UnknownEvent {
  id: string;
  event: string;
  payload: Record<string, unknown>;
}

/**
 * What `verifyWebhook` returns. Narrow with `isCatalogEvent` first, then `switch (event.event)` types
 * each payload. (A plain `switch` cannot narrow while `UnknownEvent` allows any `event` string.)
 */
export type HeraldEvent = CatalogEvent | UnknownEvent;

const CATALOG_TYPES: ReadonlySet<string> = new Set(CATALOG_EVENT_TYPES);

/**
 * True when `event` is of a built-in catalog type; then `event.event` narrows `event.payload`.
 * Checks the type name only: the payload was validated against the type's schema by Herald before
 * it was accepted, not again here.
 *
 * @example
 * const event = verifyWebhook(body, headers, secret);
 * if (isCatalogEvent(event)) {
 *   switch (event.event) {
 *     case 'user.new': createAccount(event.payload.user_id, event.payload.email); break;
 *     case 'user.deleted': removeAccount(event.payload.user_id); break;
 *   }
 * }
 */
export function isCatalogEvent(event: HeraldEvent): event is CatalogEvent {
  return CATALOG_TYPES.has(event.event);
}

/**
 * True when `event` is of type `type`, narrowing it to that event's type.
 *
 * @example
 * if (isEventType(event, 'user.follow')) notify(event.payload.followed_id, event.payload.follower_id);
 */
export function isEventType<T extends CatalogEventType>(event: HeraldEvent, type: T): event is Extract<CatalogEvent, { event: T }> {
  return event.event === type;
}

/** Checks the shape of a parsed body: `{ id: string, event: string, payload: object }`. */
export function isEnvelope(value: unknown): value is HeraldEvent {
  if (typeof value !== 'object' || value === null) return false;
  const { id, event, payload } = value as Record<string, unknown>;
  return typeof id === 'string' && typeof event === 'string' && typeof payload === 'object' && payload !== null && !Array.isArray(payload);
}
