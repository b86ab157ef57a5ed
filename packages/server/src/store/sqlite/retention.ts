import type BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { uuidv7Floor } from '../../ids.js';
import type { OrganizationPruneBatch, PruneBatch, RetentionStore, SpaceStats } from '../store.js';
import { prepared } from './statements.js';
import { writeTransaction } from './write-gate.js';

/**
 * Pruning on SQLite. Each batch is one IMMEDIATE transaction, so it holds the single write lock for
 * the whole batch: publishing and recording wait behind it. That is why batches are small and the
 * policy (`src/retention/pruner.ts`) yields between them; the busy flag is never set here, as one
 * process owns the file.
 *
 * Deleting a delivery deletes its attempts (ON DELETE CASCADE, on `attempts_by_delivery`).
 */
export class SqliteRetention implements RetentionStore {

  constructor(private readonly db: Database) {}

  async pruneFinishedDeliveries(finishedBefore: number, limit: number): Promise<PruneBatch> {
    return writeTransaction(this.db, (): PruneBatch => {
      const victims = this.stmt(
        `SELECT id, organization_id FROM deliveries INDEXED BY deliveries_finished
         WHERE status <> 'pending' AND updated_at < ? ORDER BY updated_at LIMIT ?`,
      ).all(finishedBefore, limit) as Array<{ id: string; organization_id: string }>;
      const remove = this.stmt('DELETE FROM deliveries WHERE id = ?');
      for (const victim of victims) remove.run(victim.id);
      this.raiseWatermarks(victims);
      return { busy: false, deleted: victims.length, more: victims.length === limit, lastId: null };
    });
  }

  async pruneEvents(createdBefore: number, after: string | null, limit: number): Promise<PruneBatch> {
    return writeTransaction(this.db, (): PruneBatch => {
      const seen = this.stmt(
        `SELECT e.id, e.organization_id, e.idempotency_key,
                EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id) AS has_deliveries
         FROM events e WHERE e.id > ? AND e.id < ? ORDER BY e.id LIMIT ?`,
      ).all(after ?? '', uuidv7Floor(createdBefore), limit) as EventCandidate[];
      const victims = seen.filter((event) => event.has_deliveries === 0);
      for (const event of victims) this.deleteEvent(event);
      this.raiseWatermarks(victims);
      return { busy: false, deleted: victims.length, more: seen.length === limit, lastId: seen.at(-1)?.id ?? null };
    });
  }

  async pruneExpired(now: number, limit: number): Promise<PruneBatch> {
    return writeTransaction(this.db, (): PruneBatch => {
      const counts = [
        this.stmt(
          `DELETE FROM idempotency_keys WHERE (organization_id, key) IN
             (SELECT organization_id, key FROM idempotency_keys WHERE expires_at < ? LIMIT ?)`,
        ).run(now, limit).changes,
        // A session's and a portal link's token carry their expiry and are refused once it passes,
        // before any lookup, so their rows are no longer needed to refuse them.
        this.stmt('DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at < ? LIMIT ?)').run(now, limit).changes,
        this.stmt('DELETE FROM portal_link_uses WHERE link_id IN (SELECT link_id FROM portal_link_uses WHERE expires_at < ? LIMIT ?)').run(now, limit).changes,
      ];
      return { busy: false, deleted: counts.reduce((a, b) => a + b, 0), more: counts.some((n) => n === limit), lastId: null };
    });
  }

  async pruneOrganizationEvents(organizationId: string, until: number, after: string | null, limit: number): Promise<OrganizationPruneBatch> {
    return writeTransaction(this.db, (): OrganizationPruneBatch => {
      const seen = this.stmt(
        `SELECT id, organization_id, idempotency_key FROM events
         WHERE organization_id = ? AND id > ? AND id < ? ORDER BY id LIMIT ?`,
      ).all(organizationId, after ?? '', uuidv7Floor(until), limit) as EventCandidate[];
      let deliveries = 0;
      let events = 0;
      for (const event of seen) {
        deliveries += this.stmt("DELETE FROM deliveries WHERE event_id = ? AND status <> 'pending'").run(event.id).changes;
        if (this.stmt('SELECT 1 FROM deliveries WHERE event_id = ? LIMIT 1').get(event.id) !== undefined) continue;
        this.deleteEvent(event);
        events += 1;
      }
      // Everything before `until` that is gone now was pruned, deliveries resent later included.
      if (seen.length > 0) this.raiseWatermark(organizationId, uuidv7Floor(until));
      return { events, deliveries, more: seen.length === limit, lastId: seen.at(-1)?.id ?? null };
    });
  }

  async wasPruned(organizationId: string, id: string): Promise<boolean> {
    const row = this.stmt('SELECT pruned_through FROM pruned_watermarks WHERE organization_id = ?').get(organizationId) as
      | { pruned_through: string }
      | undefined;
    return row !== undefined && id <= row.pruned_through;
  }

  async spaceStats(): Promise<SpaceStats> {
    return {
      pageSize: this.db.pragma('page_size', { simple: true }) as number,
      pageCount: this.db.pragma('page_count', { simple: true }) as number,
      freePages: this.db.pragma('freelist_count', { simple: true }) as number,
    };
  }

  async reclaimFreePages(pages: number): Promise<number> {
    const before = this.db.pragma('page_count', { simple: true }) as number;
    // Moves pages from the end of the file into free slots and truncates it; needs auto_vacuum=INCREMENTAL
    // (migration 8), and does nothing otherwise.
    this.db.pragma(`incremental_vacuum(${Math.max(0, Math.floor(pages))})`);
    return before - (this.db.pragma('page_count', { simple: true }) as number);
  }

  private deleteEvent(event: EventCandidate): void {
    this.stmt('DELETE FROM events WHERE id = ?').run(event.id);
    // Its key would otherwise answer a repeat publish with an event that no longer exists.
    if (event.idempotency_key !== null) {
      this.stmt('DELETE FROM idempotency_keys WHERE organization_id = ? AND key = ? AND event_id = ?').run(
        event.organization_id,
        event.idempotency_key,
        event.id,
      );
    }
  }

  private raiseWatermarks(victims: Array<{ id: string; organization_id: string }>): void {
    const newest = new Map<string, string>();
    for (const { id, organization_id } of victims) {
      if ((newest.get(organization_id) ?? '') < id) newest.set(organization_id, id);
    }
    for (const [organizationId, id] of newest) this.raiseWatermark(organizationId, id);
  }

  private raiseWatermark(organizationId: string, id: string): void {
    this.stmt(
      `INSERT INTO pruned_watermarks (organization_id, pruned_through) VALUES (?, ?)
       ON CONFLICT (organization_id) DO UPDATE SET pruned_through = max(pruned_through, excluded.pruned_through)`,
    ).run(organizationId, id);
  }

  private stmt(sql: string): BetterSqlite3.Statement {
    return prepared(this.db, sql);
  }
}

interface EventCandidate {
  id: string;
  organization_id: string;
  idempotency_key: string | null;
  has_deliveries?: number;
}
