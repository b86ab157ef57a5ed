import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { startReceiver, type Receiver, type ReceivedRequest } from '../../../test-support/receiver.js';
import { requireOrSkip } from '../../../test-support/skip.js';
import {
  computeSignature,
  ContactsManagerClient,
  dedupe,
  HeraldApiError,
  HeraldClient,
  MemoryDedupeStore,
  verifyWebhook,
  WebhookVerificationError,
  type PublishInput,
} from '../src/index.js';
import { findPython, runPythonVerifier } from './python-verifier.js';
import { heraldIsBuilt, startHerald, type RunningHerald } from './herald-process.js';

/**
 * Real deliveries from a running Herald (`herald serve`, SQLite, dispatcher) to a real receiver on
 * 127.0.0.1, with `signature_scheme: "both"`, verified by every client the wire spec promises:
 * this SDK, the official Node SDK's algorithm (object path included), Standard Webhooks and Svix,
 * and a Python 3 standard-library verifier.
 */

const python = findPython();
let herald: RunningHerald | undefined;
let receiver: Receiver | undefined;
let client: HeraldClient;
let endpointId: string;
let secret: string;
const published: Array<{ id: string; input: PublishInput }> = [];

function ready(t: TestContext): boolean {
  return requireOrSkip(t, herald !== undefined, 'the server is not built (run npm run build): herald serve cannot start');
}

async function waitForDelivery(eventId: string, count = 1): Promise<ReceivedRequest[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const matching = receiver!.requests.filter((r) => r.headers['x-webhook-id'] === eventId);
    if (matching.length >= count) return matching;
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new Error(`no delivery of event ${eventId} within 15 s`);
    await receiver!.waitForRequests(receiver!.requests.length + 1, remaining).catch(() => undefined);
  }
}

async function publish(input: PublishInput): Promise<ReceivedRequest> {
  const result = await client.events.publish(input);
  published.push({ id: result.id, input });
  const [delivery] = await waitForDelivery(result.id);
  return delivery!;
}

