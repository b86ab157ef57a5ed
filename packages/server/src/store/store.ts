/**
 * The Store is the only way Herald touches its database. SQLite (embedded, one process) and
 * PostgreSQL (many processes) implement it and pass one contract suite (`test/store/store-contract.ts`).
 *
 * Times are Unix milliseconds, passed in by the caller so tests can drive the clock. Ids are
 * UUID v7 strings: they sort by creation time, which gives cursor pagination for free.
 */
import type { Subscriber } from './subscription.js';

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';
export type SignatureScheme = 'contactsmanager' | 'both';

export interface Organization {
  id: string;
  name: string;
  createdAt: number;
}

export interface ApiKey {
  id: string;
  /** Null for an operator key, which belongs to the platform rather than to one organization. */
  organizationId: string | null;
  /** First characters of the key, safe to show ("hk_abcd…"). */
  prefix: string;
  createdAt: number;
  /** Default `admin` (or `operator` when `organizationId` is null). */
  scope?: ApiKeyScope;
  /** Default ''. */
  name?: string;
  /** Default null: never expires. */
  expiresAt?: number | null;
}

export interface Endpoint {
  id: string;
  organizationId: string;
  url: string;
  description: string;
  /** Subscribed event types, or `['*']` for all. */
  events: string[];
  enabled: boolean;
  signatureScheme: SignatureScheme;
  createdAt: number;
  updatedAt: number;
  /** Its own delivery settings (`EndpointSettings`); each null means the server's default. */
  settings: EndpointSettings;
  /** Why it is disabled and how long it has been failing (`src/lifecycle/`). */
  health: EndpointHealth;
}

/** `manual`: PATCH enabled:false. `gone`: it answered 410. `failing`: the warn-then-disable ladder. */
export type DisabledReason = 'manual' | 'gone' | 'failing';

/**
 * An endpoint's failing streak and why it is disabled. It is failing from its first delivery that
 * ended `failed` until one of its attempts succeeds; re-enabling it clears everything here.
 */
export interface EndpointHealth {
  /** Null while enabled. */
  disabledReason: DisabledReason | null;
  disabledAt: number | null;
  /** When the first failed delivery of the current streak failed; null when not failing. */
  failingSince: number | null;
  /** Deliveries that ended `failed` since `failingSince`. */
  failedDeliveriesInStreak: number;
  /** When `endpoint.failing` was sent for this streak; null if not yet. */
  warnedAt: number | null;
}

/**
 * What a customer may set for one endpoint, within the operator's caps (checked by the API, not
 * here). Null: the server's setting applies.
 */
export interface EndpointSettings {
  /** At most this many attempts started per second (fixed one-second windows), across every dispatcher. */
  rateLimit: number | null;
  /** Delays before each retry, in ms, replacing the server's `--retry-schedule`. */
  retrySchedule: number[] | null;
  /** Per-attempt timeout in ms, replacing `--attempt-timeout`. */
  timeoutMs: number | null;
}

export interface EndpointSecret {
  secret: string;
  createdAt: number;
  /** Null for the current secret; for the previous one, when its grace period ends. */
  expiresAt: number | null;
}

export interface Event {
  id: string;
  organizationId: string;
  type: string;
  /** The payload exactly as it goes on the wire: `JSON.stringify(payload)`. */
  payloadJson: string;
  idempotencyKey: string | null;
  createdAt: number;
}

export interface Delivery {
  id: string;
  organizationId: string;
  eventId: string;
  eventType: string;
  endpointId: string;
  status: DeliveryStatus;
  /** Attempts claimed so far (counted when claimed, not when finished). */
  attemptCount: number;
  nextAttemptAt: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
  /** The last attempt's error kind, or `endpoint_disabled` when it was failed without one. */
  lastErrorKind: DeliveryErrorKind | null;
  lastAttemptAt: number | null;
  /** The delivery this one re-sends, when created by a resend. */
  resendOf: string | null;
  createdAt: number;
  updatedAt: number;
}

