/**
 * Why a hanging endpoint can only hurt itself: adaptive per-endpoint concurrency plus a circuit
 * breaker. The state lives on the endpoint row (the store applies `EndpointFeedback`), so it holds
 * across every dispatcher process; this file is the policy.
 *
 * - An endpoint starts at 4 attempts in flight. Every attempt that gets an answer (any status: a 500
 *   answered quickly costs a slot for milliseconds) raises its limit by one, up to
 *   `--endpoint-concurrency`.
 * - An attempt that times out or cannot connect drops the limit to 1 at once.
 * - After `openAfter` of those in a row the circuit opens: for `cooldownMs` the endpoint gets no
 *   attempts at all (its deliveries wait and spend no attempts), then one probe goes through. An
 *   answer closes the circuit; another timeout opens it again.
 *
 * So N hanging endpoints hold at most 4·N slots until their first timeouts, N slots after, and none
 * while their circuits are open. A healthy endpoint's retry schedule is untouched.
 */
import type { AttemptOutcome } from './send.js';
import type { ClaimedDelivery, EndpointFeedback } from '../store/store.js';

export interface CircuitPolicy {
  /** The most attempts in flight to one endpoint, across all dispatchers. */
  maxConcurrency: number;
  /** Unanswered attempts in a row that open the circuit. */
  openAfter: number;
  /** How long an open circuit lets nothing through. */
  cooldownMs: number;
}

export const DEFAULT_CIRCUIT: Omit<CircuitPolicy, 'maxConcurrency'> = { openAfter: 5, cooldownMs: 30_000 };

/** What one finished attempt says about its endpoint, with the endpoint's state when it was claimed. */
export interface EndpointSignal {
  endpointId: string;
  answered: boolean;
  claimedLimit: number;
  claimedUnanswered: number;
}

/** Null for outcomes that say nothing about responsiveness (a refused address, a bad URL). */
export function endpointSignal(delivery: ClaimedDelivery, outcome: AttemptOutcome): EndpointSignal | null {
  const answered = outcome.ok || outcome.errorKind === 'http_status';
  const unanswered = !outcome.ok && (outcome.errorKind === 'timeout' || outcome.errorKind === 'connection' || outcome.errorKind === 'tls');
  if (!answered && !unanswered) return null;
  return {
    endpointId: delivery.endpointId,
    answered,
    claimedLimit: delivery.endpointConcurrencyLimit,
    claimedUnanswered: delivery.endpointUnanswered,
  };
}

/**
 * Folds a batch of signals (in the order the attempts finished) into at most one feedback per
 * endpoint: its last run of answered or unanswered attempts. An answered run is left out when the
 * endpoint was already at its full limit with no streak, so healthy traffic writes nothing.
 */
export function feedbackFor(signals: readonly EndpointSignal[], policy: CircuitPolicy, now: number): EndpointFeedback[] {
  const runs = new Map<string, { answered: boolean; count: number; afterAnswer: boolean; needed: boolean }>();
  for (const signal of signals) {
    const run = runs.get(signal.endpointId);
    const needed = !signal.answered || signal.claimedUnanswered > 0 || signal.claimedLimit < policy.maxConcurrency;
    if (run === undefined) {
      runs.set(signal.endpointId, { answered: signal.answered, count: 1, afterAnswer: false, needed });
    } else if (run.answered === signal.answered) {
      run.count += 1;
      run.needed ||= needed;
    } else {
      runs.set(signal.endpointId, { answered: signal.answered, count: 1, afterAnswer: run.answered, needed: true });
    }
  }
  const feedback: EndpointFeedback[] = [];
  for (const [endpointId, run] of runs) {
    if (!run.needed) continue;
    feedback.push({
      endpointId,
      kind: run.answered ? 'answered' : 'unanswered',
      count: run.count,
      afterAnswer: run.afterAnswer,
      maxConcurrency: policy.maxConcurrency,
      openAfter: policy.openAfter,
      cooldownMs: policy.cooldownMs,
      now,
    });
  }
  return feedback;
}
