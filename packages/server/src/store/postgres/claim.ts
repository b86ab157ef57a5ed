import type { Pool, PoolClient } from 'pg';
import { toClaimedDelivery, type LeasedRow } from '../records.js';
import type { ClaimedDelivery, ClaimOptions } from '../store.js';
import { rateWindow } from '../rate-window.js';
import { inTransaction } from './transaction.js';

/**
 * Leasing due deliveries on PostgreSQL, where any number of dispatcher processes claim at once.
 *
 * As on SQLite, a lease is written into `next_attempt_at` (set to the lease expiry), so "due" is the
 * one indexed condition `status = 'pending' AND next_attempt_at <= now` and a dead dispatcher's
 * deliveries come due again when their leases run out, with no sweeper. The attempt is counted in the
 * statement that leases; `recordAttempts` is fenced on (lease owner, attempt count).
 *
 * Why this locking. `FOR UPDATE SKIP LOCKED` on deliveries alone keeps two claimers from leasing the
 * same row, but not from exceeding an endpoint's concurrency limit: each would count the endpoint's
 * live leases, see the same free slots, and fill them with different rows. So a claim is one short
 * transaction of two statements:
 *
 *  1. `lockClaimableEndpoints` locks the endpoint rows it will serve, `FOR NO KEY UPDATE SKIP LOCKED`.
 *     The lock makes one claimer at a time the owner of an endpoint's slots; SKIP LOCKED sends the
 *     other claimers on to other endpoints instead of queueing behind it. Only when every claimable
 *     endpoint is held does a claimer wait, for one of them, rather than come back empty-handed and
 *     sleep while work is due (the common case with one busy endpoint and several dispatchers).
 *     NO KEY UPDATE (not FOR UPDATE) so publishers, which hold FOR KEY SHARE on the endpoints they
 *     fan out to, never wait.
 *  2. `leaseDueDeliveries`, in ONE statement, counts the live leases of the locked endpoints, picks
 *     due deliveries up to each one's free slots, locks them `FOR UPDATE SKIP LOCKED`, leases them,
 *     counts the attempt, and returns everything needed to send (payload, URL, valid secrets).
 *
 * The count has to be a second statement: under READ COMMITTED a statement sees the database as of
 * its start, so a count taken in the statement that waited for the endpoint lock could miss the
 * leases its predecessor just committed. The second statement starts after the lock is held, so it
 * sees every lease of that endpoint. A claim never waits on a delivery lock and waits for at most one
 * endpoint lock while holding none, so claiming cannot deadlock; the transaction lasts a few round trips.
 *
 * Limits: an endpoint may hold `min(perEndpointLimit, its adaptive concurrency_limit)` leases, and
 * none while its circuit is open (`circuit_open_until` in the future); see `dispatch/endpoint-circuit.ts`.
 * Both live on the endpoint row, so they hold across every dispatcher process. So does `rate_limit`:
 * at most that many leases per one-second window of the clock (`rateWindow`), counted on the row
 * (`rate_window_start`, `rate_window_count`) by statement 2 itself, under the endpoint lock of
 * statement 1, so two claimers cannot both spend the same window. An endpoint whose window is spent
 * is not claimable; its deliveries wait, neither failed nor charged an attempt.
 *
 * Fairness: statement 1 serves endpoints in turns by organization (each organization's endpoint with
 * the oldest due work, then each one's second…), skipping those already at their limit; statement 2
 * takes deliveries in the same turns: every organization's first, then every organization's second,
 * where an organization's own deliveries go round-robin across its endpoints. A burst for one
 * organization, or a backlog on one endpoint, fills at most its own share of the batch.
 *
 * Cost: statement 1 probes one index entry per enabled endpoint, so a claim takes about 4 ms with
 * 2,000 endpoints; the rest is proportional to the batch.
 */