export type AttemptErrorKind =
  | 'http_status'
  | 'timeout'
  | 'connection'
  | 'tls'
  | 'blocked_address'
  | 'invalid_url'
  | 'aborted'
  /** The receiver answered, but the database refused to store the attempt as it was; a minimal record stands in. */
  | 'unstorable_response';

/** `endpoint_disabled`: failed without an attempt because its endpoint was disabled (`gone`, `failing`). */
export type DeliveryErrorKind = AttemptErrorKind | 'endpoint_disabled';

export interface Attempt {
  id: string;
  deliveryId: string;
  number: number;
  startedAt: number;
  durationMs: number;
  statusCode: number | null;
  errorKind: AttemptErrorKind | null;
  errorMessage: string | null;
  /** Response body, truncated to 4 KiB; NUL and bytes that are not UTF-8 escaped visibly (`\\u0000`, `\\xff`). */
  responseBody: string | null;
  /** The receiver sent more than was kept. */
  responseBodyTruncated: boolean;
  /** Something in the kept body was escaped, so it is not byte for byte what the receiver sent. */
  responseBodySanitized: boolean;
  /** The request headers as sent (signature included), for the delivery log. */
  requestHeaders: Record<string, string>;
  succeeded: boolean;
  /** True when no further attempt follows this one. */
  final: boolean;
  /** The wait a 429/503 asked for with `Retry-After`, in ms from the failure; null without one. */
  retryAfterRequestedMs: number | null;
  /** The wait until the next attempt when `Retry-After` was honoured (capped, never under the schedule's). */
  retryAfterAppliedMs: number | null;
}

/** Everything the dispatcher needs to send one attempt, read in the same statement that leases it. */
export interface ClaimedDelivery {
  deliveryId: string;
  organizationId: string;
  endpointId: string;
  url: string;
  signatureScheme: SignatureScheme;
  /** Valid secrets at claim time, newest first. */
  secrets: string[];
  eventId: string;
  eventType: string;
  payloadJson: string;
  /** The number of this attempt, already counted. */
  attempt: number;
  leaseExpiresAt: number;
  /** The endpoint's adaptive concurrency limit and unanswered streak when claimed (see `EndpointFeedback`). */
  endpointConcurrencyLimit: number;
  endpointUnanswered: number;
  /** The endpoint's own retry schedule and timeout, null for the dispatcher's. */
  endpointRetrySchedule: number[] | null;
  endpointTimeoutMs: number | null;
}

export interface NewEvent {
  /** UUID chosen by the caller, so the id is known before the commit. */
  id: string;
  organizationId: string;
  type: string;
  payloadJson: string;
  idempotencyKey: string | null;
  createdAt: number;
  /** Idempotency keys are honoured until this time. */
  idempotencyExpiresAt: number;
  /** Restrict fan-out to this endpoint (test events). Null fans out to every subscriber. */
  onlyEndpointId?: string | null;
  /** Leave this endpoint out of the fan-out: an operational event is never sent to the endpoint it is about. */
  exceptEndpointId?: string | null;
}

export interface PublishResult {
  event: Event;
  deliveries: Delivery[];
  /** True when an unexpired idempotency key matched and nothing new was created. */
  duplicate: boolean;
}

export interface AttemptRecord {
  deliveryId: string;
  leaseOwner: string;
  /** The Retry-After fields may be left out: no Retry-After. */
  attempt: Omit<Attempt, 'id' | 'deliveryId' | RetryAfterFields> & Partial<Pick<Attempt, RetryAfterFields>>;
  /** Null when the delivery is finished (succeeded, or failed for good). */
  nextAttemptAt: number | null;
  recordedAt: number;
}

type RetryAfterFields = 'retryAfterRequestedMs' | 'retryAfterAppliedMs';

