import type BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { page } from '../paging.js';
import type {
  ApiKey,
  ApiKeyDetails,
  DashboardSession,
  OrganizationFilter,
  OrganizationPatch,
  OrganizationProfile,
  OrganizationWrite,
  Page,
  PortalLinkUse,
  TenancyStore,
} from '../store.js';
import {
  API_KEY_COLUMNS,
  defaultScope,
  ORGANIZATION_PROFILE_COLUMNS,
  SESSION_COLUMNS,
  toApiKeyDetails,
  toDashboardSession,
  toOrganizationProfile,
  type ApiKeyRow,
  type OrganizationProfileRow,
  type SessionRow,
} from '../tenancy-rows.js';
import { prepared } from './statements.js';
import { writeTransaction } from './write-gate.js';

/**
 * The tenancy part of the SQLite store: organizations with uids, scoped API keys, dashboard sessions
 * and portal-link uses. Every check-then-write runs in an IMMEDIATE transaction, which holds
 * SQLite's one write lock, so a uid or a portal link cannot be taken twice.
 */
export class SqliteTenancy implements TenancyStore {

  constructor(private readonly db: Database) {}

  createApiKey(key: ApiKey, keyHash: string): void {
    this.stmt(
      `INSERT INTO api_keys (id, organization_id, prefix, key_hash, scope, name, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(key.id, key.organizationId, key.prefix, keyHash, key.scope ?? defaultScope(key.organizationId), key.name ?? '', key.createdAt, key.expiresAt ?? null);
  }

  async createOrganizationProfile(org: OrganizationProfile): Promise<OrganizationWrite> {
    return writeTransaction(this.db, (): OrganizationWrite => {
      if (org.uid !== null && this.uidTaken(org.uid, org.id)) return { ok: false, reason: 'uid_taken' };
      this.stmt('INSERT INTO organizations (id, name, created_at, uid, metadata) VALUES (?, ?, ?, ?, ?)').run(
        org.id,
        org.name,
        org.createdAt,
        org.uid,
        JSON.stringify(org.metadata),
      );
      return { ok: true, organization: this.profile(org.id)! };
    });
  }

  async getOrganizationProfile(id: string): Promise<OrganizationProfile | null> {
    return this.profile(id);
  }

  async findOrganizationByUid(uid: string): Promise<OrganizationProfile | null> {
    const row = this.stmt(`SELECT ${ORGANIZATION_PROFILE_COLUMNS} FROM organizations WHERE uid = ?`).get(uid) as
      | OrganizationProfileRow
      | undefined;
    return row ? toOrganizationProfile(row) : null;
  }

  async listOrganizationProfiles(filter: OrganizationFilter): Promise<Page<OrganizationProfile>> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.uid !== undefined) where.push('uid = ?'), params.push(filter.uid);
    if (filter.cursor !== undefined) where.push('id > ?'), params.push(filter.cursor);
    const rows = this.stmt(
      `SELECT ${ORGANIZATION_PROFILE_COLUMNS} FROM organizations ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`,
    ).all(...params, filter.limit + 1) as OrganizationProfileRow[];
    return page(rows.map(toOrganizationProfile), filter.limit);
  }

  async updateOrganizationProfile(id: string, patch: OrganizationPatch): Promise<OrganizationWrite> {
    return writeTransaction(this.db, (): OrganizationWrite => {
      const current = this.profile(id);
      if (current === null) return { ok: false, reason: 'not_found' };
      if (patch.uid !== undefined && patch.uid !== null && this.uidTaken(patch.uid, id)) return { ok: false, reason: 'uid_taken' };
      this.stmt('UPDATE organizations SET name = ?, uid = ?, metadata = ? WHERE id = ?').run(
        patch.name ?? current.name,
        patch.uid !== undefined ? patch.uid : current.uid,
        JSON.stringify(patch.metadata ?? current.metadata),
        id,
      );
      return { ok: true, organization: this.profile(id)! };
    });
  }

  async deleteOrganization(id: string): Promise<boolean> {
    return writeTransaction(this.db, () => {
      // Deliveries, attempts and secrets go with their endpoints and events (ON DELETE CASCADE), keys
      // and sessions with the organization; idempotency keys have no foreign key, so they go here.
      this.stmt('DELETE FROM idempotency_keys WHERE organization_id = ?').run(id);
      this.stmt('DELETE FROM deliveries WHERE organization_id = ?').run(id);
      this.stmt('DELETE FROM events WHERE organization_id = ?').run(id);
      this.stmt('DELETE FROM endpoints WHERE organization_id = ?').run(id);
      return this.stmt('DELETE FROM organizations WHERE id = ?').run(id).changes > 0;
    });
  }

  async findApiKeyByHash(keyHash: string): Promise<ApiKeyDetails | null> {
    const row = this.stmt(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE key_hash = ?`).get(keyHash) as ApiKeyRow | undefined;
    return row ? toApiKeyDetails(row) : null;
  }

