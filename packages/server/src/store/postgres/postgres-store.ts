import pg from 'pg';
import type {
  ApiKey,
  Attempt,
  AttemptRecord,
  ClaimedDelivery,
  ClaimOptions,
  Delivery,
  DeliveryFilter,
  Endpoint,
  EndpointFeedback,
  EndpointPatch,
  EndpointSecret,
  EndpointStats,
  Event,
  EventFilter,
  NewEndpoint,
  NewEvent,
  Organization,
  Page,
  PublishResult,
  Store,
} from '../store.js';
import type { Subscriber } from '../subscription.js';
import { page } from '../paging.js';
import {
  DELIVERY_COLUMNS,
  retryScheduleColumn,
  toDelivery,
  toEndpointStats,
  toEvent,
  toOrganization,
  toSecret,
  type DeliveryRow,
  type EndpointStatsRow,
  type EventRow,
  type OrganizationRow,
  type SecretRow,
} from '../records.js';
import { PostgresClaimer } from './claim.js';
import { connectionSettings, type PostgresStoreOptions } from './connection.js';
import { DUE_CHANNEL, DueNotifier } from './due-notifier.js';
import { migrate } from './migrations.js';
import { PostgresPublisher } from './publish.js';
import { recordAttempts } from './record.js';
import { PostgresRecoveries } from './recovery.js';
import { PostgresRetention } from './retention.js';
import { PostgresStoredSecrets } from './stored-secrets.js';
import { PostgresTenancy } from './tenancy.js';
import { PostgresLifecycle } from './lifecycle.js';
import { ENDPOINT_COLUMNS, toAttempt, toEndpoint, type AttemptRow, type EndpointRow } from './rows.js';
import { inTransaction } from './transaction.js';

export type { PostgresStoreOptions };

