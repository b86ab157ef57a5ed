import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { isStorageUnavailable } from '../store/storage-errors.js';
import type { AttemptRecord, ClaimedDelivery, ClaimOptions, Store } from '../store/store.js';
import { feedbackFor, type CircuitPolicy, type EndpointSignal } from './endpoint-circuit.js';

/**
 * Group commit for finished attempts. Each attempt waits for its record to be written, but records
 * that finish while a write is under way are written together in the next single
 * `store.recordAttempts` call: at thousands of attempts a second, one transaction per attempt would
 * be the bottleneck. There is no timer: a write waits only for the current turn of the event loop
 * (`setImmediate`), so attempts whose responses arrived together are written together. That matters
 * for SQLite, whose writes block the loop, so nothing could join a batch while one is being written.
 *
 * One record can never poison a batch. When a write fails, the batch is split in halves and each is
 * written on its own, down to the single record the database refuses; that one is written in a
 * minimal form (status, duration, error kind `unstorable_response`, no text from the receiver) and
 * everyone else's records normally. When even the minimal form fails, or the first failure already
 * says the database cannot write at all (disk full, I/O error, read-only: `isStorageUnavailable`,
 * so no record is cut down for want of disk space), the database is taken to be unavailable: then
 * the batch is kept and tried again after `retryDelayMs`, its attempts
 * holding their dispatcher slots, which slows claiming down. Once `stopRetrying()` is called, such a
 * batch is given up instead: its leases expire and the deliveries are sent again (at least once).
 * Re-writing part of a batch is harmless: records are fenced on their lease, which a write clears.
 *
 * Refilling: with `refill`, a batch is written together with a claim for the slots it frees
 * (`Store.recordAttempts`' `thenClaim`), and the claimed deliveries go to `refill.claimed`. Each
 * attempt learns whether its slot was refilled that way, so that the dispatcher does not claim again
 * for it. A batch written apart (above) is never refilled: its attempts free their slots as usual.
 */
export interface Refill {
  /** What to claim once `finished` are recorded; null: claim nothing now. */
  options(finished: AttemptRecord[]): ClaimOptions | null;
  claimed(deliveries: ClaimedDelivery[], limit: number): void;
}

export class AttemptRecorder {
  private pending: Entry[] = [];
  private flushing: Promise<void> | null = null;
  private retrying = true;
  private cutRetryShort: (() => void) | null = null;
  /** Why the last write failed, for the log. */
  private lastError: unknown = null;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly options: { retryDelayMs: number; maxBatch: number; circuit: CircuitPolicy; refill?: Refill },
  ) {}

  /**
   * Resolves once the record is written, or given up during shutdown, with whether the write also
   * refilled the attempt's slot. Never rejects.
   */
  record(record: AttemptRecord, signal: EndpointSignal | null): Promise<boolean> {
    return new Promise((done) => {
      this.pending.push({ record, signal, done });
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
      const signals = batch.flatMap((entry) => (entry.signal ? [entry.signal] : []));
      const feedback = feedbackFor(signals, this.options.circuit, this.clock.now());
      const records = batch.map((entry) => entry.record);
      const claim = this.options.refill?.options(records) ?? null;
      let written: boolean;
      let refilled = false;
      try {
        const claimed = await this.store.recordAttempts(records, feedback, claim ?? undefined);
        written = true;
        if (claim !== null) {
          refilled = true;
          this.options.refill!.claimed(claimed, claim.limit);
        }
      } catch (error) {
        if (isStorageUnavailable(error)) {
          this.lastError = error;
          written = false;
        } else {
          this.logger.warn({ err: error, records: batch.length }, 'recording a batch of attempts failed; writing its records apart');
          written = await this.writeIsolating(batch);
          // Lost feedback only delays an endpoint's limit or circuit until its next attempts report again.
          if (written && feedback.length > 0) {
            await this.store.recordAttempts([], feedback).catch((feedbackError: unknown) => {
              this.logger.warn({ err: feedbackError, endpoints: feedback.length }, 'writing endpoint feedback failed; the next attempts will report again');
            });
          }
        }
      }
      if (!written) {
        if (this.retrying) {
          this.logger.error({ err: this.lastError, records: batch.length }, 'recording attempts failed; retrying');
          this.pending.unshift(...batch);
          await this.retryDelay();
          continue;
        }
        this.logger.error(
          { records: batch.length, deliveryIds: batch.map((entry) => entry.record.deliveryId) },
          'recording attempts failed during shutdown; their leases will expire and the deliveries will be sent again',
        );
      }
      for (const entry of batch) entry.done(refilled);
    }
  }

  /** True when every record is written (a refused one in its minimal form); false if the database is unavailable. */
  private async writeIsolating(entries: Entry[]): Promise<boolean> {
    if (entries.length > 1) {
      const middle = Math.ceil(entries.length / 2);
      for (const half of [entries.slice(0, middle), entries.slice(middle)]) {
        if (!(await this.tryWrite(half.map((entry) => entry.record)))) {
          if (!(await this.writeIsolating(half))) return false;
        }
      }
      return true;
    }
    const record = entries[0]!.record;
    if (await this.tryWrite([record])) return true;
    if (isStorageUnavailable(this.lastError)) return false;
    const minimal = minimalRecord(record);
    if (!(await this.tryWrite([minimal]))) return false;
    this.logger.error(
      { deliveryId: record.deliveryId, attempt: record.attempt.number, statusCode: record.attempt.statusCode },
      'the database refused this attempt record; stored it without the receiver\'s response (unstorable_response)',
    );
    return true;
  }

  private async tryWrite(records: AttemptRecord[]): Promise<boolean> {
    try {
      await this.store.recordAttempts(records);
      return true;
    } catch (error) {
      this.lastError = error;
      return false;
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

interface Entry {
  record: AttemptRecord;
  signal: EndpointSignal | null;
  done: (refilled: boolean) => void;
}

/** The record with nothing in it that came from the receiver, beyond its status code and timing. */
export function minimalRecord(record: AttemptRecord): AttemptRecord {
  return {
    ...record,
    attempt: {
      ...record.attempt,
      errorKind: 'unstorable_response',
      errorMessage: 'the database refused to store this attempt as received; its response body and error text were left out',
      responseBody: null,
      responseBodyTruncated: false,
      responseBodySanitized: false,
    },
  };
}
