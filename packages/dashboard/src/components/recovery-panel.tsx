import { useId, useState } from 'react';
import { api, ApiError } from '../api/client.js';
import type { Endpoint, Recovery, RecoveryCount } from '../api/types.js';
import { formatDateTime, localInputValue } from '../format.js';
import { useResource } from '../use-resource.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { ErrorNotice } from './notice.js';

const DAY_MS = 86_400_000;
const PROGRESS_POLL_MS = 2000;

/**
 * "Recover failed deliveries since …": shows how many deliveries that ended failed since the chosen
 * time would be sent again (a dry run), sends them once confirmed, then follows the recovery's
 * progress. Each delivery is sent again only once, however often this is used.
 */
export function RecoveryPanel({ endpoint }: { endpoint: Endpoint }) {
  const id = useId();
  const start = endpoint.failing_since ?? endpoint.disabled_at ?? new Date(Date.now() - DAY_MS).toISOString();
  const [since, setSince] = useState(localInputValue(start));
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [recoveryId, setRecoveryId] = useState<string | null>(null);

  const sinceTime = new Date(since);
  const sinceIso = since === '' || Number.isNaN(sinceTime.getTime()) ? null : sinceTime.toISOString();
  const countPath = `/v1/endpoints/${endpoint.id}/recover`;
  const count = useResource(sinceIso === null || recoveryId !== null ? null : `recover-count:${endpoint.id}:${sinceIso}:${String(endpoint.enabled)}`, () =>
    api.post<RecoveryCount>(countPath, { since: sinceIso, dry_run: true }),
  );
  const recovery = useResource(
    recoveryId === null ? null : `recovery:${recoveryId}`,
    () => api.get<Recovery>(`/v1/endpoints/${endpoint.id}/recoveries/${recoveryId}`),
    { pollMs: PROGRESS_POLL_MS },
  );
  const total = count.data?.total;

  const recover = async () => {
    setBusy(true);
    setError(null);
    try {
      const started = await api.post<Recovery>(countPath, { since: sinceIso });
      setRecoveryId(started.id);
    } catch (cause) {
      setError(cause as ApiError);
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Recover failed deliveries</h2>
      <p className="hint">
        Sends every delivery to this webhook that failed since the time you choose again, as a new delivery of the same event with the
        same envelope id. A delivery is sent again only once, however often you recover.
      </p>
      {recoveryId === null ? (
        <>
          <div className="field field-inline">
            <label htmlFor={`${id}-since`}>Recover failed deliveries since</label>
            <input id={`${id}-since`} type="datetime-local" step={1} value={since} onChange={(e) => setSince(e.target.value)} />
          </div>
          <p className="recovery-count" aria-live="polite" data-recoverable={total}>
            {sinceIso === null
              ? 'Choose a date and time.'
              : total === undefined
                ? count.error !== undefined ? '' : 'Counting…'
                : total === 0
                  ? `No failed deliveries to recover since ${formatDateTime(sinceIso)}.`
                  : `${total} failed deliver${total === 1 ? 'y' : 'ies'} since ${formatDateTime(sinceIso)} can be sent again.`}
          </p>
          {count.error !== undefined && <ErrorNotice error={count.error} title="Could not count the failed deliveries" onRetry={count.reload} />}
          {!endpoint.enabled && <p className="hint">Re-enable this webhook to recover: a disabled webhook is sent nothing.</p>}
          <button
            type="button"
            className="button button-primary"
            disabled={!endpoint.enabled || total === undefined || total === 0 || busy}
            onClick={() => setConfirming(true)}
          >
            {total !== undefined && total > 0 ? `Recover ${total} deliver${total === 1 ? 'y' : 'ies'}` : 'Recover'}
          </button>
        </>
      ) : (
        <RecoveryProgress recovery={recovery.data} onDone={() => setRecoveryId(null)} />
      )}
      {recovery.error !== undefined && <ErrorNotice error={recovery.error} title="Could not load the recovery's progress" onRetry={recovery.reload} />}
      {error !== null && <ErrorNotice error={error} title="Not recovered" />}
      <ConfirmDialog
        open={confirming}
        title={`Send ${total ?? 0} deliveries again?`}
        confirmLabel="Recover"
        busy={busy}
        onConfirm={() => void recover()}
        onCancel={() => setConfirming(false)}
      >
        <p>
          Every delivery to this webhook that failed since {sinceIso !== null ? formatDateTime(sinceIso) : '…'} is sent again, once, with
          its original envelope id, so a receiver that deduplicates by id sees nothing twice.
        </p>
      </ConfirmDialog>
    </section>
  );
}

function RecoveryProgress({ recovery, onDone }: { recovery: Recovery | undefined; onDone: () => void }) {
  if (recovery === undefined) return <p aria-live="polite">Starting the recovery…</p>;
  const finished = recovery.succeeded + recovery.failed;
  return (
    <div className="recovery-progress" data-recovery-id={recovery.id} data-done={String(recovery.done)}>
      <label className="small" htmlFor={`progress-${recovery.id}`}>
        {recovery.done ? 'Recovery finished' : 'Recovering…'}
      </label>
      <progress id={`progress-${recovery.id}`} max={Math.max(recovery.total, 1)} value={recovery.total === 0 ? 1 : finished} />
      <p aria-live="polite" className="recovery-status">
        {recovery.succeeded} of {recovery.total} delivered · {recovery.failed} failed · {recovery.pending} pending
      </p>
      {recovery.done && (
        <button type="button" className="button button-small" onClick={onDone}>
          Recover more
        </button>
      )}
    </div>
  );
}
