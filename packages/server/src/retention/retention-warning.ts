/** Below this, `herald serve` warns at start: deliveries vanish from the log almost at once. */
export const SHORT_RETENTION_MS = 3_600_000;

export function shortRetentionWarning(retentionMs: number): string | null {
  if (retentionMs >= SHORT_RETENTION_MS) return null;
  return (
    `WARNING: --retention is ${retentionMs} ms (under 1 h): finished deliveries, their attempts and their events ` +
    'are deleted that soon after they finish, and idempotency keys last no longer than their events.\n'
  );
}
