import type { FastifyInstance } from 'fastify';
import { ShuttingDownError } from '../errors.js';

/**
 * Once `app.close()` has begun, requests that still arrive — on a kept-alive or pipelined
 * connection — are answered 503 `shutting_down` in Herald's shape, with `Connection: close`, instead
 * of Fastify's own 503 body (`return503OnClosing` is off in app.ts). Requests already running finish.
 */
export function refuseRequestsWhileClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async () => {
    if (closing) throw new ShuttingDownError('Herald is shutting down; send the request again');
  });
}
