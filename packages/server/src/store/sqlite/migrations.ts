import type { Database } from 'better-sqlite3';

/**
 * Numbered migrations, applied in order inside one transaction each; `PRAGMA user_version` records
 * the last one applied. Never edit a released migration: add the next number.
 */
const MIGRATIONS: readonly string[] = [
  /* 1 */ `
  CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE endpoints (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    events TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    signature_scheme TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX endpoints_by_organization ON endpoints(organization_id, id);

  CREATE TABLE endpoint_secrets (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id TEXT NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER
  );
  CREATE INDEX endpoint_secrets_by_endpoint ON endpoint_secrets(endpoint_id, seq);

  CREATE TABLE events (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    idempotency_key TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX events_by_organization ON events(organization_id, id);

  CREATE TABLE idempotency_keys (
    organization_id TEXT NOT NULL,
    key TEXT NOT NULL,
    event_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (organization_id, key)
  ) WITHOUT ROWID;

  CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    endpoint_id TEXT NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    attempt_count INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    lease_owner TEXT,
    lease_expires_at INTEGER,
    last_status_code INTEGER,
    last_error TEXT,
    last_attempt_at INTEGER,
    resend_of TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending';
  CREATE INDEX deliveries_due_by_endpoint ON deliveries(endpoint_id, next_attempt_at) WHERE status = 'pending';
  CREATE INDEX deliveries_leased ON deliveries(endpoint_id) WHERE lease_owner IS NOT NULL;
  CREATE INDEX deliveries_by_organization ON deliveries(organization_id, id);
  CREATE INDEX deliveries_by_endpoint ON deliveries(endpoint_id, id);
  CREATE INDEX deliveries_by_event ON deliveries(event_id);

  CREATE TABLE attempts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    delivery_id TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    status_code INTEGER,
    error_kind TEXT,
    error_message TEXT,
    response_body TEXT,
    request_headers TEXT NOT NULL,
    succeeded INTEGER NOT NULL,
    final INTEGER NOT NULL
  );
  CREATE INDEX attempts_by_delivery ON attempts(delivery_id, number);
  CREATE INDEX attempts_by_start ON attempts(started_at);
  `,
  /* 2 */ `
  CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  /* 3 */ `
  ALTER TABLE attempts ADD COLUMN response_body_truncated INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE attempts ADD COLUMN response_body_sanitized INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE endpoints ADD COLUMN concurrency_limit INTEGER NOT NULL DEFAULT 4;
  ALTER TABLE endpoints ADD COLUMN consecutive_unanswered INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE endpoints ADD COLUMN circuit_open_until INTEGER;
  `,
  /* 4 */ `
  -- Tenancy. Organizations get the platform's own id (uid) and metadata. api_keys is rebuilt
  -- because operator keys have no organization, and SQLite cannot drop a NOT NULL in place
  -- (nothing references api_keys, so the copy and rename are safe). Existing keys become admin keys.
  ALTER TABLE organizations ADD COLUMN uid TEXT;
  ALTER TABLE organizations ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
  CREATE UNIQUE INDEX organizations_by_uid ON organizations(uid);

  CREATE TABLE api_keys_scoped (
    id TEXT PRIMARY KEY,
    organization_id TEXT REFERENCES organizations(id) ON DELETE CASCADE,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL DEFAULT 'admin',
    name TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    last_used_at INTEGER,
    revoked_at INTEGER,
    CHECK ((scope = 'operator') = (organization_id IS NULL))
  );
  INSERT INTO api_keys_scoped (id, organization_id, prefix, key_hash, scope, created_at)
    SELECT id, organization_id, prefix, key_hash, 'admin', created_at FROM api_keys;
  DROP TABLE api_keys;
  ALTER TABLE api_keys_scoped RENAME TO api_keys;
  CREATE INDEX api_keys_by_organization ON api_keys(organization_id, id);

  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    signed_in_with TEXT NOT NULL,
    scope TEXT NOT NULL,
    api_key_id TEXT,
    portal_link_id TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ended_at INTEGER
  );
  CREATE INDEX sessions_by_organization ON sessions(organization_id) WHERE ended_at IS NULL;
  CREATE INDEX sessions_by_api_key ON sessions(api_key_id) WHERE ended_at IS NULL;

  CREATE TABLE portal_link_uses (
    link_id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    used_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
];

export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