  async listApiKeys(organizationId: string | null): Promise<ApiKeyDetails[]> {
    const rows = (
      organizationId === null
        ? this.stmt(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE organization_id IS NULL AND revoked_at IS NULL ORDER BY id DESC`).all()
        : this.stmt(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE organization_id = ? AND revoked_at IS NULL ORDER BY id DESC`).all(
            organizationId,
          )
    ) as ApiKeyRow[];
    return rows.map(toApiKeyDetails);
  }

  async revokeApiKey(organizationId: string | null, id: string, now: number): Promise<boolean> {
    return writeTransaction(this.db, () => {
      const revoked = this.stmt(
        'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND organization_id IS ? AND revoked_at IS NULL',
      ).run(now, id, organizationId).changes > 0;
      if (revoked) this.stmt('UPDATE sessions SET ended_at = ? WHERE api_key_id = ? AND ended_at IS NULL').run(now, id);
      return revoked;
    });
  }

  async markApiKeyUsed(id: string, now: number): Promise<void> {
    this.stmt('UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(now, id);
  }

  async createSession(session: DashboardSession): Promise<void> {
    this.insertSession(session);
  }

  async redeemPortalLink(use: PortalLinkUse, session: DashboardSession): Promise<boolean> {
    return writeTransaction(this.db, () => {
      const claimed = this.stmt(
        'INSERT INTO portal_link_uses (link_id, organization_id, used_at, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (link_id) DO NOTHING',
      ).run(use.linkId, use.organizationId, use.usedAt, use.expiresAt).changes > 0;
      if (claimed) this.insertSession(session);
      return claimed;
    });
  }

  async portalLinkUsed(linkId: string): Promise<boolean> {
    return this.stmt('SELECT 1 FROM portal_link_uses WHERE link_id = ?').get(linkId) !== undefined;
  }

  async getSession(id: string): Promise<DashboardSession | null> {
    const row = this.stmt(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = ?`).get(id) as SessionRow | undefined;
    return row ? toDashboardSession(row) : null;
  }

  async endSession(id: string, now: number): Promise<boolean> {
    return this.stmt('UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL').run(now, id).changes > 0;
  }

  async endOrganizationSessions(organizationId: string, now: number): Promise<number> {
    return this.stmt('UPDATE sessions SET ended_at = ? WHERE organization_id = ? AND ended_at IS NULL').run(now, organizationId).changes;
  }

  private insertSession(s: DashboardSession): void {
    this.stmt(
      `INSERT INTO sessions (id, organization_id, signed_in_with, scope, api_key_id, portal_link_id, created_at, expires_at, ended_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(s.id, s.organizationId, s.signedInWith, s.scope, s.apiKeyId, s.portalLinkId, s.createdAt, s.expiresAt, s.endedAt);
  }

  private profile(id: string): OrganizationProfile | null {
    const row = this.stmt(`SELECT ${ORGANIZATION_PROFILE_COLUMNS} FROM organizations WHERE id = ?`).get(id) as
      | OrganizationProfileRow
      | undefined;
    return row ? toOrganizationProfile(row) : null;
  }

  private uidTaken(uid: string, exceptId: string): boolean {
    return this.stmt('SELECT 1 FROM organizations WHERE uid = ? AND id <> ?').get(uid, exceptId) !== undefined;
  }

  private stmt(sql: string): BetterSqlite3.Statement {
    return prepared(this.db, sql);
  }
}
