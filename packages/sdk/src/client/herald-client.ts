import { callApi, type ApiRequest, type TransportOptions } from './transport.js';
import type {
  ApiKey,
  ApiKeyWithKey,
  CreateApiKeyInput,
  CreateOrganizationInput,
  ListOrganizationsQuery,
  Organization,
  UpdateOrganizationInput,
  CreateEndpointInput,
  Delivery,
  DeliveryWithAttempts,
  Endpoint,
  EndpointSecrets,
  EndpointWithSecret,
  EventRecord,
  EventType,
  EventWithDeliveries,
  ListDeliveriesQuery,
  ListEventsQuery,
  Page,
  PublishInput,
  PublishResult,
  RecoverInput,
  Recovery,
  RecoveryCount,
  RotateSecretInput,
  UpdateEndpointInput,
} from './types.js';

export interface HeraldClientOptions {
  /** Where Herald's API is, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** An API key of your organization (`hk_…`), or the platform's operator key. */
  apiKey: string;
  /** Retries of a call that is safe to repeat, after a network error, timeout or 5xx. Default 3. */
  retries?: number;
  /** First retry delay in ms, doubled each retry (plus jitter). Default 250. */
  retryBaseDelayMs?: number;
  /** Per-request timeout in ms. Default 30 000. */
  timeoutMs?: number;
  /** The `fetch` to use. Default the global one. */
  fetch?: typeof fetch;
}

/**
 * A typed client for Herald's REST API. Errors the API answers become `HeraldApiError` with its
 * `code`, `status` and `field`; network errors after the last retry are rethrown as they are.
 *
 * @example
 * import { HeraldClient } from '@herald/sdk';
 *
 * const herald = new HeraldClient({ baseUrl: 'http://127.0.0.1:8080', apiKey: process.env.HERALD_API_KEY! });
 * const endpoint = await herald.endpoints.create({ url: 'https://example.com/webhooks', events: ['*'] });
 * await herald.events.publish({
 *   event: 'user.follow',
 *   payload: { organization_id: 'org_1', follower_id: 'u1', followed_id: 'u2' },
 *   idempotency_key: 'follow-u1-u2',
 * });
 */
export class HeraldClient {
  readonly #transport: TransportOptions;
  readonly #options: HeraldClientOptions;
  /** `v1/organizations/{org}/` when acting for an organization with an operator key, else `v1/`. */
  #base = 'v1/';

  /** Endpoints, their secrets and test events. */
  readonly endpoints: EndpointsApi;
  /** Publishing and reading events. */
  readonly events: EventsApi;
  /** Delivery logs and resends. */
  readonly deliveries: DeliveriesApi;
  /** The event catalog. */
  readonly eventTypes: EventTypesApi;
  /** With an operator key: the organizations of your platform. */
  readonly organizations: OrganizationsApi;
  /** API keys: your organization's, or with an operator key the operator keys (and, through `forOrganization`, an organization's). */
  readonly apiKeys: ApiKeysApi;

  constructor(options: HeraldClientOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object with baseUrl and apiKey');
    const { baseUrl, apiKey, retries = 3, retryBaseDelayMs = 250, timeoutMs = 30_000, fetch: fetchImpl = globalThis.fetch } = options;
    if (typeof baseUrl !== 'string' || !/^https?:\/\//.test(baseUrl)) throw new TypeError('options.baseUrl must be an http(s) URL');
    if (typeof apiKey !== 'string' || apiKey === '') throw new TypeError('options.apiKey must be a non-empty string');
    if (!Number.isSafeInteger(retries) || retries < 0) throw new TypeError('options.retries must be a non-negative integer');
    if (typeof retryBaseDelayMs !== 'number' || !(retryBaseDelayMs >= 0)) throw new TypeError('options.retryBaseDelayMs must be a non-negative number');
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) throw new TypeError('options.timeoutMs must be a positive number');
    if (typeof fetchImpl !== 'function') throw new TypeError('options.fetch must be a fetch function');
    this.#transport = {
      // A trailing slash makes relative paths resolve under a base path such as https://host/herald/.
      baseUrl: baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`,
      apiKey,
      retries,
      retryBaseDelayMs,
      timeoutMs,
      fetch: fetchImpl,
    };
    this.#options = options;
    // Organization routes are written as `v1/…`; acting for an organization moves them under its prefix.
    const call = <T>(request: ApiRequest): Promise<T> =>
      callApi<T>(this.#transport, request.path.startsWith('v1/organizations') ? request : { ...request, path: this.#base + request.path.slice(3) });
    this.endpoints = new EndpointsApi(call);
    this.events = new EventsApi(call);
    this.deliveries = new DeliveriesApi(call);
    this.eventTypes = new EventTypesApi(call);
    this.organizations = new OrganizationsApi(call);
    this.apiKeys = new ApiKeysApi(call);
  }

  /**
   * A client that acts for one organization with this client's operator key: every call goes to
   * `/v1/organizations/{org}/…`. `org` is the organization's id or your uid for it.
   *
   * @example
   * const herald = new HeraldClient({ baseUrl, apiKey: process.env.HERALD_OPERATOR_KEY! });
   * await herald.organizations.create({ uid: 'acme', name: 'Acme Inc' });
   * const acme = herald.forOrganization('acme');
   * await acme.endpoints.create({ url: 'https://acme.example.com/hooks', events: ['*'] });
   * await acme.events.publish({ event: 'user.new', payload: { organization_id: 'acme', user_id: 'u1', email: null, phone: null, full_name: null } });
   */
  forOrganization(org: string): HeraldClient {
    const scoped = new HeraldClient(this.#options);
    scoped.#base = `v1/organizations/${segment(org, 'org')}/`;
    return scoped;
  }
}

type Call = <T>(request: ApiRequest) => Promise<T>;

function segment(value: string, argument: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${argument} must be a non-empty string`);
  return encodeURIComponent(value);
}

