/**
 * Group commit: items submitted while the event loop is busy are written together by one call to
 * `commit`. A flush starts on `setImmediate` once something is queued; while it runs, new items queue
 * up for the next one. A batch that fails as a whole is retried item by item, so one bad item fails
 * only its own caller — unless `failsEveryItem` says the error is not about the items (the database
 * cannot write at all), when every caller gets it at once instead of one doomed retry each.
 */

interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export class GroupCommitter<T, R> {
  private queue: Array<Waiting<T, R>> = [];
  private flushing: Promise<void> | null = null;

  /** `commit` must be all-or-nothing and return one result per item, in order. */
  constructor(
    private readonly commit: (batch: T[]) => Promise<R[]>,
    private readonly maxBatchSize: number,
    private readonly failsEveryItem: (error: unknown) => boolean = () => false,
  ) {
    if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) throw new RangeError('maxBatchSize must be a positive integer');
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.flushing === null) this.flushing = this.flushSoon();
    });
  }

  async drain(): Promise<void> {
    while (this.flushing !== null) await this.flushing;
  }

  private async flushSoon(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatchSize);
        await this.commitBatch(batch);
      }
    } finally {
      this.flushing = null;
    }
  }

  private async commitBatch(batch: Array<Waiting<T, R>>): Promise<void> {
    let results: R[];
    try {
      results = await this.commit(batch.map((w) => w.item));
    } catch (error) {
      if (batch.length === 1) return batch[0]!.reject(error);
      if (this.failsEveryItem(error)) {
        for (const waiting of batch) waiting.reject(error);
        return;
      }
      for (const waiting of batch) await this.commitBatch([waiting]);
      return;
    }
    if (results.length !== batch.length) {
      const error = new Error(`commit returned ${results.length} results for ${batch.length} items`);
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    batch.forEach((waiting, i) => waiting.resolve(results[i]!));
  }
}
