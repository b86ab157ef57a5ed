import { useState } from 'react';
import { api, ApiError } from '../api/client.js';
import type { Endpoint } from '../api/types.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { CopyButton } from '../components/copy-button.js';
import { DeliveryLog } from '../components/delivery-log.js';
import { EventList } from '../components/event-list.js';
import { ErrorNotice, Loading, Notice } from '../components/notice.js';
import { PageHeader } from '../components/page-header.js';
import { SecretPanel } from '../components/secret-panel.js';
import { RecoveryPanel } from '../components/recovery-panel.js';
import { HealthBadge } from '../components/status.js';
import { TestEventPanel } from '../components/test-event-panel.js';
import { MiddleTruncated } from '../components/truncated-text.js';
import { formatDateTime, shortenMiddle } from '../format.js';
import { Link, navigate, useLocation } from '../router.js';
import { useResource } from '../use-resource.js';
import { useTitle } from '../use-title.js';
import { NotFoundPage } from './not-found-page.js';

export function WebhookPage({ endpointId }: { endpointId: string }) {
  const endpoint = useResource(`endpoint:${endpointId}`, () => api.get<Endpoint>(`/v1/endpoints/${endpointId}`));
  useTitle(endpoint.error?.notFound ? 'Not found' : 'Webhook');
  const created = useLocation().search.get('created') === '1';

  if (endpoint.error !== undefined && endpoint.data === undefined) {
    if (endpoint.error.notFound) return <NotFoundPage lead="There is no webhook at this address. It may have been deleted." />;
    return (
      <>
        <PageHeader title="Webhook" back={{ to: '/webhooks', label: 'Webhooks' }} />
        <ErrorNotice error={endpoint.error} title="Could not load this webhook" onRetry={endpoint.reload} />
      </>
    );
  }
  if (endpoint.data === undefined) return <Loading what="the webhook" />;
  const data = endpoint.data;
  return (
    <>
      <PageHeader
        back={{ to: '/webhooks', label: 'Webhooks' }}
        title={<MiddleTruncated text={data.url} className="url-title" />}
        titleAside={<CopyButton text={data.url} what="URL" className="button button-small" />}
        lead={data.description !== '' ? data.description : undefined}
        actions={<Actions endpoint={data} onChange={() => void endpoint.reload()} />}
      />
      {endpoint.error !== undefined && <ErrorNotice error={endpoint.error} title="Could not refresh this webhook" onRetry={endpoint.reload} />}
      {created && (
        <Notice tone="success" title="Webhook added">
          Next: copy its signing secret into your receiver's configuration, then send a test event and watch it in the log below.
        </Notice>
      )}
      <div className="grid-2">
        <section className="card" aria-labelledby="details-title">
          <h2 id="details-title">Details</h2>
          <dl className="details">
            <dt>State</dt>
            <dd>
              <HealthBadge endpoint={data} />
              <HealthDetail endpoint={data} />
            </dd>
            <dt>Events</dt>
            <dd>
              <EventList events={data.events} />
            </dd>
            <dt>Created</dt>
            <dd>{formatDateTime(data.created_at)}</dd>
            <dt>Webhook id</dt>
            <dd>
              <code className="break">{data.id}</code>
            </dd>
          </dl>
        </section>
        <SecretPanel endpointId={data.id} />
      </div>
      <RecoveryPanel endpoint={data} />
      <TestEventPanel endpoint={data} />
      <section className="card" aria-labelledby="log-title">
        <div className="card-title-row">
          <h2 id="log-title">Delivery log</h2>
          <Link to={`/deliveries`} className="small">
            All webhooks' deliveries
          </Link>
        </div>
        <DeliveryLog endpointId={data.id} endpoint={data} />
      </section>
    </>
  );
}

const DISABLED_BECAUSE: Record<NonNullable<Endpoint['disabled_reason']>, string> = {
  gone: 'Herald disabled it because it answered 410 Gone: the receiver said this URL is no longer there.',
  failing: 'Herald disabled it because every delivery to it failed for days.',
  manual: 'It was disabled by hand.',
};

/** Why it is disabled, or how long it has been failing, in words. */
function HealthDetail({ endpoint }: { endpoint: Endpoint }) {
  if (!endpoint.enabled) {
    return (
      <p className="hint health-detail">
        {DISABLED_BECAUSE[endpoint.disabled_reason ?? 'manual']}
        {endpoint.disabled_at !== null && <> Disabled {formatDateTime(endpoint.disabled_at)}.</>} It gets no new deliveries until you
        re-enable it; then recover what it missed below.
      </p>
    );
  }
  if (endpoint.failing_since === null) return null;
  const failed = endpoint.failed_deliveries_in_streak;
  return (
    <p className="hint health-detail">
      Failing since {formatDateTime(endpoint.failing_since)}: {failed} deliver{failed === 1 ? 'y' : 'ies'} failed since, and no attempt
      has succeeded. It counts as healthy again after its next successful attempt.
    </p>
  );
}

function Actions({ endpoint, onChange }: { endpoint: Endpoint; onChange: () => void }) {
  const [busy, setBusy] = useState<'toggle' | 'delete' | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const toggle = async () => {
    setBusy('toggle');
    setError(null);
    try {
      await api.patch(`/v1/endpoints/${endpoint.id}`, { enabled: !endpoint.enabled });
      onChange();
    } catch (cause) {
      setError(cause as ApiError);
    } finally {
      setBusy(null);
    }
  };

  const remove = async () => {
    setBusy('delete');
    try {
      await api.delete(`/v1/endpoints/${endpoint.id}`);
      const name = endpoint.description !== '' ? endpoint.description : shortenMiddle(endpoint.url, 80);
      navigate('/webhooks', { state: { notice: `Deleted the webhook ${name}, with its delivery log and secret.` } });
    } catch (cause) {
      setConfirming(false);
      setBusy(null);
      setError(cause as ApiError);
    }
  };

  return (
    <>
      <Link to={`/webhooks/${endpoint.id}/edit`} className="button">
        Edit
      </Link>
      <button type="button" className="button" onClick={() => void toggle()} disabled={busy !== null}>
        {busy === 'toggle' ? 'Saving…' : endpoint.enabled ? 'Disable' : 'Re-enable'}
      </button>
      <button type="button" className="button button-danger-outline" onClick={() => setConfirming(true)} disabled={busy !== null}>
        Delete
      </button>
      {error !== null && <ErrorNotice error={error} title="That did not work" />}
      <ConfirmDialog
        open={confirming}
        title="Delete this webhook?"
        confirmLabel="Delete webhook"
        danger
        busy={busy === 'delete'}
        onConfirm={() => void remove()}
        onCancel={() => setConfirming(false)}
      >
        <p>
          <code className="dialog-url">
            <MiddleTruncated text={endpoint.url} />
          </code>{' '}
          will get no more deliveries, and its delivery log and secret are deleted with it.
          This cannot be undone.
        </p>
      </ConfirmDialog>
    </>
  );
}
