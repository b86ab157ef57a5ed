/**
 * Deduplication on the envelope `id` (wire spec §5): delivery is at least once, so a receiver sees
 * repeats — retries after a timeout, manual resends — and must not process one event twice.
 *
 * An id is reserved before the handler runs, marked completed after it succeeds, and released if
 * it throws, so a retry runs it again. A repeat that arrives while the first is still running is
 * reported as `in_progress` (framework helpers answer 409, and Herald retries later) rather than
 * acknowledged: the first run may yet fail.
 */

/** What `reserve` found. */
export type DedupeReservation = 'reserved' | 'in_progress' | 'completed';

/**
 * Where seen ids live. The in-memory store serves one process; implement this on Redis, SQL or
 * similar for several (e.g. `SET id processing NX PX …` to reserve).
 */
export interface DedupeStore {
  /** Atomically reserves `id` for processing, unless it is already reserved or completed. */
  reserve(id: string): DedupeReservation | Promise<DedupeReservation>;
  /** Marks `id` as processed: later repeats are `completed`. */
  complete(id: string): void | Promise<void>;
  /** Forgets a reservation whose processing failed, so a retry runs again. */
  release(id: string): void | Promise<void>;
}

export interface MemoryDedupeStoreOptions {
  /** How long a completed id is remembered, in seconds. Default 86 400 (24 h). */
  ttlSeconds?: number;
  /** How long a reservation may stay in progress before a repeat may run again, in seconds. Default 300. */
  processingTtlSeconds?: number;
  /** At most this many ids are kept; the oldest are forgotten first. Default 10 000. */
  maxEntries?: number;
  /** The current time in Unix milliseconds. Default `Date.now`. */
  now?: () => number;
}

interface Entry {
  state: 'in_progress' | 'completed';
  expiresAt: number;
}

/**
 * An in-process `DedupeStore` with a TTL and a size bound. Fine for a single process; ids are lost
 * on restart and not shared between processes.
 *
 * @example
 * const store = new MemoryDedupeStore({ ttlSeconds: 3600, maxEntries: 50_000 });
 * app.post('/webhooks/herald', expressWebhook({ secret, dedupe: store }, handle));
 */
export class MemoryDedupeStore implements DedupeStore {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #processingTtlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: MemoryDedupeStoreOptions = {}) {
    const { ttlSeconds = 86_400, processingTtlSeconds = 300, maxEntries = 10_000, now = Date.now } = options;
    for (const [name, value] of [['ttlSeconds', ttlSeconds], ['processingTtlSeconds', processingTtlSeconds]] as const) {
      if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
        throw new TypeError(`options.${name} must be a positive number of seconds`);
      }
    }
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new TypeError('options.maxEntries must be a positive integer');
    if (typeof now !== 'function') throw new TypeError('options.now must be a function returning Unix milliseconds');
    this.#ttlMs = ttlSeconds * 1000;
    this.#processingTtlMs = processingTtlSeconds * 1000;
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  /** The number of ids currently remembered (expired ones may still count until evicted). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * @example
   * store.reserve(event.id) // 'reserved' the first time, then 'in_progress' or 'completed'
   */
  reserve(id: string): DedupeReservation {
    const now = this.#now();
    const entry = this.#entries.get(id);
    if (entry !== undefined && entry.expiresAt > now) return entry.state;
    this.#entries.delete(id);
    this.#set(id, { state: 'in_progress', expiresAt: now + this.#processingTtlMs });
    return 'reserved';
  }

  /**
   * @example
   * store.complete(event.id) // later repeats are 'completed'
   */
  complete(id: string): void {
    this.#entries.delete(id);
    this.#set(id, { state: 'completed', expiresAt: this.#now() + this.#ttlMs });
  }

  /**
   * @example
   * store.release(event.id) // the handler failed: let the retry run it
   */
  release(id: string): void {
    this.#entries.delete(id);
  }

  /**
   * Inserts at the end. Map order is insertion order and every write re-inserts, so the first key
   * is the least recently written: when full, it goes (expired or not).
   */
  #set(id: string, entry: Entry): void {
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(id, entry);
  }
}

/** What `dedupe` did. */
export type DedupeOutcome<T> =
  | { status: 'processed'; result: T }
  | { status: 'duplicate' }
  | { status: 'in_progress' };

/** True when `value` has the three methods of a `DedupeStore`. */
export function isDedupeStore(value: unknown): value is DedupeStore {
  if (typeof value !== 'object' || value === null) return false;
  const { reserve, complete, release } = value as Partial<DedupeStore>;
  return typeof reserve === 'function' && typeof complete === 'function' && typeof release === 'function';
}

let defaultStore: MemoryDedupeStore | undefined;

/** The process-wide store used by `dedupe` without a store and by helpers given `dedupe: true`. */
export function defaultDedupeStore(): MemoryDedupeStore {
  return (defaultStore ??= new MemoryDedupeStore());
}

/**
 * Runs `handler` unless `id` was already processed (or is being processed). The id counts as
 * processed only once `handler` resolves; if it throws, the id is released and the error rethrown.
 * Without a `store`, one process-wide `MemoryDedupeStore` with default limits is used.
 *
 * @example
 * const event = verifyWebhook(body, headers, secret);
 * const outcome = await dedupe(event.id, () => processEvent(event));
 * // outcome.status: 'processed' | 'duplicate' | 'in_progress'
 */
export async function dedupe<T>(id: string, handler: () => T | Promise<T>, store?: DedupeStore): Promise<DedupeOutcome<T>> {
  if (typeof id !== 'string' || id === '') throw new TypeError('id must be a non-empty string (the envelope id)');
  if (typeof handler !== 'function') throw new TypeError('handler must be a function');
  if (store !== undefined && !isDedupeStore(store)) throw new TypeError('store must be a DedupeStore (reserve, complete and release)');
  const target = store ?? defaultDedupeStore();
  const reservation = await target.reserve(id);
  if (reservation === 'completed') return { status: 'duplicate' };
  if (reservation === 'in_progress') return { status: 'in_progress' };
  let result: T;
  try {
    result = await handler();
  } catch (error) {
    await target.release(id);
    throw error;
  }
  await target.complete(id);
  return { status: 'processed', result };
}
