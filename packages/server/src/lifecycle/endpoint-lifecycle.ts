/**
 * Applies the failing-endpoint ladder (`policy.ts`) in two ways:
 *
 * - after each attempt (`afterAttempt`, called by the dispatcher once the attempt is recorded): the
 *   failing streak, `410 Gone` → disabled at once, and `delivery.exhausted` (coalesced per endpoint);
 * - in a periodic sweep (`sweep`, every `sweepIntervalMs`, in every dispatcher process): warnings
 *   and disables that time has made due, held-back `delivery.exhausted` notices whose window ended,
 *   and the pending backlog of endpoints disabled as `gone` or `failing`, which is ended `failed`
 *   with error kind `endpoint_disabled` in batches of `FAIL_BATCH` (recoverable later).
 *
 * Each "once" is decided by a conditional update in the store, so any number of processes may run
 * the sweep; on PostgreSQL a sweep passes over endpoint rows another transaction holds (`SKIP
 * LOCKED`), and the next sweep takes them. Streak changes and exhausted deliveries are batched per
 * turn of the event loop, like attempt records: with every attempt to a failing endpoint exhausting a
 * delivery, one write each took the write lock hundreds of times a second (bench/isolation.ts). They
 * are written after the attempt's own record, not with it: a crash in between can miss one count,
 * which a ladder measured in hours and days tolerates.
 *
 * Nothing here throws into the dispatcher: a failure is logged at `error` with what it was about, and
 * nothing it leaves undone is dropped while the process lives. Due warnings and disables stay due for
 * the next sweep; a streak batch that failed to be written is kept, in order, for the next write; and
 * an event whose state change is already committed (`warned_at` set, the endpoint disabled, an
 * exhaustion notice taken) but whose publishing failed is kept and published again by the next sweep
 * — otherwise the conditional update would make sure it is never sent. Kept work lives in memory: a
 * crash before the retry still loses it.
 */
import type { Logger } from 'pino';
import { isOperationalEventType } from '../catalog/operational-events.js';
import type { Clock } from '../clock.js';
import { GroupCommitter } from '../group-commit.js';
import { isStorageUnavailable } from '../store/storage-errors.js';
import type { DeliveryExhaustion, EndpointHealthChange, ExhaustionNotice, Store } from '../store/store.js';
import type { OperationalEvent, OperationalPublisher } from './operational-events.js';
import {
  attemptConsequences,
  disableCutoff,
  disableDueAt,
  validateLifecyclePolicy,
  warnCutoff,
  type FinishedAttempt,
  type LifecyclePolicy,
} from './policy.js';

/** Rows one sweep step handles per statement, so no step holds the database for long. */
const SWEEP_BATCH = 100;
const FAIL_BATCH = 500;
/** At most this many batches of a disabled endpoint's backlog per sweep; the next sweep goes on. */
const FAIL_ROUNDS = 20;
/** Streak changes kept while their writes fail; beyond this the oldest are dropped (and logged). */
const MAX_UNWRITTEN_HEALTH = 10_000;
/** Most exhausted deliveries counted in one write. */
const EXHAUSTION_BATCH = 500;

/** Names what a failure was about in its log line. */
type LogContext = Record<string, unknown>;

/** Publishing one operational event whose state change is already committed; kept until it succeeds. */
interface Notice {
  what: string;
  context: LogContext;
  send: () => Promise<void>;
}

export interface EndpointLifecycleOptions {
  store: Store;
  logger: Logger;
  clock: Clock;
  policy: LifecyclePolicy;
  publisher: OperationalPublisher;
}

export class EndpointLifecycle {
  private readonly store: Store;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly policy: LifecyclePolicy;
  private readonly publisher: OperationalPublisher;
  private healthChanges: EndpointHealthChange[] = [];
  private writingHealth: Promise<void> | null = null;
  /** Exhausted deliveries of one turn of the event loop, counted in one write. */
  private readonly exhaustions: GroupCommitter<DeliveryExhaustion, ExhaustionNotice | null>;
  /** Notices whose publishing failed, for the next sweep. */
  private unsent: Notice[] = [];
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;

  constructor(options: EndpointLifecycleOptions) {
    this.store = options.store;
    this.logger = options.logger;
    this.clock = options.clock;
    this.policy = validateLifecyclePolicy(options.policy);
    this.publisher = options.publisher;
    this.exhaustions = new GroupCommitter(
      (batch) => this.store.noteExhaustedDeliveries(batch, this.policy.exhaustedWindowMs),
      EXHAUSTION_BATCH,
      isStorageUnavailable,
    );
  }

