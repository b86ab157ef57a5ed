/**
 * `herald serve`'s dispatcher, on its own thread.
 *
 * The API and the dispatcher used to share one event loop, and under load publishing won: requests
 * kept the loop busy while due deliveries waited to be claimed. On a thread of its own (a
 * `worker_threads` Worker with its own store connection, `dispatcher-thread-entry.ts`) the
 * dispatcher gets a core of its own and the process stays one process. The database is what the
 * two sides share, exactly as separate `herald dispatch` processes share it; nothing else crosses
 * the thread boundary but small messages:
 * - to the thread: `notify` (deliveries may be due: a publish, a resend, a re-enabled endpoint) and
 *   `stop`;
 * - from it: `ready`, its attempt metrics (for `/metrics`, at most every 200 ms), `stopped`.
 *
 * A thread that dies (a bug, not a failed delivery) is logged and started again after a second; its
 * leases expire and its deliveries are claimed again, as with a crashed `herald dispatch`.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { HeraldConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import type { CounterSnapshot, HistogramSnapshot, Metrics } from '../metrics.js';
import { releaseWriteGateOf, writeGateBuffer } from '../store/sqlite/write-gate.js';
import type { DispatchSettings } from './from-config.js';
import type { StopOptions } from './dispatcher.js';

/** What the thread is started with: plain data, copied into it. */
export interface DispatcherThreadData {
  config: DispatchSettings & Pick<HeraldConfig, 'db' | 'logLevel'>;
  /** `HERALD_ENCRYPTION_KEY`'s value (base64), or null: secrets are stored in plain text. */
  encryptionKey: string | null;
  /** SQLite's in-process write gate (`store/sqlite/write-gate.ts`), shared with the API thread. */
  writeGate: SharedArrayBuffer;
}

export type ToDispatcherThread = { type: 'notify' } | { type: 'stop'; deadlineMs: number };

export interface ThreadError {
  name: string;
  message: string;
  code?: string;
}

export type FromDispatcherThread =
  | { type: 'ready'; leaseOwner: string }
  | { type: 'failed'; error: ThreadError }
  | { type: 'metrics'; attempts: CounterSnapshot; deliveryLatency: HistogramSnapshot }
  | { type: 'stopped'; error: ThreadError | null };

const RESTART_DELAY_MS = 1_000;
// Run from the TypeScript sources (tests, under tsx), a thread would get no TypeScript loader: it runs the build.
const ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/dispatch/dispatcher-thread-entry.js', import.meta.url)
  : new URL('./dispatcher-thread-entry.js', import.meta.url);

export interface DispatcherThreadOptions {
  logger: Logger;
  /** Receives the thread's attempt series. */
  metrics: Metrics;
}

