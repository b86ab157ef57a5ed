import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createSignedRequest, HEADERS, signPayload, verifyWebhook, type SignedRequestOptions } from '../src/index.js';
import { OTHER_SECRET, SECRET, VECTOR } from './fixtures.js';

describe('testing helpers', () => {
  test('signPayload reproduces the wire spec test vector', () => {
    assert.equal(signPayload(VECTOR.secret, VECTOR.body, VECTOR.timestamp), `t=${VECTOR.timestamp},v1=${VECTOR.v1}`);
  });

  test('signPayload signs with the current time by default and with every secret given', () => {
    const header = signPayload([OTHER_SECRET, SECRET], '{}');
    const [t] = header.split(',');
    assert.ok(Math.abs(Number(t?.slice(2)) - Date.now() / 1000) < 5);
    assert.match(header, /^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
  });

  test('signPayload names its bad arguments', () => {
    assert.throws(() => signPayload('', '{}'), /^TypeError: secret/);
    assert.throws(() => signPayload(SECRET, { a: 1 } as unknown as string), /^TypeError: body/);
  });

  test('createSignedRequest builds a delivery with every wire spec header that verifyWebhook accepts', () => {
    const request = createSignedRequest({ secret: SECRET, id: 'evt-1', event: 'user.unfollow', payload: { organization_id: 'o', follower_id: 'a', followed_id: 'b' }, attempt: 2 });
    assert.equal(request.method, 'POST');
    assert.equal(request.body, '{"id":"evt-1","event":"user.unfollow","payload":{"organization_id":"o","follower_id":"a","followed_id":"b"}}');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers[HEADERS.id], 'evt-1');
    assert.equal(request.headers[HEADERS.event], 'user.unfollow');
    assert.equal(request.headers[HEADERS.attempt], '2');
    assert.equal(request.headers[HEADERS.contactsManagerSignature], request.headers[HEADERS.signature]);
    assert.deepEqual(verifyWebhook(request.body, request.headers, SECRET), JSON.parse(request.body));
  });

  test('createSignedRequest signs an exact body and timestamp when given', () => {
    const request = createSignedRequest({ secret: VECTOR.secret, body: VECTOR.body, timestamp: VECTOR.timestamp });
    assert.equal(request.headers[HEADERS.signature], `t=${VECTOR.timestamp},v1=${VECTOR.v1}`);
  });

  test('createSignedRequest names its bad options', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ id: 7 }, /^TypeError: options.id/],
      [{ event: '' }, /^TypeError: options.event/],
      [{ payload: 'x' }, /^TypeError: options.payload/],
      [{ body: { a: 1 } }, /^TypeError: options.body/],
      [{ timestamp: 1.5 }, /^TypeError: options.timestamp/],
      [{ attempt: 0 }, /^TypeError: options.attempt/],
    ];
    for (const [options, message] of bad) {
      assert.throws(() => createSignedRequest({ secret: SECRET, ...options } as unknown as SignedRequestOptions), message);
    }
  });

  test('createSignedRequest leaves out webhook-signature when no secret is a Standard Webhooks key, as the server does', () => {
    const request = createSignedRequest({ secret: VECTOR.secret, standardWebhooks: true });
    assert.equal(request.headers['webhook-id'], JSON.parse(request.body).id);
    assert.equal('webhook-signature' in request.headers, false);
  });

  test('createSignedRequest spreads into a Fetch Request', async () => {
    const request = new Request('http://localhost/hook', createSignedRequest({ secret: SECRET }));
    assert.equal(request.method, 'POST');
    assert.ok(verifyWebhook(await request.text(), request.headers, SECRET));
  });
});
