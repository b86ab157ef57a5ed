import { NotFoundError, PrunedError } from '../errors.js';
import type { Store } from '../store/store.js';

/**
 * The error for a delivery or event id the organization does not have: `pruned` when retention (or
 * an operator's early pruning) deleted it, else `not_found`. The pruned watermark is the newest id
 * pruned per organization; ids are UUID v7, so an id at or below it that is gone was pruned (or
 * went with its endpoint, which is gone just the same).
 */
export async function notFoundOrPruned(store: Store, organizationId: string, kind: 'delivery' | 'event', id: string): Promise<NotFoundError | PrunedError> {
  if (await store.wasPruned(organizationId, id)) {
    return new PrunedError(`${kind} ${id} was deleted by retention (docs/operations.md, "Retention")`, { field: 'id' });
  }
  return new NotFoundError(`no ${kind} ${id}`, { field: 'id' });
}
