import type { Pool, PoolClient } from 'pg';
import type { DeliveryExhaustion, Endpoint, EndpointHealthChange, ExhaustionNotice, LifecycleStore } from '../store.js';
import { ENDPOINT_COLUMNS, toEndpoint, type EndpointRow } from './rows.js';
import { lockOrder } from './lock-order.js';
import { inTransaction } from './transaction.js';

/**
 * The endpoint lifecycle's state on PostgreSQL (`LifecycleStore`; the policy is `src/lifecycle/`),
 * where any number of dispatchers run the same sweeps. Every "once" (one warning per streak, one
 * disable, one notice per held-back window) is a conditional update of rows locked `SKIP LOCKED`, so
 * two processes never both act on one endpoint; the condition is repeated in the outer WHERE because
 * a row may have changed between the pick and the lock. A row skipped because it was locked (by a
 * streak or exhaustion write on the same endpoint, say) is still due, and the next sweep takes it:
 * a sweep never waits behind the dispatchers' own writes.
 */
export class PostgresLifecycle implements LifecycleStore {
  constructor(private readonly pool: Pool) {}

  async recordEndpointHealth(changes: EndpointHealthChange[]): Promise<void> {
    const net = netChanges(changes);
    if (net.length === 0) return;
    // Locked in id order: two dispatchers writing the same endpoints cannot deadlock. A success on an
    // endpoint that is not failing matches nothing, so healthy traffic writes no endpoint row.
    await this.pool.query({
      name: 'herald_record_endpoint_health',
      text: `WITH c AS (
         SELECT * FROM unnest($1::text[], $2::boolean[], $3::int[], $4::bigint[]) AS t(endpoint_id, reset, failures, first_failure_at)
       ),
       locked AS (
         SELECT e.id FROM endpoints e JOIN c ON c.endpoint_id = e.id
         WHERE c.failures > 0 OR e.failing_since IS NOT NULL
         ORDER BY e.id FOR NO KEY UPDATE OF e
       )
       UPDATE endpoints e
       SET failing_since = CASE WHEN c.reset THEN CASE WHEN c.failures > 0 THEN c.first_failure_at END
                                ELSE coalesce(e.failing_since, c.first_failure_at) END,
           failed_deliveries_in_streak = CASE WHEN c.reset THEN c.failures ELSE e.failed_deliveries_in_streak + c.failures END,
           warned_at = CASE WHEN c.reset THEN NULL ELSE e.warned_at END
       FROM c JOIN locked l ON l.id = c.endpoint_id
       WHERE e.id = c.endpoint_id`,
      values: [net.map((n) => n.endpointId), net.map((n) => n.reset), net.map((n) => n.failures), net.map((n) => n.firstFailureAt)],
    });
  }

  async disableEndpoint(organizationId: string, endpointId: string, reason: 'gone' | 'failing', now: number): Promise<Endpoint | null> {
    const { rows } = await this.pool.query<EndpointRow>(
      `UPDATE endpoints SET enabled = false, disabled_reason = $3, disabled_at = $4, updated_at = $4
       WHERE organization_id = $1 AND id = $2 AND enabled
       RETURNING ${ENDPOINT_COLUMNS}`,
      [organizationId, endpointId, reason, now],
    );
    return rows[0] ? toEndpoint(rows[0]) : null;
  }

  async warnFailingEndpoints(failingSince: number, now: number, limit: number): Promise<Endpoint[]> {
    const { rows } = await this.pool.query<EndpointRow>(
      `WITH picked AS MATERIALIZED (
         SELECT id FROM endpoints WHERE failing_since <= $2 AND enabled AND warned_at IS NULL
         ORDER BY failing_since LIMIT $3 FOR NO KEY UPDATE SKIP LOCKED
       )
       UPDATE endpoints e SET warned_at = $1
       FROM picked WHERE e.id = picked.id AND e.failing_since <= $2 AND e.enabled AND e.warned_at IS NULL
       RETURNING ${prefixed('e')}`,
      [now, failingSince, limit],
    );
    return rows.map(toEndpoint);
  }

  async disableFailingEndpoints(failingSince: number, minFailedDeliveries: number, now: number, limit: number): Promise<Endpoint[]> {
    const { rows } = await this.pool.query<EndpointRow>(
      `WITH picked AS MATERIALIZED (
         SELECT id FROM endpoints WHERE failing_since <= $2 AND enabled AND failed_deliveries_in_streak >= $3
         ORDER BY failing_since LIMIT $4 FOR NO KEY UPDATE SKIP LOCKED
       )
       UPDATE endpoints e SET enabled = false, disabled_reason = 'failing', disabled_at = $1, updated_at = $1
       FROM picked WHERE e.id = picked.id AND e.failing_since <= $2 AND e.enabled AND e.failed_deliveries_in_streak >= $3
       RETURNING ${prefixed('e')}`,
      [now, failingSince, minFailedDeliveries, limit],
    );
    return rows.map(toEndpoint);
  }

