import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HeraldEvent } from '../events.js';
import { handleDelivery, OK_RESPONSE, resolveHandlerOptions, TOO_LARGE_RESPONSE, type WebhookHandlerOptions } from './handle-delivery.js';
import { writePlain } from './node-http.js';
import { readBody } from './read-body.js';

/**
 * The parts of Express's request this helper reads — typed structurally so the SDK does not depend on
 * Express. `body` is set by a body parser mounted before it; `rawBody` by the common `verify` hook.
 */
export interface ExpressRequestLike extends IncomingMessage {
  body?: unknown;
  rawBody?: unknown;
}

/** A handler for a verified event. Answer through `res` yourself, or let the helper answer 200. */
export type ExpressWebhookHandler<Req extends ExpressRequestLike = ExpressRequestLike, Res extends ServerResponse = ServerResponse> = (
  event: HeraldEvent,
  req: Req,
  res: Res,
) => unknown;

/**
 * Express middleware that verifies the delivery and calls `handler` with the event. It reads the raw
 * body itself, or takes it from `express.raw()` / `express.text()` mounted before it; a body already
 * parsed by `express.json()` cannot be verified and is reported as an error (`next(error)`), never
 * silently accepted. A refused delivery is answered 400 with its reason; a handler error goes to
 * `next`, so your error handler answers 5xx and Herald retries.
 *
 * @example
 * import express from 'express';
 * import { expressWebhook } from '@herald/sdk';
 *
 * const app = express();
 * // Mount it before (or instead of) app.use(express.json()) for this route.
 * app.post('/webhooks/herald', expressWebhook({ secret: process.env.HERALD_WEBHOOK_SECRET!, dedupe: true }, async (event) => {
 *   await queue.add(event);
 * }));
 */
export function expressWebhook<Req extends ExpressRequestLike = ExpressRequestLike, Res extends ServerResponse = ServerResponse>(
  options: WebhookHandlerOptions,
  handler: ExpressWebhookHandler<Req, Res>,
): (req: Req, res: Res, next: (error?: unknown) => void) => void {
  const resolved = resolveHandlerOptions(options);
  if (typeof handler !== 'function') throw new TypeError('handler must be a function');
  return (req, res, next) => {
    const run = async (): Promise<void> => {
      const body = await rawBodyOf(req, resolved.maxBodyBytes);
      if (body === 'too_large') return writePlain(res, TOO_LARGE_RESPONSE, true);
      const outcome = await handleDelivery(body, req.headers, resolved, (event) => handler(event, req, res));
      if (!outcome.handled) return writePlain(res, outcome.response);
      if (!res.headersSent) writePlain(res, OK_RESPONSE);
    };
    run().catch(next);
  };
}

async function rawBodyOf(req: ExpressRequestLike, maxBytes: number): Promise<string | Uint8Array | 'too_large'> {
  if (req.rawBody instanceof Uint8Array || typeof req.rawBody === 'string') return req.rawBody;
  if (req.body instanceof Uint8Array || typeof req.body === 'string') return req.body;
  if (req.readableEnded) {
    throw new Error(
      'expressWebhook: the request body was already consumed by another parser (express.json()?), so its signature cannot be ' +
        'checked. Mount expressWebhook before it, or use express.raw({ type: "application/json" }) on this route.',
    );
  }
  return readBody(req, maxBytes);
}
