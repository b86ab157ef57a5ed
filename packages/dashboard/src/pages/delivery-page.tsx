import { useState } from 'react';
import { api, ApiError } from '../api/client.js';
import type { Attempt, DeliveryWithAttempts, Endpoint, EventRecord } from '../api/types.js';
import { CodeBlock, prettyBody, prettyJson } from '../components/code-block.js';
import { CopyButton } from '../components/copy-button.js';
import { ErrorNotice, Loading, Notice } from '../components/notice.js';
import { PageHeader } from '../components/page-header.js';
import { AttemptOutcome, DeliveryStatusBadge } from '../components/status.js';
import { MiddleTruncated } from '../components/truncated-text.js';
import { formatDateTime, formatDuration, formatRelative } from '../format.js';
import { Link, navigate, useLocation } from '../router.js';
import { useResource } from '../use-resource.js';
import { useTitle } from '../use-title.js';
import { NotFoundPage } from './not-found-page.js';

const PENDING_POLL_MS = 1000;

export function DeliveryPage({ deliveryId }: { deliveryId: string }) {
  const resentFrom = useLocation().search.get('resent_from');
  const [pending, setPending] = useState(true);
  // A pending delivery polls, so attempts appear as they happen; a finished one holds still.
  const delivery = useResource(
    `delivery:${deliveryId}`,
    async () => {
      const d = await api.get<DeliveryWithAttempts>(`/v1/deliveries/${deliveryId}`);
      setPending(d.status === 'pending');
      return d;
    },
    pending ? { pollMs: PENDING_POLL_MS } : {},
  );
  useTitle(delivery.error?.notFound ? 'Not found' : 'Delivery');
  const eventId = delivery.data?.event_id;
  const endpointId = delivery.data?.endpoint_id;
  const event = useResource(eventId === undefined ? null : `event:${eventId}`, () => api.get<EventRecord>(`/v1/events/${eventId}`));
  const endpoint = useResource(endpointId === undefined ? null : `endpoint:${endpointId}`, () => api.get<Endpoint>(`/v1/endpoints/${endpointId}`));

  if (delivery.error !== undefined && delivery.data === undefined) {
    if (delivery.error.notFound) return <NotFoundPage lead="There is no delivery at this address. Its webhook may have been deleted." />;
    return (
      <>
        <PageHeader title="Delivery" back={{ to: '/deliveries', label: 'Deliveries' }} />
        <ErrorNotice error={delivery.error} title="Could not load this delivery" onRetry={delivery.reload} />
      </>
    );
  }
  if (delivery.data === undefined) return <Loading what="the delivery" />;
  const d = delivery.data;
  const last = d.attempts.at(-1);
  const envelope = event.data === undefined ? undefined : { id: event.data.id, event: event.data.event, payload: event.data.payload };

  return (
    <>
      <PageHeader
        back={endpointId !== undefined ? { to: `/webhooks/${endpointId}`, label: 'Webhook' } : { to: '/deliveries', label: 'Deliveries' }}
        title={
          <>
            <code>{d.event_type}</code> delivery
          </>
        }
        lead={
          <>
            <DeliveryStatusBadge status={d.status} /> {statusSentence(d)}
          </>
        }
        actions={<ResendButton delivery={d} />}
      />
      {resentFrom !== null && (
        <Notice tone="success" title="Resent">
          This is a new delivery of the same event (same envelope id) with a fresh series of attempts.{' '}
          <Link to={`/deliveries/${resentFrom}`}>See the original delivery</Link>.
        </Notice>
      )}

      <section className="card" aria-labelledby="summary-title">
        <h2 id="summary-title">Summary</h2>
        <dl className="details details-wide">
          <dt>Envelope id</dt>
          <dd className="with-action">
            <code className="break" data-testid="envelope-id">{d.event_id}</code>
            <CopyButton text={d.event_id} what="envelope id" className="button button-small button-ghost" />
          </dd>
          <dt>Webhook</dt>
          <dd className="with-action">
            {endpoint.data !== undefined ? (
              <>
                <Link to={`/webhooks/${endpoint.data.id}`} className="url-link-inline">
                  <MiddleTruncated text={endpoint.data.url} />
                </Link>
                <CopyButton text={endpoint.data.url} what="webhook URL" className="button button-small button-ghost" />
              </>
            ) : endpoint.error !== undefined ? (
              <span className="muted">deleted</span>
            ) : (
              <span className="muted">…</span>
            )}
          </dd>
          <dt>Created</dt>
          <dd>{formatDateTime(d.created_at)}</dd>
          <dt>Attempts</dt>
          <dd>{d.attempt_count}</dd>
          {d.status === 'pending' && d.next_attempt_at !== null && (
            <>
              <dt>Next attempt</dt>
              <dd>
                <time dateTime={d.next_attempt_at}>{formatRelative(d.next_attempt_at)}</time>
              </dd>
            </>
          )}
          {d.resend_of !== null && (
            <>
              <dt>Resend of</dt>
              <dd>
                <Link to={`/deliveries/${d.resend_of}`}>the earlier delivery</Link>
              </dd>
            </>
          )}
          <dt>Delivery id</dt>
          <dd>
            <code className="break">{d.id}</code>
          </dd>
        </dl>
      </section>

      <section className="card" aria-labelledby="request-title">
        <h2 id="request-title">Request as sent</h2>
        <p className="request-line">
          <code>
            POST {endpoint.data !== undefined ? <MiddleTruncated text={endpoint.data.url} /> : '…'}
          </code>
        </p>
        {last === undefined ? (
          <p className="muted">Not sent yet{d.next_attempt_at !== null ? `; the first attempt is due ${formatRelative(d.next_attempt_at)}` : ''}.</p>
        ) : (
          <>
            <h3>
              Headers <span className="muted small">(attempt {last.number}; every attempt is signed afresh)</span>
            </h3>
            <HeaderTable headers={last.request_headers} testId="request-headers" />
          </>
        )}
        <h3>Body</h3>
        {event.error !== undefined && <ErrorNotice error={event.error} title="Could not load the event" onRetry={event.reload} />}
        {envelope === undefined && event.error === undefined && <Loading what="the body" />}
        {envelope !== undefined && (
          <>
            <CodeBlock label="Body, pretty-printed" copies="request body" code={prettyJson(envelope)} />
            <details className="raw-body">
              <summary>Exact bytes on the wire (what the signature signs)</summary>
              {/* The exact bytes Herald sends: the envelope as JSON.stringify writes it (wire spec §1). */}
              <CodeBlock label="Raw body" copies="raw request body" code={JSON.stringify(envelope)} testId="raw-body" />
            </details>
          </>
        )}
      </section>

      <section className="card" aria-labelledby="attempts-title">
        <h2 id="attempts-title">Attempts</h2>
        {d.attempts.length === 0 ? (
          <p className="muted">No attempts yet.</p>
        ) : (
          <ol className="attempts" data-testid="attempts">
            {d.attempts.map((attempt, i) => (
              <AttemptItem key={attempt.id} attempt={attempt} previous={d.attempts[i - 1]} />
            ))}
          </ol>
        )}
      </section>
    </>
  );
}

