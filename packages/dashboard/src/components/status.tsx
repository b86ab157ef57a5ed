import type { DeliveryStatus } from '../api/types.js';

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