function headersOf(request: ReceivedRequest): Record<string, string> {
  return Object.fromEntries(Object.entries(request.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

const NON_ASCII: PublishInput<'user.new'> = {
  event: 'user.new',
  payload: { organization_id: 'org', user_id: 'u-1', email: 'zoë@exämple.com', phone: '+14155552671', full_name: 'Zoë Ñúñez 😀 日本' },
};

describe('compatibility with real Herald deliveries (signature_scheme: both)', () => {
  before(async () => {
    if (!heraldIsBuilt()) return;
    receiver = await startReceiver();
    herald = await startHerald();
    client = new HeraldClient({ baseUrl: herald.url, apiKey: herald.apiKey });
    const endpoint = await client.endpoints.create({ url: receiver.url, events: ['*'], signature_scheme: 'both', description: 'sdk compatibility' });
    endpointId = endpoint.id;
    secret = endpoint.secret;
  });

  after(async () => {
    await herald?.stop();
    await receiver?.close();
  });

  test('sends the body byte for byte as JSON.stringify of the envelope, with every wire spec header', async (t) => {
    if (!ready(t)) return;
    const input: PublishInput<'user.new'> = {
      event: 'user.new',
      payload: { organization_id: 'uuid', user_id: 'uuid', email: 'user@example.com', phone: '+14155552671', full_name: 'John Doe' },
    };
    const delivery = await publish(input);
    const id = published.at(-1)!.id;
    assert.equal(delivery.body.toString('utf8'), JSON.stringify({ id, event: input.event, payload: input.payload }));
    assert.equal(delivery.headers['content-type'], 'application/json');
    assert.match(delivery.headers['x-webhook-signature'] as string, /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.equal(delivery.headers['x-contactsmanager-signature'], delivery.headers['x-webhook-signature']);
    assert.equal(delivery.headers['x-webhook-event'], 'user.new');
    assert.equal(delivery.headers['x-webhook-attempt'], '1');
    assert.match(delivery.headers['user-agent'] as string, /^Herald\//);
    assert.equal(delivery.headers['webhook-id'], id);
  });

  test('keeps non-ASCII text and emoji unescaped in the body', async (t) => {
    if (!ready(t)) return;
    const delivery = await publish(NON_ASCII);
    assert.ok(delivery.body.toString('utf8').includes('"full_name":"Zoë Ñúñez 😀 日本"'));
  });

  test('verifies with the SDK: verifyWebhook on the raw bytes, either header scheme', async (t) => {
    if (!ready(t)) return;
    await publish({ event: 'user.create_event', payload: { organization_id: 'o', user_id: 'u', event_id: 'e', event_type: 'meeting', title: 'Café ☕', metadata: { n: 1 } } });
    for (const { id, input } of published) {
      const [delivery] = await waitForDelivery(id);
      const headers = headersOf(delivery!);
      assert.deepEqual(verifyWebhook(delivery!.body, headers, secret), { id, event: input.event, payload: input.payload });
      const { 'x-webhook-signature': _a, 'x-contactsmanager-signature': _b, ...standardOnly } = headers;
      assert.equal(verifyWebhook(delivery!.body, standardOnly, secret).id, id);
    }
  });

  test('verifies with the standardwebhooks and svix libraries (Webhook.verify)', async (t) => {
    if (!ready(t)) return;
    for (const { id } of published) {
      const [delivery] = await waitForDelivery(id);
      const headers = headersOf(delivery!);
      const body = delivery!.body.toString('utf8');
      assert.equal((new StandardWebhook(secret).verify(body, headers) as { id: string }).id, id);
      assert.equal((new SvixWebhook(secret).verify(body, headers) as { id: string }).id, id);
      assert.throws(() => new SvixWebhook(secret).verify(body.replace('"payload"', ' "payload"'), headers));
    }
  });

  test("verifies with the official Node SDK's algorithm, raw string and parsed object alike", async (t) => {
    if (!ready(t)) return;
    const official = new ContactsManagerClient({ apiKey: 'k', apiSecret: 's', orgId: 'o' });
    official.setWebhookSecret(secret);
    for (const { id } of published) {
      const [delivery] = await waitForDelivery(id);
      const header = delivery!.headers['x-contactsmanager-signature'] as string;
      const body = delivery!.body.toString('utf8');
      assert.equal(official.verifyWebhookSignature(body, header), true);
      assert.equal(official.verifyWebhookSignature(JSON.parse(body), header), true, 'the object path re-serializes to the same bytes');
    }
  });

  test('verifies with the Python 3 standard-library verifier on the raw bytes', async (t) => {
    if (!ready(t) || !requireOrSkip(t, python !== null, 'python3 is not installed')) return;
    const deliveries = await Promise.all(published.map(async ({ id }) => (await waitForDelivery(id))[0]!));
    const results = runPythonVerifier(
      python!,
      deliveries.map((d) => ({ body: d.body, signature: d.headers['x-webhook-signature'] as string, secrets: [secret] })),
    );
    results.forEach((result, i) => {
      assert.ok(result.ok, `delivery ${i}: ${JSON.stringify(result)}`);
      assert.deepEqual(result.event, JSON.parse(deliveries[i]!.body.toString('utf8')));
    });
  });

  test('signs with both secrets during a rotation, newest first, and only the new one after revoking', async (t) => {
    if (!ready(t)) return;
    const previous = secret;
    const rotated = await client.endpoints.rotateSecret(endpointId, { grace_seconds: 3600 });
    assert.equal(rotated.previous?.secret, previous);
    const during = await publish({ event: 'user.follow', payload: { organization_id: 'o', follower_id: 'a', followed_id: 'b' } });
    const header = during.headers['x-webhook-signature'] as string;
    assert.match(header, /^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    const [t0, newest, older] = header.split(',');
    const timestamp = Number(t0!.slice(2));
    assert.equal(newest, `v1=${computeSignature(rotated.secret, timestamp, during.body)}`);
    assert.equal(older, `v1=${computeSignature(previous, timestamp, during.body)}`);
    const headers = headersOf(during);
    assert.ok(verifyWebhook(during.body, headers, previous));
    assert.ok(verifyWebhook(during.body, headers, rotated.secret));
    const official = new ContactsManagerClient({ apiKey: 'k', apiSecret: 's', orgId: 'o' });
    official.setWebhookSecret(previous);
    assert.equal(official.verifyWebhookSignature(during.body.toString('utf8'), header), true, 'the official SDK keeps the last v1: the previous secret');
    assert.ok(new StandardWebhook(previous).verify(during.body.toString('utf8'), headers));
    assert.ok(new StandardWebhook(rotated.secret).verify(during.body.toString('utf8'), headers));

    await client.endpoints.revokePreviousSecret(endpointId);
    const afterRevoke = await publish({ event: 'user.unfollow', payload: { organization_id: 'o', follower_id: 'a', followed_id: 'b' } });
    assert.match(afterRevoke.headers['x-webhook-signature'] as string, /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.ok(verifyWebhook(afterRevoke.body, headersOf(afterRevoke), rotated.secret));
    assert.throws(() => verifyWebhook(afterRevoke.body, headersOf(afterRevoke), previous), (error: unknown) => error instanceof WebhookVerificationError && error.reason === 'no_matching_signature');
    secret = rotated.secret;
  });

  test('resends with the same envelope id, which dedupe skips', async (t) => {
    if (!ready(t)) return;
    const first = await publish({ event: 'user.delete_event', payload: { organization_id: 'o', user_id: 'u', event_id: 'e' } });
    const id = first.headers['x-webhook-id'] as string;
    const event = await client.events.get(id);
    const delivery = event.deliveries[0]!;
    await waitForStatus(delivery.id, 'succeeded');
    const resent = await client.deliveries.resend(delivery.id);
    assert.equal(resent.resend_of, delivery.id);
    const [, again] = await waitForDelivery(id, 2);
    assert.deepEqual(again!.body, first.body);

    const store = new MemoryDedupeStore();
    const runs: string[] = [];
    for (const request of [first, again!]) {
      const verified = verifyWebhook(request.body, headersOf(request), secret);
      await dedupe(verified.id, () => void runs.push(verified.id), store);
    }
    assert.deepEqual(runs, [id]);
  });

  test('HeraldClient reads the delivery log, idempotent publishes, test events and the catalog', async (t) => {
    if (!ready(t)) return;
    const input: PublishInput<'user.create_reaction'> = {
      event: 'user.create_reaction',
      payload: { organization_id: 'o', user_id: 'u', event_id: 'e', reaction_id: 'r', reaction_type: 'love' },
      idempotency_key: `reaction-${Date.now()}`,
    };
    const first = await client.events.publish(input);
    const repeat = await client.events.publish(input);
    assert.equal(repeat.id, first.id);
    assert.equal(repeat.duplicate, true);
    await waitForDelivery(first.id);
    const deliveryId = first.deliveries[0]!.id;
    const delivery = await waitForStatus(deliveryId, 'succeeded');
    assert.equal(delivery.attempts[0]?.status_code, 200);
    assert.match(delivery.attempts[0]?.request_headers['x-webhook-signature'] ?? '', /^t=\d+,v1=/);

    const test_ = await client.endpoints.sendTest(endpointId, { event: 'user.is_contact' });
    const [testDelivery] = await waitForDelivery(test_.id);
    assert.equal(verifyWebhook(testDelivery!.body, headersOf(testDelivery!), secret).event, 'user.is_contact');

    const types = await client.eventTypes.list();
    assert.equal(types.length, 15);
    const page = await client.deliveries.list({ endpoint_id: endpointId, status: 'succeeded', limit: 2 });
    assert.equal(page.data.length, 2);
    assert.equal(typeof page.next_cursor, 'string');
    assert.ok((await client.endpoints.list()).some((e) => e.id === endpointId && e.signature_scheme === 'both'));
  });

  test('HeraldClient turns API errors into HeraldApiError with code, status and field', async (t) => {
    if (!ready(t)) return;
    await assert.rejects(
      client.events.publish({ event: 'order.paid', payload: { organization_id: 'o' } }),
      (error: unknown) => error instanceof HeraldApiError && error.status === 422 && error.code === 'unknown_event_type' && error.field === 'event',
    );
    await assert.rejects(
      client.events.publish({ event: 'user.follow', payload: { organization_id: 'o', follower_id: 'a' } as never }),
      (error: unknown) => error instanceof HeraldApiError && error.status === 422 && error.code === 'invalid_payload' && error.field?.startsWith('payload') === true,
    );
    await assert.rejects(client.endpoints.get('00000000-0000-7000-8000-000000000000'), (error: unknown) => error instanceof HeraldApiError && error.status === 404 && error.code === 'not_found');
    const stranger = new HeraldClient({ baseUrl: herald!.url, apiKey: 'hk_not_a_real_key_0000000000', retries: 0 });
    await assert.rejects(stranger.endpoints.list(), (error: unknown) => error instanceof HeraldApiError && error.status === 401);
  });
});

async function waitForStatus(deliveryId: string, status: 'succeeded' | 'failed') {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const delivery = await client.deliveries.get(deliveryId);
    if (delivery.status === status) return delivery;
    if (Date.now() > deadline) throw new Error(`delivery ${deliveryId} is ${delivery.status}, expected ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
