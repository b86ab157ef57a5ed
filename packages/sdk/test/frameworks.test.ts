import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import {
  createSignedRequest,
  expressWebhook,
  fastifyWebhook,
  fetchWebhookHandler,
  MemoryDedupeStore,
  nodeWebhookHandler,
  type HeraldEvent,
  type WebhookHandlerOptions,
} from '../src/index.js';
import { envelope, listen, newSecret, OTHER_SECRET, post } from './fixtures.js';

type Handler = (event: HeraldEvent) => unknown;

interface Running {
  send(body: string | Uint8Array, headers: Record<string, string>): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

interface Harness {
  name: string;
  start(options: WebhookHandlerOptions, handler: Handler): Promise<Running>;
}

const harnesses: Harness[] = [
  {
    name: 'node:http handler',
    async start(options, handler) {
      const server = await listen(nodeWebhookHandler({ ...options, onError: () => {} }, (event) => handler(event)));
      return { send: (body, headers) => post(server.url, body, headers), close: () => server.close() };
    },
  },
  {
    name: 'Express middleware',
    async start(options, handler) {
      const app = express();
      app.post('/webhooks', expressWebhook(options, (event) => handler(event)));
      app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => void res.status(500).send('failed'));
      return serveExpress(app);
    },
  },
  {
    name: 'Fastify plugin',
    async start(options, handler) {
      const app = Fastify();
      await app.register(fastifyWebhook, { ...options, prefix: '/webhooks', handler: (event) => handler(event) });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/webhooks`;
      return { send: (body, headers) => post(url, body, headers), close: () => app.close() };
    },
  },
  {
    name: 'Fetch Request handler',
    async start(options, handler) {
      const handle = fetchWebhookHandler(options, async (event) => void (await handler(event)));
      return {
        async send(body, headers) {
          try {
            const response = await handle(new Request('http://localhost/webhooks', { method: 'POST', body: typeof body === 'string' ? body : Buffer.from(body), headers }));
            return { status: response.status, text: await response.text() };
          } catch {
            // A route handler that throws is answered 500 by the runtime (Next.js, Hono…).
            return { status: 500, text: 'failed' };
          }
        },
        close: async () => {},
      };
    },
  },
];

async function serveExpress(app: express.Express): Promise<Running> {
  const server = await listen(app);
  return { send: (body, headers) => post(`${server.url}/webhooks`, body, headers), close: () => server.close() };
}

function silenceConsole(t: TestContext): () => string {
  const written: string[] = [];
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    t.mock.method(console, method, (...args: unknown[]) => void written.push(args.map(String).join(' ')));
  }
  return () => written.join('\n');
}

for (const harness of harnesses) {
  describe(harness.name, () => {
    test('hands a verified delivery to the handler and answers 200', async () => {
      const secret = newSecret();
      const received: HeraldEvent[] = [];
      const running = await harness.start({ secret }, (event) => void received.push(event));
      try {
        const request = createSignedRequest({ secret, event: 'user.follow', payload: { organization_id: 'o', follower_id: 'a', followed_id: 'b' } });
        const response = await running.send(request.body, request.headers);
        assert.equal(response.status, 200);
        assert.deepEqual(received, [JSON.parse(request.body)]);
      } finally {
        await running.close();
      }
    });

    test('answers 400 with the reason, without running the handler or logging the secret', async (t) => {
      const logged = silenceConsole(t);
      const secret = newSecret();
      let runs = 0;
      const running = await harness.start({ secret }, () => void runs++);
      try {
        const forged = createSignedRequest({ secret: OTHER_SECRET });
        const response = await running.send(forged.body, forged.headers);
        assert.equal(response.status, 400);
        assert.match(response.text, /no_matching_signature/);
        const unsigned = await running.send(envelope(), { 'content-type': 'application/json' });
        assert.equal(unsigned.status, 400);
        assert.match(unsigned.text, /missing_header/);
        assert.equal(runs, 0);
        assert.ok(!response.text.includes(secret) && !logged().includes(secret));
      } finally {
        await running.close();
      }
    });

    test('verifies non-ASCII text and emoji from the raw bytes', async () => {
      const secret = newSecret();
      const received: HeraldEvent[] = [];
      const running = await harness.start({ secret }, (event) => void received.push(event));
      try {
        const payload = { organization_id: 'o', user_id: 'u', email: null, phone: null, full_name: 'Zoë Ñúñez 😀 日本' };
        const request = createSignedRequest({ secret, payload });
        assert.equal((await running.send(Buffer.from(request.body, 'utf8'), request.headers)).status, 200);
        assert.equal(received[0]?.payload.full_name, 'Zoë Ñúñez 😀 日本');
      } finally {
        await running.close();
      }
    });

    test('with dedupe, answers 200 to a repeat without running the handler again', async () => {
      const secret = newSecret();
      let runs = 0;
      const running = await harness.start({ secret, dedupe: new MemoryDedupeStore() }, () => void runs++);
      try {
        const id = randomUUID();
        const first = createSignedRequest({ secret, id, attempt: 1 });
        const resend = createSignedRequest({ secret, id, attempt: 2, timestamp: Math.floor(Date.now() / 1000) + 5 });
        assert.equal((await running.send(first.body, first.headers)).status, 200);
        const repeat = await running.send(resend.body, resend.headers);
        assert.equal(repeat.status, 200);
        assert.match(repeat.text, /duplicate/);
        assert.equal(runs, 1);
      } finally {
        await running.close();
      }
    });

    test('answers 5xx when the handler throws, and runs it again on the retry', async (t) => {
      silenceConsole(t);
      const secret = newSecret();
      let runs = 0;
      const running = await harness.start({ secret, dedupe: new MemoryDedupeStore() }, () => {
        runs++;
        if (runs === 1) throw new Error('database down');
      });
      try {
        const request = createSignedRequest({ secret });
        const failed = await running.send(request.body, request.headers);
        assert.ok(failed.status >= 500, `status ${failed.status}`);
        assert.equal((await running.send(request.body, request.headers)).status, 200);
        assert.equal(runs, 2);
      } finally {
        await running.close();
      }
    });

    test('answers 413 to a body over maxBodyBytes', async () => {
      const secret = newSecret();
      const running = await harness.start({ secret, maxBodyBytes: 1024 }, () => assert.fail('must not run'));
      try {
        const request = createSignedRequest({ secret, payload: { organization_id: 'o', padding: 'x'.repeat(2000) } });
        assert.equal((await running.send(request.body, request.headers)).status, 413);
      } finally {
        await running.close();
      }
    });
  });
}

describe('framework helpers, specifics', () => {
  test('refuse a bad secret when the helper is created, naming the option', () => {
    for (const create of [
      () => nodeWebhookHandler({ secret: '' }, () => {}),
      () => expressWebhook({ secret: [] }, () => {}),
      () => fetchWebhookHandler({ secret: 42 as unknown as string }, () => {}),
    ]) {
      assert.throws(create, /^TypeError: options.secret/);
    }
  });

  test('refuse a dedupe option that is not a DedupeStore when the helper is created', () => {
    assert.throws(() => nodeWebhookHandler({ secret: OTHER_SECRET, dedupe: {} as unknown as boolean }, () => {}), /^TypeError: options.dedupe must be/);
  });

  test('node:http answers 500 without the error message and hands the error to onError', async () => {
    const secret = newSecret();
    const errors: unknown[] = [];
    const server = await listen(nodeWebhookHandler({ secret, onError: (error) => void errors.push(error) }, () => {
      throw new Error('database down');
    }));
    try {
      const request = createSignedRequest({ secret });
      assert.deepEqual(await post(server.url, request.body, request.headers), { status: 500, text: 'webhook handler failed' });
      assert.match(String(errors[0]), /database down/);
    } finally {
      await server.close();
    }
  });

  test('Express takes the body from express.raw() mounted before the middleware', async () => {
    const secret = newSecret();
    const app = express();
    const received: string[] = [];
    app.post('/webhooks', express.raw({ type: 'application/json' }), expressWebhook({ secret }, (event) => void received.push(event.id)));
    const running = await serveExpress(app);
    try {
      const request = createSignedRequest({ secret });
      assert.equal((await running.send(request.body, request.headers)).status, 200);
      assert.equal(received.length, 1);
    } finally {
      await running.close();
    }
  });

  test('Express reports a body already parsed by express.json() as an error instead of accepting it', async () => {
    const secret = newSecret();
    const app = express();
    app.use(express.json());
    app.post('/webhooks', expressWebhook({ secret }, () => assert.fail('must not run')));
    let reported: unknown;
    app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      reported = error;
      res.status(500).send('failed');
    });
    const running = await serveExpress(app);
    try {
      const request = createSignedRequest({ secret });
      assert.equal((await running.send(request.body, request.headers)).status, 500);
      assert.match(String(reported), /already consumed.*express\.raw/s);
    } finally {
      await running.close();
    }
  });

  test('Express lets the handler answer itself', async () => {
    const secret = newSecret();
    const app = express();
    app.post('/webhooks', expressWebhook<express.Request, express.Response>({ secret }, (event, _req, res) => void res.status(202).json({ got: event.id })));
    const running = await serveExpress(app);
    try {
      const request = createSignedRequest({ secret, id: 'abc' });
      assert.deepEqual(await running.send(request.body, request.headers), { status: 202, text: '{"got":"abc"}' });
    } finally {
      await running.close();
    }
  });

  test("Fastify keeps its own raw-body parser inside the plugin, so the app's other routes still parse JSON", async () => {
    const secret = newSecret();
    const app = Fastify();
    app.post('/api/echo', async (request) => ({ parsed: request.body }));
    await app.register(fastifyWebhook, { prefix: '/webhooks', secret, handler: () => {} });
    try {
      const echo = await app.inject({ method: 'POST', url: '/api/echo', payload: { a: 1 } });
      assert.deepEqual(echo.json(), { parsed: { a: 1 } });
      const request = createSignedRequest({ secret });
      const delivered = await app.inject({ method: 'POST', url: '/webhooks', payload: request.body, headers: request.headers });
      assert.equal(delivered.statusCode, 200);
    } finally {
      await app.close();
    }
  });

  test('reports every refusal to onRejected with its reason', async () => {
    const secret = newSecret();
    const reasons: string[] = [];
    const handle = fetchWebhookHandler({ secret, onRejected: (error) => void reasons.push(error.reason) }, () => assert.fail('must not run'));
    const stale = createSignedRequest({ secret, timestamp: Math.floor(Date.now() / 1000) - 3600 });
    assert.equal((await handle(new Request('http://localhost/hook', stale))).status, 400);
    assert.deepEqual(reasons, ['timestamp_too_old']);
  });

  test('the Fetch handler returns the Response the handler gives', async () => {
    const secret = newSecret();
    const handle = fetchWebhookHandler({ secret }, (event) => Response.json({ id: event.id }, { status: 202 }));
    const request = createSignedRequest({ secret, id: 'xyz' });
    const response = await handle(new Request('http://localhost/hook', request));
    assert.equal(response.status, 202);
    assert.deepEqual(await response.json(), { id: 'xyz' });
  });

  test('with dedupe, answers 409 to a repeat while the first run is still in progress', async () => {
    const secret = newSecret();
    let release!: () => void;
    const handle = fetchWebhookHandler({ secret, dedupe: new MemoryDedupeStore() }, () => new Promise<void>((resolve) => (release = resolve)));
    const request = createSignedRequest({ secret });
    const first = handle(new Request('http://localhost/hook', request));
    await new Promise((resolve) => setImmediate(resolve));
    const repeat = await handle(new Request('http://localhost/hook', request));
    assert.equal(repeat.status, 409);
    release();
    assert.equal((await first).status, 200);
  });
});
