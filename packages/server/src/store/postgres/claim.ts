import type { Pool } from 'pg';
import { byDeliveryId, toClaimedDelivery, type LeasedRow } from '../records.js';
import type { ClaimedDelivery, ClaimOptions } from '../store.js';
import { rateWindow } from '../rate-window.js';

/**
 * Leasing due deliveries on PostgreSQL, where any number of dispatcher processes claim at once.
 *
 * As on SQLite, a lease is written into `next_attempt_at` (set to the lease expiry), so "due" is the
 * one indexed condition `status = 'pending' AND next_attempt_at <= now` and a dead dispatcher's
 * deliveries come due again when their leases run out, with no sweeper. The attempt is counted in the
 * statement that leases; `recordAttempts` is fenced on (lease owner, attempt count).
 *
 * The SQL is the function `herald_claim_v1` of migration 8 (migrations.ts): a claim is one call, one
 * round trip and one commit. Below is what it does and why.
 *
 * Why this locking. `FOR UPDATE SKIP LOCKED` on deliveries alone keeps two claimers from leasing the
 * same row, but not from exceeding an endpoint's concurrency limit: each would count the endpoint's
 * live leases, see the same free slots, and fill them with different rows. So a claim is one short
 * transaction of two statements, both inside the function:
 *
 *  1. The first locks the endpoint rows it will serve, `FOR NO KEY UPDATE SKIP LOCKED`.
 *     The lock makes one claimer at a time the owner of an endpoint's slots; SKIP LOCKED sends the
 *     other claimers on to other endpoints instead of queueing behind it. Only when every claimable
 *     endpoint is held does a claimer wait, for one of them, rather than come back empty-handed and
 *     sleep while work is due (the common case with one busy endpoint and several dispatchers).
 *     NO KEY UPDATE (not FOR UPDATE) so publishers, which hold FOR KEY SHARE on the endpoints they
 *     fan out to, never wait.
 *  2. The second, in ONE statement, counts the live leases of the locked endpoints, picks
 *     due deliveries up to each one's free slots, locks them `FOR UPDATE SKIP LOCKED`, leases them,
 *     counts the attempt, and returns everything needed to send (payload, URL, valid secrets).
 *
 * The count has to be a second statement: under READ COMMITTED a statement sees the database as of
 * its start, so a count taken in the statement that waited for the endpoint lock could miss the
 * leases its predecessor just committed. The second statement starts after the lock is held, so it
 * sees every lease of that endpoint (each statement of a VOLATILE function takes its own snapshot).
 * A claim never waits on a delivery lock and waits for at most one endpoint lock while holding none,
 * so claiming cannot deadlock; the transaction lasts one call, with no round trip inside it.
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
 *
 * Every claim leaves dead index entries behind (MVCC) until vacuum: the old versions of the rows it
 * leased. Plain index scans mark them dead as they pass, so later claims skip them; bitmap scans,
 * which the planner prefers for the lease count, re-read every one of them on every claim — tens of
 * thousands after a burst, ten milliseconds and more per claim. The function therefore turns bitmap
 * scans off for its own statements.
 */

export class PostgresClaimer {
  constructor(private readonly pool: Pool) {}

  async claim(options: ClaimOptions): Promise<ClaimedDelivery[]> {
    if (options.limit <= 0 || options.perEndpointLimit <= 0) return [];
    const { rows } = await this.pool.query<LeasedRow>({
      // Named, so each connection parses it once; plpgsql keeps the function's own statements prepared.
      name: 'herald_claim_v1',
      text: 'SELECT * FROM herald_claim_v1($1, $2, $3, $4, $5, $6)',
      values: claimArguments(options),
    });
    return toClaimedDeliveries(rows, options);
  }
}

/** The arguments of `herald_claim_v1`, in order. */
export function claimArguments({ now, perEndpointLimit, limit, leaseOwner, leaseMs }: ClaimOptions): unknown[] {
  return [now, perEndpointLimit, limit, rateWindow(now), leaseOwner, now + leaseMs];
}

export function toClaimedDeliveries(rows: LeasedRow[], { now, leaseMs }: ClaimOptions): ClaimedDelivery[] {
  return rows
    .sort(byDeliveryId)
    .map((row) => toClaimedDelivery(row, row, now + leaseMs));
}
