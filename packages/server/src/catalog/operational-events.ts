/**
 * The operational event types: Herald's own news about an organization's endpoints and deliveries
 * (`docs/operational-webhooks.md`). They are catalog types like any other, except that `["*"]` does
 * not subscribe to them: an endpoint gets them only by naming them, so existing receivers see no
 * new traffic.
 */
export const OPERATIONAL_EVENT_TYPES = ['endpoint.failing', 'endpoint.disabled', 'endpoint.enabled', 'delivery.exhausted'] as const;

export type OperationalEventType = (typeof OPERATIONAL_EVENT_TYPES)[number];

export function isOperationalEventType(type: string): type is OperationalEventType {
  return (OPERATIONAL_EVENT_TYPES as readonly string[]).includes(type);
}
