import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isOperatorKey } from './api/metrics-auth.js';
import type { Clock } from './clock.js';
import { renderMetrics, type Metrics } from './metrics.js';
import type { Store } from './store/store.js';

/**
 * `herald dispatch --metrics-port`: the dispatcher's own `GET /metrics`, which it needs because its
 * attempts are counted in its own process (the API process counts only what it does itself). It
 * answers exactly like the API's: the operator key, then the Prometheus text. A bare `node:http`
 * server, since one route does not need Fastify.
 */
export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

export async function startMetricsListener(options: { host: string; port: number; store: Store; metrics: Metrics; clock: Clock }): Promise<MetricsListener> {
  const { store, metrics, clock } = options;
  const server: Server = createServer((request, response) => {
    const answer = (status: number, type: string, body: string) => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    };
    const error = (status: number, code: string, message: string) =>
      answer(status, 'application/json; charset=utf-8', JSON.stringify({ error: { code, message, ...(status === 401 ? { field: 'authorization' } : {}) } }));
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      return error(404, 'not_found', `no route ${request.method} ${(request.url ?? '').split('?')[0]}`);
    }
    void (async () => {
      if (!(await isOperatorKey(store, request.headers.authorization, clock.now()))) {
        response.setHeader('www-authenticate', 'Bearer');
        return error(401, 'unauthorized', 'metrics need the operator key: "Authorization: Bearer <operator key>"');
      }
      answer(200, 'text/plain; version=0.0.4; charset=utf-8', renderMetrics(metrics, await store.countPendingDeliveries()));
    })().catch(() => error(500, 'internal_error', 'internal error'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