/**
 * How an endpoint behaved in a batch of recorded attempts, for its adaptive concurrency limit and its
 * circuit breaker (the policy is `dispatch/endpoint-circuit.ts`; the state lives on the endpoint row
 * so that every dispatcher process sees it).
 * - `answered`: the last `count` attempts got a response (any status). The limit grows by `count`, up
 *   to `maxConcurrency`; the unanswered streak ends and the circuit closes.
 * - `unanswered`: the last `count` attempts timed out or could not connect. The limit drops to 1; the
 *   streak grows by `count` (or restarts at `count` when `afterAnswer`), and once it reaches
 *   `openAfter` the circuit opens until `now + cooldownMs`: no attempts until then, then one probe.
 */
export interface EndpointFeedback {
  endpointId: string;
  kind: 'answered' | 'unanswered';
  count: number;
  afterAnswer: boolean;
  maxConcurrency: number;
  openAfter: number;
  cooldownMs: number;
  now: number;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

export interface EventFilter {
  organizationId: string;
  type?: string;
  since?: number;
  until?: number;
  cursor?: string;
  limit: number;
}

export interface DeliveryFilter {
  organizationId: string;
  endpointId?: string;
  eventId?: string;
  eventType?: string;
  status?: DeliveryStatus;
  /** Created at or after this time (ms), as EventFilter's. */
  since?: number;
  /** Created before this time (ms). */
  until?: number;
  cursor?: string;
  limit: number;
}

export interface EndpointPatch {
  url?: string;
  description?: string;
  events?: string[];
  enabled?: boolean;
  signatureScheme?: SignatureScheme;
  /** Only the settings given change; null resets one to the server's default. */
  settings?: Partial<EndpointSettings>;
}

export interface NewEndpoint {
  id: string;
  organizationId: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  signatureScheme: SignatureScheme;
  secret: string;
  createdAt: number;
  /** Default: every setting null. */
  settings?: Partial<EndpointSettings>;
}

export interface ClaimOptions {
  leaseOwner: string;
  limit: number;
  leaseMs: number;
  now: number;
  /** At most this many deliveries of one endpoint leased at once, across all dispatchers. */
  perEndpointLimit: number;
}

export interface EndpointStats {
  endpointId: string;
  attempts: number;
  succeeded: number;
  lastAttemptAt: number | null;
}

export interface Store extends TenancyStore, RecoveryStore, LifecycleStore, RetentionStore, SecretStorage {
  /** Creates the schema or brings it up to date. Safe to call from several processes at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  createOrganization(org: Organization): Promise<void>;
  getOrganization(id: string): Promise<Organization | null>;
  countOrganizations(): Promise<number>;

  createApiKey(key: ApiKey, keyHash: string): Promise<void>;

  createEndpoint(endpoint: NewEndpoint): Promise<Endpoint>;
  getEndpoint(organizationId: string, id: string): Promise<Endpoint | null>;
  listEndpoints(organizationId: string): Promise<Endpoint[]>;
  /** The organization's enabled endpoints as fan-out sees them (id and event types): far cheaper than `listEndpoints`. */
  listSubscribers(organizationId: string): Promise<Subscriber[]>;
  updateEndpoint(organizationId: string, id: string, patch: EndpointPatch, now: number): Promise<Endpoint | null>;
  deleteEndpoint(organizationId: string, id: string): Promise<boolean>;
  /** Attempts and successes per endpoint since `since`. */
  endpointStats(organizationId: string, since: number): Promise<EndpointStats[]>;

  /** Valid secrets, newest first; expired previous secrets are left out. */
  listSecrets(organizationId: string, endpointId: string, now: number): Promise<EndpointSecret[]>;
  /** Makes `secret` current; the old current one stays valid until `previousExpiresAt`. */
  rotateSecret(organizationId: string, endpointId: string, secret: string, now: number, previousExpiresAt: number): Promise<boolean>;
  /** Ends every previous secret's grace now. */
  revokePreviousSecrets(organizationId: string, endpointId: string, now: number): Promise<boolean>;

