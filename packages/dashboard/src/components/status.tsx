import type { Delivery, DeliveryStatus, Endpoint } from '../api/types.js';
import { formatDateTime, formatIn, formatRelative, formatWhen } from '../format.js';

/** Statuses always read as words; the colour and the symbol only repeat what the word says. */

const DELIVERY: Record<DeliveryStatus, { label: string; symbol: string }> = {
  succeeded: { label: 'Succeeded', symbol: '✓' },
  failed: { label: 'Failed', symbol: '✕' },
  pending: { label: 'Pending', symbol: '…' },
};

export function DeliveryStatusBadge({ status }: { status: DeliveryStatus }) {
  const { label, symbol } = DELIVERY[status];
  return (
    <span className={`badge badge-${status}`} data-status={status}>
      <span aria-hidden="true">{symbol}</span> {label}
    </span>
  );
}

/**
 * A delivery's status as the log shows it: a pending delivery that has been tried reads as a retry,
 * with its place in the series and when the next attempt is due. `totalAttempts` is known when the
 * endpoint has its own retry schedule; otherwise the server's applies and the count is left out.
 */
export function DeliveryStateBadge({ delivery, totalAttempts, now = Date.now() }: { delivery: Delivery; totalAttempts?: number | undefined; now?: number }) {
  if (delivery.status !== 'pending' || delivery.attempt_count === 0 || delivery.last_attempt_at === null) {
    return <DeliveryStatusBadge status={delivery.status} />;
  }
  const next = delivery.next_attempt_at === null ? null : Date.parse(delivery.next_attempt_at) - now;
  const parts = [
    'Retrying',
    `attempt ${delivery.attempt_count + 1}${totalAttempts !== undefined ? ` of ${totalAttempts}` : ''}`,
    next === null || next <= 0 ? 'due now' : `next in ${formatIn(next)}`,
  ];
  return (
    <span className="badge badge-pending" data-status="retrying" title={delivery.next_attempt_at !== null ? `Next attempt ${formatDateTime(delivery.next_attempt_at)}` : undefined}>
      <span aria-hidden="true">↻</span> {parts.join(' · ')}
    </span>
  );
}

/** How many attempts each delivery to `endpoint` gets, when it has its own schedule. */
export function attemptsOf(endpoint: Endpoint | undefined): number | undefined {
  return endpoint?.retry_schedule === null || endpoint?.retry_schedule === undefined ? undefined : endpoint.retry_schedule.length + 1;
}

const DISABLED_REASON: Record<NonNullable<Endpoint['disabled_reason']>, string> = {
  gone: 'gone',
  failing: 'failing',
  manual: 'manual',
};

/** Healthy, "Failing since …", or "Disabled: gone / failing / manual": what an endpoint's delivery state is. */
export function HealthBadge({ endpoint, now = Date.now() }: { endpoint: Endpoint; now?: number }) {
  if (!endpoint.enabled) {
    const reason = DISABLED_REASON[endpoint.disabled_reason ?? 'manual'];
    return (
      <span className="badge badge-disabled" data-health="disabled" data-reason={reason}>
        <span aria-hidden="true">○</span> Disabled: {reason}
      </span>
    );
  }
  if (endpoint.failing_since !== null) {
    return (
      <span className="badge badge-failed" data-health="failing" title={`${formatDateTime(endpoint.failing_since)} (${formatRelative(endpoint.failing_since, now)})`}>
        <span aria-hidden="true">!</span> Failing since {formatWhen(endpoint.failing_since, now)}
      </span>
    );
  }
  return (
    <span className="badge badge-enabled" data-health="healthy">
      <span aria-hidden="true">●</span> Healthy
    </span>
  );
}

export function EnabledBadge({ enabled }: { enabled: boolean }) {
  return (
    <span className={`badge ${enabled ? 'badge-enabled' : 'badge-disabled'}`}>
      <span aria-hidden="true">{enabled ? '●' : '○'}</span> {enabled ? 'Enabled' : 'Disabled'}
    </span>
  );
}

export function AttemptOutcome({ statusCode, errorKind, succeeded }: { statusCode: number | null; errorKind: string | null; succeeded: boolean }) {
  const text = statusCode !== null ? `HTTP ${statusCode}` : (errorKind ?? 'no answer').replace(/_/g, ' ');
  return (
    <span className={`badge ${succeeded ? 'badge-succeeded' : 'badge-failed'}`}>
      <span aria-hidden="true">{succeeded ? '✓' : '✕'}</span> {text}
    </span>
  );
}
