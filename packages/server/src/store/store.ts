/**
 * The Store is the only way Herald touches its database. SQLite (embedded, one process) and
 * PostgreSQL (many processes) implement it and pass one contract suite (`test/store/store-contract.ts`).
 *
 * Times are Unix milliseconds, passed in by the caller so tests can drive the clock. Ids are
 * UUID v7 strings: they sort by creation time, which gives cursor pagination for free.
 */

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';
export type SignatureScheme = 'contactsmanager' | 'both';

export interface Organization {
  id: string;
  name: string;
  createdAt: number;
}

export interface ApiKey {
  id: string;
  organizationId: string;
  /** First characters of the key, safe to show ("hk_abcd…"). */
  prefix: string;
  createdAt: number;
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
  | 'aborted';

export interface Attempt {
  id: string;
  deliveryId: string;
  number: number;
  startedAt: number;
  durationMs: number;
  statusCode: number | null;
  errorKind: AttemptErrorKind | null;
  errorMessage: string | null;
  /** Response body, truncated to 4 KiB. */
  responseBody: string | null;
  /** The request headers as sent (signature included), for the delivery log. */
  requestHeaders: Record<string, string>;
  succeeded: boolean;
  /** True when no further attempt follows this one. */
  final: boolean;
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
  attempt: Omit<Attempt, 'id' | 'deliveryId'>;
  /** Null when the delivery is finished (succeeded, or failed for good). */
  nextAttemptAt: number | null;
  recordedAt: number;
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
  cursor?: string;
  limit: number;
}

export interface EndpointPatch {
  url?: string;
  description?: string;
  events?: string[];
  enabled?: boolean;
  signatureScheme?: SignatureScheme;
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

export interface Store {
  /** Creates the schema or brings it up to date. Safe to call from several processes at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  createOrganization(org: Organization): Promise<void>;
  getOrganization(id: string): Promise<Organization | null>;
  countOrganizations(): Promise<number>;

  createApiKey(key: ApiKey, keyHash: string): Promise<void>;
  /** The organization whose key hashes to `keyHash`, or null. */
  findOrganizationIdByKeyHash(keyHash: string): Promise<string | null>;

  createEndpoint(endpoint: NewEndpoint): Promise<Endpoint>;
  getEndpoint(organizationId: string, id: string): Promise<Endpoint | null>;
  listEndpoints(organizationId: string): Promise<Endpoint[]>;
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
   */
  claimDueDeliveries(options: ClaimOptions): Promise<ClaimedDelivery[]>;
  /** Records finished attempts; a record whose lease is no longer held by its owner is dropped. */
  recordAttempts(records: AttemptRecord[]): Promise<void>;
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
