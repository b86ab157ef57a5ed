import type { IncomingHttpHeaders } from 'node:http';
import type { HeraldEvent } from '../events.js';
import { handleDelivery, OK_RESPONSE, resolveHandlerOptions, type PlainResponse, type WebhookHandlerOptions } from './handle-delivery.js';

/**
 * The parts of Fastify this plugin uses, typed structurally so the SDK does not depend on Fastify.
 * A real `FastifyInstance` satisfies them.
 */
export interface FastifyInstanceLike {
  removeAllContentTypeParsers(): void;
  addContentTypeParser(
    contentType: string,
    options: { parseAs: 'buffer'; bodyLimit?: number },
    parser: (request: never, body: Buffer, done: (error: Error | null, body?: Buffer) => void) => void,
  ): void;
  post(path: string, handler: (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<unknown>): unknown;
}

export interface FastifyRequestLike {
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface FastifyReplyLike {
  readonly sent: boolean;
  code(statusCode: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  send(payload?: unknown): FastifyReplyLike;
}

export interface FastifyWebhookOptions extends WebhookHandlerOptions {
  /** Route path inside the plugin's prefix. Default `/`, so `register(…, { prefix: '/webhooks/herald' })` sets the URL. */
  path?: string;
  /** Runs for each verified event. Answer through `reply` yourself, or let the plugin answer 200. */
  handler: (event: HeraldEvent, request: FastifyRequestLike, reply: FastifyReplyLike) => unknown;
}

/**
 * Fastify plugin: a `POST` route that receives the raw body (its own content-type parser, scoped to
 * the plugin, so the rest of the app keeps parsing JSON), verifies it and calls `handler` with the
 * event. A refused delivery is answered 400 with its reason; a handler error goes to Fastify's error
 * handler (5xx), so Herald retries.
 *
 * @example
 * import Fastify from 'fastify';
 * import { fastifyWebhook } from '@herald/sdk';
 *
 * const app = Fastify();
 * await app.register(fastifyWebhook, {
 *   prefix: '/webhooks/herald',
 *   secret: process.env.HERALD_WEBHOOK_SECRET!,
 *   dedupe: true,
 *   handler: async (event) => { await queue.add(event); },
 * });
 */
export async function fastifyWebhook(instance: FastifyInstanceLike, options: FastifyWebhookOptions): Promise<void> {
  const resolved = resolveHandlerOptions(options);
  const { handler, path = '/' } = options;
  if (typeof handler !== 'function') throw new TypeError('options.handler must be a function');
  if (typeof path !== 'string' || !path.startsWith('/')) throw new TypeError('options.path must be a path starting with "/"');

  // Registered without fastify-plugin, so these parsers stay inside this plugin's context.
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: resolved.maxBodyBytes }, (_request, body, done) => done(null, body));

  instance.post(path, async (request, reply) => {
    const body = request.body instanceof Uint8Array ? request.body : Buffer.alloc(0);
    const outcome = await handleDelivery(body, request.headers, resolved, (event) => handler(event, request, reply));
    if (!outcome.handled) return sendPlain(reply, outcome.response);
    if (!reply.sent) return sendPlain(reply, OK_RESPONSE);
    return reply;
  });
}

function sendPlain(reply: FastifyReplyLike, response: PlainResponse): FastifyReplyLike {
  return reply.code(response.status).header('content-type', 'text/plain; charset=utf-8').send(response.body);
}
