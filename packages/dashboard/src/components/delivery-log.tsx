import { useState } from 'react';
import { api, query } from '../api/client.js';
import type { Delivery, DeliveryStatus, Endpoint, Page } from '../api/types.js';
import { useCatalog } from '../catalog.js';
import { formatDateTime, formatWhen } from '../format.js';
import { Link, navigate, useLocation } from '../router.js';
import { useResource } from '../use-resource.js';
import { ErrorNotice, Loading } from './notice.js';
import { DeliveryStatusBadge } from './status.js';

const PAGE_SIZE = 25;
const LIVE_POLL_MS = 2000;
const STATUSES: ReadonlyArray<{ value: DeliveryStatus | ''; label: string }> = [
  { value: '', label: 'Any status' },
  { value: 'succeeded', label: 'Succeeded' },
  { value: 'failed', label: 'Failed' },
  { value: 'pending', label: 'Pending' },
];

/**
 * Deliveries, newest first. The filters live in the address (`?status=failed&event_type=user.new`) so
 * a filtered log can be bookmarked or shared. The first page polls, so new deliveries and status
 * changes show up without a reload; older pages hold still while you read them.
 */
export function DeliveryLog({ endpointId: fixedEndpointId, endpoints }: { endpointId?: string; endpoints?: readonly Endpoint[] }) {
  const location = useLocation();
  const status = location.search.get('status') ?? '';
  const eventType = location.search.get('event_type') ?? '';
  // On a webhook's page the endpoint is fixed; on the all-deliveries page it is a filter like the others.
  const endpointId = fixedEndpointId ?? (location.search.get('endpoint_id') || undefined);
  const endpointsById = new Map((endpoints ?? []).map((e) => [e.id, e]));
  // Cursors of the pages before the current one, so "Newer" can go back.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const catalog = useCatalog();

  const path = `/v1/deliveries${query({ endpoint_id: endpointId, status, event_type: eventType, cursor, limit: PAGE_SIZE })}`;
  const page = useResource(path, () => api.get<Page<Delivery>>(path), cursor === undefined ? { pollMs: LIVE_POLL_MS } : {});

  const setFilter = (name: 'status' | 'event_type' | 'endpoint_id', value: string) => {
    const search = new URLSearchParams(location.search);
    if (value === '') search.delete(name);
    else search.set(name, value);
    const text = search.toString();
    setCursors([]);
    navigate(`${location.path}${text === '' ? '' : `?${text}`}`, { replace: true });
  };

  const rows = page.data?.data;
  const filtered = status !== '' || eventType !== '' || (fixedEndpointId === undefined && endpointId !== undefined);
  return (
    <section className="delivery-log" aria-label="Delivery log">
      <div className="log-toolbar">
        <div className="filters">
          {endpoints !== undefined && (
            <div className="field field-inline">
              <label htmlFor="filter-endpoint">Webhook</label>
              <select id="filter-endpoint" value={endpointId ?? ''} onChange={(e) => setFilter('endpoint_id', e.target.value)}>
                <option value="">All webhooks</option>
                {endpoints.map((e) => (
                  <option key={e.id} value={e.id}>
                    {e.description !== '' ? `${e.description} (${hostAndPath(e.url)})` : hostAndPath(e.url)}
                  </option>
                ))}
              </select>
            </div>
          )}
          <div className="field field-inline">
            <label htmlFor="filter-status">Status</label>
            <select id="filter-status" value={status} onChange={(e) => setFilter('status', e.target.value)}>
              {STATUSES.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          </div>
          <div className="field field-inline">
            <label htmlFor="filter-event-type">Event type</label>
            <select id="filter-event-type" value={eventType} onChange={(e) => setFilter('event_type', e.target.value)}>
              <option value="">Any event type</option>
              {(catalog.data ?? []).map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name}
                </option>
              ))}
              {eventType !== '' && catalog.data !== undefined && !catalog.data.some((t) => t.name === eventType) && (
                <option value={eventType}>{eventType}</option>
              )}
            </select>
          </div>
        </div>
        <p className="live" aria-live="off">
          {cursor === undefined ? (
            <>
              <span className="live-dot" aria-hidden="true" /> Live: updates every {LIVE_POLL_MS / 1000} s
            </>
          ) : (
            <>Paused on an older page</>
          )}
        </p>
      </div>

      {page.error !== undefined && <ErrorNotice error={page.error} title="Could not load deliveries" />}
      {rows === undefined && page.error === undefined && <Loading what="deliveries" />}
      {rows !== undefined && rows.length === 0 && (
        <div className="empty-log">
          {filtered ? (
            <p>No deliveries match these filters.</p>
          ) : (
            <p>
              No deliveries yet. {endpointId !== undefined ? 'Send a test event above, or publish' : 'Publish'} an event with{' '}
              <code>POST /v1/events</code>; it shows up here within seconds.
            </p>
          )}
        </div>
      )}
      {rows !== undefined && rows.length > 0 && (
        <div className="table-wrap">
          <table className="table table-cards table-log" aria-label="Deliveries, newest first">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event type</th>
                <th scope="col">Envelope id</th>
                {endpoints !== undefined && <th scope="col">Webhook</th>}
                <th scope="col">Status</th>
                <th scope="col" className="numeric">
                  Attempts
                </th>
                <th scope="col" className="numeric">
                  Last code
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr key={d.id} data-delivery-id={d.id} data-event-id={d.event_id}>
                  <td data-label="Time">
                    <time dateTime={d.created_at} title={formatDateTime(d.created_at)}>
                      {formatWhen(d.created_at)}
                    </time>
                  </td>
                  <td data-label="Event type" className="cell-primary">
                    <Link to={`/deliveries/${d.id}`} className="row-link">
                      {d.event_type}
                      <span className="visually-hidden">, delivery details</span>
                    </Link>
                    {d.resend_of !== null && <span className="tag tag-small">resend</span>}
                  </td>
                  <td data-label="Envelope id">
                    <code className="envelope-id">{d.event_id}</code>
                  </td>
                  {endpoints !== undefined && (
                    <td data-label="Webhook" className="cell-url">
                      <EndpointName endpoint={endpointsById.get(d.endpoint_id)} />
                    </td>
                  )}
                  <td data-label="Status">
                    <DeliveryStatusBadge status={d.status} />
                  </td>
                  <td data-label="Attempts" className="numeric">
                    {d.attempt_count}
                  </td>
                  <td data-label="Last code" className="numeric">
                    {d.last_status_code ?? (d.last_error !== null ? <span className="muted">error</span> : <span className="muted">—</span>)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {(cursor !== undefined || page.data?.next_cursor) && (
        <nav className="pager" aria-label="Delivery log pages">
          <button type="button" className="button" disabled={cursor === undefined} onClick={() => setCursors((c) => c.slice(0, -1))}>
            <span aria-hidden="true">←</span> Newer
          </button>
          <button
            type="button"
            className="button"
            disabled={!page.data?.next_cursor}
            onClick={() => page.data?.next_cursor && setCursors((c) => [...c, page.data!.next_cursor!])}
          >
            Older <span aria-hidden="true">→</span>
          </button>
        </nav>
      )}
    </section>
  );
}

function EndpointName({ endpoint }: { endpoint: Endpoint | undefined }) {
  if (endpoint === undefined) return <span className="muted">deleted</span>;
  return (
    <Link to={`/webhooks/${endpoint.id}`} title={endpoint.url} className="endpoint-name">
      {endpoint.description !== '' ? endpoint.description : hostAndPath(endpoint.url)}
    </Link>
  );
}

/** `https://example.com/hooks` → `example.com/hooks`: the scheme adds width, not information, in a table. */
function hostAndPath(url: string): string {
  return url.replace(/^https?:\/\//, '');
}