function statusSentence(d: DeliveryWithAttempts): string {
  if (d.status === 'succeeded') return `after ${d.attempt_count} attempt${d.attempt_count === 1 ? '' : 's'}.`;
  if (d.status === 'failed') return `after ${d.attempt_count} attempt${d.attempt_count === 1 ? '' : 's'}; Herald will not retry it. Resend it once your endpoint is fixed.`;
  return d.attempt_count === 0 ? 'waiting for its first attempt.' : `attempt ${d.attempt_count} failed or is in flight; Herald retries on schedule.`;
}

function ResendButton({ delivery }: { delivery: DeliveryWithAttempts }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const resend = async () => {
    setBusy(true);
    setError(null);
    try {
      const resent = await api.post<{ id: string }>(`/v1/deliveries/${delivery.id}/resend`);
      navigate(`/deliveries/${resent.id}?resent_from=${delivery.id}`);
    } catch (cause) {
      setError(cause as ApiError);
      setBusy(false);
    }
  };
  const pending = delivery.status === 'pending';
  return (
    <>
      <button
        type="button"
        className="button button-primary"
        onClick={() => void resend()}
        disabled={busy || pending}
        aria-describedby={pending ? 'resend-why' : undefined}
      >
        {busy ? 'Resending…' : 'Resend'}
      </button>
      {pending && (
        <span id="resend-why" className="hint">
          Available once this delivery has finished.
        </span>
      )}
      {error !== null && <ErrorNotice error={error} title="Not resent" />}
    </>
  );
}

function HeaderTable({ headers, testId }: { headers: Record<string, string>; testId?: string }) {
  return (
    <div className="table-wrap">
      <table className="table table-headers" data-testid={testId}>
        <thead>
          <tr>
            <th scope="col">Header</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(headers).map(([name, value]) => (
            <tr key={name} data-header={name.toLowerCase()}>
              <th scope="row">
                <code>{name}</code>
              </th>
              <td>
                <code className="break">{value}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AttemptItem({ attempt, previous }: { attempt: Attempt; previous: Attempt | undefined }) {
  // The retry schedule counts from the moment the previous attempt's failure was known.
  const waited = previous === undefined ? null : Date.parse(attempt.started_at) - (Date.parse(previous.started_at) + previous.duration_ms);
  return (
    <li className="attempt" data-attempt={attempt.number}>
      <div className="attempt-head">
        <h3>Attempt {attempt.number}</h3>
        <AttemptOutcome statusCode={attempt.status_code} errorKind={attempt.error_kind} succeeded={attempt.succeeded} />
        {attempt.final && !attempt.succeeded && <span className="tag tag-small">last attempt</span>}
      </div>
      <dl className="details details-inline">
        <dt>Started</dt>
        <dd>
          <time dateTime={attempt.started_at}>{formatDateTime(attempt.started_at)}</time>
          {waited !== null && <span className="muted"> ({formatDuration(Math.max(0, waited))} after attempt {previous!.number} failed)</span>}
        </dd>
        <dt>Duration</dt>
        <dd>{formatDuration(attempt.duration_ms)}</dd>
        {attempt.error_message !== null && (
          <>
            <dt>Error</dt>
            <dd className="attempt-error">{attempt.error_message}</dd>
          </>
        )}
      </dl>
      {attempt.response_body !== null && attempt.response_body !== '' ? (
        <CodeBlock label="Response body (first 4 KiB)" copies={`response body of attempt ${attempt.number}`} code={prettyBody(attempt.response_body)} />
      ) : (
        <p className="muted small">{attempt.status_code === null ? 'No response.' : 'Empty response body.'}</p>
      )}
      <details>
        <summary>Request headers of this attempt</summary>
        <HeaderTable headers={attempt.request_headers} />
      </details>
    </li>
  );
}