  /**
   * Stores each event and one pending delivery per enabled, subscribed endpoint of its organization,
   * all in one transaction (group commit). A live idempotency key returns the original instead.
   */
  publishEvents(events: NewEvent[]): Promise<PublishResult[]>;
  getEvent(organizationId: string, id: string): Promise<Event | null>;
  listEvents(filter: EventFilter): Promise<Page<Event>>;

  getDelivery(organizationId: string, id: string): Promise<Delivery | null>;
  listDeliveries(filter: DeliveryFilter): Promise<Page<Delivery>>;
  listDeliveriesForEvent(organizationId: string, eventId: string): Promise<Delivery[]>;
  listAttempts(deliveryId: string): Promise<Attempt[]>;
  /** A new pending delivery of the same event to the same endpoint. Null if the original is unknown. */
  resendDelivery(organizationId: string, id: string, newId: string, now: number): Promise<Delivery | null>;

  /**
   * Leases due deliveries of enabled endpoints in one statement: sets the lease owner and expiry and
   * counts the attempt. A delivery whose lease expired (its dispatcher died) is due again.
   *
   * Each endpoint gets at most `min(perEndpointLimit, its adaptive limit)` leases, none while its
   * circuit is open, and the batch is shared round-robin between organizations first, then between
   * each organization's endpoints: one organization's backlog cannot fill it.
   */
  claimDueDeliveries(options: ClaimOptions): Promise<ClaimedDelivery[]>;
  /**
   * Records finished attempts, and applies `feedback` to the endpoints, in one transaction. A record
   * whose lease is no longer held by its owner is dropped.
   *
   * With `thenClaim`, it then leases due deliveries exactly as `claimDueDeliveries` would (the
   * records' own leases already count as given back), in the same transaction, and returns them: the
   * dispatcher refills the slots its finished attempts free without a transaction of its own.
   * Without it, the result is empty.
   */
  recordAttempts(records: AttemptRecord[], feedback?: EndpointFeedback[], thenClaim?: ClaimOptions): Promise<ClaimedDelivery[]>;
  /** Gives leases back without an attempt (shutdown): due again now, attempt not counted. */
  releaseLeases(leaseOwner: string, deliveryIds: string[], now: number): Promise<void>;
  /** When the next pending delivery becomes due (or a lease expires), or null if none is pending. */
  nextDueAt(): Promise<number | null>;
  countPendingDeliveries(): Promise<number>;

  /** Calls `listener` when deliveries may have become due (new events, resends). Returns an unsubscribe. */
  onDeliveriesDue(listener: () => void): () => void;

