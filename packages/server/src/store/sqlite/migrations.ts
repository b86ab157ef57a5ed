import type { Database } from 'better-sqlite3';
import { writeTransaction } from './write-gate.js';

/**
 * Numbered migrations, applied in order inside one transaction each; `PRAGMA user_version` records
 * the last one applied. Never edit a released migration: add the next number.
 *
 * A migration that SQLite cannot run inside a transaction (VACUUM) is an object instead of SQL. It
 * runs on its own and `user_version` is set after it, so a crash in between runs it again on the
 * next start: it must be safe to repeat.
 */
type Migration = string | { outsideTransaction: (db: Database) => void };

const MIGRATIONS: readonly Migration[] = [
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
  /* 5 */ `
  -- Per-endpoint settings (NULL: the server's), with the rate limit's current one-second window
  -- (start, attempts started in it); recoveries, and the deliveries each one created.
  ALTER TABLE endpoints ADD COLUMN rate_limit INTEGER;
  ALTER TABLE endpoints ADD COLUMN retry_schedule TEXT;
  ALTER TABLE endpoints ADD COLUMN timeout_ms INTEGER;
  ALTER TABLE endpoints ADD COLUMN rate_window_start INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE endpoints ADD COLUMN rate_window_count INTEGER NOT NULL DEFAULT 0;

  CREATE TABLE recoveries (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    endpoint_id TEXT NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
    since INTEGER NOT NULL,
    until INTEGER NOT NULL,
    total INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX recoveries_by_endpoint ON recoveries(endpoint_id, id);
  ALTER TABLE deliveries ADD COLUMN recovery_id TEXT;
  CREATE INDEX deliveries_by_recovery ON deliveries(recovery_id) WHERE recovery_id IS NOT NULL;
  CREATE INDEX deliveries_by_resend_of ON deliveries(resend_of) WHERE resend_of IS NOT NULL;
  CREATE INDEX deliveries_failed_by_endpoint ON deliveries(endpoint_id, updated_at) WHERE status = 'failed';
  `,
  /* 6 */ `
  -- Endpoint lifecycle (src/lifecycle/): why and when an endpoint was disabled, its failing streak
  -- (since its first failed delivery, how many failed, when endpoint.failing was sent), and the
  -- delivery.exhausted coalescing window. Endpoints disabled before this read as disabled by hand.
  ALTER TABLE endpoints ADD COLUMN disabled_reason TEXT;
  ALTER TABLE endpoints ADD COLUMN disabled_at INTEGER;
  ALTER TABLE endpoints ADD COLUMN failing_since INTEGER;
  ALTER TABLE endpoints ADD COLUMN failed_deliveries_in_streak INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE endpoints ADD COLUMN warned_at INTEGER;
  ALTER TABLE endpoints ADD COLUMN exhausted_notified_at INTEGER;
  ALTER TABLE endpoints ADD COLUMN exhausted_unreported INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE endpoints ADD COLUMN exhausted_last_delivery_id TEXT;
  UPDATE endpoints SET disabled_reason = 'manual', disabled_at = updated_at WHERE enabled = 0;
  CREATE INDEX endpoints_failing ON endpoints(failing_since) WHERE failing_since IS NOT NULL;
  CREATE INDEX endpoints_exhausted_unreported ON endpoints(exhausted_notified_at) WHERE exhausted_unreported > 0;
  CREATE INDEX endpoints_disabled_automatically ON endpoints(id) WHERE enabled = 0 AND disabled_reason IN ('gone', 'failing');
  -- Why a delivery ended as it did (an attempt's error kind, or endpoint_disabled), and the waits a
  -- receiver asked for with Retry-After.
  ALTER TABLE deliveries ADD COLUMN last_error_kind TEXT;
  ALTER TABLE attempts ADD COLUMN retry_after_requested_ms INTEGER;
  ALTER TABLE attempts ADD COLUMN retry_after_applied_ms INTEGER;
  `,
  /* 7 */ `
  -- Retention (src/retention/). The pruner takes finished deliveries by when they finished, and
  -- expired idempotency keys, sessions and portal-link uses by expiry. pruned_watermarks holds, per
  -- organization, the newest pruned delivery or event id: ids are UUID v7, so time-ordered, and an
  -- id at or below it that is not found was pruned (answered 404 "pruned", not "not_found").
  CREATE INDEX deliveries_finished ON deliveries(updated_at) WHERE status <> 'pending';
  CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys(expires_at);
  CREATE INDEX sessions_by_expiry ON sessions(expires_at);
  CREATE INDEX portal_link_uses_by_expiry ON portal_link_uses(expires_at);
  CREATE TABLE pruned_watermarks (
    organization_id TEXT PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    pruned_through TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  /* 8 */ {
    // auto_vacuum=INCREMENTAL lets the pruner give free pages back to the file system
    // (PRAGMA incremental_vacuum). On a database that has tables, switching it takes a VACUUM, which
    // rewrites the whole file (needing as much free disk again) and cannot run in a transaction.
    // Repeating it after a crash is harmless: the check skips a file already converted.
    outsideTransaction(db) {
      if (db.pragma('auto_vacuum', { simple: true }) === INCREMENTAL) return;
      db.pragma('auto_vacuum = INCREMENTAL');
      db.exec('VACUUM');
    },
  },
];

const INCREMENTAL = 2;

export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  // Before the first table exists the setting takes effect at once, so a new file skips migration 8's VACUUM.
  if (current === 0) db.pragma('auto_vacuum = INCREMENTAL');
  for (let version = current; version < MIGRATIONS.length; version++) {
    const migration = MIGRATIONS[version]!;
    if (typeof migration !== 'string') {
      migration.outsideTransaction(db);
      db.pragma(`user_version = ${version + 1}`);
      continue;
    }
    writeTransaction(db, () => {
      db.exec(migration);
      db.pragma(`user_version = ${version + 1}`);
    });
  }
}
