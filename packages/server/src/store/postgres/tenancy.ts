import type { Pool } from 'pg';
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
import { inTransaction } from './transaction.js';

/**
 * The tenancy part of the PostgreSQL store. A uid is unique by its index, so two processes creating
 * the same uid at once cannot both win: the loser's insert conflicts and is answered `uid_taken`.
 * A portal link is redeemed by inserting its id (the primary key) in the same transaction as its
 * session, which makes "used once" hold across every API process.
 */
export class PostgresTenancy implements TenancyStore {
  /** Lookups under way, by key hash: see findApiKeyByHash. */
  private readonly keyLookups = new Map<string, Promise<ApiKeyDetails | null>>();

  constructor(private readonly pool: Pool) {}

  async createApiKey(key: ApiKey, keyHash: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO api_keys (id, organization_id, prefix, key_hash, scope, name, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [key.id, key.organizationId, key.prefix, keyHash, key.scope ?? defaultScope(key.organizationId), key.name ?? '', key.createdAt, key.expiresAt ?? null],
    );
  }

  async createOrganizationProfile(org: OrganizationProfile): Promise<OrganizationWrite> {
    const { rows } = await this.pool.query<OrganizationProfileRow>(
      `INSERT INTO organizations (id, name, created_at, uid, metadata) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (uid) DO NOTHING
       RETURNING ${ORGANIZATION_PROFILE_COLUMNS}`,
      [org.id, org.name, org.createdAt, org.uid, JSON.stringify(org.metadata)],
    );
    return rows[0] ? { ok: true, organization: toOrganizationProfile(rows[0]) } : { ok: false, reason: 'uid_taken' };
  }

  async getOrganizationProfile(id: string): Promise<OrganizationProfile | null> {
    const { rows } = await this.pool.query<OrganizationProfileRow>(
      `SELECT ${ORGANIZATION_PROFILE_COLUMNS} FROM organizations WHERE id = $1`,
      [id],
    );
    return rows[0] ? toOrganizationProfile(rows[0]) : null;
  }

  async findOrganizationByUid(uid: string): Promise<OrganizationProfile | null> {
    const { rows } = await this.pool.query<OrganizationProfileRow>(
      `SELECT ${ORGANIZATION_PROFILE_COLUMNS} FROM organizations WHERE uid = $1`,
      [uid],
    );
    return rows[0] ? toOrganizationProfile(rows[0]) : null;
  }

  async listOrganizationProfiles(filter: OrganizationFilter): Promise<Page<OrganizationProfile>> {
    const { rows } = await this.pool.query<OrganizationProfileRow>(
      `SELECT ${ORGANIZATION_PROFILE_COLUMNS} FROM organizations
       WHERE ($1::text IS NULL OR uid = $1) AND ($2::text IS NULL OR id > $2)
       ORDER BY id LIMIT $3`,
      [filter.uid ?? null, filter.cursor ?? null, filter.limit + 1],
    );
    return page(rows.map(toOrganizationProfile), filter.limit);
  }

  async updateOrganizationProfile(id: string, patch: OrganizationPatch): Promise<OrganizationWrite> {
    try {
      const { rows } = await this.pool.query<OrganizationProfileRow>(
        `UPDATE organizations
         SET name = coalesce($2, name), uid = CASE WHEN $3 THEN $4 ELSE uid END, metadata = coalesce($5, metadata)
         WHERE id = $1
         RETURNING ${ORGANIZATION_PROFILE_COLUMNS}`,
        [id, patch.name ?? null, patch.uid !== undefined, patch.uid ?? null, patch.metadata === undefined ? null : JSON.stringify(patch.metadata)],
      );
      return rows[0] ? { ok: true, organization: toOrganizationProfile(rows[0]) } : { ok: false, reason: 'not_found' };
    } catch (error) {
      if (isUniqueViolation(error)) return { ok: false, reason: 'uid_taken' };
      throw error;
    }
  }

