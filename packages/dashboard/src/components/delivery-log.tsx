import { useId, useState, type FormEvent } from 'react';
import { api, query } from '../api/client.js';
import type { Delivery, DeliveryStatus, Endpoint, Page } from '../api/types.js';
import { useCatalog } from '../catalog.js';
import { formatDateTime, formatWhen, localInputValue, shortenMiddle } from '../format.js';
import { Link, navigate, useLocation } from '../router.js';
import { useResource } from '../use-resource.js';
import { ErrorNotice, Loading } from './notice.js';
import { attemptsOf, DeliveryStateBadge } from './status.js';
import { MiddleTruncated } from './truncated-text.js';

const PAGE_SIZE = 25;
const LIVE_POLL_MS = 2000;
/** Longest webhook name in the filter; a select is as wide as its longest option. */
const OPTION_CHARS = 60;
const STATUSES: ReadonlyArray<{ value: DeliveryStatus | ''; label: string }> = [
  { value: '', label: 'Any status' },
  { value: 'succeeded', label: 'Succeeded' },
  { value: 'failed', label: 'Failed' },
  { value: 'pending', label: 'Pending' },
];

type Filter = 'status' | 'event_type' | 'endpoint_id';

/**
 * Deliveries, newest first. Everything that picks the rows lives in the address: the filters
 * (`?status=failed&event_type=user.new`), the point in time jumped to (`until`) and the page
 * (`cursor`), so any view of the log can be bookmarked, shared or reloaded. Only the newest page
 * polls, so new deliveries and status changes show up without a reload; older pages hold still.
 */
