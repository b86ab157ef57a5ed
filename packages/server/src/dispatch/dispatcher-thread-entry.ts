/**
 * The dispatcher thread's entry point (see `dispatcher-thread.ts`): opens its own store, runs the
 * dispatcher `herald dispatch` runs, and answers the API thread's messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../logging.js';
import { createMetrics } from '../metrics.js';
import { openSecuredStore } from '../store/encrypted-store.js';
import { SecretBox } from '../store/secret-box.js';
import { adoptWriteGate } from '../store/sqlite/write-gate.js';
import type { Store } from '../store/store.js';
import { createDispatcherFromConfig, retryPolicyFromConfig } from './from-config.js';
import {
  serializeThreadError,
  type DispatcherThreadData,
  type FromDispatcherThread,
  type ToDispatcherThread,
} from './dispatcher-thread.js';

const METRICS_INTERVAL_MS = 200;

async function runDispatcherThread(): Promise<void> {
  const port = parentPort!;
  const send = (message: FromDispatcherThread): void => port.postMessage(message);
  const { config, encryptionKey, writeGate } = workerData as DispatcherThreadData;
  adoptWriteGate(writeGate);
  const logger = createLogger(config.logLevel, { service: 'herald', component: 'dispatcher' });
  let store: Store;
  try {
    // The API thread opened the same store first: it has warned about plain-text secrets already.
    store = await openSecuredStore(config.db, encryptionKey === null ? null : SecretBox.fromBase64(encryptionKey), () => undefined);
  } catch (error) {
    send({ type: 'failed', error: serializeThreadError(error) });
    return;
  }
  const metrics = createMetrics();
  const dispatcher = createDispatcherFromConfig(config, { store, logger, metrics, policy: retryPolicyFromConfig(config) });

  let reportedAttempts = 0;
  const reportMetrics = (): void => {
    const attempts = metrics.attempts.snapshot();
    const total = attempts.reduce((sum, [, n]) => sum + n, 0);
    if (total === reportedAttempts) return;
    reportedAttempts = total;
    send({ type: 'metrics', attempts, deliveryLatency: metrics.deliveryLatency.snapshot() });
  };
  const metricsTimer = setInterval(reportMetrics, METRICS_INTERVAL_MS);

  port.on('message', (message: ToDispatcherThread) => {
    if (message.type === 'notify') {
      dispatcher.notify();
      return;
    }
    clearInterval(metricsTimer);
    void (async () => {
      let failure: unknown = null;
      await dispatcher.stop({ deadlineMs: message.deadlineMs }).catch((error: unknown) => (failure = error));
      await store.close().catch((error: unknown) => (failure ??= error));
      reportMetrics();
      send({ type: 'stopped', error: failure === null ? null : serializeThreadError(failure) });
      port.close();
    })();
  });
  dispatcher.start();
  send({ type: 'ready', leaseOwner: dispatcher.leaseOwner });
}

await runDispatcherThread();