/**
 * Live leases of an endpoint, counted up to `cap` (all a claim needs to know), as a scalar subquery
 * on the small partial index `deliveries_leased`. A set `lease_owner` implies a pending delivery
 * (finishing clears it), so no status condition: one would invite the planner to walk the
 * endpoint's whole backlog instead.
 */
const LIVE_LEASES_OF = (endpointId: string, now: string, cap: string): string =>
  `(SELECT count(*) FROM (
      SELECT 1 FROM deliveries l
      WHERE l.endpoint_id = ${endpointId} AND l.lease_owner IS NOT NULL AND l.lease_expires_at > ${now}
      ORDER BY l.lease_expires_at LIMIT ${cap}
    ) live)`;

/**
 * Every claim leaves dead index entries behind (MVCC) until vacuum: the old versions of the rows it
 * leased. Plain index scans mark them dead as they pass, so later claims skip them; bitmap scans,
 * which the planner prefers for the lease count, re-read every one of them on every claim — tens of
 * thousands after a burst, ten milliseconds and more per claim. Claims therefore use index scans.
 */
const CLAIM_SETTINGS = { enable_bitmapscan: 'off' } as const;

export class PostgresClaimer {
  constructor(private readonly pool: Pool) {}

  async claim(options: ClaimOptions): Promise<ClaimedDelivery[]> {
    if (options.limit <= 0 || options.perEndpointLimit <= 0) return [];
    return inTransaction(this.pool, async (client) => {
      let endpointIds = await lockClaimableEndpoints(client, options, 'skip locked');
      // Nothing free, or every claimable endpoint is held by a claim in another process right now.
      // In the second case an empty answer would send this dispatcher to sleep while work is due,
      // so wait for the oldest one instead: its holder commits within a round trip or two, and
      // holding no other lock, this wait cannot deadlock.
      if (endpointIds.length === 0) endpointIds = await lockClaimableEndpoints(client, { ...options, limit: 1 }, 'wait');
      if (endpointIds.length === 0) return [];
      return leaseDueDeliveries(client, endpointIds, options);
    }, CLAIM_SETTINGS);
  }
}

async function lockClaimableEndpoints(
  client: PoolClient,
  { now, perEndpointLimit, limit }: ClaimOptions,
  locked: 'skip locked' | 'wait',
): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>({
    // Named, so each connection parses and plans it once: a claim's fixed cost is most of its cost.
    name: `herald_lock_claimable_endpoints_${locked === 'skip locked' ? 'skip' : 'wait'}`,
    // The lease count sits inside the lateral so that it runs only for endpoints with due work. The
    // turns are ranked in a subquery: FOR UPDATE is not allowed beside a window function.
    text: `SELECT e.id
     FROM endpoints e
     JOIN (
       SELECT c.id, due.oldest,
              row_number() OVER (PARTITION BY c.organization_id ORDER BY due.oldest, c.id) AS turn
       FROM endpoints c
       CROSS JOIN LATERAL (
         SELECT d.next_attempt_at AS oldest, ${LIVE_LEASES_OF('c.id', '$1', '$2')} AS leased
         FROM deliveries d
         WHERE d.endpoint_id = c.id AND d.status = 'pending' AND d.next_attempt_at <= $1
         ORDER BY d.next_attempt_at LIMIT 1
       ) due
       WHERE c.enabled AND (c.circuit_open_until IS NULL OR c.circuit_open_until <= $1)
         AND (c.rate_limit IS NULL OR c.rate_window_start <> $4 OR c.rate_window_count < c.rate_limit)
         AND due.leased < least($2, c.concurrency_limit)
     ) claimable ON claimable.id = e.id
     ORDER BY claimable.turn, claimable.oldest, e.id
     LIMIT $3
     FOR NO KEY UPDATE OF e${locked === 'skip locked' ? ' SKIP LOCKED' : ''}`,
    values: [now, perEndpointLimit, limit, rateWindow(now)],
  });
  return rows.map((r) => r.id);
}