  /**
   * The server-wide secret stored under `name`, storing `candidate` first if there is none yet. Every
   * process that races here gets the same stored value back, so all of them sign dashboard sessions
   * and portal links with one key, and a restart keeps them valid.
   */
  getOrCreateServerSecret(name: string, candidate: string, now: number): Promise<string>;
}

// Tenancy: organizations as the operator API sees them, scoped API keys, server-side dashboard
// sessions and single-use portal links. The policy around them lives in `src/tenancy/`.

/** `operator` keys belong to the platform; the others to one organization (see `tenancy/scopes.ts`). */
export type ApiKeyScope = 'operator' | 'admin' | 'publish' | 'read';

/** An organization with the platform's own id for it (`uid`) and free-form metadata. */
export interface OrganizationProfile extends Organization {
  /** Unique when set; null for organizations made before uids existed, or without one. */
  uid: string | null;
  metadata: Record<string, unknown>;
}

export interface OrganizationPatch {
  name?: string;
  uid?: string | null;
  metadata?: Record<string, unknown>;
}

export interface OrganizationFilter {
  uid?: string;
  cursor?: string;
  limit: number;
}

export type OrganizationWrite =
  | { ok: true; organization: OrganizationProfile }
  | { ok: false; reason: 'not_found' | 'uid_taken' };

/** An API key as listed: never the key itself, only its prefix. */
export interface ApiKeyDetails {
  id: string;
  organizationId: string | null;
  prefix: string;
  scope: ApiKeyScope;
  name: string;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** What a dashboard session may do: the scope of the key it was started with, or `portal`. */
export type SessionScope = 'admin' | 'publish' | 'read' | 'portal';

export interface DashboardSession {
  id: string;
  organizationId: string;
  signedInWith: 'api_key' | 'portal_link';
  scope: SessionScope;
  /** The key that started it; revoking the key ends the session. */
  apiKeyId: string | null;
  /** The portal link that started it. */
  portalLinkId: string | null;
  createdAt: number;
  expiresAt: number;
  /** Set by sign-out, "sign out everywhere", or revoking its key. */
  endedAt: number | null;
}

export interface PortalLinkUse {
  /** The link's own id, carried in its token. */
  linkId: string;
  organizationId: string;
  usedAt: number;
  /** When the link would have expired anyway. */
  expiresAt: number;
}

export interface TenancyStore {
  /** Creates an organization with its uid and metadata; refuses a uid another organization has. */
  createOrganizationProfile(org: OrganizationProfile): Promise<OrganizationWrite>;
  getOrganizationProfile(id: string): Promise<OrganizationProfile | null>;
  findOrganizationByUid(uid: string): Promise<OrganizationProfile | null>;
  /** Oldest first (ids sort by creation), so a platform can page through every organization. */
  listOrganizationProfiles(filter: OrganizationFilter): Promise<Page<OrganizationProfile>>;
  updateOrganizationProfile(id: string, patch: OrganizationPatch): Promise<OrganizationWrite>;
  /** Removes the organization with its endpoints, events, deliveries, keys and sessions, in one transaction. */
  deleteOrganization(id: string): Promise<boolean>;

  /** The key whose hash is `keyHash`, revoked or expired ones included, so the caller can say which. */
  findApiKeyByHash(keyHash: string): Promise<ApiKeyDetails | null>;
  /** Keys not revoked, newest first: an organization's, or the operator keys for null. */
  listApiKeys(organizationId: string | null): Promise<ApiKeyDetails[]>;
  /** Revokes the key and ends the dashboard sessions started with it. False when unknown or already revoked. */
  revokeApiKey(organizationId: string | null, id: string, now: number): Promise<boolean>;
  markApiKeyUsed(id: string, now: number): Promise<void>;