export class EndpointsApi {
  readonly #call: Call;

  constructor(call: Call) {
    this.#call = call;
  }

  /**
   * Creates an endpoint; the answer is the only one that carries its secret unasked.
   *
   * @example
   * const { id, secret } = await herald.endpoints.create({ url: 'https://example.com/hooks', events: ['user.new'], signature_scheme: 'both' });
   */
  create(input: CreateEndpointInput): Promise<EndpointWithSecret> {
    return this.#call({ method: 'POST', path: 'v1/endpoints', body: input, idempotent: false });
  }

  /**
   * Every endpoint of your organization.
   *
   * @example
   * const endpoints = await herald.endpoints.list();
   */
  async list(): Promise<Endpoint[]> {
    const page = await this.#call<{ data: Endpoint[] }>({ method: 'GET', path: 'v1/endpoints', idempotent: true });
    return page.data;
  }

  /**
   * @example
   * const endpoint = await herald.endpoints.get(id);
   */
  get(id: string): Promise<Endpoint> {
    return this.#call({ method: 'GET', path: `v1/endpoints/${segment(id, 'id')}`, idempotent: true });
  }

  /**
   * Changes the fields given; the others keep their value.
   *
   * @example
   * await herald.endpoints.update(id, { enabled: false });
   */
  update(id: string, patch: UpdateEndpointInput): Promise<Endpoint> {
    return this.#call({ method: 'PATCH', path: `v1/endpoints/${segment(id, 'id')}`, body: patch, idempotent: false });
  }

  /**
   * @example
   * await herald.endpoints.delete(id);
   */
  async delete(id: string): Promise<void> {
    await this.#call({ method: 'DELETE', path: `v1/endpoints/${segment(id, 'id')}`, idempotent: true });
  }

  /**
   * The current secret, and the previous one while it still signs.
   *
   * @example
   * const { secret, previous } = await herald.endpoints.getSecret(id);
   */
  getSecret(id: string): Promise<EndpointSecrets> {
    return this.#call({ method: 'GET', path: `v1/endpoints/${segment(id, 'id')}/secret`, idempotent: true });
  }

  /**
   * Makes a new secret current; the previous one keeps signing (a second `v1`) for the grace period.
   *
   * @example
   * const { secret } = await herald.endpoints.rotateSecret(id, { grace_seconds: 3600 });
   */
  rotateSecret(id: string, input: RotateSecretInput = {}): Promise<EndpointSecrets> {
    return this.#call({ method: 'POST', path: `v1/endpoints/${segment(id, 'id')}/secret/rotate`, body: input, idempotent: false });
  }

  /**
   * Ends the previous secret's grace period now: deliveries carry only the current secret's `v1`.
   *
   * @example
   * await herald.endpoints.revokePreviousSecret(id);
   */
  async revokePreviousSecret(id: string): Promise<void> {
    await this.#call({ method: 'DELETE', path: `v1/endpoints/${segment(id, 'id')}/secret/previous`, idempotent: true });
  }

  /**
   * Sends the catalog example of `event` (default: the endpoint's first subscribed type) to this
   * endpoint only, as a new event delivered and logged like any other.
   *
   * @example
   * const { id: eventId } = await herald.endpoints.sendTest(id, { event: 'user.new' });
   */
  sendTest(id: string, input: { event?: string } = {}): Promise<PublishResult> {
    return this.#call({ method: 'POST', path: `v1/endpoints/${segment(id, 'id')}/test`, body: input, idempotent: false });
  }

