/**
 * The pruner: a small background loop that deletes what retention no longer keeps.
 *
 * States: `idle` (built, not started) → `running` → `stopping` → `stopped`.
 * - running: every `intervalMs`, one pass: deliveries that finished more than the retention period
 *   ago (with their attempts), then events older than that left without deliveries, then expired
 *   idempotency keys, sessions and portal-link uses; then, on SQLite, free pages beyond a slack go
 *   back to the file system. Each step is a series of small batches, each its own short transaction.
 * - stopping: the batch under way finishes, no other starts. `stop()` twice returns one promise.
 *
 * Why batches, and the pause between them: on SQLite a batch holds the one write lock, so publishing
 * waits behind it. The batch shrinks when one takes longer than `targetBatchMs` and grows back when
 * they are quick, and after each batch the pruner sleeps at least as long as the batch took, so it
 * never has the write lock more than half the time. On PostgreSQL a batch that finds another process
 * pruning (`busy`) ends the pass: one pruner at a time is enough.
 *
 * The injected clock decides what is old; batch durations are measured on the monotonic clock and
 * the longest is kept (`stats()`) and logged with each pass.
 */
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import type { PruneBatch, Store } from '../store/store.js';

export type PrunerState = 'idle' | 'running' | 'stopping' | 'stopped';

export interface PrunerOptions {
  store: Store;
  logger: Logger;
  clock?: Clock;
  /** How long finished deliveries and their events are kept. */
  retentionMs: number;
  /** Time between passes. Default: a tenth of the retention, from 1 s to 60 s. */
  intervalMs?: number;
  /** Most rows in one batch. Default 500. */
  batchSize?: number;
  /** A batch longer than this makes the next one smaller. Default 25 ms. */
  targetBatchMs?: number;
  /** Shortest pause between batches. Default 5 ms. */
  pauseMs?: number;
  /** Free pages kept in a SQLite file for new rows, as a share of its pages (at least 1,024). Default 0.25. */
  freeSlack?: number;
}

export interface PassReport {
  deliveries: number;
  events: number;
  /** Idempotency keys, sessions and portal-link uses. */
  expired: number;
  reclaimedPages: number;
  batches: number;
  longestBatchMs: number;
  /** Another process was pruning, so this pass stopped early. */
  busy: boolean;
}

export interface PrunerStats {
  passes: number;
  /** The longest single batch since start, in ms. */
  longestBatchMs: number;
}

const MIN_BATCH = 20;
const MIN_SLACK_PAGES = 1024;
/** Pages given back per `incremental_vacuum` step; each step is a write transaction too. */
const RECLAIM_STEP_PAGES = 1024;

export class Pruner {
  private currentState: PrunerState = 'idle';
  private readonly store: Store;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly retentionMs: number;
  private readonly intervalMs: number;
  private readonly maxBatch: number;
  private readonly targetBatchMs: number;
  private readonly pauseMs: number;
  private readonly freeSlack: number;
  private batchSize: number;
  private passes = 0;
  private longestBatchMs = 0;
  private wake: (() => void) | null = null;
  private loopDone: Promise<void> = Promise.resolve();
  private stopped: Promise<void> | null = null;

  constructor(options: PrunerOptions) {
    if (!(options.retentionMs > 0)) throw new RangeError('retentionMs must be positive');
    this.store = options.store;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.retentionMs = options.retentionMs;
    this.intervalMs = options.intervalMs ?? Math.min(60_000, Math.max(1000, Math.round(options.retentionMs / 10)));
    this.maxBatch = options.batchSize ?? 500;
    this.batchSize = this.maxBatch;
    this.targetBatchMs = options.targetBatchMs ?? 25;
    this.pauseMs = options.pauseMs ?? 5;
    this.freeSlack = options.freeSlack ?? 0.25;
  }

  get state(): PrunerState {
    return this.currentState;
  }

  stats(): PrunerStats {
    return { passes: this.passes, longestBatchMs: this.longestBatchMs };
  }

