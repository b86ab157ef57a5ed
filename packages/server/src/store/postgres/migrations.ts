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
  /* 8 */ `
  -- The claim as one server-side call (claim.ts explains the locking and the fairness). See claimV1.
  ${claimV1()}
  `,
];

/**
 * Migration 8's function, `herald_claim_v1`: a claim in one round trip instead of four (BEGIN, two
 * statements, COMMIT), and so one wake-up of the server and of the dispatcher instead of four.
 * Under READ COMMITTED each statement of a VOLATILE function takes its own snapshot, so the lease
 * count (statement 2) sees the leases a predecessor committed while this claim waited for the
 * endpoint lock (statement 1), exactly as two statements of a client transaction did. Bitmap scans
 * are off for the call (claim.ts says why).
 *
 * Frozen like every released migration: a different claim is `herald_claim_v2` in a new migration,
 * so that during a rolling upgrade each process keeps calling the function it was written for.
 */
function claimV1(): string {
  // Live leases of an endpoint, counted up to `cap` (all a claim needs to know), on the small partial
  // index deliveries_leased. A set lease_owner implies a pending delivery (finishing clears it), so
  // no status condition: one would invite the planner to walk the endpoint's whole backlog instead.
  const liveLeasesOf = (endpointId: string, cap: string): string => `(SELECT count(*) FROM (
      SELECT 1 FROM deliveries l
      WHERE l.endpoint_id = ${endpointId} AND l.lease_owner IS NOT NULL AND l.lease_expires_at > p_now
      ORDER BY l.lease_expires_at LIMIT ${cap}
    ) live)`;
  // Statement 1: the claimable endpoints, in turns by organization, locked. The lease count sits
  // inside the lateral so that it runs only for endpoints with due work; the turns are ranked in a
  // subquery because FOR UPDATE is not allowed beside a window function.
  const lockClaimableEndpoints = (limit: string, wait: boolean): string => `ARRAY(
    SELECT e.id
    FROM endpoints e
    JOIN (
      SELECT c.id, due.oldest,
             row_number() OVER (PARTITION BY c.organization_id ORDER BY due.oldest, c.id) AS turn
      FROM endpoints c
      CROSS JOIN LATERAL (
        SELECT d.next_attempt_at AS oldest, ${liveLeasesOf('c.id', 'p_per_endpoint_limit')} AS leased
        FROM deliveries d
        WHERE d.endpoint_id = c.id AND d.status = 'pending' AND d.next_attempt_at <= p_now
        ORDER BY d.next_attempt_at LIMIT 1
      ) due
      WHERE c.enabled AND (c.circuit_open_until IS NULL OR c.circuit_open_until <= p_now)
        AND (c.rate_limit IS NULL OR c.rate_window_start <> p_rate_window OR c.rate_window_count < c.rate_limit)
        AND due.leased < least(p_per_endpoint_limit, c.concurrency_limit)
    ) claimable ON claimable.id = e.id
    ORDER BY claimable.turn, claimable.oldest, e.id
    LIMIT ${limit}
    FOR NO KEY UPDATE OF e${wait ? '' : ' SKIP LOCKED'})`;
  return `CREATE FUNCTION herald_claim_v1(
    p_now bigint, p_per_endpoint_limit integer, p_limit integer, p_rate_window bigint,
    p_lease_owner text, p_lease_expires_at bigint
  ) RETURNS TABLE (
    id text, organization_id text, endpoint_id text, event_id text, event_type text, attempt_count integer,
    payload text, url text, signature_scheme text, concurrency_limit integer, consecutive_unanswered integer,
    retry_schedule text, timeout_ms integer, secrets text[]
  )
  LANGUAGE plpgsql VOLATILE
  SET enable_bitmapscan = off
  AS $claim$
  #variable_conflict use_column
  DECLARE
    endpoint_ids text[];
  BEGIN
    endpoint_ids := ${lockClaimableEndpoints('p_limit', false)};
    -- Nothing free, or every claimable endpoint is held by another claim right now. In the second
    -- case an empty answer would send this dispatcher to sleep while work is due, so wait for the
    -- oldest one: its holder commits within a statement, and holding no other endpoint lock, this
    -- wait cannot deadlock.
    IF cardinality(endpoint_ids) = 0 THEN
      endpoint_ids := ${lockClaimableEndpoints('1', true)};
    END IF;
    IF cardinality(endpoint_ids) = 0 THEN
      RETURN;
    END IF;
    -- Statement 2, started after the locks are held: counts each locked endpoint's live leases, picks
    -- due deliveries up to its free slots (concurrency and rate window) in turns (organizations
    -- first, then each one's endpoints round-robin), leases them and counts the attempt.
    RETURN QUERY
    WITH free AS (
      SELECT en.id AS endpoint_id, en.organization_id,
             least(
               least(p_per_endpoint_limit, en.concurrency_limit) - ${liveLeasesOf('en.id', 'p_per_endpoint_limit')}::int,
               coalesce(en.rate_limit - CASE WHEN en.rate_window_start = p_rate_window THEN en.rate_window_count ELSE 0 END, p_limit)
             ) AS slots
      FROM endpoints en WHERE en.id = ANY(endpoint_ids)
    ),
    due AS (
      SELECT c.id, c.next_attempt_at, f.organization_id,
             row_number() OVER (PARTITION BY f.endpoint_id ORDER BY c.next_attempt_at, c.id) AS turn
      FROM free f
      CROSS JOIN LATERAL (
        SELECT d.id, d.next_attempt_at FROM deliveries d
        WHERE d.endpoint_id = f.endpoint_id AND d.status = 'pending' AND d.next_attempt_at <= p_now
        ORDER BY d.next_attempt_at
        LIMIT least(greatest(f.slots, 0), p_limit)
      ) c
    ),
    ranked AS (
      SELECT id, next_attempt_at,
             row_number() OVER (PARTITION BY organization_id ORDER BY turn, next_attempt_at, id) AS turn
      FROM due
    ),
    chosen AS (
      SELECT id FROM ranked ORDER BY turn, next_attempt_at, id LIMIT p_limit
    ),
    locked AS (
      -- Only rows a recordAttempts or releaseLeases is writing at this instant can be locked here
      -- (the endpoint locks keep other claimers out); skip them rather than wait.
      SELECT d.id FROM deliveries d JOIN chosen ON chosen.id = d.id
      WHERE d.status = 'pending' AND d.next_attempt_at <= p_now
      FOR UPDATE OF d SKIP LOCKED
    ),
    leased AS (
      UPDATE deliveries d
      SET lease_owner = p_lease_owner, lease_expires_at = p_lease_expires_at, next_attempt_at = p_lease_expires_at,
          attempt_count = d.attempt_count + 1, updated_at = p_now
      FROM locked, events ev, endpoints e
      WHERE d.id = locked.id AND ev.id = d.event_id AND e.id = d.endpoint_id
        AND d.status = 'pending' AND d.next_attempt_at <= p_now
      RETURNING d.id, d.organization_id, d.endpoint_id, d.event_id, d.event_type, d.attempt_count,
        ev.payload, e.url, e.signature_scheme, e.concurrency_limit, e.consecutive_unanswered,
        e.retry_schedule, e.timeout_ms,
        ARRAY(SELECT s.secret FROM endpoint_secrets s
              WHERE s.endpoint_id = d.endpoint_id AND (s.expires_at IS NULL OR s.expires_at > p_now)
              ORDER BY s.seq DESC) AS secrets
    ),
    rate_counted AS (
      -- Counts what was actually leased (locked rows skipped above are not), for rate-limited endpoints only.
      UPDATE endpoints en
      SET rate_window_start = p_rate_window,
          rate_window_count = CASE WHEN en.rate_window_start = p_rate_window THEN en.rate_window_count ELSE 0 END + taken.n
      FROM (SELECT endpoint_id, count(*)::int AS n FROM leased GROUP BY endpoint_id) taken
      WHERE en.id = taken.endpoint_id AND en.rate_limit IS NOT NULL
    )
    SELECT * FROM leased;
  END
  $claim$;`;
}

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
