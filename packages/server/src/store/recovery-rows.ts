import type { Recovery } from './store.js';

/** A recovery row with its deliveries counted by status, as both databases return it. */
export interface RecoveryRow {
  id: string;
  organization_id: string;
  endpoint_id: string;
  since: number;
  until: number;
  total: number;
  created_at: number;
  pending: number;
  succeeded: number;
  failed: number;
}

export function toRecovery(row: RecoveryRow): Recovery {
  return {
    id: row.id,
    organizationId: row.organization_id,
    endpointId: row.endpoint_id,
    since: row.since,
    until: row.until,
    createdAt: row.created_at,
    total: row.total,
    pending: row.pending,
    succeeded: row.succeeded,
    failed: row.failed,
  };
}

/**
 * The deliveries a recovery of `RecoveryWindow` takes, oldest failure first, as a WHERE clause on
 * `deliveries d` with placeholders for (organization, endpoint, since, until) in that order.
 * "Not re-sent yet": no delivery has it as `resend_of`, whether a manual resend or a recovery made it.
 */
export function recoverableWhere(placeholders: [string, string, string, string]): string {
  const [organization, endpoint, since, until] = placeholders;
  return `d.organization_id = ${organization} AND d.endpoint_id = ${endpoint} AND d.status = 'failed'
    AND d.updated_at >= ${since} AND d.updated_at < ${until}
    AND NOT EXISTS (SELECT 1 FROM deliveries r WHERE r.resend_of = d.id)`;
}
