import type { Metrics } from '../metrics.js';
import type { AttemptOutcome } from './send.js';

/**
 * Counts a finished attempt and, for a success, observes how long the event took to arrive. The
 * claimed delivery does not carry the event's creation time, but Herald's event ids are UUID v7,
 * whose first 48 bits are it; an id of another version (a caller-chosen UUID v4) is not observed.
 */
export function observeAttempt(metrics: Metrics, outcome: AttemptOutcome, eventId: string, finishedAt: number): void {
  if (!outcome.ok) {
    metrics.attempts.inc({ outcome: 'failed', error_kind: outcome.errorKind });
    return;
  }
  metrics.attempts.inc({ outcome: 'succeeded' });
  const createdAt = uuidv7Time(eventId);
  if (createdAt !== null && finishedAt >= createdAt) metrics.deliveryLatency.observe((finishedAt - createdAt) / 1000);
}

/** The Unix milliseconds encoded in a UUID v7, or null for any other string. */
function uuidv7Time(id: string): number | null {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(id)) return null;
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
