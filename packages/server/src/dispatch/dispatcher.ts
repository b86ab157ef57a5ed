/**
 * The dispatcher: a small worker loop that leases due deliveries, sends their attempts, and records
 * the results.
 *
 * States: `idle` (built, not started) → `running` → `stopping` → `stopped`.
 * - running: claim up to `min(batchSize, free slots)` deliveries, start each attempt without waiting
 *   for it (at most `concurrency` at once; the store keeps each endpoint to `perEndpointConcurrency`
 *   leases, so a slow endpoint cannot take every slot), and claim again. When nothing is due, sleep
 *   until the next delivery is due or the poll interval ends, whichever is first; `notify()`, the
 *   store's `onDeliveriesDue`, and finished attempts cut the sleep short.
 *   Finished attempts are recorded in batches, and each batch's write also claims deliveries for the
 *   slots it frees (`refill`): under steady load, one write per batch both records and refills,
 *   instead of a record and then a claim of its own.
 * - stopping: claim nothing more; attempts in flight may finish until the deadline; the rest are
 *   aborted and their leases released, so they are due again at once for the next process. Every
 *   cleanup step runs even when an earlier one fails. The store is the owner's to close.
 *
 * Each recorded attempt is also handed to the endpoint lifecycle (`src/lifecycle/`: failing streaks,
 * 410 disables, delivery.exhausted), whose periodic sweep runs while the dispatcher does.
 *
 * Every scheduling decision (claim time, attempt start, failure time, next attempt) reads the
 * injected clock, so tests can drive time; durations are measured on the monotonic clock.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import { ConfigError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { AttemptRecord, ClaimedDelivery, Store } from '../store/store.js';
import { observeAttempt } from './attempt-metrics.js';
import { AttemptRecorder, type Refill } from './attempt-recorder.js';
import { storableAttempt } from './storable-attempt.js';
import { DEFAULT_CIRCUIT, endpointSignal, type CircuitPolicy } from './endpoint-circuit.js';
import { buildDeliveryRequest } from './request.js';
import type { EndpointLifecycle } from '../lifecycle/endpoint-lifecycle.js';
import { answeredGone } from '../lifecycle/policy.js';
import { endpointRetryPolicy, nextAttemptAt, requestedWaitMs, validateRetryPolicy, type EndpointPolicyCaps, type RetryPolicy } from './retry-policy.js';
import { createSender, type AttemptOutcome, type Sender } from './send.js';

export type DispatcherState = 'idle' | 'running' | 'stopping' | 'stopped';

export interface DispatcherOptions {
  store: Store;
  logger: Logger;
  clock?: Clock;
  policy: RetryPolicy;
  /**
   * Caps on an endpoint's own retry schedule and timeout (which replace `policy`'s for it). Default:
   * 10 attempts, and `policy.timeoutMs`.
   */
  endpointCaps?: Partial<EndpointPolicyCaps>;
  /** Attempts in flight at once, across all endpoints. Default 64. */
  concurrency?: number;
  /** Leases one endpoint may hold at once, across all dispatchers; its adaptive limit stays under it. Default 8. */
  perEndpointConcurrency?: number;
  /** The circuit breaker for endpoints that stop answering (`endpoint-circuit.ts`). */
  circuit?: Partial<Omit<CircuitPolicy, 'maxConcurrency'>>;
  /** Most deliveries claimed in one statement. Default: `concurrency`. */
  batchSize?: number;
  /** How long a claimed delivery stays leased. Default: the longest attempt timeout plus 30 s (`herald serve` sets 60 s). */
  leaseMs?: number;
  /** Longest sleep between looks for due deliveries. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Names this dispatcher on its leases. Default `<hostname>:<pid>:<random>`. */
  leaseOwner?: string;
  allowPrivateNetworks: boolean;
  /** `Herald/<version>`. */
  userAgent: string;
  metrics?: Metrics;
  /** Told of every recorded attempt (failing streaks, 410, delivery.exhausted); swept while running. */
  lifecycle?: EndpointLifecycle;
}

export interface StopOptions {
  /** How long attempts in flight may run on before they are aborted. */
  deadlineMs: number;
}

const RECORD_BATCH_MAX = 1000;

