import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { createSignedRequest, standardWebhooksSignature, verifyWebhook, WebhookVerificationError } from '../src/index.js';
import { envelope, newSecret, SECRET } from './fixtures.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);

function swHeaders(id: string, timestamp: number, signature: string): Record<string, string> {
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature };
}

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.reason;
    throw error;
  }
  return 'accepted';
}

describe('Standard Webhooks headers', () => {
  test('verifies a request signed by the standardwebhooks library', () => {
    const body = envelope();
    const timestamp = new Date();
    const signature = new StandardWebhook(SECRET).sign('msg_1', timestamp, body);
    const event = verifyWebhook(body, swHeaders('msg_1', Math.floor(timestamp.getTime() / 1000), signature), SECRET);
    assert.equal(event.event, 'user.new');
  });

  test('verifies a request signed by the svix library', () => {
    const body = envelope();
    const timestamp = new Date();
    const signature = new SvixWebhook(SECRET).sign('msg_2', timestamp, body);
    assert.equal(verifyWebhook(body, swHeaders('msg_2', Math.floor(timestamp.getTime() / 1000), signature), SECRET).event, 'user.new');
  });

  test("signs exactly as the standardwebhooks library does, so both libraries verify the SDK's headers", () => {
    const secret = newSecret();
    const body = envelope({ payload: { organization_id: 'o', user_id: 'u', email: null, phone: null, full_name: 'Zoë 😀' } });
    const request = createSignedRequest({ secret, body, id: 'msg_3', standardWebhooks: true });
    assert.deepEqual(new StandardWebhook(secret).verify(body, request.headers), JSON.parse(body));
    assert.deepEqual(new SvixWebhook(secret).verify(body, request.headers), JSON.parse(body));
    assert.equal(request.headers['webhook-signature'], new StandardWebhook(secret).sign('msg_3', new Date(Number(request.headers['webhook-timestamp']) * 1000), body));
  });

  test('accepts any v1 entry against any of several secrets', () => {
    const [current, previous] = [newSecret(), newSecret()];
    const body = envelope();
    const t = nowSeconds();
    const signature = standardWebhooksSignature([current, previous], 'msg_4', t, body);
    assert.match(signature, /^v1,[A-Za-z0-9+/]+=* v1,[A-Za-z0-9+/]+=*$/);
    assert.ok(verifyWebhook(body, swHeaders('msg_4', t, signature), previous));
    assert.ok(verifyWebhook(body, swHeaders('msg_4', t, `v1a,ignored ${signature}`), [newSecret(), current]));
  });

  test('refuses a changed webhook-id, body or secret as no_matching_signature', () => {
    const body = envelope();
    const t = nowSeconds();
    const signature = standardWebhooksSignature([SECRET], 'msg_5', t, body);
    assert.equal(reasonOf(() => verifyWebhook(body, swHeaders('msg_6', t, signature), SECRET)), 'no_matching_signature');
    assert.equal(reasonOf(() => verifyWebhook(`${body} `, swHeaders('msg_5', t, signature), SECRET)), 'no_matching_signature');
    assert.equal(reasonOf(() => verifyWebhook(body, swHeaders('msg_5', t, signature), newSecret())), 'no_matching_signature');
    assert.equal(reasonOf(() => verifyWebhook(body, swHeaders('msg_5', t, 'v1a,abc'), SECRET)), 'no_matching_signature');
    // Node's base64 decoder skips characters outside the alphabet; the standardwebhooks library compares text.
    const [, mac] = signature.split(',');
    assert.equal(reasonOf(() => verifyWebhook(body, swHeaders('msg_5', t, `v1,!${mac}`), SECRET)), 'no_matching_signature');
  });

  test('refuses missing companions, bad timestamps and stale ones with their reasons', () => {
    const body = envelope();
    const t = nowSeconds();
    const signature = standardWebhooksSignature([SECRET], 'msg_7', t, body);
    assert.equal(reasonOf(() => verifyWebhook(body, { 'webhook-signature': signature, 'webhook-timestamp': String(t) }, SECRET)), 'missing_header');
    assert.equal(reasonOf(() => verifyWebhook(body, { 'webhook-signature': signature, 'webhook-id': 'msg_7' }, SECRET)), 'missing_header');
    assert.equal(reasonOf(() => verifyWebhook(body, swHeaders('msg_7', t, 'garbage'), SECRET)), 'malformed_header');
    assert.equal(reasonOf(() => verifyWebhook(body, { ...swHeaders('msg_7', t, signature), 'webhook-timestamp': 'soon' }, SECRET)), 'malformed_header');
    const old = t - 901;
    const oldSignature = standardWebhooksSignature([SECRET], 'msg_7', old, body);
    assert.equal(reasonOf(() => verifyWebhook(body, swHeaders('msg_7', old, oldSignature), SECRET)), 'timestamp_too_old');
    const ahead = t + 301;
    assert.equal(reasonOf(() => verifyWebhook(body, swHeaders('msg_7', ahead, standardWebhooksSignature([SECRET], 'msg_7', ahead, body)), SECRET)), 'timestamp_in_future');
  });

  test('prefers X-Webhook-Signature when both schemes are present', () => {
    const body = envelope();
    const request = createSignedRequest({ secret: SECRET, body, standardWebhooks: true });
    const headers = { ...request.headers, 'webhook-signature': 'v1,AAAA' };
    assert.equal(verifyWebhook(body, headers, SECRET).event, 'user.new');
  });
});