  async failDeliveriesOfDisabledEndpoints(now: number, limit: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `WITH picked AS MATERIALIZED (
         SELECT p.id, x.disabled_reason FROM endpoints x JOIN deliveries p ON p.endpoint_id = x.id AND p.status = 'pending'
         WHERE NOT x.enabled AND x.disabled_reason IN ('gone', 'failing')
           AND (p.lease_owner IS NULL OR p.lease_expires_at <= $1)
         LIMIT $2 FOR UPDATE OF p SKIP LOCKED
       )
       UPDATE deliveries d
       SET status = 'failed', next_attempt_at = NULL, lease_owner = NULL, lease_expires_at = NULL,
           last_error_kind = 'endpoint_disabled',
           last_error = 'not attempted: the endpoint is disabled (' || picked.disabled_reason || ')', updated_at = $1
       FROM picked
       WHERE d.id = picked.id AND d.status = 'pending'`,
      [now, limit],
    );
    return rowCount ?? 0;
  }

  async noteExhaustedDeliveries(exhaustions: DeliveryExhaustion[], windowMs: number): Promise<Array<ExhaustionNotice | null>> {
    // Endpoint rows locked in lock order; the sort is stable, so each endpoint's own stay in order.
    const order = [...exhaustions.keys()].sort((a, b) => lockOrder(exhaustions[a]!.endpointId, exhaustions[b]!.endpointId));
    return inTransaction(this.pool, async (client) => {
      const notices = new Array<ExhaustionNotice | null>(exhaustions.length).fill(null);
      for (const i of order) notices[i] = await this.noteExhaustedDelivery(client, exhaustions[i]!, windowMs);
      return notices;
    });
  }

  private async noteExhaustedDelivery(client: PoolClient, { endpointId, deliveryId, at }: DeliveryExhaustion, windowMs: number): Promise<ExhaustionNotice | null> {
    const { rows } = await client.query<{ organization_id: string; exhausted_notified_at: number | null; exhausted_unreported: number }>(
      'SELECT organization_id, exhausted_notified_at, exhausted_unreported FROM endpoints WHERE id = $1 FOR NO KEY UPDATE',
      [endpointId],
    );
    const row = rows[0];
    if (row === undefined) return null;
    if (row.exhausted_notified_at !== null && row.exhausted_notified_at > at - windowMs) {
      await client.query(
        'UPDATE endpoints SET exhausted_unreported = exhausted_unreported + 1, exhausted_last_delivery_id = $2 WHERE id = $1',
        [endpointId, deliveryId],
      );
      return null;
    }
    await client.query(
      'UPDATE endpoints SET exhausted_notified_at = $2, exhausted_unreported = 0, exhausted_last_delivery_id = $3 WHERE id = $1',
      [endpointId, at, deliveryId],
    );
    return { endpointId, organizationId: row.organization_id, deliveryId, count: row.exhausted_unreported + 1 };
  }

  async takeHeldBackExhaustions(now: number, windowMs: number, limit: number): Promise<ExhaustionNotice[]> {
    // The count returned is the locked row's before the update: the CTE's, not RETURNING's new one.
    const { rows } = await this.pool.query<{ id: string; organization_id: string; count: number; delivery_id: string }>(
      `WITH taken AS MATERIALIZED (
         SELECT id, organization_id, exhausted_unreported AS count, exhausted_last_delivery_id AS delivery_id
         FROM endpoints WHERE exhausted_unreported > 0 AND exhausted_notified_at <= $2
         ORDER BY id LIMIT $3 FOR NO KEY UPDATE SKIP LOCKED
       )
       UPDATE endpoints e SET exhausted_notified_at = $1, exhausted_unreported = 0
       FROM taken t WHERE e.id = t.id
       RETURNING t.id, t.organization_id, t.count, t.delivery_id`,
      [now, now - windowMs, limit],
    );
    return rows.map((r) => ({ endpointId: r.id, organizationId: r.organization_id, deliveryId: r.delivery_id, count: r.count }));
  }
}

/** The endpoint columns, qualified, for a RETURNING beside a FROM that has an `id` too. */
function prefixed(alias: string): string {
  return ENDPOINT_COLUMNS.split(',').map((column) => `${alias}.${column.trim()}`).join(', ');
}

interface NetChange {
  endpointId: string;
  /** A success came: the streak restarts from what failed after it. */
  reset: boolean;
  failures: number;
  firstFailureAt: number | null;
}

/** The changes folded, in order, into one per endpoint: one statement can update a row only once. */
function netChanges(changes: EndpointHealthChange[]): NetChange[] {
  const byEndpoint = new Map<string, NetChange>();
  for (const change of changes) {
    let net = byEndpoint.get(change.endpointId);
    if (net === undefined) {
      net = { endpointId: change.endpointId, reset: false, failures: 0, firstFailureAt: null };
      byEndpoint.set(change.endpointId, net);
    }
    if (change.kind === 'succeeded') {
      net.reset = true;
      net.failures = 0;
      net.firstFailureAt = null;
    } else {
      net.failures += 1;
      net.firstFailureAt ??= change.at;
    }
  }
  return [...byEndpoint.values()].sort((a, b) => (a.endpointId < b.endpointId ? -1 : a.endpointId > b.endpointId ? 1 : 0));
}