export class Dispatcher {
  private currentState: DispatcherState = 'idle';
  private readonly store: Store;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly policy: RetryPolicy;
  private readonly endpointCaps: EndpointPolicyCaps;
  private readonly concurrency: number;
  private readonly perEndpointConcurrency: number;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  readonly leaseOwner: string;
  private readonly userAgent: string;
  private readonly metrics: Metrics | undefined;
  private readonly lifecycle: EndpointLifecycle | undefined;
  private readonly sender: Sender;
  private readonly recorder: AttemptRecorder;
  private readonly inFlight = new Set<Promise<void>>();
  /**
   * One controller per attempt in flight, aborted at the shutdown deadline; `send` also aborts it at
   * the attempt's timeout.
   */
  private readonly attemptAborts = new Set<AbortController>();
  /** Leased deliveries to hand back at shutdown: aborted attempts, and claims that raced `stop()`. */
  private readonly toRelease: string[] = [];
  private notified = false;
  private wakeScheduled = false;
  private wake: (() => void) | null = null;
  private sleepTimer: NodeJS.Timeout | undefined;
  private sleepEndsAt = Number.POSITIVE_INFINITY;
  /** The earliest retry scheduled since the loop last looked; its sleep ends by then. */
  private retryDueBy = Number.POSITIVE_INFINITY;
  private loopDone: Promise<void> = Promise.resolve();
  private stopped: Promise<void> | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(options: DispatcherOptions) {
    this.store = options.store;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.policy = validateRetryPolicy(options.policy);
    this.endpointCaps = {
      maxAttempts: positiveInteger('endpointCaps.maxAttempts', options.endpointCaps?.maxAttempts ?? 10),
      maxTimeoutMs: positiveInteger('endpointCaps.maxTimeoutMs', options.endpointCaps?.maxTimeoutMs ?? this.policy.timeoutMs),
    };
    this.concurrency = positiveInteger('concurrency', options.concurrency ?? 64);
    this.perEndpointConcurrency = positiveInteger('perEndpointConcurrency', options.perEndpointConcurrency ?? 8);
    this.batchSize = positiveInteger('batchSize', options.batchSize ?? this.concurrency);
    this.leaseMs = positiveInteger('leaseMs', options.leaseMs ?? Math.max(this.policy.timeoutMs, this.endpointCaps.maxTimeoutMs) + 30_000);
    this.pollIntervalMs = positiveInteger('pollIntervalMs', options.pollIntervalMs ?? 1000);
    this.leaseOwner = options.leaseOwner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.userAgent = options.userAgent;
    this.metrics = options.metrics;
    this.lifecycle = options.lifecycle;
    this.sender = createSender({ allowPrivateNetworks: options.allowPrivateNetworks });
    const circuit: CircuitPolicy = {
      maxConcurrency: this.perEndpointConcurrency,
      openAfter: positiveInteger('circuit.openAfter', options.circuit?.openAfter ?? DEFAULT_CIRCUIT.openAfter),
      cooldownMs: positiveInteger('circuit.cooldownMs', options.circuit?.cooldownMs ?? DEFAULT_CIRCUIT.cooldownMs),
    };
    this.recorder = new AttemptRecorder(this.store, this.logger, this.clock, {
      retryDelayMs: this.pollIntervalMs,
      maxBatch: RECORD_BATCH_MAX,
      circuit,
      refill: this.refill,
    });
  }

  get state(): DispatcherState {
    return this.currentState;
  }

  start(): void {
    if (this.currentState !== 'idle') throw new Error(`cannot start a dispatcher that is ${this.currentState}`);
    this.currentState = 'running';
    this.unsubscribe = this.store.onDeliveriesDue(() => this.notify());
    this.loopDone = this.loop();
    this.lifecycle?.start();
  }

