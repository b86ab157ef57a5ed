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
 * the sweep. Streak changes are batched per turn of the event loop, like attempt records. They are
 * written after the attempt's own record, not with it: a crash in between can miss one count, which
 * a ladder measured in hours and days tolerates. Nothing here throws into the dispatcher: a failure is
 * logged and the next sweep tries again.
 */
import type { Logger } from 'pino';
import { isOperationalEventType } from '../catalog/operational-events.js';
import type { Clock } from '../clock.js';
import type { EndpointHealthChange, ExhaustionNotice, Store } from '../store/store.js';
import type { OperationalPublisher } from './operational-events.js';
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
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;

  constructor(options: EndpointLifecycleOptions) {
    this.store = options.store;
    this.logger = options.logger;
    this.clock = options.clock;
    this.policy = validateLifecyclePolicy(options.policy);
    this.publisher = options.publisher;
  }

  /** Runs `sweep` every `sweepIntervalMs` until `stop`. */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.sweep(), this.policy.sweepIntervalMs);
    this.timer.unref();
  }

  /** Stops the sweeps and waits for the one running and for streak changes still being written. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.sweeping;
    while (this.writingHealth) await this.writingHealth;
  }

  /**
   * What a recorded attempt means for its endpoint. Resolves once its consequences are written and
   * published; never rejects. `organizationId`, `deliveryId`, `eventType` name the attempt's delivery.
   */
  async afterAttempt(attempt: FinishedAttempt & { organizationId: string; deliveryId: string; eventType: string }): Promise<void> {
    const consequences = attemptConsequences(attempt);
    const steps: Array<Promise<void>> = [];
    if (consequences.health) steps.push(this.recordHealth(consequences.health));
    if (consequences.gone) steps.push(this.guard('disabling a gone endpoint', () => this.disableGone(attempt.organizationId, attempt.endpointId, attempt.at)));
    // Not for deliveries of operational events themselves: their failures would feed more of them.
    if (consequences.exhausted && !isOperationalEventType(attempt.eventType)) {
      steps.push(this.guard('reporting an exhausted delivery', async () => {
        const notice = await this.store.noteExhaustedDelivery(attempt.endpointId, attempt.deliveryId, attempt.at, this.policy.exhaustedWindowMs);
        if (notice) await this.publishExhausted(notice);
      }));
    }
    await Promise.all(steps);
  }

  /** One pass of the periodic step (see the header). Concurrent calls share the pass under way. */
  sweep(): Promise<void> {
    this.sweeping ??= this.guard('the endpoint lifecycle sweep', () => this.sweepOnce()).finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    const now = this.clock.now();
    const warnBefore = warnCutoff(this.policy, now);
    if (warnBefore !== null) {
      for (const endpoint of await this.store.warnFailingEndpoints(warnBefore, now, SWEEP_BATCH)) {
        this.logger.warn({ endpointId: endpoint.id, failingSince: endpoint.health.failingSince }, 'endpoint failing; sending endpoint.failing');
        const disableAt = endpoint.health.failingSince === null ? null : disableDueAt(this.policy, endpoint.health.failingSince);
        await this.publisher.publish({ type: 'endpoint.failing', endpoint, disableAt });
      }
    }
    const disableBefore = disableCutoff(this.policy, now);
    if (disableBefore !== null) {
      const disabled = await this.store.disableFailingEndpoints(disableBefore, this.policy.minFailedDeliveries, now, SWEEP_BATCH);
      for (const endpoint of disabled) {
        this.logger.warn({ endpointId: endpoint.id, failingSince: endpoint.health.failingSince }, 'endpoint disabled: failing');
        await this.publisher.publish({ type: 'endpoint.disabled', endpoint, reason: 'failing' });
      }
    }
    for (const notice of await this.store.takeHeldBackExhaustions(now, this.policy.exhaustedWindowMs, SWEEP_BATCH)) {
      await this.publishExhausted(notice);
    }
    await this.failDisabledBacklog(now);
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
    await this.publisher.publish({ type: 'endpoint.disabled', endpoint, reason: 'gone' });
    // Its backlog is ended now, not at the next sweep.
    await this.failDisabledBacklog(now);
  }

  private async publishExhausted(notice: ExhaustionNotice): Promise<void> {
    const [endpoint, delivery] = await Promise.all([
      this.store.getEndpoint(notice.organizationId, notice.endpointId),
      this.store.getDelivery(notice.organizationId, notice.deliveryId),
    ]);
    if (endpoint === null || delivery === null) return;
    await this.publisher.publish({ type: 'delivery.exhausted', endpoint, delivery, count: notice.count, windowMs: this.policy.exhaustedWindowMs });
  }

  /** Queues a streak change; written with the others of this turn of the event loop. */
  private recordHealth(change: EndpointHealthChange): Promise<void> {
    this.healthChanges.push(change);
    this.writingHealth ??= this.writeHealth();
    return this.writingHealth;
  }

  /** Changes queued while a write is under way go in the next one, before anyone waiting is let go. */
  private async writeHealth(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.healthChanges.length > 0) {
      const batch = this.healthChanges.splice(0);
      await this.guard('recording endpoint failing streaks', () => this.store.recordEndpointHealth(batch));
    }
    this.writingHealth = null;
  }

  private async guard(what: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      this.logger.error({ err: error }, `${what} failed`);
    }
  }
}
