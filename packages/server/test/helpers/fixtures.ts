import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { apiKeyDisplayPrefix, generateApiKey, hashApiKey } from '../../src/api/api-keys.js';
import { buildApp, type AppDeps } from '../../src/api/app.js';
import type { Catalog } from '../../src/catalog/catalog.js';
import { loadCatalog } from '../../src/catalog/load-catalog.js';
import type { Clock } from '../../src/clock.js';
import { uuidv7 } from '../../src/ids.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { createPublisher, type Publisher } from '../../src/publish/publisher.js';
import { openTestStore } from '../store/test-stores.js';
import type { NewEndpoint, NewEvent, Store } from '../../src/store/store.js';
import { generateEndpointSecret } from '../../src/api/secrets.js';
import { makeTempDir } from '../../../../test-support/temp-dir.js';

/** 2026-01-01T00:00:00Z: tests start their clocks here. */
export const T0 = Date.UTC(2026, 0, 1);

export interface ManualClock extends Clock {
  advance(ms: number): void;
}

export function manualClock(start = T0): ManualClock {
  let now = start;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

/** A fresh store: a temp SQLite file, or a PostgreSQL schema under `HERALD_TEST_STORE=postgres`. */
export const openTempStore = openTestStore;

/** The path of a SQLite file not yet created, in a temp directory removed after the test. */
export function tempSqlitePath(t: TestContext): string {
  const dir = makeTempDir();
  t.after(dir.remove);
  return join(dir.path, 'herald.db');
}

export interface TestOrganization {
  id: string;
  apiKey: string;
  /** `Authorization: Bearer <key>`, ready to spread into inject headers. */
  headers: Record<string, string>;
}

export async function createOrganization(store: Store, clock: Clock = manualClock(), name = 'Acme'): Promise<TestOrganization> {
  const id = uuidv7(clock.now());
  await store.createOrganization({ id, name, createdAt: clock.now() });
  const apiKey = generateApiKey();
  await store.createApiKey(
    { id: uuidv7(clock.now()), organizationId: id, prefix: apiKeyDisplayPrefix(apiKey), createdAt: clock.now() },
    hashApiKey(apiKey),
  );
  return { id, apiKey, headers: { authorization: `Bearer ${apiKey}` } };
}

export interface TestApi {
  app: FastifyInstance;
  store: Store;
  catalog: Catalog;
  publisher: Publisher;
  metrics: Metrics;
  clock: ManualClock;
  /** The organization most tests act as. */
  org: TestOrganization;
  /** `app.inject` as `org`, JSON in and out. */
  request(method: InjectOptions['method'], url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  dispose(): Promise<void>;
}

/** The whole API on a temp SQLite file, a manual clock and one organization with an API key. */
export async function createTestApi(overrides: Partial<AppDeps> = {}): Promise<TestApi> {
  const { store, dispose } = await openTempStore();
  const clock = manualClock();
  const catalog = loadCatalog();
  const metrics = createMetrics();
  const publisher = createPublisher({ store, catalog, clock, metrics });
  const app = buildApp({ store, catalog, publisher, metrics, clock, version: '0.0.0-test', ...overrides });
  const org = await createOrganization(store, clock);
  return {
    app,
    store,
    catalog,
    publisher,
    metrics,
    clock,
    org,
    request: (method, url, body, headers = org.headers) =>
      app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }) }),
    async dispose() {
      await app.close();
      await dispose();
    },
  };
}

/** A valid `POST /v1/endpoints` body; change one field per test. */
export function endpointBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { url: 'http://127.0.0.1:9/webhooks', events: ['user.new'], description: 'CRM sync', ...overrides };
}

/** The wire spec's documented `user.new` payload, field order included. */
export function userNewPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    organization_id: 'uuid',
    user_id: 'uuid',
    email: 'user@example.com',
    phone: '+14155552671',
    full_name: 'John Doe',
    ...overrides,
  };
}

/** A valid `POST /v1/events` body; change one field per test. */
export function publishBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { event: 'user.new', payload: userNewPayload(), ...overrides };
}

/** How many events and deliveries the organization has: proves a rejected request wrote nothing. */
export async function countRows(store: Store, organizationId: string): Promise<{ events: number; deliveries: number }> {
  const events = await store.listEvents({ organizationId, limit: 10_000 });
  const deliveries = await store.listDeliveries({ organizationId, limit: 10_000 });
  return { events: events.items.length, deliveries: deliveries.items.length };
}

/** A valid `store.createEndpoint` input, subscribed to every event type; change one field per test. */
export function newEndpoint(organizationId: string, overrides: Partial<NewEndpoint> = {}): NewEndpoint {
  const createdAt = overrides.createdAt ?? T0;
  return {
    id: uuidv7(createdAt),
    organizationId,
    url: 'http://127.0.0.1:9/webhooks',
    description: 'CRM sync',
    events: ['*'],
    enabled: true,
    signatureScheme: 'contactsmanager',
    secret: generateEndpointSecret(),
    createdAt,
    ...overrides,
  };
}

/** A valid `store.publishEvents` input: the wire spec's `user.new`, created at T0; change one field per test. */
export function newEvent(organizationId: string, overrides: Partial<NewEvent> = {}): NewEvent {
  const createdAt = overrides.createdAt ?? T0;
  return {
    id: uuidv7(createdAt),
    organizationId,
    type: 'user.new',
    payloadJson: JSON.stringify(userNewPayload({ organization_id: organizationId })),
    idempotencyKey: null,
    createdAt,
    idempotencyExpiresAt: createdAt + 24 * 60 * 60 * 1000,
    ...overrides,
  };
}

/**
 * Plays the dispatcher without sending anything: claims every due delivery and records one final
 * attempt answered with `statusCode`. Returns how many deliveries it finished.
 */
export async function finishDueDeliveries(store: Store, clock: Clock, statusCode: number): Promise<number> {
  const now = clock.now();
  const claimed = await store.claimDueDeliveries({ leaseOwner: 'test', limit: 1000, leaseMs: 30_000, now, perEndpointLimit: 1000 });
  const ok = statusCode >= 200 && statusCode < 300;
  await store.recordAttempts(
    claimed.map((c) => ({
      deliveryId: c.deliveryId,
      leaseOwner: 'test',
      attempt: {
        number: c.attempt,
        startedAt: now,
        durationMs: 12,
        statusCode,
        errorKind: ok ? null : 'http_status',
        errorMessage: ok ? null : `HTTP ${statusCode}`,
        responseBody: ok ? 'ok' : 'nope',
        responseBodyTruncated: false,
        responseBodySanitized: false,
        requestHeaders: { 'x-webhook-id': c.eventId, 'x-webhook-attempt': String(c.attempt) },
        succeeded: ok,
        final: true,
      },
      nextAttemptAt: null,
      recordedAt: now + 12,
    })),
  );
  return claimed.length;
}