  async deleteOrganization(id: string): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      // Deliveries, attempts and secrets go with their endpoints and events (ON DELETE CASCADE), keys
      // and sessions with the organization; idempotency keys have no foreign key, so they go here.
      await client.query('DELETE FROM idempotency_keys WHERE organization_id = $1', [id]);
      await client.query('DELETE FROM deliveries WHERE organization_id = $1', [id]);
      await client.query('DELETE FROM events WHERE organization_id = $1', [id]);
      await client.query('DELETE FROM endpoints WHERE organization_id = $1', [id]);
      const { rowCount } = await client.query('DELETE FROM organizations WHERE id = $1', [id]);
      return (rowCount ?? 0) > 0;
    });
  }

  /**
   * Concurrent lookups of one key share one query. The API's key cache expires for every request at
   * once, and under load that sent one query per connection each time (50 at once, twice a second,
   * in the end-to-end benchmark) where SQLite answers from memory. A caller joining a lookup under
   * way gets an answer at most one query old, well within the cache's own staleness.
   */
  findApiKeyByHash(keyHash: string): Promise<ApiKeyDetails | null> {
    const underWay = this.keyLookups.get(keyHash);
    if (underWay !== undefined) return underWay;
    const lookup = this.queryApiKey(keyHash).finally(() => this.keyLookups.delete(keyHash));
    this.keyLookups.set(keyHash, lookup);
    return lookup;
  }

  private async queryApiKey(keyHash: string): Promise<ApiKeyDetails | null> {
    const { rows } = await this.pool.query<ApiKeyRow>({
      name: 'herald_find_api_key_by_hash',
      text: `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE key_hash = $1`,
      values: [keyHash],
    });
    return rows[0] ? toApiKeyDetails(rows[0]) : null;
  }

  async listApiKeys(organizationId: string | null): Promise<ApiKeyDetails[]> {
    const { rows } = await this.pool.query<ApiKeyRow>(
      `SELECT ${API_KEY_COLUMNS} FROM api_keys
       WHERE organization_id IS NOT DISTINCT FROM $1::text AND revoked_at IS NULL ORDER BY id DESC`,
      [organizationId],
    );
    return rows.map(toApiKeyDetails);
  }

  async revokeApiKey(organizationId: string | null, id: string, now: number): Promise<boolean> {
    const { rows } = await this.pool.query<{ revoked: boolean }>(
      `WITH revoked AS (
         UPDATE api_keys SET revoked_at = $3
         WHERE id = $2 AND organization_id IS NOT DISTINCT FROM $1::text AND revoked_at IS NULL
         RETURNING id
       ), ended AS (
         UPDATE sessions SET ended_at = $3 WHERE api_key_id IN (SELECT id FROM revoked) AND ended_at IS NULL
       )
       SELECT count(*) > 0 AS revoked FROM revoked`,
      [organizationId, id, now],
    );
    return rows[0]!.revoked;
  }

  async markApiKeyUsed(id: string, now: number): Promise<void> {
    await this.pool.query('UPDATE api_keys SET last_used_at = $2 WHERE id = $1', [id, now]);
  }

  async createSession(session: DashboardSession): Promise<void> {
    await this.pool.query(INSERT_SESSION, sessionValues(session));
  }

  async redeemPortalLink(use: PortalLinkUse, session: DashboardSession): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const { rowCount } = await client.query(
        `INSERT INTO portal_link_uses (link_id, organization_id, used_at, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (link_id) DO NOTHING`,
        [use.linkId, use.organizationId, use.usedAt, use.expiresAt],
      );
      if ((rowCount ?? 0) === 0) return false;
      await client.query(INSERT_SESSION, sessionValues(session));
      return true;
    });
  }

  async portalLinkUsed(linkId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM portal_link_uses WHERE link_id = $1', [linkId]);
    return (rowCount ?? 0) > 0;
  }

  async getSession(id: string): Promise<DashboardSession | null> {
    const { rows } = await this.pool.query<SessionRow>({
      name: 'herald_get_session',
      text: `SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = $1`,
      values: [id],
    });
    return rows[0] ? toDashboardSession(rows[0]) : null;
  }

  async endSession(id: string, now: number): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL', [id, now]);
    return (rowCount ?? 0) > 0;
  }

  async endOrganizationSessions(organizationId: string, now: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      'UPDATE sessions SET ended_at = $2 WHERE organization_id = $1 AND ended_at IS NULL',
      [organizationId, now],
    );
    return rowCount ?? 0;
  }
}

const INSERT_SESSION = `INSERT INTO sessions (id, organization_id, signed_in_with, scope, api_key_id, portal_link_id, created_at, expires_at, ended_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;

function sessionValues(s: DashboardSession): unknown[] {
  return [s.id, s.organizationId, s.signedInWith, s.scope, s.apiKeyId, s.portalLinkId, s.createdAt, s.expiresAt, s.endedAt];
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}
