import type { Database, Statement } from 'better-sqlite3';
import { toClaimedDelivery, type LeasedRow } from '../records.js';
import type { ClaimedDelivery, ClaimOptions } from '../store.js';

/**
 * Leasing due deliveries on SQLite. One process owns the file, and a write transaction
 * (`BEGIN IMMEDIATE`) serializes claimers, so no row locking is needed here.
 *
 * A lease is written into `next_attempt_at` itself (set to the lease expiry), so "due" is the single
 * indexed condition `status = 'pending' AND next_attempt_at <= now`: a delivery whose dispatcher died
 * becomes due again when its lease runs out, with no sweeper. The attempt is counted when claimed;
 * recording the attempt is fenced on (lease owner, attempt count).
 *
 * Fairness: each enabled endpoint with due work is probed on its own index range, up to its free
 * concurrency (`perEndpointLimit` minus live leases), starting from a rotating offset — so one
 * endpoint's backlog cannot fill every batch.
 *
 * Cost: which endpoints have due work is found in one statement (an index probe per enabled endpoint,
 * inside SQLite), not by one statement per endpoint from JavaScript: with 5,000 enabled endpoints a
 * claim that finds nothing takes about 2 ms instead of 25, and a claim holds the write lock and the
 * event loop throughout. The rest is proportional to the batch.
 */
export class SqliteClaimer {
  private readonly liveLeases: Statement<[number]>;
  private readonly endpointsWithDueWork: Statement<[number]>;
  private readonly dueForEndpoint: Statement<[string, number, number]>;
  private readonly lease: Statement<[string, number, number, number, string]>;
  private readonly secrets: Statement<[string, number]>;
  private rotation = 0;

  constructor(private readonly db: Database) {
    this.liveLeases = db.prepare(
      `SELECT endpoint_id, count(*) AS n FROM deliveries
       WHERE lease_owner IS NOT NULL AND status = 'pending' AND lease_expires_at > ?
       GROUP BY endpoint_id`,
    );
    this.endpointsWithDueWork = db.prepare(
      `SELECT e.id, e.url, e.signature_scheme FROM endpoints e
       WHERE e.enabled = 1 AND EXISTS (
         SELECT 1 FROM deliveries d WHERE d.endpoint_id = e.id AND d.status = 'pending' AND d.next_attempt_at <= ?)
       ORDER BY e.id`,
    );
    this.dueForEndpoint = db.prepare(
      `SELECT id FROM deliveries
       WHERE endpoint_id = ? AND status = 'pending' AND next_attempt_at <= ?
       ORDER BY next_attempt_at LIMIT ?`,
    );
    this.lease = db.prepare(
      `UPDATE deliveries
       SET lease_owner = ?, lease_expires_at = ?, next_attempt_at = ?, attempt_count = attempt_count + 1,
           updated_at = ?
       WHERE id = ?
       RETURNING id, organization_id, endpoint_id, event_id, event_type, attempt_count,
                 (SELECT payload FROM events WHERE events.id = deliveries.event_id) AS payload`,
    );
    this.secrets = db.prepare(
      `SELECT secret FROM endpoint_secrets
       WHERE endpoint_id = ? AND (expires_at IS NULL OR expires_at > ?)
       ORDER BY seq DESC`,
    );
  }

  claim(options: ClaimOptions): ClaimedDelivery[] {
    return this.db.transaction(() => this.claimInTransaction(options)).immediate();
  }

  private claimInTransaction({ leaseOwner, limit, leaseMs, now, perEndpointLimit }: ClaimOptions): ClaimedDelivery[] {
    if (limit <= 0) return [];
    const leased = new Map<string, number>();
    for (const row of this.liveLeases.all(now) as Array<{ endpoint_id: string; n: number }>) {
      leased.set(row.endpoint_id, row.n);
    }
    const endpoints = this.endpointsWithDueWork.all(now) as Array<{ id: string; url: string; signature_scheme: string }>;
    const leaseExpiresAt = now + leaseMs;
    const claimed: ClaimedDelivery[] = [];
    const start = endpoints.length === 0 ? 0 : this.rotation++ % endpoints.length;

    for (let i = 0; i < endpoints.length && claimed.length < limit; i++) {
      const endpoint = endpoints[(start + i) % endpoints.length]!;
      const free = Math.min(perEndpointLimit - (leased.get(endpoint.id) ?? 0), limit - claimed.length);
      if (free <= 0) continue;
      const due = this.dueForEndpoint.all(endpoint.id, now, free) as Array<{ id: string }>;
      const secrets = (this.secrets.all(endpoint.id, now) as Array<{ secret: string }>).map((r) => r.secret);
      for (const { id } of due) {
        const row = this.lease.get(leaseOwner, leaseExpiresAt, leaseExpiresAt, now, id) as LeasedDeliveryRow;
        claimed.push(
          toClaimedDelivery({ ...row, url: endpoint.url, signature_scheme: endpoint.signature_scheme, secrets }, leaseExpiresAt),
        );
      }
    }
    return claimed;
  }
}

/** What the lease statement returns; the endpoint's columns are read once per endpoint instead. */
type LeasedDeliveryRow = Omit<LeasedRow, 'url' | 'signature_scheme' | 'secrets'>;
