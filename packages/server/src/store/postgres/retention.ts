import type { Pool, PoolClient } from 'pg';
import { uuidv7Floor } from '../../ids.js';
import type { OrganizationPruneBatch, PruneBatch, RetentionStore } from '../store.js';
import { inTransaction } from './transaction.js';

/**
 * Pruning on PostgreSQL. Every batch is its own short transaction that first takes a
 * transaction-scoped advisory lock keyed by the schema, so however many processes run a pruner,
 * one batch runs at a time across all of them; the background pruner only tries the lock
 * (`busy` when another process has it), an operator's request waits for it. No lock is held
 * between batches, and no connection is kept for it.
 *
 * Deleting a delivery deletes its attempts (ON DELETE CASCADE, on `attempts_by_delivery`).
 */
export class PostgresRetention implements RetentionStore {
  private readonly lockKey: string;

  constructor(
    private readonly pool: Pool,
    schema: string,
  ) {
    this.lockKey = `herald_prune:${schema}`;
  }

  async pruneFinishedDeliveries(finishedBefore: number, limit: number): Promise<PruneBatch> {
    return this.underTryLock(async (client) => {
      const { rows } = await client.query<{ deleted: number }>(
        `WITH victims AS (
           SELECT id FROM deliveries WHERE status <> 'pending' AND updated_at < $1 ORDER BY updated_at LIMIT $2
         ), deleted AS (
           DELETE FROM deliveries d USING victims v WHERE d.id = v.id AND d.status <> 'pending'
           RETURNING d.id, d.organization_id
         ), marks AS (
           ${RAISE_WATERMARKS}
         )
         SELECT count(*)::int AS deleted FROM deleted`,
        [finishedBefore, limit],
      );
      const deleted = rows[0]!.deleted;
      return { busy: false, deleted, more: deleted === limit, lastId: null };
    });
  }

  async pruneEvents(createdBefore: number, after: string | null, limit: number): Promise<PruneBatch> {
    return this.underTryLock(async (client) => {
      const { rows } = await client.query<{ seen: number; last_id: string | null; deleted: number }>(
        `WITH seen AS (
           SELECT e.id, e.organization_id, e.idempotency_key FROM events e
           WHERE e.id > $1 AND e.id < $2 ORDER BY e.id LIMIT $3
         ), deleted AS (
           DELETE FROM events e USING seen s
           WHERE e.id = s.id AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)
           RETURNING e.id, e.organization_id, e.idempotency_key
         ), keys AS (
           ${DELETE_IDEMPOTENCY_KEYS}
         ), marks AS (
           ${RAISE_WATERMARKS}
         )
         SELECT (SELECT count(*)::int FROM seen) AS seen, (SELECT max(id) FROM seen) AS last_id,
                (SELECT count(*)::int FROM deleted) AS deleted`,
        [after ?? '', uuidv7Floor(createdBefore), limit],
      );
      const { seen, last_id, deleted } = rows[0]!;
      return { busy: false, deleted, more: seen === limit, lastId: last_id };
    });
  }

  async pruneExpired(now: number, limit: number): Promise<PruneBatch> {
    return this.underTryLock(async (client) => {
      const { rows } = await client.query<{ keys: number; sessions: number; links: number }>(
        `WITH keys AS (
           DELETE FROM idempotency_keys WHERE (organization_id, key) IN
             (SELECT organization_id, key FROM idempotency_keys WHERE expires_at < $1 LIMIT $2)
           RETURNING 1
         ), sessions AS (
           DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at < $1 LIMIT $2) RETURNING 1
         ), links AS (
           DELETE FROM portal_link_uses WHERE link_id IN (SELECT link_id FROM portal_link_uses WHERE expires_at < $1 LIMIT $2)
           RETURNING 1
         )
         SELECT (SELECT count(*)::int FROM keys) AS keys, (SELECT count(*)::int FROM sessions) AS sessions,
                (SELECT count(*)::int FROM links) AS links`,
        [now, limit],
      );
      const counts = Object.values(rows[0]!);
      return { busy: false, deleted: counts.reduce((a, b) => a + b, 0), more: counts.some((n) => n === limit), lastId: null };
    });
  }

  async pruneOrganizationEvents(organizationId: string, until: number, after: string | null, limit: number): Promise<OrganizationPruneBatch> {
    return inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.lockKey]);
      const floor = uuidv7Floor(until);
      const { rows } = await client.query<{ seen: number; last_id: string | null; deliveries: number; events: number }>(
        `WITH seen AS (
           SELECT id FROM events WHERE organization_id = $1 AND id > $2 AND id < $3 ORDER BY id LIMIT $4
         ), gone AS (
           DELETE FROM deliveries d USING seen s WHERE d.event_id = s.id AND d.status <> 'pending' RETURNING d.id
         ), deleted AS (
           -- A data-modifying CTE's deletions are not visible to its siblings, so "no delivery left"
           -- is "no pending delivery" here.
           DELETE FROM events e USING seen s
           WHERE e.id = s.id AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
           RETURNING e.id, e.organization_id, e.idempotency_key
         ), keys AS (
           ${DELETE_IDEMPOTENCY_KEYS}
         ), mark AS (
           INSERT INTO pruned_watermarks (organization_id, pruned_through)
           SELECT $1, $5 WHERE EXISTS (SELECT 1 FROM seen)
           ON CONFLICT (organization_id) DO UPDATE
             SET pruned_through = greatest(pruned_watermarks.pruned_through, excluded.pruned_through)
         )
         SELECT (SELECT count(*)::int FROM seen) AS seen, (SELECT max(id) FROM seen) AS last_id,
                (SELECT count(*)::int FROM gone) AS deliveries, (SELECT count(*)::int FROM deleted) AS events`,
        [organizationId, after ?? '', floor, limit, floor],
      );
      const { seen, last_id, deliveries, events } = rows[0]!;
      return { events, deliveries, more: seen === limit, lastId: last_id };
    });
  }

  async wasPruned(organizationId: string, id: string): Promise<boolean> {
    const { rows } = await this.pool.query<{ pruned: boolean }>(
      'SELECT $2::text COLLATE "C" <= pruned_through AS pruned FROM pruned_watermarks WHERE organization_id = $1',
      [organizationId, id],
    );
    return rows[0]?.pruned === true;
  }

  async spaceStats(): Promise<null> {
    return null;
  }

  async reclaimFreePages(): Promise<number> {
    // Autovacuum marks the space of deleted rows reusable; nothing to do from here.
    return 0;
  }

  /** Runs `work` in a transaction holding the pruning lock, or answers busy without waiting for it. */
  private async underTryLock(work: (client: PoolClient) => Promise<PruneBatch>): Promise<PruneBatch> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked', [
        this.lockKey,
      ]);
      if (!rows[0]!.locked) return { busy: true, deleted: 0, more: true, lastId: null };
      return work(client);
    });
  }
}

/** A CTE body raising each organization's watermark to the newest id in `deleted`. */
const RAISE_WATERMARKS = `
  INSERT INTO pruned_watermarks (organization_id, pruned_through)
  SELECT organization_id, max(id) FROM deleted GROUP BY organization_id
  ON CONFLICT (organization_id) DO UPDATE
    SET pruned_through = greatest(pruned_watermarks.pruned_through, excluded.pruned_through)`;

/** A CTE body deleting the idempotency keys of the events in `deleted`. */
const DELETE_IDEMPOTENCY_KEYS = `
  DELETE FROM idempotency_keys k USING deleted e
  WHERE k.organization_id = e.organization_id AND k.key = e.idempotency_key AND k.event_id = e.id`;
