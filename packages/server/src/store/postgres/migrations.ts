import type { Pool } from 'pg';

/**
 * Numbered migrations for PostgreSQL, recorded in `herald_migrations` inside Herald's schema. Never
 * edit a released migration: add the next number.
 *
 * Every process runs `migrate()` when it opens the store, so several API and dispatcher processes
 * starting together all try at once. They queue on a transaction-scoped advisory lock keyed by the
 * schema name; the first applies what is missing, the others then find nothing to do. DDL is
 * transactional here, so a crash mid-migration leaves the previous version intact.
 *
 * Times are bigint Unix milliseconds (the Store speaks ms numbers; no time zone to get wrong). Ids
 * are text with the "C" collation, so UUID v7 ids sort bytewise, by creation time, whatever the
 * database's locale. Payloads and request headers are text, not jsonb, because jsonb would reorder
 * keys and the bytes must stay as published.
 */
const MIGRATIONS: readonly string[] = [
  /* 1 */ `
  CREATE TABLE organizations (
    id text COLLATE "C" PRIMARY KEY,
    name text NOT NULL,
    created_at bigint NOT NULL
  );

  CREATE TABLE api_keys (
    id text COLLATE "C" PRIMARY KEY,
    organization_id text COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    prefix text NOT NULL,
    key_hash text NOT NULL UNIQUE,
    created_at bigint NOT NULL
  );

  CREATE TABLE endpoints (
    id text COLLATE "C" PRIMARY KEY,
    organization_id text COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    url text NOT NULL,
    description text NOT NULL,
    events text[] NOT NULL,
    enabled boolean NOT NULL,
    signature_scheme text NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
  );
  CREATE INDEX endpoints_by_organization ON endpoints(organization_id, id);

  CREATE TABLE endpoint_secrets (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id text COLLATE "C" NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
    secret text NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint
  );
  CREATE INDEX endpoint_secrets_by_endpoint ON endpoint_secrets(endpoint_id, seq);

  CREATE TABLE events (
    id text COLLATE "C" PRIMARY KEY,
    organization_id text COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    type text NOT NULL,
    payload text NOT NULL,
    idempotency_key text,
    created_at bigint NOT NULL
  );
  CREATE INDEX events_by_organization ON events(organization_id, id);

  -- The primary key is what makes idempotency safe across API processes: the insert that wins it
  -- owns the key; every other one conflicts, waits for the winner's commit, and reads its event.
  CREATE TABLE idempotency_keys (
    organization_id text COLLATE "C" NOT NULL,
    key text NOT NULL,
    event_id text COLLATE "C" NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    PRIMARY KEY (organization_id, key)
  );

  CREATE TABLE deliveries (
    id text COLLATE "C" PRIMARY KEY,
    organization_id text COLLATE "C" NOT NULL,
    event_id text COLLATE "C" NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    event_type text NOT NULL,
    endpoint_id text COLLATE "C" NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
    status text NOT NULL,
    attempt_count integer NOT NULL DEFAULT 0,
    next_attempt_at bigint,
    lease_owner text,
    lease_expires_at bigint,
    last_status_code integer,
    last_error text,
    last_attempt_at bigint,
    resend_of text COLLATE "C",
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
  );
  CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending';
  CREATE INDEX deliveries_due_by_endpoint ON deliveries(endpoint_id, next_attempt_at) WHERE status = 'pending';
  CREATE INDEX deliveries_leased ON deliveries(endpoint_id, lease_expires_at) WHERE lease_owner IS NOT NULL;
  CREATE INDEX deliveries_by_organization ON deliveries(organization_id, id);
  CREATE INDEX deliveries_by_endpoint ON deliveries(endpoint_id, id);
  CREATE INDEX deliveries_by_event ON deliveries(event_id);

  CREATE TABLE attempts (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text COLLATE "C" NOT NULL UNIQUE,
    delivery_id text COLLATE "C" NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    number integer NOT NULL,
    started_at bigint NOT NULL,
    duration_ms integer NOT NULL,
    status_code integer,
    error_kind text,
    error_message text,
    response_body text,
    request_headers text NOT NULL,
    succeeded boolean NOT NULL,
    final boolean NOT NULL
  );
  CREATE INDEX attempts_by_delivery ON attempts(delivery_id, number);
  CREATE INDEX attempts_by_start ON attempts(started_at);
  `,
  /* 2 */ `
  CREATE TABLE server_secrets (
    name text PRIMARY KEY,
    value text NOT NULL,
    created_at bigint NOT NULL
  );
  `,
  /* 3 */ `
  ALTER TABLE attempts ADD COLUMN response_body_truncated boolean NOT NULL DEFAULT false;
  ALTER TABLE attempts ADD COLUMN response_body_sanitized boolean NOT NULL DEFAULT false;
  ALTER TABLE endpoints ADD COLUMN concurrency_limit integer NOT NULL DEFAULT 4;
  ALTER TABLE endpoints ADD COLUMN consecutive_unanswered integer NOT NULL DEFAULT 0;
  ALTER TABLE endpoints ADD COLUMN circuit_open_until bigint;
  `,
  /* 4 */ `
  -- Tenancy. Organizations get the platform's own id (uid, unique; NULLs allowed for existing ones)
  -- and metadata, kept as text like payloads so it reads back exactly as written. Operator keys have
  -- no organization; existing keys become admin keys.
  ALTER TABLE organizations ADD COLUMN uid text COLLATE "C" UNIQUE;
  ALTER TABLE organizations ADD COLUMN metadata text NOT NULL DEFAULT '{}';

  ALTER TABLE api_keys ALTER COLUMN organization_id DROP NOT NULL;
  ALTER TABLE api_keys ADD COLUMN scope text NOT NULL DEFAULT 'admin';
  ALTER TABLE api_keys ADD COLUMN name text NOT NULL DEFAULT '';
  ALTER TABLE api_keys ADD COLUMN expires_at bigint;
  ALTER TABLE api_keys ADD COLUMN last_used_at bigint;
  ALTER TABLE api_keys ADD COLUMN revoked_at bigint;
  ALTER TABLE api_keys ADD CONSTRAINT api_keys_operator_has_no_organization
    CHECK ((scope = 'operator') = (organization_id IS NULL));
  CREATE INDEX api_keys_by_organization ON api_keys(organization_id, id);

  CREATE TABLE sessions (
    id text COLLATE "C" PRIMARY KEY,
    organization_id text COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    signed_in_with text NOT NULL,
    scope text NOT NULL,
    api_key_id text COLLATE "C",
    portal_link_id text COLLATE "C",
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    ended_at bigint
  );
  CREATE INDEX sessions_by_organization ON sessions(organization_id) WHERE ended_at IS NULL;
  CREATE INDEX sessions_by_api_key ON sessions(api_key_id) WHERE ended_at IS NULL;

  CREATE TABLE portal_link_uses (
    link_id text COLLATE "C" PRIMARY KEY,
    organization_id text COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    used_at bigint NOT NULL,
    expires_at bigint NOT NULL
  );
  `,
  /* 5 */ `
  -- Per-endpoint settings (NULL: the server's; the retry schedule as JSON text, as on SQLite), with
  -- the rate limit's current one-second window (start, attempts started in it); recoveries, and the
  -- deliveries each one created.
  ALTER TABLE endpoints ADD COLUMN rate_limit integer;
  ALTER TABLE endpoints ADD COLUMN retry_schedule text;
  ALTER TABLE endpoints ADD COLUMN timeout_ms integer;
  ALTER TABLE endpoints ADD COLUMN rate_window_start bigint NOT NULL DEFAULT 0;
  ALTER TABLE endpoints ADD COLUMN rate_window_count integer NOT NULL DEFAULT 0;

  CREATE TABLE recoveries (
    id text COLLATE "C" PRIMARY KEY,
    organization_id text COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    endpoint_id text COLLATE "C" NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
    since bigint NOT NULL,
    until bigint NOT NULL,
    total integer NOT NULL,
    created_at bigint NOT NULL
  );
  CREATE INDEX recoveries_by_endpoint ON recoveries(endpoint_id, id);
  ALTER TABLE deliveries ADD COLUMN recovery_id text COLLATE "C";
  CREATE INDEX deliveries_by_recovery ON deliveries(recovery_id) WHERE recovery_id IS NOT NULL;
  CREATE INDEX deliveries_by_resend_of ON deliveries(resend_of) WHERE resend_of IS NOT NULL;
  CREATE INDEX deliveries_failed_by_endpoint ON deliveries(endpoint_id, updated_at) WHERE status = 'failed';
  `,
  /* 6 */ `
  -- Endpoint lifecycle (src/lifecycle/): why and when an endpoint was disabled, its failing streak
  -- (since its first failed delivery, how many failed, when endpoint.failing was sent), and the
  -- delivery.exhausted coalescing window. Endpoints disabled before this read as disabled by hand.
  ALTER TABLE endpoints ADD COLUMN disabled_reason text;
  ALTER TABLE endpoints ADD COLUMN disabled_at bigint;
  ALTER TABLE endpoints ADD COLUMN failing_since bigint;
  ALTER TABLE endpoints ADD COLUMN failed_deliveries_in_streak integer NOT NULL DEFAULT 0;
  ALTER TABLE endpoints ADD COLUMN warned_at bigint;
  ALTER TABLE endpoints ADD COLUMN exhausted_notified_at bigint;
  ALTER TABLE endpoints ADD COLUMN exhausted_unreported integer NOT NULL DEFAULT 0;
  ALTER TABLE endpoints ADD COLUMN exhausted_last_delivery_id text COLLATE "C";
  UPDATE endpoints SET disabled_reason = 'manual', disabled_at = updated_at WHERE NOT enabled;
  CREATE INDEX endpoints_failing ON endpoints(failing_since) WHERE failing_since IS NOT NULL;
  CREATE INDEX endpoints_exhausted_unreported ON endpoints(exhausted_notified_at) WHERE exhausted_unreported > 0;
  CREATE INDEX endpoints_disabled_automatically ON endpoints(id) WHERE NOT enabled AND disabled_reason IN ('gone', 'failing');
  -- Why a delivery ended as it did (an attempt's error kind, or endpoint_disabled), and the waits a
  -- receiver asked for with Retry-After.
  ALTER TABLE deliveries ADD COLUMN last_error_kind text;
  ALTER TABLE attempts ADD COLUMN retry_after_requested_ms bigint;
  ALTER TABLE attempts ADD COLUMN retry_after_applied_ms bigint;
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
    organization_id text COLLATE "C" PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    pruned_through text COLLATE "C" NOT NULL
  );
  `,
];

