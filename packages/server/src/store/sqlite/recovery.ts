import type BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { recoverableWhere, toRecovery, type RecoveryRow } from '../recovery-rows.js';
import type { NewRecovery, Recovery, RecoveryStore, RecoveryWindow } from '../store.js';
import { prepared } from './statements.js';
import { writeTransaction } from './write-gate.js';

const RECOVERABLE = recoverableWhere(['?', '?', '?', '?']);

const RECOVERY_WITH_PROGRESS = `SELECT r.id, r.organization_id, r.endpoint_id, r.since, r.until, r.total, r.created_at,
    (SELECT count(*) FROM deliveries d WHERE d.recovery_id = r.id AND d.status = 'pending') AS pending,
    (SELECT count(*) FROM deliveries d WHERE d.recovery_id = r.id AND d.status = 'succeeded') AS succeeded,
    (SELECT count(*) FROM deliveries d WHERE d.recovery_id = r.id AND d.status = 'failed') AS failed
  FROM recoveries r`;

/**
 * Recoveries on SQLite. The IMMEDIATE transaction holds the one write lock, so two recoveries of
 * the same window cannot both see a delivery as not yet re-sent.
 */
export class SqliteRecoveries implements RecoveryStore {

  constructor(
    private readonly db: Database,
    private readonly emitDue: () => void,
  ) {}

  async countRecoverable(w: RecoveryWindow): Promise<number> {
    const row = this.stmt(`SELECT count(*) AS n FROM deliveries d WHERE ${RECOVERABLE}`).get(
      w.organizationId,
      w.endpointId,
      w.since,
      w.until,
    ) as { n: number };
    return row.n;
  }

  async recoverDeliveries(recovery: NewRecovery): Promise<Recovery | null> {
    const { organizationId, endpointId, since, until, id, createdAt: now } = recovery;
    const total = writeTransaction(this.db, () => {
      if (this.stmt('SELECT 1 FROM endpoints WHERE organization_id = ? AND id = ?').get(organizationId, endpointId) === undefined) {
        return null;
      }
      const originals = this.stmt(
        `SELECT d.id, d.event_id, d.event_type FROM deliveries d WHERE ${RECOVERABLE} ORDER BY d.updated_at, d.id`,
      ).all(organizationId, endpointId, since, until) as Array<{ id: string; event_id: string; event_type: string }>;
      this.stmt(
        'INSERT INTO recoveries (id, organization_id, endpoint_id, since, until, total, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(id, organizationId, endpointId, since, until, originals.length, now);
      const insert = this.stmt(
        `INSERT INTO deliveries (id, organization_id, event_id, event_type, endpoint_id, status, attempt_count,
           next_attempt_at, resend_of, recovery_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?)`,
      );
      for (const original of originals) {
        insert.run(recovery.newDeliveryId(), organizationId, original.event_id, original.event_type, endpointId, now, original.id, id, now, now);
      }
      return originals.length;
    });
    if (total === null) return null;
    if (total > 0) this.emitDue();
    return this.getRecovery(organizationId, endpointId, id);
  }

  async getRecovery(organizationId: string, endpointId: string, id: string): Promise<Recovery | null> {
    const row = this.stmt(`${RECOVERY_WITH_PROGRESS} WHERE r.organization_id = ? AND r.endpoint_id = ? AND r.id = ?`).get(
      organizationId,
      endpointId,
      id,
    ) as RecoveryRow | undefined;
    return row ? toRecovery(row) : null;
  }

  async listRecoveries(organizationId: string, endpointId: string, limit: number): Promise<Recovery[]> {
    const rows = this.stmt(
      `${RECOVERY_WITH_PROGRESS} WHERE r.organization_id = ? AND r.endpoint_id = ? ORDER BY r.id DESC LIMIT ?`,
    ).all(organizationId, endpointId, limit) as RecoveryRow[];
    return rows.map(toRecovery);
  }

  private stmt(sql: string): BetterSqlite3.Statement {
    return prepared(this.db, sql);
  }
}
