import type { Pool } from 'pg';
import { recoverableWhere, toRecovery, type RecoveryRow } from '../recovery-rows.js';
import type { NewRecovery, Recovery, RecoveryStore, RecoveryWindow } from '../store.js';
import { DUE_CHANNEL, type DueNotifier } from './due-notifier.js';
import { inTransaction } from './transaction.js';

const RECOVERY_WITH_PROGRESS = `SELECT r.id, r.organization_id, r.endpoint_id, r.since, r.until, r.total, r.created_at,
    p.pending, p.succeeded, p.failed
  FROM recoveries r
  CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE d.status = 'pending') AS pending,
           count(*) FILTER (WHERE d.status = 'succeeded') AS succeeded,
           count(*) FILTER (WHERE d.status = 'failed') AS failed
    FROM deliveries d WHERE d.recovery_id = r.id
  ) p`;

/**
 * Recoveries on PostgreSQL. A recovery locks its endpoint row first (`FOR NO KEY UPDATE`, as secret
 * rotation does), so a second recovery of the same endpoint waits, and its "not yet re-sent" check,
 * a statement started after the first one committed, sees the deliveries the first one made.
 */
export class PostgresRecoveries implements RecoveryStore {
  constructor(
    private readonly pool: Pool,
    private readonly notifier: DueNotifier,
  ) {}

  async countRecoverable(w: RecoveryWindow): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*) AS n FROM deliveries d WHERE ${recoverableWhere(['$1', '$2', '$3', '$4'])}`,
      [w.organizationId, w.endpointId, w.since, w.until],
    );
    return rows[0]!.n;
  }

  async recoverDeliveries(recovery: NewRecovery): Promise<Recovery | null> {
    const { organizationId, endpointId, since, until, id, createdAt: now } = recovery;
    const total = await inTransaction(this.pool, async (client) => {
      const { rowCount } = await client.query(
        'SELECT 1 FROM endpoints WHERE organization_id = $1 AND id = $2 FOR NO KEY UPDATE',
        [organizationId, endpointId],
      );
      if ((rowCount ?? 0) === 0) return null;
      const { rows: originals } = await client.query<{ id: string }>(
        `SELECT d.id FROM deliveries d WHERE ${recoverableWhere(['$1', '$2', '$3', '$4'])} ORDER BY d.updated_at, d.id`,
        [organizationId, endpointId, since, until],
      );
      await client.query(
        'INSERT INTO recoveries (id, organization_id, endpoint_id, since, until, total, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [id, organizationId, endpointId, since, until, originals.length, now],
      );
      if (originals.length === 0) return 0;
      // Ids are made here, not by the database, so they are UUID v7 like every other delivery's.
      const newIds = originals.map(() => recovery.newDeliveryId());
      await client.query(
        `WITH recovered AS (
           INSERT INTO deliveries (id, organization_id, event_id, event_type, endpoint_id, status, attempt_count,
             next_attempt_at, resend_of, recovery_id, created_at, updated_at)
           SELECT n.new_id, d.organization_id, d.event_id, d.event_type, d.endpoint_id, 'pending', 0, $3, d.id, $4, $3, $3
           FROM unnest($1::text[], $2::text[]) AS n(original_id, new_id) JOIN deliveries d ON d.id = n.original_id
           RETURNING 1
         )
         SELECT pg_notify($5, $6) WHERE EXISTS (SELECT 1 FROM recovered)`,
        [originals.map((o) => o.id), newIds, now, id, DUE_CHANNEL, this.notifier.payload],
      );
      return originals.length;
    });
    if (total === null) return null;
    if (total > 0) this.notifier.emitLocal();
    return this.getRecovery(organizationId, endpointId, id);
  }

  async getRecovery(organizationId: string, endpointId: string, id: string): Promise<Recovery | null> {
    const { rows } = await this.pool.query<RecoveryRow>(
      `${RECOVERY_WITH_PROGRESS} WHERE r.organization_id = $1 AND r.endpoint_id = $2 AND r.id = $3`,
      [organizationId, endpointId, id],
    );
    return rows[0] ? toRecovery(rows[0]) : null;
  }

  async listRecoveries(organizationId: string, endpointId: string, limit: number): Promise<Recovery[]> {
    const { rows } = await this.pool.query<RecoveryRow>(
      `${RECOVERY_WITH_PROGRESS} WHERE r.organization_id = $1 AND r.endpoint_id = $2 ORDER BY r.id DESC LIMIT $3`,
      [organizationId, endpointId, limit],
    );
    return rows.map(toRecovery);
  }
}
