import type { TestContext } from 'node:test';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Dispatcher, type DispatcherOptions } from '../../src/dispatch/dispatcher.js';
import { DEFAULT_RETRY_POLICY } from '../../src/dispatch/retry-policy.js';
import type { Clock } from '../../src/clock.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import type { Attempt, Delivery, Endpoint, NewEndpoint, NewEvent, Store } from '../../src/store/store.js';
import { startReceiver, type Receiver, type Responder } from '../../../../test-support/receiver.js';
import {
  createOrganization,
  manualClock,
  newEndpoint,
  newEvent,
  openTempStore,
  type ManualClock,
} from '../helpers/fixtures.js';

export interface DispatchHarness {
  store: Store;
  clock: ManualClock;
  organizationId: string;
  metrics: Metrics;
  /** Log lines the dispatcher wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  receiver(responder?: Responder): Promise<Receiver>;
  endpoint(overrides?: Partial<NewEndpoint>): Promise<{ endpoint: Endpoint; secret: string }>;
  /** Publishes one event; returns its deliveries, one per subscribed endpoint. */
  publish(overrides?: Partial<NewEvent>): Promise<{ event: NewEvent; deliveries: Delivery[] }>;
  /** Starts a dispatcher (stopped again when the test ends). */
  dispatcher(options?: Partial<DispatcherOptions>): Dispatcher;
  delivery(id: string): Promise<Delivery>;
  /** Resolves with the delivery's attempts once it has at least `count` recorded. */
  attempts(deliveryId: string, count: number): Promise<Attempt[]>;
  /** Resolves with the delivery once `predicate` holds for it. */
  deliveryWhere(id: string, predicate: (delivery: Delivery) => boolean): Promise<Delivery>;
}

/**
 * A temp SQLite store, a manual clock at T0, an organization, and helpers that clean up after the test.
 * The dispatchers it starts poll only once a minute, so everything a test sees happens because of a
 * notification (publish, a written result, or `notify()` after the test moves the clock).
 */
export async function dispatchHarness(t: TestContext): Promise<DispatchHarness> {
  const { store, dispose } = await openTempStore();
  const clock = manualClock();
  const org = await createOrganization(store, clock);
  const metrics = createMetrics();
  const logs: Array<Record<string, unknown>> = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: 'debug' }, logStream);
  const receivers: Receiver[] = [];
  const dispatchers: Dispatcher[] = [];

  t.after(async () => {
    // A test may have made stop() fail on purpose; cleanup goes on regardless.
    await Promise.allSettled(dispatchers.map((d) => d.stop({ deadlineMs: 0 })));
    await Promise.all(receivers.map((r) => r.close()));
    await dispose();
  });

  const harness: DispatchHarness = {
    store,
    clock,
    organizationId: org.id,
    metrics,
    logs,
    async receiver(responder) {
      const receiver = await startReceiver(responder);
      receivers.push(receiver);
      return receiver;
    },
    async endpoint(overrides = {}) {
      const input = newEndpoint(org.id, overrides);
      return { endpoint: await store.createEndpoint(input), secret: input.secret };
    },
    async publish(overrides = {}) {
      const event = newEvent(org.id, { createdAt: clock.now(), ...overrides });
      const [result] = await store.publishEvents([event]);
      return { event, deliveries: result!.deliveries };
    },
    dispatcher(options = {}) {
      const dispatcher = new Dispatcher({
        store,
        logger,
        clock: clock as Clock,
        policy: DEFAULT_RETRY_POLICY,
        pollIntervalMs: 60_000,
        allowPrivateNetworks: true,
        userAgent: 'Herald/0.0.0-test',
        metrics,
        ...options,
      });
      dispatchers.push(dispatcher);
      dispatcher.start();
      return dispatcher;
    },
    async delivery(id) {
      const delivery = await store.getDelivery(org.id, id);
      if (!delivery) throw new Error(`no delivery ${id}`);
      return delivery;
    },
    async attempts(deliveryId, count) {
      return waitFor(`${count} recorded attempts of ${deliveryId}`, async () => {
        const attempts = await store.listAttempts(deliveryId);
        return attempts.length >= count ? attempts : undefined;
      });
    },
    async deliveryWhere(id, predicate) {
      return waitFor(`delivery ${id} to reach the expected state`, async () => {
        const delivery = await harness.delivery(id);
        return predicate(delivery) ? delivery : undefined;
      });
    },
  };
  return harness;
}

/**
 * The real store with some methods replaced (to count calls or to make the database fail); every
 * other method is the store's own.
 */
export function interceptStore(store: Store, overrides: Partial<Store>): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const override: unknown = Reflect.get(overrides, property);
      if (override !== undefined) return override;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Polls `probe` until it returns a value. A wait for a condition, not a timing assertion. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > giveUpAt) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Gives the dispatcher's loop a moment to act on a notification (used before asserting that nothing happened). */
export function settle(ms = 100): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
