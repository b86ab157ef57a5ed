import type { Database, Statement } from 'better-sqlite3';
import type { DeliveryExhaustion, Endpoint, EndpointHealthChange, ExhaustionNotice, LifecycleStore } from '../store.js';
import { toEndpoint, type EndpointRow } from './rows.js';
import { commitWithoutFsyncWhenFree } from './durability.js';
import { writeTransaction } from './write-gate.js';

/**
 * The endpoint lifecycle's state on SQLite (`LifecycleStore`; the policy is `src/lifecycle/`). Every
 * "once" (one warning per streak, one disable, one notice per held-back window) is a conditional
 * update inside a write transaction, which SQLite serializes.
 */
export class SqliteLifecycle implements LifecycleStore {
  private readonly streakEnded: Statement;
  private readonly isFailing: Statement;
  private readonly deliveryFailed: Statement;
  private readonly disable: Statement;
  private readonly warn: Statement;
  private readonly disableFailing: Statement;
  private readonly failOfDisabled: Statement;
  private readonly exhaustionState: Statement;
  private readonly notifyExhaustion: Statement;
  private readonly holdBackExhaustion: Statement;
  private readonly heldBack: Statement;
  private readonly reenabled: Statement;
  private readonly disabledByHand: Statement;

  constructor(private readonly db: Database) {
    this.streakEnded = db.prepare(
      'UPDATE endpoints SET failing_since = NULL, failed_deliveries_in_streak = 0, warned_at = NULL WHERE id = ? AND failing_since IS NOT NULL',
    );
    this.isFailing = db.prepare('SELECT 1 FROM endpoints WHERE id = ? AND failing_since IS NOT NULL');
    this.deliveryFailed = db.prepare(
      `UPDATE endpoints SET failing_since = coalesce(failing_since, ?), failed_deliveries_in_streak = failed_deliveries_in_streak + 1
       WHERE id = ?`,
    );
    this.disable = db.prepare(
      `UPDATE endpoints SET enabled = 0, disabled_reason = ?, disabled_at = ?, updated_at = ?
       WHERE organization_id = ? AND id = ? AND enabled = 1 RETURNING *`,
    );
    this.warn = db.prepare(
      `UPDATE endpoints SET warned_at = ? WHERE id IN (
         SELECT id FROM endpoints INDEXED BY endpoints_failing
         WHERE failing_since IS NOT NULL AND failing_since <= ? AND enabled = 1 AND warned_at IS NULL
         ORDER BY failing_since LIMIT ?)
       RETURNING *`,
    );
    this.disableFailing = db.prepare(
      `UPDATE endpoints SET enabled = 0, disabled_reason = 'failing', disabled_at = ?, updated_at = ? WHERE id IN (
         SELECT id FROM endpoints INDEXED BY endpoints_failing
         WHERE failing_since IS NOT NULL AND failing_since <= ? AND enabled = 1 AND failed_deliveries_in_streak >= ?
         ORDER BY failing_since LIMIT ?)
       RETURNING *`,
    );
    this.failOfDisabled = db.prepare(
      `UPDATE deliveries
       SET status = 'failed', next_attempt_at = NULL, lease_owner = NULL, lease_expires_at = NULL,
           last_error_kind = 'endpoint_disabled',
           last_error = (SELECT 'not attempted: the endpoint is disabled (' || e.disabled_reason || ')'
                         FROM endpoints e WHERE e.id = deliveries.endpoint_id),
           updated_at = @now
       WHERE id IN (
         SELECT d.id FROM endpoints e JOIN deliveries d ON d.endpoint_id = e.id AND d.status = 'pending'
         WHERE e.enabled = 0 AND e.disabled_reason IN ('gone', 'failing')
           AND (d.lease_owner IS NULL OR d.lease_expires_at <= @now)
         LIMIT @limit)`,
    );
    this.exhaustionState = db.prepare(
      'SELECT organization_id, exhausted_notified_at, exhausted_unreported FROM endpoints WHERE id = ?',
    );
    this.notifyExhaustion = db.prepare(
      'UPDATE endpoints SET exhausted_notified_at = ?, exhausted_unreported = 0, exhausted_last_delivery_id = ? WHERE id = ?',
    );
    this.holdBackExhaustion = db.prepare(
      'UPDATE endpoints SET exhausted_unreported = exhausted_unreported + 1, exhausted_last_delivery_id = ? WHERE id = ?',
    );
    // Read, then write: RETURNING would give the new count, and the notice needs the old one.
    this.heldBack = db.prepare(
      `SELECT id, organization_id, exhausted_unreported, exhausted_last_delivery_id
       FROM endpoints INDEXED BY endpoints_exhausted_unreported
       WHERE exhausted_unreported > 0 AND exhausted_notified_at <= ? LIMIT ?`,
    );
    this.reenabled = db.prepare(
      `UPDATE endpoints SET disabled_reason = NULL, disabled_at = NULL, failing_since = NULL, failed_deliveries_in_streak = 0,
         warned_at = NULL WHERE id = ?`,
    );
    this.disabledByHand = db.prepare("UPDATE endpoints SET disabled_reason = 'manual', disabled_at = ? WHERE id = ?");
  }