  /**
   * Sends again, once each, every delivery to this endpoint that ended `failed` in the window, as a
   * new delivery of the same event (same envelope id). Recovering a window twice sends nothing twice.
   * Refused (409) while the endpoint is disabled.
   *
   * @example
   * const recovery = await herald.endpoints.recover(id, { since: '2026-01-01T00:00:00Z' });
   */
  recover(id: string, input: RecoverInput): Promise<Recovery> {
    return this.#call({ method: 'POST', path: `v1/endpoints/${segment(id, 'id')}/recover`, body: input, idempotent: false });
  }

  /**
   * How many deliveries `recover` would send for the window now; sends nothing.
   *
   * @example
   * const { total } = await herald.endpoints.countRecoverable(id, { since: '2026-01-01T00:00:00Z' });
   */
  countRecoverable(id: string, input: RecoverInput): Promise<RecoveryCount> {
    return this.#call({
      method: 'POST',
      path: `v1/endpoints/${segment(id, 'id')}/recover`,
      body: { ...input, dry_run: true },
      idempotent: true,
    });
  }

  /**
   * A recovery's progress.
   *
   * @example
   * const { done, succeeded, failed } = await herald.endpoints.getRecovery(id, recoveryId);
   */
  getRecovery(id: string, recoveryId: string): Promise<Recovery> {
    return this.#call({
      method: 'GET',
      path: `v1/endpoints/${segment(id, 'id')}/recoveries/${segment(recoveryId, 'recoveryId')}`,
      idempotent: true,
    });
  }
}

export class EventsApi {
  readonly #call: Call;

  constructor(call: Call) {
    this.#call = call;
  }

  /**
   * Publishes an event; resolves once Herald has stored it and its deliveries. With an
   * `idempotency_key` the call is retried on network errors and 5xx (a repeat returns the original,
   * `duplicate: true`); without one it is sent once.
   *
   * @example
   * const { id } = await herald.events.publish({
   *   event: 'user.deleted',
   *   payload: { organization_id: 'org_1', user_id: 'u1', email: null, phone: null },
   *   idempotency_key: 'delete-u1',
   * });
   */
  publish<T extends string>(input: PublishInput<T>): Promise<PublishResult> {
    const idempotent = typeof input?.idempotency_key === 'string' && input.idempotency_key !== '';
    return this.#call({ method: 'POST', path: 'v1/events', body: input, idempotent });
  }

  /**
   * One page of events, newest first.
   *
   * @example
   * const page = await herald.events.list({ event_type: 'user.new', limit: 100 });
   * const next = page.next_cursor && (await herald.events.list({ cursor: page.next_cursor }));
   */
  list(query: ListEventsQuery = {}): Promise<Page<EventRecord>> {
    return this.#call({ method: 'GET', path: 'v1/events', query: { ...query }, idempotent: true });
  }

  /**
   * Every event matching `query`, page after page.
   *
   * @example
   * for await (const event of herald.events.listAll({ since: new Date(Date.now() - 3_600_000) })) console.log(event.id);
   */
  listAll(query: Omit<ListEventsQuery, 'cursor'> = {}): AsyncGenerator<EventRecord> {
    return paginate((cursor) => this.list({ ...query, ...cursor }));
  }

  /**
   * An event with its payload and its deliveries.
   *
   * @example
   * const { deliveries } = await herald.events.get(eventId);
   */
  get(id: string): Promise<EventWithDeliveries> {
    return this.#call({ method: 'GET', path: `v1/events/${segment(id, 'id')}`, idempotent: true });
  }
}

export class DeliveriesApi {
  readonly #call: Call;

  constructor(call: Call) {
    this.#call = call;
  }

  /**
   * One page of deliveries, newest first.
   *
   * @example
   * const { data: failed } = await herald.deliveries.list({ status: 'failed', endpoint_id: id });
   */
  list(query: ListDeliveriesQuery = {}): Promise<Page<Delivery>> {
    return this.#call({ method: 'GET', path: 'v1/deliveries', query: { ...query }, idempotent: true });
  }

  /**
   * Every delivery matching `query`, page after page.
   *
   * @example
   * for await (const delivery of herald.deliveries.listAll({ status: 'failed' })) await herald.deliveries.resend(delivery.id);
   */
  listAll(query: Omit<ListDeliveriesQuery, 'cursor'> = {}): AsyncGenerator<Delivery> {
    return paginate((cursor) => this.list({ ...query, ...cursor }));
  }

  /**
   * A delivery with every attempt (status code or error, response body, timing, request headers).
   *
   * @example
   * const { attempts } = await herald.deliveries.get(deliveryId);
   */
  get(id: string): Promise<DeliveryWithAttempts> {
    return this.#call({ method: 'GET', path: `v1/deliveries/${segment(id, 'id')}`, idempotent: true });
  }