/** The newest migration number this build knows. */
export const LATEST_VERSION = MIGRATIONS.length;

/**
 * Brings `schema` up to date, creating it if needed (nothing to do when another process got there
 * first). Refuses a database migrated by a newer Herald.
 */
export async function migrate(pool: Pool, schema: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('herald_migrate:' || $1))", [schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(schema)}.herald_migrations (
         version integer PRIMARY KEY,
         applied_at bigint NOT NULL
       )`,
    );
    const { rows } = await client.query<{ version: number | null }>(
      `SELECT max(version) AS version FROM ${quoteIdentifier(schema)}.herald_migrations`,
    );
    const current = rows[0]?.version ?? 0;
    if (current > MIGRATIONS.length) {
      throw new Error(
        `schema "${schema}" is at migration ${current}, newer than this Herald (${MIGRATIONS.length}); upgrade Herald`,
      );
    }
    // Unqualified names below resolve through the connection's search_path, which is `schema`.
    for (let version = current + 1; version <= MIGRATIONS.length; version++) {
      await client.query(MIGRATIONS[version - 1]!);
      await client.query(`INSERT INTO ${quoteIdentifier(schema)}.herald_migrations (version, applied_at) VALUES ($1, $2)`, [
        version,
        Date.now(),
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** `schema` is already a checked plain identifier (see connection.ts); quoting keeps the SQL safe regardless. */
function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
