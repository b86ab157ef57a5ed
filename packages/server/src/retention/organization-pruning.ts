import type { OrganizationPruneBatch, Store } from '../store/store.js';

export interface OrganizationPruned {
  events: number;
  deliveries: number;
}

/**
 * An operator's early pruning (`DELETE /v1/organizations/{org}/events?until=…`): every event of the
 * organization created before `until`, with its finished deliveries and their attempts, in batches
 * of `batchSize` events that each are their own short transaction. Events with a pending delivery
 * stay, with that delivery: pending deliveries are never pruned.
 */
export async function pruneOrganization(
  store: Store,
  organizationId: string,
  until: number,
  batchSize = 500,
): Promise<OrganizationPruned> {
  const total: OrganizationPruned = { events: 0, deliveries: 0 };
  let after: string | null = null;
  for (;;) {
    const batch: OrganizationPruneBatch = await store.pruneOrganizationEvents(organizationId, until, after, batchSize);
    total.events += batch.events;
    total.deliveries += batch.deliveries;
    if (!batch.more) return total;
    after = batch.lastId;
    // Lets publishes and claims in this process take the write lock between batches.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
