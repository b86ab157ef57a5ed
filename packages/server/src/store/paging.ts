import type { Page } from './store.js';

/**
 * One page of a list read newest first with one row more than `limit`: that extra row, when it
 * came, only says a next page exists. The cursor is the last kept id, since ids sort by creation.
 */
export function page<T extends { id: string }>(items: T[], limit: number): Page<T> {
  if (items.length <= limit) return { items, nextCursor: null };
  const kept = items.slice(0, limit);
  return { items: kept, nextCursor: kept[kept.length - 1]!.id };
}
