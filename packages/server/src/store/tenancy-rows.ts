import type { ApiKeyDetails, ApiKeyScope, DashboardSession, OrganizationProfile, SessionScope } from './store.js';

/**
 * Rows of the tenancy tables as both databases return them (times as millisecond numbers, metadata
 * as JSON text in both), and their mapping to the Store's records.
 */

export const ORGANIZATION_PROFILE_COLUMNS = 'id, name, created_at, uid, metadata';
export const API_KEY_COLUMNS = 'id, organization_id, prefix, scope, name, created_at, expires_at, last_used_at, revoked_at';
export const SESSION_COLUMNS =
  'id, organization_id, signed_in_with, scope, api_key_id, portal_link_id, created_at, expires_at, ended_at';

export interface OrganizationProfileRow {
  id: string;
  name: string;
  created_at: number;
  uid: string | null;
  metadata: string;
}

export interface ApiKeyRow {
  id: string;
  organization_id: string | null;
  prefix: string;
  scope: string;
  name: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface SessionRow {
  id: string;
  organization_id: string;
  signed_in_with: string;
  scope: string;
  api_key_id: string | null;
  portal_link_id: string | null;
  created_at: number;
  expires_at: number;
  ended_at: number | null;
}

export function toOrganizationProfile(row: OrganizationProfileRow): OrganizationProfile {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    uid: row.uid,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
  };
}

export function toApiKeyDetails(row: ApiKeyRow): ApiKeyDetails {
  return {
    id: row.id,
    organizationId: row.organization_id,
    prefix: row.prefix,
    scope: row.scope as ApiKeyScope,
    name: row.name,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

export function toDashboardSession(row: SessionRow): DashboardSession {
  return {
    id: row.id,
    organizationId: row.organization_id,
    signedInWith: row.signed_in_with === 'portal_link' ? 'portal_link' : 'api_key',
    scope: row.scope as SessionScope,
    apiKeyId: row.api_key_id,
    portalLinkId: row.portal_link_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    endedAt: row.ended_at,
  };
}

/** The scope an `ApiKey` is stored with when it does not say. */
export function defaultScope(organizationId: string | null): ApiKeyScope {
  return organizationId === null ? 'operator' : 'admin';
}
