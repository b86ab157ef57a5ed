import { useId, useState } from 'react';
import { api, ApiError } from '../api/client.js';
import type { EndpointSecrets } from '../api/types.js';
import { formatDateTime, formatRelative, formatSeconds } from '../format.js';
import { useResource } from '../use-resource.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { CopyButton } from './copy-button.js';
import { ErrorNotice, Loading, Notice } from './notice.js';

const GRACE_CHOICES = [0, 3600, 86_400, 3 * 86_400, 7 * 86_400] as const;
const DEFAULT_GRACE = 86_400;

/**
 * The endpoint's signing secret: hidden until asked for, copyable, and rotated with a grace period
 * during which deliveries carry both signatures (wire spec §3).
 */
export function SecretPanel({ endpointId }: { endpointId: string }) {
  const secret = useResource(`secret:${endpointId}`, () => api.get<EndpointSecrets>(`/v1/endpoints/${endpointId}/secret`));
  const [revealed, setRevealed] = useState(false);
  const [rotating, setRotating] = useState(false);
  const [revoking, setRevoking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const act = async (work: () => Promise<unknown>, message: string) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      await secret.reload();
      setDone(message);
    } catch (cause) {
      setError(cause as ApiError);
    } finally {
      setBusy(false);
      setRotating(false);
      setRevoking(false);
    }
  };

  return (
    <section className="card" aria-labelledby="secret-title">
      <h2 id="secret-title">Signing secret</h2>
      <p className="hint">
        Your receiver verifies the <code>X-Webhook-Signature</code> header of every delivery with this secret. Keep it in your
        server's environment, never in code or logs.
      </p>
      {secret.error !== undefined && <ErrorNotice error={secret.error} title="Could not load the secret" onRetry={secret.reload} />}
      {secret.data === undefined && secret.error === undefined && <Loading what="the secret" />}
      {secret.data !== undefined && (
        <>
          <div className="secret-row">
            <code className="secret-value" data-testid="secret-value" aria-label={revealed ? 'Signing secret' : 'Signing secret, hidden'}>
              {revealed ? secret.data.secret : `whsec_${'•'.repeat(24)}`}
            </code>
            <div className="secret-actions">
              <button type="button" className="button button-small" onClick={() => setRevealed((r) => !r)} aria-pressed={revealed}>
                {revealed ? 'Hide' : 'Reveal'}
              </button>
              <CopyButton text={secret.data.secret} what="secret" spelledOut className="button button-small" />
            </div>
          </div>
          {secret.data.previous !== undefined && (
            <Notice tone="warning" title="Rotation in progress">
              <p>
                The previous secret stays valid until{' '}
                <time dateTime={secret.data.previous.expires_at}>{formatDateTime(secret.data.previous.expires_at)}</time> (
                {formatRelative(secret.data.previous.expires_at)}). Until then every delivery carries two signatures, the new one first:{' '}
                <code>t=…,v1=&lt;new&gt;,v1=&lt;previous&gt;</code>.
              </p>
              <button type="button" className="button button-small" onClick={() => setRevoking(true)} disabled={busy}>
                Revoke previous secret
              </button>
            </Notice>
          )}
          {done !== null && <Notice tone="success">{done}</Notice>}
          {error !== null && <ErrorNotice error={error} title="That did not work" />}
          <div className="card-actions">
            <button type="button" className="button" onClick={() => setRotating(true)} disabled={busy}>
              Generate new secret
            </button>
          </div>
        </>
      )}
      <RotateDialog
        open={rotating}
        busy={busy}
        onCancel={() => setRotating(false)}
        onConfirm={(graceSeconds) =>
          void act(
            () => api.post(`/v1/endpoints/${endpointId}/secret/rotate`, { grace_seconds: graceSeconds }),
            graceSeconds === 0
              ? 'New secret generated. The previous one no longer signs deliveries.'
              : `New secret generated. The previous one keeps signing for ${formatSeconds(graceSeconds)}.`,
          )
        }
      />
      <ConfirmDialog
        open={revoking}
        title="Revoke the previous secret now?"
        confirmLabel="Revoke previous secret"
        danger
        busy={busy}
        onCancel={() => setRevoking(false)}
        onConfirm={() => void act(() => api.delete(`/v1/endpoints/${endpointId}/secret/previous`), 'The previous secret is revoked; deliveries carry one signature again.')}
      >
        <p>From the next attempt on, deliveries are signed with the current secret only. Receivers still configured with the previous secret will reject them.</p>
      </ConfirmDialog>
    </section>
  );
}

function RotateDialog({ open, busy, onCancel, onConfirm }: { open: boolean; busy: boolean; onCancel: () => void; onConfirm: (graceSeconds: number) => void }) {
  const [grace, setGrace] = useState<number>(DEFAULT_GRACE);
  const id = useId();
  return (
    <ConfirmDialog open={open} title="Generate a new secret" confirmLabel="Generate new secret" busy={busy} onCancel={onCancel} onConfirm={() => onConfirm(grace)}>
      <p>
        The new secret signs every delivery from now on. So that your receivers can switch over without rejecting anything, the
        current secret can keep signing too for a while.
      </p>
      <div className="field">
        <label htmlFor={`${id}-grace`}>Keep the current secret valid for</label>
        <select id={`${id}-grace`} value={grace} onChange={(e) => setGrace(Number(e.target.value))} aria-describedby={`${id}-explain`}>
          {GRACE_CHOICES.map((seconds) => (
            <option key={seconds} value={seconds}>
              {seconds === 0 ? 'No grace period: stop using it now' : formatSeconds(seconds) + (seconds === DEFAULT_GRACE ? ' (recommended)' : '')}
            </option>
          ))}
        </select>
      </div>
      <div id={`${id}-explain`} className="explain">
        {grace === 0 ? (
          <p>
            Deliveries are signed with the new secret only, at once. Receivers that still have the current secret reject them until you
            update their configuration; failed deliveries can be resent from the log.
          </p>
        ) : (
          <>
            <p>
              For {formatSeconds(grace)}, each delivery carries two signatures, newest first:{' '}
              <code>X-Webhook-Signature: t=…,v1=&lt;new&gt;,v1=&lt;current&gt;</code>. Receivers configured with either secret keep
              verifying (the official ContactsManager SDKs check the last <code>v1</code>, which is the current secret's).
            </p>
            <p>Put the new secret in your receivers' configuration before the grace period ends, or revoke the old one earlier here.</p>
          </>
        )}
      </div>
    </ConfirmDialog>
  );
}