  start(): void {
    if (this.currentState !== 'idle') throw new Error(`cannot start a pruner that is ${this.currentState}`);
    this.currentState = 'running';
    this.loopDone = this.loop();
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.currentState = 'stopping';
      this.wake?.();
      await this.loopDone;
      this.currentState = 'stopped';
    })();
    return this.stopped;
  }

  /** One pass now (the loop calls this; tests call it directly with their clock). */
  async runPass(): Promise<PassReport> {
    const report: PassReport = { deliveries: 0, events: 0, expired: 0, reclaimedPages: 0, batches: 0, longestBatchMs: 0, busy: false };
    const cut = this.clock.now() - this.retentionMs;
    const steps: Array<{ field: 'deliveries' | 'events' | 'expired'; run: (after: string | null, limit: number) => Promise<PruneBatch> }> = [
      { field: 'deliveries', run: (_after, limit) => this.store.pruneFinishedDeliveries(cut, limit) },
      { field: 'events', run: (after, limit) => this.store.pruneEvents(cut, after, limit) },
      { field: 'expired', run: (_after, limit) => this.store.pruneExpired(this.clock.now(), limit) },
    ];
    for (const step of steps) {
      let after: string | null = null;
      for (;;) {
        if (!this.mayContinue()) return this.finishPass(report);
        const batch = await this.timed(report, () => step.run(after, this.batchSize));
        if (batch.busy) {
          report.busy = true;
          return this.finishPass(report);
        }
        report[step.field] += batch.deleted;
        if (!batch.more) break;
        after = batch.lastId;
      }
    }
    await this.reclaim(report);
    return this.finishPass(report);
  }

  /** Gives free pages beyond the slack back to the file system; pages within it are left for new rows. */
  private async reclaim(report: PassReport): Promise<void> {
    const space = await this.store.spaceStats();
    if (space === null) return;
    let excess = space.freePages - Math.max(MIN_SLACK_PAGES, Math.floor(space.pageCount * this.freeSlack));
    while (excess > 0 && this.mayContinue()) {
      const pages = Math.min(excess, RECLAIM_STEP_PAGES);
      const reclaimed = await this.timed(report, () => this.store.reclaimFreePages(pages));
      report.reclaimedPages += reclaimed;
      if (reclaimed === 0) break;
      excess -= reclaimed;
    }
  }

  private mayContinue(): boolean {
    return this.currentState === 'running' || this.currentState === 'idle';
  }

  /** Runs one batch, keeps its duration, adapts the batch size, and pauses before the next. */
  private async timed<T>(report: PassReport, batch: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const result = await batch();
    const ms = performance.now() - started;
    report.batches += 1;
    report.longestBatchMs = Math.max(report.longestBatchMs, ms);
    this.longestBatchMs = Math.max(this.longestBatchMs, ms);
    if (ms > this.targetBatchMs) this.batchSize = Math.max(Math.min(MIN_BATCH, this.maxBatch), Math.floor(this.batchSize / 2));
    else if (ms < this.targetBatchMs / 2) this.batchSize = Math.min(this.maxBatch, Math.ceil(this.batchSize * 1.5));
    if (this.currentState === 'running') await this.sleep(Math.max(this.pauseMs, ms));
    return result;
  }

  private finishPass(report: PassReport): PassReport {
    this.passes += 1;
    const rounded = { ...report, longestBatchMs: Math.round(report.longestBatchMs * 10) / 10 };
    if (report.deliveries + report.events + report.expired + report.reclaimedPages > 0) this.logger.info(rounded, 'pruned');
    else this.logger.debug(rounded, 'nothing to prune');
    return report;
  }

  private async loop(): Promise<void> {
    while (this.currentState === 'running') {
      try {
        await this.runPass();
      } catch (error) {
        // The database may be unavailable (full disk, failover): the next pass tries again.
        this.logger.warn({ err: error }, 'pruning failed; trying again at the next pass');
      }
      await this.sleep(this.intervalMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.currentState !== 'running') return Promise.resolve();
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.wake = finish;
    });
  }
}