  /**
   * Look for due deliveries now instead of at the end of the current sleep. "Now" is the next turn of
   * the event loop: attempts whose results were written together all free their slots first, and
   * one claim fills them all, instead of one claim (one write transaction) per finished attempt.
   */
  notify(): void {
    this.notified = true;
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.wake?.();
    });
  }

  /** Stops gracefully (see the header). Calling it again returns the same promise. */
  stop({ deadlineMs }: StopOptions): Promise<void> {
    this.stopped ??= this.shutDown(deadlineMs);
    return this.stopped;
  }

  private async loop(): Promise<void> {
    while (this.currentState === 'running') {
      this.notified = false;
      this.retryDueBy = Number.POSITIVE_INFINITY;
      const free = this.concurrency - this.inFlight.size;
      if (free <= 0) {
        // A finished attempt either refills its slot or calls notify().
        await this.sleep(this.pollIntervalMs);
        continue;
      }
      const limit = Math.min(this.batchSize, free);
      let claimed: ClaimedDelivery[];
      try {
        claimed = await this.store.claimDueDeliveries({
          leaseOwner: this.leaseOwner,
          limit,
          leaseMs: this.leaseMs,
          now: this.clock.now(),
          perEndpointLimit: this.perEndpointConcurrency,
        });
      } catch (error) {
        this.logger.error({ err: error }, 'claiming due deliveries failed; trying again after the poll interval');
        await this.sleep(this.pollIntervalMs);
        continue;
      }
      if (this.currentState !== 'running') {
        this.toRelease.push(...claimed.map((delivery) => delivery.deliveryId));
        break;
      }
      for (const delivery of claimed) this.startAttempt(delivery);
      // A full batch means more may be due right now.
      if (claimed.length === limit) continue;
      await this.sleep(await this.untilNextDue());
    }
  }

  private async untilNextDue(): Promise<number> {
    let next: number | null;
    try {
      next = await this.store.nextDueAt();
    } catch (error) {
      this.logger.error({ err: error }, 'reading the next due time failed');
      return this.pollIntervalMs;
    }
    const now = this.clock.now();
    // Due but not claimed means its endpoint is at its concurrency limit: a finishing attempt or the
    // poll interval, whichever comes first, ends the wait.
    if (next === null || next <= now) return this.pollIntervalMs;
    return Math.min(next - now, this.pollIntervalMs);
  }

  private sleep(ms: number): Promise<void> {
    if (this.notified || this.currentState !== 'running') return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = (): void => {
        clearTimeout(this.sleepTimer);
        this.wake = null;
        this.sleepEndsAt = Number.POSITIVE_INFINITY;
        resolve();
      };
      this.endSleepAt(Math.min(this.clock.now() + ms, this.retryDueBy));
    });
  }

  private endSleepAt(at: number): void {
    clearTimeout(this.sleepTimer);
    this.sleepEndsAt = at;
    this.sleepTimer = setTimeout(() => this.wake?.(), Math.max(0, at - this.clock.now()));
  }

  /**
   * A retry is due at `at`: the loop's sleep ends by then. Not a look now, which would find nothing
   * new due: with every attempt to a failing endpoint scheduling a retry, a look per record batch
   * was a claim (a write) per batch, taking the write lock from everyone's publishes and records.
   */
  private wakeBy(at: number): void {
    this.retryDueBy = Math.min(this.retryDueBy, at);
    if (this.wake !== null && at < this.sleepEndsAt) this.endSleepAt(at);
  }

  /**
   * The claim written with a batch of records (`attempt-recorder.ts`): the slots those attempts free,
   * and any others free, are filled in the same write. A full claim means more may be due.
   */
  private readonly refill: Refill = {
    options: (finished) => {
      if (this.currentState !== 'running') return null;
      // A 410 disables its endpoint just after the write (the lifecycle); a claim inside the write
      // would still find it enabled and send it one more.
      if (finished.some((record) => answeredGone(record.attempt.statusCode))) return null;
      const limit = Math.min(this.batchSize, this.concurrency - this.inFlight.size + finished.length);
      if (limit <= 0) return null;
      return { leaseOwner: this.leaseOwner, limit, leaseMs: this.leaseMs, now: this.clock.now(), perEndpointLimit: this.perEndpointConcurrency };
    },
    claimed: (deliveries, limit) => {
      if (this.currentState !== 'running') {
        this.toRelease.push(...deliveries.map((delivery) => delivery.deliveryId));
        return;
      }
      for (const delivery of deliveries) this.startAttempt(delivery);
      if (deliveries.length === limit) this.notify();
    },
  };

  private startAttempt(delivery: ClaimedDelivery): void {
    const running: Promise<void> = this.attempt(delivery)
      .catch((error: unknown) => {
        // Only a bug gets here; the lease expires and the delivery is tried again.
        this.logger.error({ err: error, deliveryId: delivery.deliveryId }, 'delivery attempt crashed');
        return true;
      })
      .then((lookAgain) => {
        this.inFlight.delete(running);
        if (lookAgain) this.notify();
      });
    this.inFlight.add(running);
  }

  /** Resolves with whether the claim loop should look again: a slot is free, unless the record's own write refilled it. */
  private async attempt(delivery: ClaimedDelivery): Promise<boolean> {
    const startedAt = this.clock.now();
    const policy = endpointRetryPolicy(
      this.policy,
      { retrySchedule: delivery.endpointRetrySchedule, timeoutMs: delivery.endpointTimeoutMs },
      this.endpointCaps,
    );
    const request = buildDeliveryRequest(delivery, { timestamp: Math.floor(startedAt / 1000), userAgent: this.userAgent });
    const abort = new AbortController();
    this.attemptAborts.add(abort);
    const outcome = await this.sender
      .send({ ...request, timeoutMs: policy.timeoutMs, abort })
      .finally(() => this.attemptAborts.delete(abort));
    if (!outcome.ok && outcome.errorKind === 'aborted') {
      // Shutdown cut it short: not an attempt the receiver can be blamed for. Hand the lease back.
      this.toRelease.push(delivery.deliveryId);
      return true;
    }
    const finishedAt = this.clock.now();
    const next = outcome.ok ? null : nextAttemptAt(policy, delivery.attempt, finishedAt, outcome);
    if (this.metrics) observeAttempt(this.metrics, outcome, delivery.eventId, finishedAt);
    this.log(delivery, outcome, next);
    const record: AttemptRecord = {
      deliveryId: delivery.deliveryId,
      leaseOwner: this.leaseOwner,
      nextAttemptAt: next,
      recordedAt: finishedAt,
      attempt: {
        ...storableAttempt(outcome, { number: delivery.attempt, startedAt, requestHeaders: request.headers, final: next === null }),
        ...retryAfterFields(outcome, finishedAt, next),
      },
    };
    const refilled = await this.recorder.record(record, endpointSignal(delivery, outcome));
    if (next !== null) this.wakeBy(next);
    await this.lifecycle?.afterAttempt({
      organizationId: delivery.organizationId,
      endpointId: delivery.endpointId,
      deliveryId: delivery.deliveryId,
      eventType: delivery.eventType,
      succeeded: outcome.ok,
      ...(outcome.status === undefined ? {} : { status: outcome.status }),
      final: next === null,
      at: finishedAt,
    });
    return !refilled;
  }

  private log(delivery: ClaimedDelivery, outcome: AttemptOutcome, next: number | null): void {
    const fields = {
      deliveryId: delivery.deliveryId,
      endpointId: delivery.endpointId,
      eventId: delivery.eventId,
      attempt: delivery.attempt,
      durationMs: outcome.durationMs,
      status: outcome.status,
    };
    if (outcome.ok) {
      this.logger.debug(fields, 'delivered');
      return;
    }
    const failure = { ...fields, errorKind: outcome.errorKind, error: outcome.message, nextAttemptAt: next };
    this.logger.warn(failure, next === null ? 'delivery failed for good' : 'delivery attempt failed; will retry');
  }

  private async shutDown(deadlineMs: number): Promise<void> {
    const wasRunning = this.currentState === 'running';
    this.currentState = 'stopping';
    const errors: unknown[] = [];
    const step = async (what: string, run: () => Promise<unknown>): Promise<void> => {
      try {
        await run();
      } catch (error) {
        errors.push(error);
        this.logger.error({ err: error }, `dispatcher shutdown: ${what} failed`);
      }
    };

    this.unsubscribe?.();
    this.wake?.();
    if (wasRunning) {
      await step('finishing the claim loop', () => this.loopDone);
      await step('draining attempts in flight', () => this.drain(deadlineMs));
      if (this.inFlight.size > 0) {
        this.logger.warn({ aborted: this.inFlight.size, deadlineMs }, 'aborting attempts still in flight at the deadline');
      }
      for (const abort of this.attemptAborts) abort.abort();
      this.recorder.stopRetrying();
      await step('settling aborted attempts', () => Promise.allSettled([...this.inFlight]));
      await step('writing finished attempts', () => this.recorder.idle());
      if (this.lifecycle) await step('stopping the endpoint lifecycle', () => this.lifecycle!.stop());
      await step('releasing leases', () => this.releaseLeases());
    }
    await step('closing connection pools', () => this.sender.close());
    this.currentState = 'stopped';
    if (errors.length > 0) throw new AggregateError(errors, 'the dispatcher stopped, but some cleanup steps failed');
  }

  private async drain(deadlineMs: number): Promise<void> {
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadlineMs);
    });
    await Promise.race([Promise.allSettled([...this.inFlight]), deadline]);
    clearTimeout(timer);
  }

  private async releaseLeases(): Promise<void> {
    if (this.toRelease.length === 0) return;
    const ids = this.toRelease.splice(0);
    await this.store.releaseLeases(this.leaseOwner, ids, this.clock.now());
    this.logger.info({ released: ids.length }, 'released the leases of unfinished deliveries');
  }
}

/** The log's view of a `Retry-After`: the wait asked for, and the wait until the next attempt (none after the last). */
function retryAfterFields(outcome: AttemptOutcome, failedAt: number, next: number | null) {
  const requested = outcome.ok ? null : requestedWaitMs(outcome, failedAt);
  if (requested === null) return {};
  return { retryAfterRequestedMs: requested, retryAfterAppliedMs: next === null ? null : next - failedAt };
}

function positiveInteger(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigError(`${field} must be a positive whole number, got ${String(value)}`, { field });
  }
  return value;
}
