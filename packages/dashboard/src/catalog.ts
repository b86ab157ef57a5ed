import { api } from './api/client.js';
import type { EventType } from './api/types.js';
import { useResource, type Resource } from './use-resource.js';

/** The catalog changes only when Herald restarts, so one load serves every page. */
let cached: Promise<EventType[]> | undefined;

function loadCatalog(): Promise<EventType[]> {
  cached ??= api.get<EventType[]>('/v1/event-types').catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

export function useCatalog(): Resource<EventType[]> {
  return useResource('catalog', loadCatalog);
}

/** Event types by group, groups in catalog order (User, Social, Event management, Reaction, then any added). */
export function groupEventTypes(types: readonly EventType[]): Array<{ group: string; types: EventType[] }> {
  const groups = new Map<string, EventType[]>();
  for (const type of types) {
    const list = groups.get(type.group) ?? [];
    list.push(type);
    groups.set(type.group, list);
  }
  return [...groups].map(([group, list]) => ({ group, types: list }));
}
