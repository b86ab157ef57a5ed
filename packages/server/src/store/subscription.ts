/** Whether an endpoint subscribed to `events` (types, or `['*']`) receives events of `type`. */
export function subscribes(events: readonly string[], type: string): boolean {
  return events.includes('*') || events.includes(type);
}