export function DeliveryLog({
  endpointId: fixedEndpointId,
  endpoints,
  endpoint,
}: {
  endpointId?: string;
  endpoints?: readonly Endpoint[];
  /** The webhook whose log this is, for its own retry schedule. */
  endpoint?: Endpoint;
}) {
  const location = useLocation();
  const { search } = location;
  const status = search.get('status') ?? '';
  const eventType = search.get('event_type') ?? '';
  // On a webhook's page the endpoint is fixed; on the all-deliveries page it is a filter like the others.
  const endpointId = fixedEndpointId ?? (search.get('endpoint_id') || undefined);
  const until = search.get('until') || undefined;
  const cursor = search.get('cursor') || undefined;
  // The cursors of the newer pages this visit came through, so "Newer" can step back.
  const newer = location.state.newerCursors ?? [];
  const newest = cursor === undefined && until === undefined;
  const endpointsById = new Map((endpoints ?? []).map((e) => [e.id, e]));
  const catalog = useCatalog();

  const path = `/v1/deliveries${query({ endpoint_id: endpointId, status, event_type: eventType, until, cursor, limit: PAGE_SIZE })}`;
  const page = useResource(path, () => api.get<Page<Delivery>>(path), newest ? { pollMs: LIVE_POLL_MS } : {});

  /** This page's address with some parameters set, or removed when null. */
  const addressWith = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(search);
    for (const [name, value] of Object.entries(changes)) {
      if (value === null || value === '') next.delete(name);
      else next.set(name, value);
    }
    const text = next.toString();
    return `${location.path}${text === '' ? '' : `?${text}`}`;
  };
  const setFilter = (name: Filter, value: string) => navigate(addressWith({ [name]: value, cursor: null }), { replace: true });
  const goOlder = (next: string) =>
    navigate(addressWith({ cursor: next }), { keepScroll: true, state: { newerCursors: [...newer, cursor ?? ''] } });
  const goNewer = () =>
    navigate(addressWith({ cursor: newer.at(-1) ?? null }), { keepScroll: true, state: { newerCursors: newer.slice(0, -1) } });
  const goNewest = () => navigate(addressWith({ cursor: null, until: null }), { keepScroll: true });
  const jumpTo = (iso: string) => navigate(addressWith({ until: iso, cursor: null }), { keepScroll: true });

  const rows = page.data?.data;
  const nextCursor = page.data?.next_cursor ?? null;
  const filtered = status !== '' || eventType !== '' || (fixedEndpointId === undefined && endpointId !== undefined);
  return (
    <div className="delivery-log">
      <div className="log-toolbar">
        <div className="filters">
          {endpoints !== undefined && (
            <div className="field field-inline">
              <label htmlFor="filter-endpoint">Webhook</label>
              <select id="filter-endpoint" value={endpointId ?? ''} onChange={(e) => setFilter('endpoint_id', e.target.value)}>
                <option value="">All webhooks</option>
                {endpoints.map((e) => (
                  <option key={e.id} value={e.id} title={e.url}>
                    {shortenMiddle(e.description !== '' ? `${e.description} (${hostAndPath(e.url)})` : hostAndPath(e.url), OPTION_CHARS)}
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
          <JumpToTime key={until ?? 'now'} until={until} onJump={jumpTo} />
        </div>
        <p className="live" aria-live="off">
          {newest ? (
            <>
              <span className="live-dot" aria-hidden="true" /> Live: updates every {LIVE_POLL_MS / 1000} s
            </>
          ) : until !== undefined && cursor === undefined ? (
            <>Made before {formatDateTime(until)}</>
          ) : (
            <>Paused on an older page</>
          )}
        </p>
      </div>

      {page.error !== undefined && <ErrorNotice error={page.error} title="Could not load deliveries" onRetry={page.reload} />}
      {rows === undefined && page.error === undefined && <Loading what="deliveries" />}
      {rows !== undefined && rows.length === 0 && (
        <div className="empty-log">
          {until !== undefined ? (
            <p>No deliveries {filtered ? 'match these filters ' : ''}before {formatDateTime(until)}.</p>
          ) : filtered ? (
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
                    <DeliveryStateBadge delivery={d} totalAttempts={attemptsOf(endpoint ?? endpointsById.get(d.endpoint_id))} />
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
      {(!newest || nextCursor !== null) && (
        <nav className="pager" aria-label="Delivery log pages">
          {newest || newer.length > 0 ? (
            <button type="button" className="button" disabled={newest} onClick={goNewer}>
              <span aria-hidden="true">←</span> Newer
            </button>
          ) : (
            <button type="button" className="button" onClick={goNewest}>
              <span aria-hidden="true">⇤</span> Newest
            </button>
          )}
          <button type="button" className="button" disabled={nextCursor === null} onClick={() => nextCursor !== null && goOlder(nextCursor)}>
            Older <span aria-hidden="true">→</span>
          </button>
        </nav>
      )}
    </div>
  );
}

/**
 * Goes straight to the deliveries made before a time, rather than paging there 25 at a time. The
 * time is the browser's local time; the address keeps it as UTC (`until=…Z`).
 */
function JumpToTime({ until, onJump }: { until: string | undefined; onJump: (iso: string) => void }) {
  const id = useId();
  const [value, setValue] = useState(until === undefined ? '' : localInputValue(until));
  const [error, setError] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const time = new Date(value);
    if (value === '' || Number.isNaN(time.getTime())) return setError('Choose a date and time to jump to.');
    setError(null);
    onJump(time.toISOString());
  };
  return (
    <form className="jump" onSubmit={submit} noValidate>
      <div className="field field-inline">
        <label htmlFor={`${id}-time`}>Jump to</label>
        <input
          id={`${id}-time`}
          type="datetime-local"
          step={1}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          aria-describedby={`${id}-hint${error !== null ? ` ${id}-error` : ''}`}
          aria-invalid={error !== null}
        />
        <button type="submit" className="button button-small">
          Go
        </button>
      </div>
      <p id={`${id}-hint`} className="visually-hidden">
        Shows the deliveries made before this time, newest first.
      </p>
      {error !== null && (
        <p id={`${id}-error`} className="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function EndpointName({ endpoint }: { endpoint: Endpoint | undefined }) {
  if (endpoint === undefined) return <span className="muted">deleted</span>;
  return (
    <Link to={`/webhooks/${endpoint.id}`} title={endpoint.url} className="endpoint-name">
      {endpoint.description !== '' ? <span className="endpoint-description">{endpoint.description}</span> : <MiddleTruncated text={hostAndPath(endpoint.url)} />}
    </Link>
  );
}

/** `https://example.com/hooks` → `example.com/hooks`: the scheme adds width, not information, in a table. */
function hostAndPath(url: string): string {
  return url.replace(/^https?:\/\//, '');
}
