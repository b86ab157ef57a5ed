import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSender, type AttemptFailure, type AttemptOutcome, type Sender } from '../../src/dispatch/send.js';
import { startReceiver, type Receiver } from '../../../../test-support/receiver.js';
import { closedPortUrl } from './closed-port.js';

const body = '{"id":"0190b6a4-7c9e-7b3f-8a1d-2e4f6a8b0c1d","event":"user.new","payload":{"full_name":"Zoë"}}';
const headers = { 'content-type': 'application/json', 'x-webhook-id': '0190b6a4-7c9e-7b3f-8a1d-2e4f6a8b0c1d' };

function text(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8');
}

function assertFailure(outcome: AttemptOutcome): asserts outcome is AttemptFailure {
  assert.equal(outcome.ok, false, `expected a failure, got ${JSON.stringify(outcome)}`);
}

describe('send (private networks allowed)', () => {
  let sender: Sender;
  let receiver: Receiver;
  before(async () => {
    sender = createSender({ allowPrivateNetworks: true });
    receiver = await startReceiver();
  });
  after(async () => {
    await sender.close();
    await receiver.close();
  });

  it('POSTs the body and headers exactly as given and reports a 2xx as success', async () => {
    receiver.respondWith((_req, _n, res) => void res.writeHead(204).end());
    const outcome = await sender.send({ url: `${receiver.url}?tenant=1`, headers, body, timeoutMs: 5000 });
    assert.equal(outcome.ok, true);
    assert.equal(outcome.status, 204);
    assert.ok(outcome.durationMs >= 0);
    const request = receiver.requests.at(-1)!;
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/hook?tenant=1');
    assert.equal(request.body.toString('utf8'), body);
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['x-webhook-id'], headers['x-webhook-id']);
  });

  it('keeps the response body of a success for the attempt log', async () => {
    receiver.respondWith((_req, _n, res) => void res.writeHead(200).end('thanks'));
    const outcome = await sender.send({ url: receiver.url, headers, body, timeoutMs: 5000 });
    assert.deepEqual({ ok: outcome.ok, responseBody: text(outcome.responseBody) }, { ok: true, responseBody: 'thanks' });
  });

  it('reuses one keep-alive connection for consecutive attempts to an origin', async () => {
    receiver.respondWith((_req, _n, res) => void res.end('ok'));
    const before = receiver.connectionCount();
    for (let i = 0; i < 3; i++) assert.equal((await sender.send({ url: receiver.url, headers, body, timeoutMs: 5000 })).ok, true);
    assert.ok(receiver.connectionCount() - before <= 1, `opened ${receiver.connectionCount() - before} connections`);
  });

  it('reports a 500 as a retryable http_status failure with the response body', async () => {
    receiver.respondWith((_req, _n, res) => void res.writeHead(500).end('database down'));
    const outcome = await sender.send({ url: receiver.url, headers, body, timeoutMs: 5000 });
    assertFailure(outcome);
    assert.equal(outcome.retryable, true);
    assert.equal(outcome.errorKind, 'http_status');
    assert.equal(outcome.status, 500);
    assert.equal(text(outcome.responseBody), 'database down');
    assert.match(outcome.message, /^HTTP 500/);
  });

  it('reports a 404 as a retryable http_status failure', async () => {
    receiver.respondWith((_req, _n, res) => void res.writeHead(404).end());
    const outcome = await sender.send({ url: receiver.url, headers, body, timeoutMs: 5000 });
    assertFailure(outcome);
    assert.deepEqual([outcome.errorKind, outcome.status, outcome.retryable], ['http_status', 404, true]);
  });

  it('does not follow a 302, and reports it as a failure naming the redirect', async () => {
    const target = await startReceiver();
    try {
      receiver.respondWith((_req, _n, res) => void res.writeHead(302, { location: target.url }).end());
      const outcome = await sender.send({ url: receiver.url, headers, body, timeoutMs: 5000 });
      assertFailure(outcome);
      assert.deepEqual([outcome.errorKind, outcome.status, outcome.retryable], ['http_status', 302, true]);
      assert.match(outcome.message, /redirect to http:\/\/127\.0\.0\.1:\d+\/hook not followed/);
      assert.equal(target.requests.length, 0);
    } finally {
      await target.close();
    }
  });

  it('keeps only the first 4 KiB of a large response body and still succeeds', async () => {
    receiver.respondWith((_req, _n, res) => void res.writeHead(200).end('x'.repeat(1024 * 1024)));
    const outcome = await sender.send({ url: receiver.url, headers, body, timeoutMs: 5000 });
    assert.equal(outcome.ok, true);
    assert.equal(text(outcome.responseBody), 'x'.repeat(4096));
    assert.equal(outcome.responseBodyTruncated, true);
  });

  it('keeps the response body as bytes, exactly as received up to the limit', async () => {
    // 4095 ASCII bytes, then "é" (2 bytes) straddles the 4096-byte limit.
    receiver.respondWith((_req, _n, res) => void res.writeHead(500).end(`${'a'.repeat(4095)}é and more`));
    const outcome = await sender.send({ url: receiver.url, headers, body, timeoutMs: 5000 });
    assert.deepEqual(Buffer.from(outcome.responseBody!), Buffer.from(`${'a'.repeat(4095)}é`).subarray(0, 4096));
    assert.equal(outcome.responseBodyTruncated, true);
  });

  it('reports a receiver that never answers as a timeout', async () => {
    receiver.respondWith(() => undefined);
    const outcome = await sender.send({ url: receiver.url, headers, body, timeoutMs: 200 });
    assertFailure(outcome);
    assert.deepEqual([outcome.errorKind, outcome.retryable], ['timeout', true]);
    assert.match(outcome.message, /^no complete response within 200 ms/);
  });

  it('counts reading the response body against the timeout', async () => {
    receiver.respondWith((_req, _n, res) => {
      res.writeHead(200);
      res.write('partial');
    });
    const outcome = await sender.send({ url: receiver.url, headers, body, timeoutMs: 200 });
    assertFailure(outcome);
    assert.equal(outcome.errorKind, 'timeout');
  });

  it('reports a 2xx whose large body is still arriving when the timeout runs out as a timeout, not a success', async () => {
    receiver.respondWith((_req, _n, res) => {
      res.writeHead(200);
      res.write('x'.repeat(256 * 1024)); // far more than the 4 KiB kept, and never ended
    });
    const outcome = await sender.send({ url: receiver.url, headers, body, timeoutMs: 500 });
    assertFailure(outcome);
    assert.equal(outcome.errorKind, 'timeout');
  });

  it('reads a slow 1 MiB 2xx body to its end, succeeds, and keeps the connection for the next attempt', async () => {
    const chunk = 'y'.repeat(64 * 1024);
    receiver.respondWith((_req, _n, res) => {
      res.writeHead(200);
      let sent = 0;
      const timer = setInterval(() => {
        res.write(chunk);
        if (++sent === 16) {
          clearInterval(timer);
          res.end();
        }
      }, 5);
    });
    const first = await sender.send({ url: receiver.url, headers, body, timeoutMs: 10_000 });
    assert.equal(first.ok, true);
    assert.equal(first.responseBody?.length, 4096);
    const connections = receiver.connectionCount();
    receiver.respondWith((_req, _n, res) => void res.end('ok'));
    assert.equal((await sender.send({ url: receiver.url, headers, body, timeoutMs: 10_000 })).ok, true);
    assert.equal(receiver.connectionCount(), connections, 'the drained connection was reused');
  });

  it('reports a refused connection as a retryable connection failure', async () => {
    const outcome = await sender.send({ url: await closedPortUrl(), headers, body, timeoutMs: 5000 });
    assertFailure(outcome);
    assert.deepEqual([outcome.errorKind, outcome.retryable], ['connection', true]);
    assert.match(outcome.message, /ECONNREFUSED/);
  });

  it('reports a failed TLS handshake as a retryable tls failure', async () => {
    receiver.respondWith((_req, _n, res) => void res.end('ok'));
    const outcome = await sender.send({ url: receiver.url.replace('http:', 'https:'), headers, body, timeoutMs: 5000 });
    assertFailure(outcome);
    assert.deepEqual([outcome.errorKind, outcome.retryable], ['tls', true]);
  });

  it('reports an attempt aborted from outside (shutdown) as aborted', async () => {
    receiver.respondWith(() => undefined);
    const controller = new AbortController();
    const sending = sender.send({ url: receiver.url, headers, body, timeoutMs: 5000, abort: controller });
    await receiver.waitForRequests(receiver.requests.length + 1);
    controller.abort();
    const outcome = await sending;
    assertFailure(outcome);
    assert.equal(outcome.errorKind, 'aborted');
  });

  it('refuses a URL it cannot deliver to without retrying', async () => {
    const outcome = await sender.send({ url: 'ftp://127.0.0.1/hook', headers, body, timeoutMs: 5000 });
    assertFailure(outcome);
    assert.deepEqual([outcome.errorKind, outcome.retryable], ['invalid_url', false]);
    assert.match(outcome.message, /http or https/);
  });
});

