import type { Catalog } from '../catalog/catalog.js';
import type { Clock } from '../clock.js';
import { DEFAULT_PUBLISH_FAIR_SHARE } from '../config.js';
import { GroupCommitter } from '../group-commit.js';
import { uuidv7 } from '../ids.js';
import type { Metrics } from '../metrics.js';
import type { NewEvent, PublishResult, Store } from '../store/store.js';
import { isStorageUnavailable } from '../store/storage-errors.js';
import { FairAdmission } from './fair-admission.js';
import { payloadJson } from './payload-json.js';

/**
 * The publish path: validate against the catalog, serialize the payload once (`payloadJson`: as
 * `JSON.stringify` writes it, field order kept, wire spec §1, with numbers a double cannot hold kept
 * digit for digit), then commit through the group committer so concurrent publishes share one
 * transaction — and one fsync. A caller's promise settles only after its event is durable. Before
 * any of that, `FairAdmission` keeps one organization's burst from filling the path for the others.
 */

export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface PublishRequest {
  organizationId: string;
  type: string;
  payload: unknown;
  idempotencyKey?: string | null;
  /** Deliver only to this endpoint (test events), whatever it subscribes to. */
  onlyEndpointId?: string | null;
}

export interface Publisher {
  /** Throws `UnknownEventTypeError` / `InvalidPayloadError` before anything is written. */
  publish(request: PublishRequest): Promise<PublishResult>;
  /** Resolves once every queued publish has settled. */
  drain(): Promise<void>;
}

export interface PublisherOptions {
  store: Store;
  catalog: Catalog;
  clock: Clock;
  metrics?: Metrics;
  /** How long an idempotency key returns the original event. Default 24 h. */
  idempotencyWindowMs?: number;
  /** Most events committed in one transaction. Default 500. */
  maxBatchSize?: number;
  /** Publishes in progress at once per organization while several publish (`FairAdmission`). Default 2. */
  fairShare?: number;
}

export function createPublisher(options: PublisherOptions): Publisher {
  const { store, catalog, clock, metrics } = options;
  const windowMs = options.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS;
  const committer = new GroupCommitter<NewEvent, PublishResult>(
    (batch) => store.publishEvents(batch),
    options.maxBatchSize ?? 500,
    isStorageUnavailable,
  );
  const admission = new FairAdmission({ share: options.fairShare ?? DEFAULT_PUBLISH_FAIR_SHARE });

  const publishAdmitted = async (request: PublishRequest): Promise<PublishResult> => {
    catalog.validatePayload(request.type, request.payload);
    const now = clock.now();
    const result = await committer.submit({
      id: uuidv7(now),
      organizationId: request.organizationId,
      type: request.type,
      payloadJson: payloadJson(request.payload),
      idempotencyKey: request.idempotencyKey ?? null,
      createdAt: now,
      idempotencyExpiresAt: now + windowMs,
      onlyEndpointId: request.onlyEndpointId ?? null,
    });
    if (!result.duplicate) metrics?.eventsAccepted.inc();
    return result;
  };

  const publishFairly = async (request: PublishRequest): Promise<PublishResult> => {
    await admission.enter(request.organizationId);
    try {
      return await publishAdmitted(request);
    } finally {
      admission.leave(request.organizationId);
    }
  };
  // Publishes still waiting for admission have not reached the committer yet; drain waits for them too.
  const inProgress = new Set<Promise<PublishResult>>();

  return {
    async publish(request) {
      const running = publishFairly(request);
      inProgress.add(running);
      try {
        return await running;
      } finally {
        inProgress.delete(running);
      }
    },
    async drain() {
      while (inProgress.size > 0) await Promise.allSettled([...inProgress]);
      await committer.drain();
    },
  };
}