  createSession(session: DashboardSession): Promise<void>;
  /**
   * Marks the portal link used and starts its session, in one transaction. False, and nothing
   * written, when the link was used before: a portal link opens one session only.
   */
  redeemPortalLink(use: PortalLinkUse, session: DashboardSession): Promise<boolean>;
  portalLinkUsed(linkId: string): Promise<boolean>;
  getSession(id: string): Promise<DashboardSession | null>;
  /** False when unknown or already ended. */
  endSession(id: string, now: number): Promise<boolean>;
  /** Ends every live session of the organization; returns how many. */
  endOrganizationSessions(organizationId: string, now: number): Promise<number>;
}

// Recovery: re-sending, in bulk, what an endpoint missed while it was failing (`POST
// /v1/endpoints/{id}/recover`). The route is `api/routes/recoveries.ts`.

/**
 * Which deliveries a recovery takes: those of one endpoint that ended `failed` at or after `since`
 * and before `until` (their last change: the final attempt, or being failed without one), and that
 * nothing has re-sent yet: no resend and no earlier recovery points at them (`resendOf`).
 */
export interface RecoveryWindow {
  organizationId: string;
  endpointId: string;
  since: number;
  until: number;
}

export interface NewRecovery extends RecoveryWindow {
  id: string;
  createdAt: number;
  /** An id for each delivery it creates. */
  newDeliveryId: () => string;
}

/** A recovery with the deliveries it created, counted by their status now. */
export interface Recovery {
  id: string;
  organizationId: string;
  endpointId: string;
  since: number;
  until: number;
  createdAt: number;
  total: number;
  pending: number;
  succeeded: number;
  failed: number;
}

export interface RecoveryStore {
  /** How many deliveries `recoverDeliveries` would re-send for this window now. */
  countRecoverable(window: RecoveryWindow): Promise<number>;
  /**
   * A new pending delivery (same event, so the same envelope id; `resendOf` the original) for every
   * delivery in the window, and the recovery itself, in one transaction that also holds off another
   * recovery of the same endpoint: recovering a window twice re-sends nothing the second time. Null
   * when the endpoint is unknown.
   */
  recoverDeliveries(recovery: NewRecovery): Promise<Recovery | null>;
  getRecovery(organizationId: string, endpointId: string, id: string): Promise<Recovery | null>;
  /** The endpoint's recoveries, newest first. */
  listRecoveries(organizationId: string, endpointId: string, limit: number): Promise<Recovery[]>;
}

// Endpoint lifecycle: the failing streak, automatic disabling (410, warn-then-disable) and the
// coalescing of delivery.exhausted. The policy around them is `src/lifecycle/`.

/** What one finished attempt means for its endpoint's failing streak. */
export interface EndpointHealthChange {
  endpointId: string;
  /** `succeeded` ends the streak; `delivery_failed` (a delivery ended failed) starts or extends it. */
  kind: 'succeeded' | 'delivery_failed';
  at: number;
}

/** A `delivery.exhausted` to send now, standing for `count` deliveries of the endpoint (this one included). */
export interface ExhaustionNotice {
  endpointId: string;
  organizationId: string;
  /** The latest exhausted delivery the notice stands for. */
  deliveryId: string;
  count: number;
}

/** A delivery that used up its attempts (or its retry window), to count against its endpoint. */
export interface DeliveryExhaustion {
  endpointId: string;
  deliveryId: string;
  at: number;
}

export interface LifecycleStore {
  /** Applies the changes in order, in one transaction. A success on an endpoint that is not failing writes nothing. */
  recordEndpointHealth(changes: EndpointHealthChange[]): Promise<void>;
  /** Disables an enabled endpoint with `reason`; null when it is unknown or already disabled. */
  disableEndpoint(organizationId: string, endpointId: string, reason: 'gone' | 'failing', now: number): Promise<Endpoint | null>;
  /**
   * Marks warned, and returns, up to `limit` enabled endpoints failing since `failingSince` or earlier
   * and not yet warned in this streak. Each streak is returned once, whichever process asks.
   */
  warnFailingEndpoints(failingSince: number, now: number, limit: number): Promise<Endpoint[]>;
  /**
   * Disables (reason `failing`) and returns up to `limit` enabled endpoints failing since `failingSince`
   * or earlier with at least `minFailedDeliveries` failed deliveries in the streak.
   */
  disableFailingEndpoints(failingSince: number, minFailedDeliveries: number, now: number, limit: number): Promise<Endpoint[]>;
  /**
   * Ends up to `limit` pending deliveries of endpoints disabled as `gone` or `failing` (not `manual`:
   * that is a pause, its backlog waits) as `failed` with error kind `endpoint_disabled`, skipping any
   * whose lease is still live. Returns how many it ended.
   */
  failDeliveriesOfDisabledEndpoints(now: number, limit: number): Promise<number>;
  /**
   * Counts exhausted deliveries against their endpoints, in order, in one transaction. For each, a
   * notice to send now when its endpoint's last one is `windowMs` old or more (carrying what the
   * window held back), else null and it is held back; null too for an endpoint that no longer exists.
   */
  noteExhaustedDeliveries(exhaustions: DeliveryExhaustion[], windowMs: number): Promise<Array<ExhaustionNotice | null>>;
  /** Notices for what was held back, once its window has ended; each is returned once. */
  takeHeldBackExhaustions(now: number, windowMs: number, limit: number): Promise<ExhaustionNotice[]>;
}

// Retention: deleting, in small batches, what is older than the retention period. The policy (what,
// when, how fast) is `src/retention/`; these methods each do one short batch.

export interface PruneBatch {
  /** Another process holds the pruning lock (PostgreSQL): nothing was done; try again later. */
  busy: boolean;
  /** Rows deleted (deliveries, events, or expired records, by method; attempts not counted). */
  deleted: number;
  /** The batch was full: more may be waiting. */
  more: boolean;
  /** The last row looked at, for methods that walk a table in id order: pass it as `after` to go on. */
  lastId: string | null;
}

export interface OrganizationPruneBatch {
  events: number;
  deliveries: number;
  /** The batch was full: more may be waiting. */
  more: boolean;
  lastId: string | null;
}

/** SQLite's page accounting, for giving free pages back to the file system; null on PostgreSQL. */
export interface SpaceStats {
  pageSize: number;
  pageCount: number;
  freePages: number;
}

export interface RetentionStore {
  /**
   * Deletes up to `limit` deliveries that finished (succeeded or failed; never pending) before
   * `finishedBefore`, oldest first, with their attempts, and raises each organization's pruned
   * watermark to the newest id it deleted (`wasPruned`).
   */
  pruneFinishedDeliveries(finishedBefore: number, limit: number): Promise<PruneBatch>;
  /**
   * Looks at up to `limit` events created before `createdBefore`, in id order after `after`, and
   * deletes those with no delivery left (and their idempotency keys).
   */
  pruneEvents(createdBefore: number, after: string | null, limit: number): Promise<PruneBatch>;
  /** Deletes up to `limit` each of idempotency keys, dashboard sessions and portal-link uses expired before `now`. */
  pruneExpired(now: number, limit: number): Promise<PruneBatch>;
  /**
   * One batch of an operator's early pruning: looks at up to `limit` of the organization's events
   * created before `until`, after `after`; deletes their finished deliveries, and each event left
   * with none pending. Waits for the pruning lock rather than giving up.
   */
  pruneOrganizationEvents(organizationId: string, until: number, after: string | null, limit: number): Promise<OrganizationPruneBatch>;
  /** Whether `id` (a delivery or event id not found) is at or before the organization's pruned watermark. */
  wasPruned(organizationId: string, id: string): Promise<boolean>;
  spaceStats(): Promise<SpaceStats | null>;
  /** SQLite: `PRAGMA incremental_vacuum(pages)`, returning how many pages the file shrank by. PostgreSQL: 0. */
  reclaimFreePages(pages: number): Promise<number>;
}

// Secrets at rest: the encryption layer (`store/secret-box.ts`, applied by `store/encrypted-store.ts`)
// reads and rewrites every stored secret value through these, to encrypt existing plain text and to
// re-encrypt under a new key.

export interface StoredSecret {
  kind: 'endpoint' | 'server';
  /** The row: `endpoint_secrets.seq`, or the server secret's name. */
  ref: string;
  /** What the value belongs to: the endpoint's id, or the server secret's name. */
  owner: string;
  /** As stored: plain text, or sealed. */
  value: string;
}

export interface StoredSecretChange {
  kind: StoredSecret['kind'];
  ref: string;
  from: string;
  to: string;
}

export interface SecretStorage {
  /** Every stored secret value: endpoint secrets (expired ones too) and server secrets. */
  listStoredSecrets(): Promise<StoredSecret[]>;
  /**
   * Replaces stored values in one transaction, each only where it still holds `from`; returns how
   * many changed. SQLite then rewrites the file (VACUUM) and empties the WAL, so the old values'
   * bytes are gone from disk too.
   */
  replaceStoredSecrets(changes: StoredSecretChange[]): Promise<number>;
}