export class DispatcherThread {
  private worker: Worker;
  private currentLeaseOwner = '';
  private notifyPending = false;
  private stopping: Promise<void> | null = null;
  private restartTimer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly data: DispatcherThreadData,
    private readonly options: DispatcherThreadOptions,
    worker: Worker,
  ) {
    this.worker = worker;
  }

  /** Starts the thread; resolves once its store is open and its dispatcher runs, or rejects with why not. */
  static async start(settings: Omit<DispatcherThreadData, 'writeGate'>, options: DispatcherThreadOptions): Promise<DispatcherThread> {
    if (settings.config.db === ':memory:') {
      throw new ConfigError('--db :memory: cannot be shared with the dispatcher thread: use a file, or --no-dispatch', { field: 'db' });
    }
    const data: DispatcherThreadData = { ...settings, writeGate: writeGateBuffer() };
    const worker = spawnThread(data);
    const thread = new DispatcherThread(data, options, worker);
    await thread.attach(worker);
    return thread;
  }

  /** Names this dispatcher's leases (a restarted thread has a new one). */
  get leaseOwner(): string {
    return this.currentLeaseOwner;
  }

  /** Deliveries may be due. Calls in one turn of the event loop send one message. */
  notify(): void {
    if (this.notifyPending || this.stopping !== null) return;
    this.notifyPending = true;
    setImmediate(() => {
      this.notifyPending = false;
      if (this.stopping === null) this.post({ type: 'notify' });
    });
  }

  /** The dispatcher's own two-stage stop, in the thread; then the thread ends. Idempotent. */
  stop({ deadlineMs }: StopOptions): Promise<void> {
    this.stopping ??= this.shutDown(deadlineMs);
    return this.stopping;
  }

  private async shutDown(deadlineMs: number): Promise<void> {
    if (this.restartTimer !== null) {
      clearTimeout(this.restartTimer);
      this.restartTimer = null;
      return;
    }
    const worker = this.worker;
    const stopped = new Promise<ThreadError | null>((resolve) => {
      worker.on('message', (message: FromDispatcherThread) => {
        if (message.type === 'stopped') resolve(message.error);
      });
      worker.once('exit', () => resolve(null));
    });
    this.post({ type: 'stop', deadlineMs });
    const error = await stopped;
    await worker.terminate();
    if (error !== null) throw rebuildError(error);
  }

  /** Wires a fresh worker's messages; resolves at `ready`, rejects at `failed` or an early exit. */
  private attach(worker: Worker): Promise<void> {
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (message: FromDispatcherThread) => {
        switch (message.type) {
          case 'ready':
            ready = true;
            this.currentLeaseOwner = message.leaseOwner;
            resolve();
            break;
          case 'failed':
            reject(rebuildError(message.error));
            break;
          case 'metrics':
            this.options.metrics.attempts.restore(message.attempts);
            this.options.metrics.deliveryLatency.restore(message.deliveryLatency);
            break;
          case 'stopped':
            break;
        }
      });
      worker.on('error', (error) => {
        if (!ready) reject(error);
        else this.options.logger.error({ err: error }, 'the dispatcher thread crashed');
      });
      const id = worker.threadId;
      worker.on('exit', (code) => {
        releaseWriteGateOf(id);
        if (!ready) {
          reject(new Error(`the dispatcher thread exited (code ${code}) before it started`));
          return;
        }
        if (this.stopping !== null) return;
        this.options.logger.error({ code, restartInMs: RESTART_DELAY_MS }, 'the dispatcher thread exited unexpectedly; starting another');
        this.restartTimer = setTimeout(() => this.restart(), RESTART_DELAY_MS);
      });
    });
  }

  private restart(): void {
    this.restartTimer = null;
    const worker = spawnThread(this.data);
    this.worker = worker;
    this.attach(worker).catch((error: unknown) => {
      if (this.stopping !== null) return;
      this.options.logger.error({ err: error, restartInMs: RESTART_DELAY_MS }, 'restarting the dispatcher thread failed; trying again');
      this.restartTimer = setTimeout(() => this.restart(), RESTART_DELAY_MS);
    });
  }

  private post(message: ToDispatcherThread): void {
    this.worker.postMessage(message);
  }
}

/**
 * The thread, with a young generation of 12 MiB (4 MiB semi-spaces) instead of V8's 32+ MiB default:
 * its live heap is small (about 15 MiB), and two isolates with default young generations took most
 * of a 150 MiB budget (bench/memory.ts). No old-generation cap: a hard limit would kill the thread
 * on a large payload, and the same deliveries would be claimed again and kill it again.
 */
function spawnThread(data: DispatcherThreadData): Worker {
  return new Worker(ENTRY, { workerData: data, name: 'herald dispatcher', resourceLimits: { maxYoungGenerationSizeMb: 12 } });
}

export function serializeThreadError(error: unknown): ThreadError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(error) };
}

/** The thread's error on this side, with its message and stable `code`. */
function rebuildError(error: ThreadError): Error {
  const rebuilt = new Error(error.message) as Error & { code?: string };
  rebuilt.name = error.name;
  if (error.code !== undefined) rebuilt.code = error.code;
  return rebuilt;
}