async function leaseDueDeliveries(
  client: PoolClient,
  endpointIds: string[],
  { leaseOwner, limit, leaseMs, now, perEndpointLimit }: ClaimOptions,
): Promise<ClaimedDelivery[]> {
  const leaseExpiresAt = now + leaseMs;
  const { rows } = await client.query<LeasedRow>({
    name: 'herald_lease_due_deliveries',
    text: `WITH free AS (
       SELECT en.id AS endpoint_id, en.organization_id,
              least(
                least($3::int, en.concurrency_limit) - ${LIVE_LEASES_OF('en.id', '$2', '$3')}::int,
                coalesce(en.rate_limit - CASE WHEN en.rate_window_start = $7 THEN en.rate_window_count ELSE 0 END, $4::int)
              ) AS slots
       FROM endpoints en WHERE en.id = ANY($1::text[])
     ),
     due AS (
       SELECT c.id, c.next_attempt_at, f.organization_id,
              row_number() OVER (PARTITION BY f.endpoint_id ORDER BY c.next_attempt_at, c.id) AS turn
       FROM free f
       CROSS JOIN LATERAL (
         SELECT d.id, d.next_attempt_at FROM deliveries d
         WHERE d.endpoint_id = f.endpoint_id AND d.status = 'pending' AND d.next_attempt_at <= $2
         ORDER BY d.next_attempt_at
         LIMIT least(greatest(f.slots, 0), $4)
       ) c
     ),
     ranked AS (
       SELECT id, next_attempt_at,
              row_number() OVER (PARTITION BY organization_id ORDER BY turn, next_attempt_at, id) AS turn
       FROM due
     ),
     chosen AS (
       SELECT id FROM ranked ORDER BY turn, next_attempt_at, id LIMIT $4
     ),
     locked AS (
       -- Only rows a recordAttempts or releaseLeases is writing at this instant can be locked here
       -- (the endpoint locks keep other claimers out); skip them rather than wait.
       SELECT d.id FROM deliveries d JOIN chosen ON chosen.id = d.id
       WHERE d.status = 'pending' AND d.next_attempt_at <= $2
       FOR UPDATE OF d SKIP LOCKED
     ),
     leased AS (
       UPDATE deliveries d
       SET lease_owner = $5, lease_expires_at = $6, next_attempt_at = $6,
           attempt_count = d.attempt_count + 1, updated_at = $2
       FROM locked, events ev, endpoints e
       WHERE d.id = locked.id AND ev.id = d.event_id AND e.id = d.endpoint_id
         AND d.status = 'pending' AND d.next_attempt_at <= $2
       RETURNING d.id, d.organization_id, d.endpoint_id, d.event_id, d.event_type, d.attempt_count,
         ev.payload, e.url, e.signature_scheme, e.concurrency_limit, e.consecutive_unanswered,
         e.retry_schedule, e.timeout_ms,
         ARRAY(SELECT s.secret FROM endpoint_secrets s
               WHERE s.endpoint_id = d.endpoint_id AND (s.expires_at IS NULL OR s.expires_at > $2)
               ORDER BY s.seq DESC) AS secrets
     ),
     rate_counted AS (
       -- Counts what was actually leased (locked rows skipped above are not), for rate-limited endpoints only.
       UPDATE endpoints en
       SET rate_window_start = $7,
           rate_window_count = CASE WHEN en.rate_window_start = $7 THEN en.rate_window_count ELSE 0 END + taken.n
       FROM (SELECT endpoint_id, count(*)::int AS n FROM leased GROUP BY endpoint_id) taken
       WHERE en.id = taken.endpoint_id AND en.rate_limit IS NOT NULL
     )
     SELECT * FROM leased`,
    values: [endpointIds, now, perEndpointLimit, limit, leaseOwner, leaseExpiresAt, rateWindow(now)],
  });
  return rows
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((row) => toClaimedDelivery(row, leaseExpiresAt));
}
