import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HeraldEvent } from '../events.js';
import { handleDelivery, OK_RESPONSE, resolveHandlerOptions, TOO_LARGE_RESPONSE, type PlainResponse, type WebhookHandlerOptions } from './handle-delivery.js';
import { readBody } from './read-body.js';

export interface NodeWebhookOptions extends WebhookHandlerOptions {
  /** Called when the handler throws (the request is answered 500). Default: `console.error`. */
  onError?: (error: unknown, req: IncomingMessage) => void;
}

/** A handler for a verified event. Answer through `res` yourself, or let the helper answer 200. */
export type NodeWebhookHandler = (event: HeraldEvent, req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * Wraps a handler for plain `node:http` (`createServer`): reads the raw body, verifies it, and calls
 * `handler` with the event. A refused delivery is answered 400 with its reason; a handler that
 * throws is answered 500, so Herald retries. Works for any framework built on `node:http` that
 * leaves the body unread.
 *
 * @example
 * import { createServer } from 'node:http';
 * import { nodeWebhookHandler } from '@herald/sdk';
 *
 * createServer(nodeWebhookHandler({ secret: process.env.HERALD_WEBHOOK_SECRET!, dedupe: true }, async (event) => {
 *   await queue.add(event);
 * })).listen(3000);
 */
export function nodeWebhookHandler(options: NodeWebhookOptions, handler: NodeWebhookHandler): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const resolved = resolveHandlerOptions(options);
  if (typeof handler !== 'function') throw new TypeError('handler must be a function');
  const { onError = defaultOnError } = options;
  if (typeof onError !== 'function') throw new TypeError('options.onError must be a function');
  return async (req, res) => {
    try {
      const body = await readBody(req, resolved.maxBodyBytes);
      if (body === 'too_large') return writePlain(res, TOO_LARGE_RESPONSE, true);
      const outcome = await handleDelivery(body, req.headers, resolved, (event) => handler(event, req, res));
      if (!outcome.handled) return writePlain(res, outcome.response);
      if (!res.headersSent) writePlain(res, OK_RESPONSE);
    } catch (error) {
      // The error stays in the receiver's process: its message could say anything about the app.
      onError(error, req);
      if (!res.headersSent) writePlain(res, { status: 500, body: 'webhook handler failed' });
      else res.end();
    }
  };
}

/** Writes a short text/plain answer unless one was already started. */
export function writePlain(res: ServerResponse, response: PlainResponse, close = false): void {
  if (res.headersSent) return;
  res.statusCode = response.status;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  if (close) res.setHeader('connection', 'close');
  res.end(response.body);
}

function defaultOnError(error: unknown): void {
  console.error('webhook handler failed:', error);
}