/**
 * Connects to PostgreSQL (`url` as described in `connection.ts`), brings the schema up to date —
 * safely when several processes start at once — and returns the Store.
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const { config, schema, poolSize } = connectionSettings(url, options);
  const pool = new pg.Pool({ ...config, max: poolSize });
  // An idle connection that breaks is dropped by the pool; the next query opens a fresh one and
  // reports the outage itself if it persists. Without a listener the error would crash the process.
  pool.on('error', () => undefined);
  try {
    await migrate(pool, schema);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  return new PostgresStore(pool, schema, new DueNotifier(config, schema));
}

export class PostgresStore implements Store {
  private readonly claimer: PostgresClaimer;
  private readonly publisher: PostgresPublisher;
  private readonly tenancy: PostgresTenancy;
  private readonly lifecycle: PostgresLifecycle;
  private readonly recoveries: PostgresRecoveries;
  private readonly retention: PostgresRetention;
  private readonly storedSecrets: PostgresStoredSecrets;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    private readonly notifier: DueNotifier,
  ) {
    this.claimer = new PostgresClaimer(pool);
    this.publisher = new PostgresPublisher(pool, notifier.payload);
    this.tenancy = new PostgresTenancy(pool);
    this.lifecycle = new PostgresLifecycle(pool);
    this.recoveries = new PostgresRecoveries(pool, notifier);
    this.retention = new PostgresRetention(pool, schema);
    this.storedSecrets = new PostgresStoredSecrets(pool);
  }

  async migrate(): Promise<void> {
    await migrate(this.pool, this.schema);
  }

  close(): Promise<void> {
    this.closing ??= Promise.allSettled([this.notifier.close(), this.pool.end()]).then(() => undefined);
    return this.closing;
  }

  async createOrganization(org: Organization): Promise<void> {
    await this.pool.query('INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)', [
      org.id,
      org.name,
      org.createdAt,
    ]);
  }

  async getOrganization(id: string): Promise<Organization | null> {
    const { rows } = await this.pool.query<OrganizationRow>('SELECT id, name, created_at FROM organizations WHERE id = $1', [
      id,
    ]);
    return rows[0] ? toOrganization(rows[0]) : null;
  }

  async countOrganizations(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT count(*) AS n FROM organizations');
    return rows[0]!.n;
  }

  async createApiKey(key: ApiKey, keyHash: string): Promise<void> {
    await this.tenancy.createApiKey(key, keyHash);
  }

  // Tenancy (organization profiles, scoped keys, sessions, portal links): postgres/tenancy.ts.
  createOrganizationProfile: Store['createOrganizationProfile'] = (org) => this.tenancy.createOrganizationProfile(org);
  getOrganizationProfile: Store['getOrganizationProfile'] = (id) => this.tenancy.getOrganizationProfile(id);
  findOrganizationByUid: Store['findOrganizationByUid'] = (uid) => this.tenancy.findOrganizationByUid(uid);
  listOrganizationProfiles: Store['listOrganizationProfiles'] = (filter) => this.tenancy.listOrganizationProfiles(filter);
  updateOrganizationProfile: Store['updateOrganizationProfile'] = (id, patch) => this.tenancy.updateOrganizationProfile(id, patch);
  deleteOrganization: Store['deleteOrganization'] = (id) => this.tenancy.deleteOrganization(id);
  findApiKeyByHash: Store['findApiKeyByHash'] = (keyHash) => this.tenancy.findApiKeyByHash(keyHash);
  listApiKeys: Store['listApiKeys'] = (organizationId) => this.tenancy.listApiKeys(organizationId);
  revokeApiKey: Store['revokeApiKey'] = (organizationId, id, now) => this.tenancy.revokeApiKey(organizationId, id, now);
  markApiKeyUsed: Store['markApiKeyUsed'] = (id, now) => this.tenancy.markApiKeyUsed(id, now);
  createSession: Store['createSession'] = (session) => this.tenancy.createSession(session);
  redeemPortalLink: Store['redeemPortalLink'] = (use, session) => this.tenancy.redeemPortalLink(use, session);
  portalLinkUsed: Store['portalLinkUsed'] = (linkId) => this.tenancy.portalLinkUsed(linkId);
  getSession: Store['getSession'] = (id) => this.tenancy.getSession(id);
  endSession: Store['endSession'] = (id, now) => this.tenancy.endSession(id, now);
  endOrganizationSessions: Store['endOrganizationSessions'] = (organizationId, now) => this.tenancy.endOrganizationSessions(organizationId, now);

  // Recoveries: postgres/recovery.ts.
  countRecoverable: Store['countRecoverable'] = (window) => this.recoveries.countRecoverable(window);
  recoverDeliveries: Store['recoverDeliveries'] = (recovery) => this.recoveries.recoverDeliveries(recovery);
  getRecovery: Store['getRecovery'] = (organizationId, endpointId, id) => this.recoveries.getRecovery(organizationId, endpointId, id);
  listRecoveries: Store['listRecoveries'] = (organizationId, endpointId, limit) => this.recoveries.listRecoveries(organizationId, endpointId, limit);

  // Retention (pruning in batches under an advisory lock, the pruned watermark): postgres/retention.ts.
  pruneFinishedDeliveries: Store['pruneFinishedDeliveries'] = (finishedBefore, limit) => this.retention.pruneFinishedDeliveries(finishedBefore, limit);
  pruneEvents: Store['pruneEvents'] = (createdBefore, after, limit) => this.retention.pruneEvents(createdBefore, after, limit);
  pruneExpired: Store['pruneExpired'] = (now, limit) => this.retention.pruneExpired(now, limit);
  pruneOrganizationEvents: Store['pruneOrganizationEvents'] = (organizationId, until, after, limit) => this.retention.pruneOrganizationEvents(organizationId, until, after, limit);
  wasPruned: Store['wasPruned'] = (organizationId, id) => this.retention.wasPruned(organizationId, id);
  spaceStats: Store['spaceStats'] = () => this.retention.spaceStats();
  reclaimFreePages: Store['reclaimFreePages'] = () => this.retention.reclaimFreePages();

  // Secrets at rest (encrypting existing ones, re-encrypting): postgres/stored-secrets.ts.
  listStoredSecrets: Store['listStoredSecrets'] = () => this.storedSecrets.listStoredSecrets();
  replaceStoredSecrets: Store['replaceStoredSecrets'] = (changes) => this.storedSecrets.replaceStoredSecrets(changes);

  // Endpoint lifecycle (failing streaks, automatic disabling, delivery.exhausted coalescing): postgres/lifecycle.ts.
  recordEndpointHealth: Store['recordEndpointHealth'] = (changes) => this.lifecycle.recordEndpointHealth(changes);
  disableEndpoint: Store['disableEndpoint'] = (organizationId, id, reason, now) => this.lifecycle.disableEndpoint(organizationId, id, reason, now);
  warnFailingEndpoints: Store['warnFailingEndpoints'] = (since, now, limit) => this.lifecycle.warnFailingEndpoints(since, now, limit);
  disableFailingEndpoints: Store['disableFailingEndpoints'] = (since, min, now, limit) => this.lifecycle.disableFailingEndpoints(since, min, now, limit);
  failDeliveriesOfDisabledEndpoints: Store['failDeliveriesOfDisabledEndpoints'] = (now, limit) => this.lifecycle.failDeliveriesOfDisabledEndpoints(now, limit);
  noteExhaustedDeliveries: Store['noteExhaustedDeliveries'] = (exhaustions, windowMs) => this.lifecycle.noteExhaustedDeliveries(exhaustions, windowMs);
  takeHeldBackExhaustions: Store['takeHeldBackExhaustions'] = (now, windowMs, limit) => this.lifecycle.takeHeldBackExhaustions(now, windowMs, limit);

  async createEndpoint(endpoint: NewEndpoint): Promise<Endpoint> {
    const { rows } = await this.pool.query<EndpointRow>(
      `WITH created AS (
         INSERT INTO endpoints (id, organization_id, url, description, events, enabled, signature_scheme,
           created_at, updated_at, rate_limit, retry_schedule, timeout_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $10, $11, $12)
         RETURNING ${ENDPOINT_COLUMNS}
       ), secret AS (
         INSERT INTO endpoint_secrets (endpoint_id, secret, created_at, expires_at)
         SELECT id, $9, created_at, NULL FROM created
       )
       SELECT * FROM created`,
      [
        endpoint.id,
        endpoint.organizationId,
        endpoint.url,
        endpoint.description,
        endpoint.events,
        endpoint.enabled,
        endpoint.signatureScheme,
        endpoint.createdAt,
        endpoint.secret,
        endpoint.settings?.rateLimit ?? null,
        retryScheduleColumn(endpoint.settings?.retrySchedule),
        endpoint.settings?.timeoutMs ?? null,
      ],
    );
    return toEndpoint(rows[0]!);
  }

  async getEndpoint(organizationId: string, id: string): Promise<Endpoint | null> {
    const { rows } = await this.pool.query<EndpointRow>(
      `SELECT ${ENDPOINT_COLUMNS} FROM endpoints WHERE organization_id = $1 AND id = $2`,
      [organizationId, id],
    );
    return rows[0] ? toEndpoint(rows[0]) : null;
  }

  async listSubscribers(organizationId: string): Promise<Subscriber[]> {
    const { rows } = await this.pool.query<Subscriber>(
      'SELECT id, events FROM endpoints WHERE organization_id = $1 AND enabled ORDER BY id',
      [organizationId],
    );
    return rows;
  }

  async listEndpoints(organizationId: string): Promise<Endpoint[]> {
    const { rows } = await this.pool.query<EndpointRow>(
      `SELECT ${ENDPOINT_COLUMNS} FROM endpoints WHERE organization_id = $1 ORDER BY id`,
      [organizationId],
    );
    return rows.map(toEndpoint);
  }

  async updateEndpoint(organizationId: string, id: string, patch: EndpointPatch, now: number): Promise<Endpoint | null> {
    const { rows } = await this.pool.query<EndpointRow>(
      `UPDATE endpoints
       SET url = coalesce($3, url), description = coalesce($4, description), events = coalesce($5, events),
           enabled = coalesce($6, enabled), signature_scheme = coalesce($7, signature_scheme), updated_at = $8,
           -- A setting may be reset to NULL, so "left out" is a flag of its own, not a NULL.
           rate_limit = CASE WHEN $9 THEN $10 ELSE rate_limit END,
           retry_schedule = CASE WHEN $11 THEN $12 ELSE retry_schedule END,
           timeout_ms = CASE WHEN $13 THEN $14 ELSE timeout_ms END,
           -- Disabling by hand says so (an automatic reason stays); re-enabling clears the reason and the streak.
           disabled_reason = CASE WHEN $6 AND NOT enabled THEN NULL WHEN NOT $6 AND enabled THEN 'manual' ELSE disabled_reason END,
           disabled_at = CASE WHEN $6 AND NOT enabled THEN NULL WHEN NOT $6 AND enabled THEN $8 ELSE disabled_at END,
           failing_since = CASE WHEN $6 AND NOT enabled THEN NULL ELSE failing_since END,
           failed_deliveries_in_streak = CASE WHEN $6 AND NOT enabled THEN 0 ELSE failed_deliveries_in_streak END,
           warned_at = CASE WHEN $6 AND NOT enabled THEN NULL ELSE warned_at END
       WHERE organization_id = $1 AND id = $2
       RETURNING ${ENDPOINT_COLUMNS}`,
      [
        organizationId,
        id,
        patch.url ?? null,
        patch.description ?? null,
        patch.events ?? null,
        patch.enabled ?? null,
        patch.signatureScheme ?? null,
        now,
        patch.settings?.rateLimit !== undefined,
        patch.settings?.rateLimit ?? null,
        patch.settings?.retrySchedule !== undefined,
        retryScheduleColumn(patch.settings?.retrySchedule),
        patch.settings?.timeoutMs !== undefined,
        patch.settings?.timeoutMs ?? null,
      ],
    );
    const row = rows[0];
    if (!row) return null;
    // Re-enabling makes its backlog claimable; a needless wake-up when it was already enabled is harmless.
    if (patch.enabled === true) await this.announceDue();
    return toEndpoint(row);
  }

  async deleteEndpoint(organizationId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM endpoints WHERE organization_id = $1 AND id = $2', [
      organizationId,
      id,
    ]);
    return (rowCount ?? 0) > 0;
  }

  async endpointStats(organizationId: string, since: number): Promise<EndpointStats[]> {
    const { rows } = await this.pool.query<EndpointStatsRow>(
      `SELECT d.endpoint_id, count(*) AS attempts, count(*) FILTER (WHERE a.succeeded) AS succeeded,
              max(a.started_at) AS last_attempt_at
       FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
       WHERE d.organization_id = $1 AND a.started_at >= $2
       GROUP BY d.endpoint_id
       ORDER BY d.endpoint_id`,
      [organizationId, since],
    );
    return rows.map(toEndpointStats);
  }

  async listSecrets(organizationId: string, endpointId: string, now: number): Promise<EndpointSecret[]> {
    const { rows } = await this.pool.query<SecretRow>(
      `SELECT s.secret, s.created_at, s.expires_at FROM endpoint_secrets s
       JOIN endpoints e ON e.id = s.endpoint_id
       WHERE e.organization_id = $1 AND s.endpoint_id = $2 AND (s.expires_at IS NULL OR s.expires_at > $3)
       ORDER BY s.seq DESC`,
      [organizationId, endpointId, now],
    );
    return rows.map(toSecret);
  }

  async rotateSecret(
    organizationId: string,
    endpointId: string,
    secret: string,
    now: number,
    previousExpiresAt: number,
  ): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      // The endpoint row lock serializes rotations of one endpoint, so two at once cannot both leave
      // a secret without an expiry.
      if (!(await lockEndpoint(client, organizationId, endpointId))) return false;
      // Only the secret being replaced keeps a grace period; older ones end now.
      await client.query(
        'UPDATE endpoint_secrets SET expires_at = $2 WHERE endpoint_id = $1 AND expires_at IS NOT NULL AND expires_at > $2',
        [endpointId, now],
      );
      await client.query('UPDATE endpoint_secrets SET expires_at = $2 WHERE endpoint_id = $1 AND expires_at IS NULL', [
        endpointId,
        previousExpiresAt,
      ]);
      await client.query(
        'INSERT INTO endpoint_secrets (endpoint_id, secret, created_at, expires_at) VALUES ($1, $2, $3, NULL)',
        [endpointId, secret, now],
      );
      return true;
    });
  }

  async revokePreviousSecrets(organizationId: string, endpointId: string, now: number): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      if (!(await lockEndpoint(client, organizationId, endpointId))) return false;
      await client.query(
        'UPDATE endpoint_secrets SET expires_at = $2 WHERE endpoint_id = $1 AND expires_at IS NOT NULL AND expires_at > $2',
        [endpointId, now],
      );
      return true;
    });
  }

  async publishEvents(events: NewEvent[]): Promise<PublishResult[]> {
    if (events.length === 0) return [];
    const results = await this.publisher.publish(events);
    if (results.some((r) => r.deliveries.length > 0 && !r.duplicate)) this.notifier.emitLocal();
    return results;
  }

  async getEvent(organizationId: string, id: string): Promise<Event | null> {
    const { rows } = await this.pool.query<EventRow>('SELECT * FROM events WHERE organization_id = $1 AND id = $2', [
      organizationId,
      id,
    ]);
    return rows[0] ? toEvent(rows[0]) : null;
  }

  async listEvents(filter: EventFilter): Promise<Page<Event>> {
    const where = new Conditions(['organization_id', filter.organizationId]);
    if (filter.type !== undefined) where.add('type =', filter.type);
    if (filter.since !== undefined) where.add('created_at >=', filter.since);
    if (filter.until !== undefined) where.add('created_at <', filter.until);
    if (filter.cursor !== undefined) where.add('id <', filter.cursor);
    const { rows } = await this.pool.query<EventRow>(
      `SELECT * FROM events WHERE ${where.sql} ORDER BY id DESC LIMIT ${where.next()}`,
      [...where.params, filter.limit + 1],
    );
    return page(rows.map(toEvent), filter.limit);
  }

  async getDelivery(organizationId: string, id: string): Promise<Delivery | null> {
    const { rows } = await this.pool.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE organization_id = $1 AND id = $2`,
      [organizationId, id],
    );
    return rows[0] ? toDelivery(rows[0]) : null;
  }

  async listDeliveries(filter: DeliveryFilter): Promise<Page<Delivery>> {
    const where = new Conditions(['organization_id', filter.organizationId]);
    if (filter.endpointId !== undefined) where.add('endpoint_id =', filter.endpointId);
    if (filter.eventId !== undefined) where.add('event_id =', filter.eventId);
    if (filter.eventType !== undefined) where.add('event_type =', filter.eventType);
    if (filter.status !== undefined) where.add('status =', filter.status);
    if (filter.since !== undefined) where.add('created_at >=', filter.since);
    if (filter.until !== undefined) where.add('created_at <', filter.until);
    if (filter.cursor !== undefined) where.add('id <', filter.cursor);
    const { rows } = await this.pool.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE ${where.sql} ORDER BY id DESC LIMIT ${where.next()}`,
      [...where.params, filter.limit + 1],
    );
    return page(rows.map(toDelivery), filter.limit);
  }

  async listDeliveriesForEvent(organizationId: string, eventId: string): Promise<Delivery[]> {
    const { rows } = await this.pool.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE organization_id = $1 AND event_id = $2 ORDER BY id`,
      [organizationId, eventId],
    );
    return rows.map(toDelivery);
  }

  async listAttempts(deliveryId: string): Promise<Attempt[]> {
    const { rows } = await this.pool.query<AttemptRow>(
      'SELECT * FROM attempts WHERE delivery_id = $1 ORDER BY number, seq',
      [deliveryId],
    );
    return rows.map(toAttempt);
  }

  async resendDelivery(organizationId: string, id: string, newId: string, now: number): Promise<Delivery | null> {
    const { rows } = await this.pool.query<DeliveryRow>(
      `WITH resent AS (
         INSERT INTO deliveries (id, organization_id, event_id, event_type, endpoint_id, status, attempt_count,
           next_attempt_at, resend_of, created_at, updated_at)
         SELECT $3, organization_id, event_id, event_type, endpoint_id, 'pending', 0, $4, id, $4, $4
         FROM deliveries WHERE organization_id = $1 AND id = $2
         RETURNING ${DELIVERY_COLUMNS}
       )
       SELECT resent.*, pg_notify($5, $6) FROM resent`,
      [organizationId, id, newId, now, DUE_CHANNEL, this.notifier.payload],
    );
    if (!rows[0]) return null;
    this.notifier.emitLocal();
    return toDelivery(rows[0]);
  }

  async claimDueDeliveries(options: ClaimOptions): Promise<ClaimedDelivery[]> {
    return this.claimer.claim(options);
  }

  /** Records, feedback and the refilling claim are one statement: see record.ts. */
  async recordAttempts(records: AttemptRecord[], feedback: EndpointFeedback[] = [], thenClaim?: ClaimOptions): Promise<ClaimedDelivery[]> {
    return recordAttempts(this.pool, records, feedback, thenClaim);
  }

  async releaseLeases(leaseOwner: string, deliveryIds: string[], now: number): Promise<void> {
    if (deliveryIds.length === 0) return;
    await this.pool.query(
      `WITH released AS (
         UPDATE deliveries
         SET lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = $3, attempt_count = attempt_count - 1,
             updated_at = $3
         WHERE id = ANY($1) AND lease_owner = $2 AND status = 'pending'
         RETURNING 1
       )
       SELECT pg_notify($4, $5) WHERE EXISTS (SELECT 1 FROM released)`,
      [deliveryIds, leaseOwner, now, DUE_CHANNEL, this.notifier.payload],
    );
    this.notifier.emitLocal();
  }

  async nextDueAt(): Promise<number | null> {
    const { rows } = await this.pool.query<{ at: number }>({
      name: 'herald_next_due_at',
      text: `SELECT d.next_attempt_at AS at FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id
             WHERE d.status = 'pending' AND e.enabled
             ORDER BY d.next_attempt_at LIMIT 1`,
    });
    return rows[0]?.at ?? null;
  }

  async countPendingDeliveries(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>("SELECT count(*) AS n FROM deliveries WHERE status = 'pending'");
    return rows[0]!.n;
  }

  async getOrCreateServerSecret(name: string, candidate: string, now: number): Promise<string> {
    // Two statements on purpose: an insert that lost the race waited for the winner's commit, and
    // only a statement started after that sees the winner's value.
    await this.pool.query(
      'INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING',
      [name, candidate, now],
    );
    const { rows } = await this.pool.query<{ value: string }>('SELECT value FROM server_secrets WHERE name = $1', [name]);
    return rows[0]!.value;
  }

  onDeliveriesDue(listener: () => void): () => void {
    return this.notifier.subscribe(listener);
  }

  /** Wakes dispatchers here and in every other process on this schema. */
  private async announceDue(): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [DUE_CHANNEL, this.notifier.payload]);
    this.notifier.emitLocal();
  }
}

async function lockEndpoint(client: pg.PoolClient, organizationId: string, endpointId: string): Promise<boolean> {
  const { rowCount } = await client.query(
    'SELECT 1 FROM endpoints WHERE organization_id = $1 AND id = $2 FOR NO KEY UPDATE',
    [organizationId, endpointId],
  );
  return (rowCount ?? 0) > 0;
}

/** A WHERE clause built from trusted column/operator text and numbered parameters. */
class Conditions {
  readonly params: unknown[];
  private readonly parts: string[];

  constructor([column, value]: [string, unknown]) {
    this.params = [value];
    this.parts = [`${column} = $1`];
  }

  add(columnAndOperator: string, value: unknown): void {
    this.params.push(value);
    this.parts.push(`${columnAndOperator} $${this.params.length}`);
  }

  get sql(): string {
    return this.parts.join(' AND ');
  }

  /** The placeholder for one more parameter after these. */
  next(): string {
    return `$${this.params.length + 1}`;
  }
}