  /**
   * Sends the event to the same endpoint again: a new delivery, a fresh attempt series, the same
   * envelope id (so receivers that deduplicate skip it if they processed it).
   *
   * @example
   * const resent = await herald.deliveries.resend(deliveryId);
   */
  resend(id: string): Promise<Delivery> {
    return this.#call({ method: 'POST', path: `v1/deliveries/${segment(id, 'id')}/resend`, idempotent: false });
  }
}

export class EventTypesApi {
  readonly #call: Call;

  constructor(call: Call) {
    this.#call = call;
  }

  /**
   * The catalog: every event type with its payload JSON Schema and an example.
   *
   * @example
   * const names = (await herald.eventTypes.list()).map((type) => type.name);
   */
  list(): Promise<EventType[]> {
    return this.#call({ method: 'GET', path: 'v1/event-types', idempotent: true });
  }
}

export class OrganizationsApi {
  readonly #call: Call;

  constructor(call: Call) {
    this.#call = call;
  }

  /**
   * Creates an organization for one of your customers. Needs the operator key.
   *
   * @example
   * const acme = await herald.organizations.create({ uid: 'acme', name: 'Acme Inc', metadata: { plan: 'pro' } });
   */
  create(input: CreateOrganizationInput): Promise<Organization> {
    return this.#call({ method: 'POST', path: 'v1/organizations', body: input, idempotent: false });
  }

  /**
   * One page of organizations, oldest first; `uid` finds one by your id.
   *
   * @example
   * const { data: [acme] } = await herald.organizations.list({ uid: 'acme' });
   */
  list(query: ListOrganizationsQuery = {}): Promise<Page<Organization>> {
    return this.#call({ method: 'GET', path: 'v1/organizations', query: { ...query }, idempotent: true });
  }

  /**
   * Every organization, page after page.
   *
   * @example
   * for await (const org of herald.organizations.listAll()) console.log(org.uid, org.name);
   */
  listAll(query: Omit<ListOrganizationsQuery, 'cursor'> = {}): AsyncGenerator<Organization> {
    return paginate((cursor) => this.list({ ...query, ...cursor }));
  }

  /**
   * @example
   * const acme = await herald.organizations.get('acme'); // id or uid
   */
  get(org: string): Promise<Organization> {
    return this.#call({ method: 'GET', path: `v1/organizations/${segment(org, 'org')}`, idempotent: true });
  }

  /**
   * @example
   * await herald.organizations.update('acme', { name: 'Acme Corp' });
   */
  update(org: string, patch: UpdateOrganizationInput): Promise<Organization> {
    return this.#call({ method: 'PATCH', path: `v1/organizations/${segment(org, 'org')}`, body: patch, idempotent: false });
  }

  /**
   * Deletes the organization with its endpoints, events, deliveries and keys.
   *
   * @example
   * await herald.organizations.delete('acme');
   */
  async delete(org: string): Promise<void> {
    await this.#call({ method: 'DELETE', path: `v1/organizations/${segment(org, 'org')}`, idempotent: true });
  }
}

export class ApiKeysApi {
  readonly #call: Call;

  constructor(call: Call) {
    this.#call = call;
  }

  /**
   * Creates a key; the answer is the only time `key` is shown.
   *
   * @example
   * const { key } = await herald.forOrganization('acme').apiKeys.create({ scope: 'publish', name: 'backend' });
   */
  create(input: CreateApiKeyInput): Promise<ApiKeyWithKey> {
    const body = input.expires_at instanceof Date ? { ...input, expires_at: input.expires_at.toISOString() } : input;
    return this.#call({ method: 'POST', path: 'v1/api-keys', body, idempotent: false });
  }

  /**
   * The keys that are not revoked, newest first.
   *
   * @example
   * const keys = await herald.apiKeys.list();
   */
  async list(): Promise<ApiKey[]> {
    return (await this.#call<{ data: ApiKey[] }>({ method: 'GET', path: 'v1/api-keys', idempotent: true })).data;
  }

  /**
   * Revokes a key: every Herald process refuses it within a second.
   *
   * @example
   * await herald.apiKeys.revoke(keyId);
   */
  async revoke(id: string): Promise<void> {
    await this.#call({ method: 'DELETE', path: `v1/api-keys/${segment(id, 'id')}`, idempotent: true });
  }
}

/** Follows `next_cursor` from the first page to the last, yielding every item. */
async function* paginate<T>(fetchPage: (cursor: { cursor?: string }) => Promise<Page<T>>): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor !== undefined ? { cursor } : {});
    yield* page.data;
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
}
