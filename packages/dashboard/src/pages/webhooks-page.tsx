import { api } from '../api/client.js';
import type { Endpoint, EndpointStats, EndpointStatsList } from '../api/types.js';
import { EventList } from '../components/event-list.js';
import { ErrorNotice, Loading, Notice } from '../components/notice.js';
import { PageHeader } from '../components/page-header.js';
import { HealthBadge } from '../components/status.js';
import { MiddleTruncated } from '../components/truncated-text.js';
import { formatDateTime, formatPercent, formatRelative } from '../format.js';
import { Link, useLocation } from '../router.js';
import { useResource } from '../use-resource.js';
import { useTitle } from '../use-title.js';

export function WebhooksPage() {
  useTitle('Webhooks');
  const endpoints = useResource('endpoints', () => api.get<{ data: Endpoint[] }>('/v1/endpoints'));
  // Stats refresh on their own; a failure there leaves the list readable.
  const stats = useResource('endpoint-stats', () => api.get<EndpointStatsList>('/v1/endpoint-stats'), { pollMs: 15_000 });
  const statsById = new Map((stats.data?.data ?? []).map((s) => [s.endpoint_id, s]));
  const list = endpoints.data?.data;
  const { notice } = useLocation().state;

  return (
    <>
      <PageHeader
        title="Webhooks"
        lead="Each webhook is a URL of yours that receives a signed POST for the events it subscribes to."
        actions={
          <Link to="/webhooks/new" className="button button-primary">
            Add webhook
          </Link>
        }
      />
      {notice !== undefined && <Notice tone="success">{notice}</Notice>}
      {endpoints.error !== undefined && <ErrorNotice error={endpoints.error} title="Could not load your webhooks" onRetry={endpoints.reload} />}
      {list === undefined && endpoints.error === undefined && <Loading what="webhooks" />}
      {list !== undefined && list.length === 0 && <EmptyState />}
      {list !== undefined && list.length > 0 && (
        <div className="table-wrap">
          <table className="table table-cards" aria-label="Webhooks">
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col">Events</th>
                <th scope="col">State</th>
                <th scope="col">Success, last 24 h</th>
                <th scope="col">Last delivery</th>
              </tr>
            </thead>
            <tbody>
              {list.map((endpoint) => (
                <Row key={endpoint.id} endpoint={endpoint} stats={statsById.get(endpoint.id)} statsLoaded={stats.data !== undefined} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function Row({ endpoint, stats, statsLoaded }: { endpoint: Endpoint; stats: EndpointStats | undefined; statsLoaded: boolean }) {
  return (
    <tr>
      <td data-label="Endpoint" className="cell-primary">
        <Link to={`/webhooks/${endpoint.id}`} className="url-link">
          <MiddleTruncated text={endpoint.url} />
        </Link>
        {endpoint.description !== '' && (
          <div className="muted small row-description" title={endpoint.description}>
            {endpoint.description}
          </div>
        )}
      </td>
      <td data-label="Events">
        <EventList events={endpoint.events} max={3} />
      </td>
      <td data-label="State">
        <HealthBadge endpoint={endpoint} />
      </td>
      <td data-label="Success, last 24 h">
        {!statsLoaded ? (
          <span className="muted">…</span>
        ) : stats === undefined || stats.attempts === 0 ? (
          <span className="muted">No attempts</span>
        ) : (
          <span>
            <strong>{formatPercent(stats.success_rate ?? 0)}</strong>{' '}
            <span className="muted">
              of {stats.attempts} attempt{stats.attempts === 1 ? '' : 's'}
            </span>
          </span>
        )}
      </td>
      <td data-label="Last delivery">
        {stats?.last_delivery_at ? (
          <time dateTime={stats.last_delivery_at} title={formatDateTime(stats.last_delivery_at)}>
            {formatRelative(stats.last_delivery_at)}
          </time>
        ) : (
          <span className="muted">{statsLoaded ? 'Never' : '…'}</span>
        )}
      </td>
    </tr>
  );
}

function EmptyState() {
  return (
    <section className="empty-state" aria-labelledby="empty-title">
      <h2 id="empty-title">No webhooks yet</h2>
      <p>
        Add the URL of an endpoint on your server and choose the events it should receive. Herald signs every delivery with the
        webhook's secret, retries failures, and logs every attempt here.
      </p>
      <ol className="steps">
        <li>Add a webhook: its URL and the events to receive.</li>
        <li>Copy its signing secret into your receiver's configuration.</li>
        <li>Send a test event and watch it arrive in the delivery log.</li>
      </ol>
      <Link to="/webhooks/new" className="button button-primary">
        Add your first webhook
      </Link>
    </section>
  );
}
