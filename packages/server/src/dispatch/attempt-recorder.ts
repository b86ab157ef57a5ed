import type { Logger } from 'pino';
import type { AttemptRecord, Store } from '../store/store.js';

/**
 * Group commit for finished attempts. Each attempt waits for its record to be written, but records
 * that finish while a write is under way are written together in the next single
 * `store.recordAttempts` call: at thousands of attempts a second, one transaction per attempt would
 * be the bottleneck. There is no timer: a write waits only for the current turn of the event loop
 * (`setImmediate`), so attempts whose responses arrived together are written together. That matters
 * for SQLite, whose writes block the loop, so nothing could join a batch while one is being written.
 *
 * If a write fails (database unavailable) the batch is kept and tried again after `retryDelayMs`;
 * the attempts wait, which holds their dispatcher slots and so slows claiming down. Once
 * `stopRetrying()` is called, a failed batch is given up instead: its leases expire and the
 * deliveries are sent again (at least once).
 */
export class AttemptRecorder {
  private pending: Array<{ record: AttemptRecord; done: () => void }> = [];
  private flushing: Promise<void> | null = null;
  private retrying = true;
  private cutRetryShort: (() => void) | null = null;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly options: { retryDelayMs: number; maxBatch: number },
  ) {}

  /** Resolves once the record is written, or given up during shutdown. Never rejects. */
  record(record: AttemptRecord): Promise<void> {
    return new Promise((done) => {
      this.pending.push({ record, done });
      this.kick();
    });
  }

  /** From now on a failed write is given up instead of retried, and a pending retry happens at once. */
  stopRetrying(): void {
    this.retrying = false;
    this.cutRetryShort?.();
  }

  /** Resolves when nothing is waiting to be written. */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.flush())
      .finally(() => {
        this.flushing = null;
        if (this.pending.length > 0) this.kick();
      });
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.options.maxBatch);
      try {
        await this.store.recordAttempts(batch.map((entry) => entry.record));
      } catch (error) {
        if (this.retrying) {
          this.logger.error({ err: error, records: batch.length }, 'recording attempts failed; retrying');
          this.pending.unshift(...batch);
          await this.retryDelay();
          continue;
        }
        this.logger.error(
          { err: error, records: batch.length, deliveryIds: batch.map((entry) => entry.record.deliveryId) },
          'recording attempts failed during shutdown; their leases will expire and the deliveries will be sent again',
        );
      }
      for (const entry of batch) entry.done();
    }
  }

  private retryDelay(): Promise<void> {
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.cutRetryShort = null;
        resolve();
      };
      const timer = setTimeout(finish, this.options.retryDelayMs);
      this.cutRetryShort = finish;
    });
  }
}