  /** Runs `sweep` every `sweepIntervalMs` until `stop`. */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.sweep(), this.policy.sweepIntervalMs);
    this.timer.unref();
  }

  /**
   * Stops the sweeps and waits for the one running and for streak changes still being written; what
   * is still kept after one more try is lost, and logged as such.
   */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.sweeping;
    await this.exhaustions.drain();
    await this.retryKept();
    while (this.writingHealth) await this.writingHealth;
    if (this.unsent.length > 0 || this.healthChanges.length > 0) {
      this.logger.error(
        { unsent: this.unsent.map((notice) => ({ what: notice.what, ...notice.context })), unwrittenStreakChanges: this.healthChanges.length },
        'endpoint lifecycle stopped with work it could not write or publish; it is lost',
      );
    }
  }

  /**
   * What a recorded attempt means for its endpoint. Resolves once its consequences are written and
   * published; never rejects. `organizationId`, `deliveryId`, `eventType` name the attempt's delivery.
   */
  async afterAttempt(attempt: FinishedAttempt & { organizationId: string; deliveryId: string; eventType: string }): Promise<void> {
    const consequences = attemptConsequences(attempt);
    const context = { organizationId: attempt.organizationId, endpointId: attempt.endpointId, deliveryId: attempt.deliveryId };
    const steps: Array<Promise<unknown>> = [];
    if (consequences.health) steps.push(this.recordHealth(consequences.health));
    if (consequences.gone) steps.push(this.guard('disabling a gone endpoint', context, () => this.disableGone(attempt.organizationId, attempt.endpointId, attempt.at)));
    // Not for deliveries of operational events themselves: their failures would feed more of them.
    if (consequences.exhausted && !isOperationalEventType(attempt.eventType)) {
      steps.push(this.guard('noting an exhausted delivery', context, async () => {
        const notice = await this.exhaustions.submit({ endpointId: attempt.endpointId, deliveryId: attempt.deliveryId, at: attempt.at });
        if (notice) await this.sendExhausted(notice);
      }));
    }
    await Promise.all(steps);
  }

  /** One pass of the periodic step (see the header). Concurrent calls share the pass under way. */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  /** Each step guarded on its own: one that fails (a busy database) does not keep the others from their turn. */
  private async sweepOnce(): Promise<void> {
    await this.retryKept();
    const now = this.clock.now();
    const warnBefore = warnCutoff(this.policy, now);
    if (warnBefore !== null) {
      await this.guard('warning failing endpoints', { failingSinceAtMost: warnBefore }, async () => {
        for (const endpoint of await this.store.warnFailingEndpoints(warnBefore, now, SWEEP_BATCH)) {
          this.logger.warn({ endpointId: endpoint.id, failingSince: endpoint.health.failingSince }, 'endpoint failing; sending endpoint.failing');
          const disableAt = endpoint.health.failingSince === null ? null : disableDueAt(this.policy, endpoint.health.failingSince);
          await this.publish({ type: 'endpoint.failing', endpoint, disableAt });
        }
      });
    }
    const disableBefore = disableCutoff(this.policy, now);
    if (disableBefore !== null) {
      await this.guard('disabling failing endpoints', { failingSinceAtMost: disableBefore }, async () => {
        const disabled = await this.store.disableFailingEndpoints(disableBefore, this.policy.minFailedDeliveries, now, SWEEP_BATCH);
        for (const endpoint of disabled) {
          this.logger.warn({ endpointId: endpoint.id, failingSince: endpoint.health.failingSince }, 'endpoint disabled: failing');
          await this.publish({ type: 'endpoint.disabled', endpoint, reason: 'failing' });
        }
      });
    }
    await this.guard('taking held-back delivery.exhausted notices', {}, async () => {
      for (const notice of await this.store.takeHeldBackExhaustions(now, this.policy.exhaustedWindowMs, SWEEP_BATCH)) {
        await this.sendExhausted(notice);
      }
    });
    await this.guard('failing the backlog of disabled endpoints', {}, () => this.failDisabledBacklog(now));
  }

  /** Publishes again what earlier publishing left unsent, and writes streak changes left unwritten. */
  private async retryKept(): Promise<void> {
    for (const notice of this.unsent.splice(0)) await this.send(notice);
    if (this.healthChanges.length > 0) await (this.writingHealth ??= this.writeHealth());
  }

  private async failDisabledBacklog(now: number): Promise<void> {
    for (let round = 0; round < FAIL_ROUNDS; round++) {
      const failed = await this.store.failDeliveriesOfDisabledEndpoints(now, FAIL_BATCH);
      if (failed > 0) this.logger.info({ failed }, 'failed the pending deliveries of disabled endpoints (endpoint_disabled)');
      if (failed < FAIL_BATCH) break;
    }
  }

  private async disableGone(organizationId: string, endpointId: string, now: number): Promise<void> {
    const endpoint = await this.store.disableEndpoint(organizationId, endpointId, 'gone', now);
    if (endpoint === null) return;
    this.logger.warn({ endpointId }, 'endpoint answered 410 Gone: disabled');
    await this.publish({ type: 'endpoint.disabled', endpoint, reason: 'gone' });
    // Its backlog is ended now, not at the next sweep.
    await this.failDisabledBacklog(now);
  }

  /** Publishes `event`, whose state change is committed; kept for the next sweep if that fails. */
  private publish(event: OperationalEvent): Promise<void> {
    const { organizationId, id: endpointId } = event.endpoint;
    return this.send({ what: `publishing ${event.type}`, context: { organizationId, endpointId }, send: () => this.publisher.publish(event) });
  }

  /** The notice's count was taken from the endpoint row: kept for the next sweep if loading or publishing fails. */
  private sendExhausted(notice: ExhaustionNotice): Promise<void> {
    return this.send({
      what: 'publishing delivery.exhausted',
      context: { organizationId: notice.organizationId, endpointId: notice.endpointId, deliveryId: notice.deliveryId, count: notice.count },
      send: async () => {
        const [endpoint, delivery] = await Promise.all([
          this.store.getEndpoint(notice.organizationId, notice.endpointId),
          this.store.getDelivery(notice.organizationId, notice.deliveryId),
        ]);
        if (endpoint === null || delivery === null) return;
        await this.publisher.publish({ type: 'delivery.exhausted', endpoint, delivery, count: notice.count, windowMs: this.policy.exhaustedWindowMs });
      },
    });
  }

  private async send(notice: Notice): Promise<void> {
    if (!(await this.guard(notice.what, { ...notice.context, retry: 'at the next sweep' }, notice.send))) this.unsent.push(notice);
  }

  /** Queues a streak change; written with the others of this turn of the event loop. */
  private recordHealth(change: EndpointHealthChange): Promise<void> {
    this.healthChanges.push(change);
    this.writingHealth ??= this.writeHealth();
    return this.writingHealth;
  }

  /**
   * Changes queued while a write is under way go in the next one, before anyone waiting is let go. A
   * batch that fails goes back in front of those, in order, for the next write (the next attempt's or
   * the next sweep's): a lost failure could keep its endpoint from ever being warned or disabled.
   */
  private async writeHealth(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.healthChanges.length > 0) {
      const batch = this.healthChanges.splice(0);
      const endpointIds = [...new Set(batch.map((change) => change.endpointId))];
      const written = await this.guard('recording endpoint failing streaks', { endpointIds, changes: batch.length, retry: 'at the next write' }, () =>
        this.store.recordEndpointHealth(batch),
      );
      if (!written) {
        this.healthChanges = batch.concat(this.healthChanges);
        this.dropOldestHealthChanges();
        break;
      }
    }
    this.writingHealth = null;
  }

  private dropOldestHealthChanges(): void {
    const excess = this.healthChanges.length - MAX_UNWRITTEN_HEALTH;
    if (excess <= 0) return;
    const dropped = this.healthChanges.splice(0, excess);
    this.logger.error(
      { dropped: dropped.length, endpointIds: [...new Set(dropped.map((change) => change.endpointId))] },
      'too many unwritten endpoint streak changes; the oldest are dropped',
    );
  }

  /** Runs `run`; a failure is logged at `error` with `context`. Resolves with whether it succeeded. */
  private async guard(what: string, context: LogContext, run: () => Promise<unknown>): Promise<boolean> {
    try {
      await run();
      return true;
    } catch (error) {
      this.logger.error({ err: error, ...context }, `${what} failed`);
      return false;
    }
  }
}
