import { api } from '../api/client.js';
import type { Endpoint } from '../api/types.js';
import { DeliveryLog } from '../components/delivery-log.js';
import { PageHeader } from '../components/page-header.js';
import { useResource } from '../use-resource.js';
import { useTitle } from '../use-title.js';

export function DeliveriesPage() {
  useTitle('Deliveries');
  const endpoints = useResource('endpoints', () => api.get<{ data: Endpoint[] }>('/v1/endpoints'));
  return (
    <>
      <PageHeader title="Deliveries" lead="Every event on its way to each of your webhooks, newest first. Open one to see each attempt." />
      <section className="card">
        <DeliveryLog endpoints={endpoints.data?.data ?? []} />
      </section>
    </>
  );
}