describe('send (private networks refused, the default)', () => {
  let sender: Sender;
  let receiver: Receiver;
  before(async () => {
    sender = createSender({ allowPrivateNetworks: false });
    receiver = await startReceiver();
  });
  after(async () => {
    await sender.close();
    await receiver.close();
  });

  it('refuses a loopback IP literal before connecting, without retrying, and says how to allow it', async () => {
    const outcome = await sender.send({ url: receiver.url, headers, body, timeoutMs: 5000 });
    assertFailure(outcome);
    assert.deepEqual([outcome.errorKind, outcome.retryable], ['blocked_address', false]);
    assert.equal(
      outcome.message,
      'refused to deliver to 127.0.0.1: loopback address (start Herald with --allow-private-networks to allow)',
    );
    assert.equal(receiver.connectionCount(), 0);
  });

  it('refuses a host name that resolves to a loopback address (checked on the resolved address)', async () => {
    const outcome = await sender.send({ url: receiver.url.replace('127.0.0.1', 'localhost'), headers, body, timeoutMs: 5000 });
    assertFailure(outcome);
    assert.deepEqual([outcome.errorKind, outcome.retryable], ['blocked_address', false]);
    assert.match(outcome.message, /^refused to deliver to localhost \((127\.0\.0\.1|::1)\): loopback address/);
    assert.equal(receiver.connectionCount(), 0);
  });

  it('refuses an IPv6 loopback literal and an IPv4-mapped one', async () => {
    for (const host of ['[::1]', '[::ffff:127.0.0.1]']) {
      const outcome = await sender.send({ url: receiver.url.replace('127.0.0.1', host), headers, body, timeoutMs: 5000 });
      assertFailure(outcome);
      assert.equal(outcome.errorKind, 'blocked_address', host);
    }
  });

  it('refuses the cloud metadata address', async () => {
    const outcome = await sender.send({ url: 'http://169.254.169.254/latest/meta-data/', headers, body, timeoutMs: 5000 });
    assertFailure(outcome);
    assert.equal(outcome.errorKind, 'blocked_address');
    assert.match(outcome.message, /link-local/);
  });
});
