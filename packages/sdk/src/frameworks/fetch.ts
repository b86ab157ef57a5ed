import type { HeraldEvent } from '../events.js';
import { verifyWebhook } from '../verify.js';
import type { VerifyOptions } from '../verify-options.js';
import { handleDelivery, resolveHandlerOptions, TOO_LARGE_RESPONSE, type PlainResponse, type WebhookHandlerOptions } from './handle-delivery.js';

/** The parts of a Fetch API `Request` the helpers read. */
export interface FetchRequestLike {
  readonly headers: Headers;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * Reads a Fetch API `Request`'s raw body and verifies it: `verifyWebhook` for runtimes built on
 * `Request` (Next.js route handlers, Hono, Bun, Deno, Cloudflare Workers). Consumes the body.
 *
 * @example
 * // app/api/webhooks/herald/route.ts (Next.js)
 * export async function POST(request: Request) {
 *   const event = await verifyRequest(request, process.env.HERALD_WEBHOOK_SECRET!);
 *   await queue.add(event);
 *   return new Response('ok');
 * }
 */
export async function verifyRequest(request: FetchRequestLike, secret: string | readonly string[], options?: VerifyOptions): Promise<HeraldEvent> {
  assertRequest(request);
  return verifyWebhook(new Uint8Array(await request.arrayBuffer()), request.headers, secret, options);
}

/**
 * Builds a `(request: Request) => Promise<Response>` handler: verifies, dedupes if asked, and calls
 * `handler` with the event. Return a `Response` from `handler` to answer yourself; otherwise the answer
 * is 200. A refused delivery is answered 400 with its reason; a handler error is rethrown, so the
 * runtime answers 5xx and Herald retries.
 *
 * @example
 * // Hono
 * app.post('/webhooks/herald', (c) => handle(c.req.raw));
 * // Next.js: export const POST = handle;
 * const handle = fetchWebhookHandler({ secret: process.env.HERALD_WEBHOOK_SECRET!, dedupe: true }, async (event) => {
 *   await queue.add(event);
 * });
 */
export function fetchWebhookHandler<Req extends FetchRequestLike = Request>(
  options: WebhookHandlerOptions,
  handler: (event: HeraldEvent, request: Req) => Response | void | Promise<Response | void>,
): (request: Req) => Promise<Response> {
  const resolved = resolveHandlerOptions(options);
  if (typeof handler !== 'function') throw new TypeError('handler must be a function');
  return async (request) => {
    assertRequest(request);
    const declared = Number(request.headers.get('content-length') ?? 0);
    if (declared > resolved.maxBodyBytes) return plain(TOO_LARGE_RESPONSE);
    const body = new Uint8Array(await request.arrayBuffer());
    if (body.byteLength > resolved.maxBodyBytes) return plain(TOO_LARGE_RESPONSE);
    const outcome = await handleDelivery(body, request.headers, resolved, (event) => handler(event, request));
    if (!outcome.handled) return plain(outcome.response);
    return outcome.result instanceof Response ? outcome.result : plain({ status: 200, body: 'ok' });
  };
}

function plain(response: PlainResponse): Response {
  return new Response(response.body, { status: response.status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

function assertRequest(request: unknown): asserts request is FetchRequestLike {
  const candidate = request as Partial<FetchRequestLike> | null;
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.arrayBuffer !== 'function' || typeof candidate.headers?.get !== 'function') {
    throw new TypeError('request must be a Fetch API Request (with headers and arrayBuffer())');
  }
}