  /** `updateEndpoint` turned the endpoint on or off: by hand, so reason `manual`; re-enabling clears reason and streak. */
  enabledChanged(endpointId: string, enabled: boolean, now: number): void {
    if (enabled) this.reenabled.run(endpointId);
    else this.disabledByHand.run(now, endpointId);
  }

  async recordEndpointHealth(changes: EndpointHealthChange[]): Promise<void> {
    // A batch of successes alone changes nothing unless an endpoint in it is failing: healthy traffic
    // takes no write lock. (With a failure in the batch, every change is applied, in order.)
    if (changes.every((change) => change.kind === 'succeeded' && this.isFailing.get(change.endpointId) === undefined)) return;
    await commitWithoutFsyncWhenFree(this.db, () => {
      for (const change of changes) {
        if (change.kind === 'succeeded') this.streakEnded.run(change.endpointId);
        else this.deliveryFailed.run(change.at, change.endpointId);
      }
    });
  }

  async disableEndpoint(organizationId: string, endpointId: string, reason: 'gone' | 'failing', now: number): Promise<Endpoint | null> {
    const row = this.disable.get(reason, now, now, organizationId, endpointId) as EndpointRow | undefined;
    return row ? toEndpoint(row) : null;
  }

  async warnFailingEndpoints(failingSince: number, now: number, limit: number): Promise<Endpoint[]> {
    return (this.warn.all(now, failingSince, limit) as EndpointRow[]).map(toEndpoint);
  }

  async disableFailingEndpoints(failingSince: number, minFailedDeliveries: number, now: number, limit: number): Promise<Endpoint[]> {
    return (this.disableFailing.all(now, now, failingSince, minFailedDeliveries, limit) as EndpointRow[]).map(toEndpoint);
  }

  async failDeliveriesOfDisabledEndpoints(now: number, limit: number): Promise<number> {
    return writeTransaction(this.db, () => this.failOfDisabled.run({ now, limit }).changes);
  }

  async noteExhaustedDeliveries(exhaustions: DeliveryExhaustion[], windowMs: number): Promise<Array<ExhaustionNotice | null>> {
    return commitWithoutFsyncWhenFree(this.db, () => exhaustions.map(({ endpointId, deliveryId, at }): ExhaustionNotice | null => {
      const row = this.exhaustionState.get(endpointId) as ExhaustionRow | undefined;
      if (row === undefined) return null;
      if (row.exhausted_notified_at !== null && row.exhausted_notified_at > at - windowMs) {
        this.holdBackExhaustion.run(deliveryId, endpointId);
        return null;
      }
      this.notifyExhaustion.run(at, deliveryId, endpointId);
      return { endpointId, organizationId: row.organization_id, deliveryId, count: row.exhausted_unreported + 1 };
    }));
  }

  async takeHeldBackExhaustions(now: number, windowMs: number, limit: number): Promise<ExhaustionNotice[]> {
    return writeTransaction(this.db, (): ExhaustionNotice[] => {
      const rows = this.heldBack.all(now - windowMs, limit) as HeldBackRow[];
      for (const row of rows) this.notifyExhaustion.run(now, row.exhausted_last_delivery_id, row.id);
      return rows.map((row) => ({
        endpointId: row.id,
        organizationId: row.organization_id,
        deliveryId: row.exhausted_last_delivery_id,
        count: row.exhausted_unreported,
      }));
    });
  }
}

interface ExhaustionRow {
  organization_id: string;
  exhausted_notified_at: number | null;
  exhausted_unreported: number;
}

interface HeldBackRow {
  id: string;
  organization_id: string;
  exhausted_unreported: number;
  exhausted_last_delivery_id: string;
}
