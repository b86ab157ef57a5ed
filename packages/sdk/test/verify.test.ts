import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  computeSignature,
  isCatalogEvent,
  isEventType,
  signatureHeader,
  verifyWebhook,
  WebhookVerificationError,
  type VerificationFailureReason,
} from '../src/index.js';
import { at, envelope, NOW_MS, OTHER_SECRET, SECRET, signedHeaders, VECTOR } from './fixtures.js';

const T = VECTOR.timestamp;
const now = at(NOW_MS);

function refusal(fn: () => unknown): VerificationFailureReason {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof WebhookVerificationError, `expected WebhookVerificationError, got ${String(error)}`);
    return error.reason;
  }
  assert.fail('expected verification to fail');
}

describe('verifyWebhook', () => {
  test('returns the parsed event of the wire spec test vector', () => {
    const event = verifyWebhook(VECTOR.body, { 'x-webhook-signature': `t=${T},v1=${VECTOR.v1}` }, VECTOR.secret, { now });
    assert.deepEqual(event, JSON.parse(VECTOR.body));
    assert.ok(isCatalogEvent(event) && event.event === 'user.new');
    assert.equal(event.payload.full_name, 'John Doe');
  });

  test('accepts the body as a string, a Buffer or a Uint8Array', () => {
    const body = envelope();
    const headers = signedHeaders(body);
    for (const raw of [body, Buffer.from(body), new Uint8Array(Buffer.from(body))]) {
      assert.equal(verifyWebhook(raw, headers, SECRET, { now }).event, 'user.new');
    }
  });

  test('refuses a parsed object with a TypeError that says to pass the raw body', () => {
    const body = envelope();
    assert.throws(
      () => verifyWebhook(JSON.parse(body) as unknown as string, signedHeaders(body), SECRET, { now }),
      (error: unknown) => error instanceof TypeError && /rawBody must be the raw request body/.test(error.message) && /before any JSON parsing/.test(error.message),
    );
  });

  test('names the argument in every argument error', () => {
    const body = envelope();
    const headers = signedHeaders(body);
    assert.throws(() => verifyWebhook(42 as unknown as string, headers, SECRET), /^TypeError: rawBody/);
    assert.throws(() => verifyWebhook(body, null as unknown as Record<string, string>, SECRET), /^TypeError: headers/);
    assert.throws(() => verifyWebhook(body, headers, ''), /^TypeError: secret/);
    assert.throws(() => verifyWebhook(body, headers, []), /^TypeError: secret/);
    assert.throws(() => verifyWebhook(body, headers, [SECRET, 7 as unknown as string]), /^TypeError: secret\[1\]/);
    assert.throws(() => verifyWebhook(body, headers, SECRET, { toleranceSeconds: -1 }), /^TypeError: options.toleranceSeconds/);
    assert.throws(() => verifyWebhook(body, headers, SECRET, { now: 5 as unknown as () => number }), /^TypeError: options.now/);
  });

  test('reads header names in any case, from a plain object or a Fetch Headers', () => {
    const body = envelope();
    const signature = signatureHeader([SECRET], T, body);
    assert.equal(verifyWebhook(body, { 'X-Webhook-Signature': signature }, SECRET, { now }).event, 'user.new');
    assert.equal(verifyWebhook(body, { 'x-WEBHOOK-signature': [signature] }, SECRET, { now }).event, 'user.new');
    assert.equal(verifyWebhook(body, new Headers({ 'X-Webhook-Signature': signature }), SECRET, { now }).event, 'user.new');
  });

  test('falls back to X-ContactsManager-Signature', () => {
    const body = envelope();
    const signature = signatureHeader([SECRET], T, body);
    assert.equal(verifyWebhook(body, { 'X-ContactsManager-Signature': signature }, SECRET, { now }).event, 'user.new');
  });

  test('accepts any v1 of the header and any of several secrets', () => {
    const body = envelope();
    const rotated = signedHeaders(body, [OTHER_SECRET, SECRET]);
    assert.ok(verifyWebhook(body, rotated, SECRET, { now }));
    assert.ok(verifyWebhook(body, rotated, OTHER_SECRET, { now }));
    const onlyNew = signedHeaders(body, [OTHER_SECRET]);
    assert.ok(verifyWebhook(body, onlyNew, [SECRET, OTHER_SECRET], { now }));
    const withUnknownKey = `t=${T},v0=abc,v1=${'0'.repeat(64)},v1=${computeSignature(SECRET, T, body)}`;
    assert.ok(verifyWebhook(body, { 'x-webhook-signature': withUnknownKey }, SECRET, { now }));
  });

  test('refuses a request without a signature header as missing_header', () => {
    assert.equal(refusal(() => verifyWebhook(envelope(), { 'content-type': 'application/json' }, SECRET, { now })), 'missing_header');
    assert.equal(refusal(() => verifyWebhook(envelope(), { 'x-webhook-signature': '' }, SECRET, { now })), 'missing_header');
  });

  test('refuses headers that do not parse as malformed_header', () => {
    const body = envelope();
    const v1 = computeSignature(SECRET, T, body);
    for (const header of [`v1=${v1}`, `t=abc,v1=${v1}`, `t=${T}`, `t=${T};v1=${v1}`, `t=${T},t=${T},v1=${v1}`, `t=-5,v1=${v1}`, `t=1.5,v1=${v1}`]) {
      assert.equal(refusal(() => verifyWebhook(body, { 'x-webhook-signature': header }, SECRET, { now })), 'malformed_header', header);
    }
    assert.equal(refusal(() => verifyWebhook(body, { 'x-webhook-signature': [`t=${T},v1=${v1}`, `t=${T},v1=${v1}`] }, SECRET, { now })), 'malformed_header');
    // Node and Fetch join a header sent twice with ", ".
    const twice = new Headers([['x-webhook-signature', `t=${T},v1=${v1}`], ['x-webhook-signature', `t=${T},v1=${v1}`]]);
    assert.equal(refusal(() => verifyWebhook(body, twice, SECRET, { now })), 'malformed_header');
  });

  test('accepts a timestamp exactly 900 s old and refuses one 901 s old', () => {
    const body = envelope();
    assert.ok(verifyWebhook(body, signedHeaders(body, [SECRET], T - 900), SECRET, { now }));
    assert.equal(refusal(() => verifyWebhook(body, signedHeaders(body, [SECRET], T - 901), SECRET, { now })), 'timestamp_too_old');
  });

  test('accepts a timestamp 300 s in the future and refuses one 301 s ahead', () => {
    const body = envelope();
    assert.ok(verifyWebhook(body, signedHeaders(body, [SECRET], T + 300), SECRET, { now }));
    assert.equal(refusal(() => verifyWebhook(body, signedHeaders(body, [SECRET], T + 301), SECRET, { now })), 'timestamp_in_future');
  });

  test('uses the configured tolerances', () => {
    const body = envelope();
    const options = { now, toleranceSeconds: 60, futureToleranceSeconds: 0 };
    assert.ok(verifyWebhook(body, signedHeaders(body, [SECRET], T - 60), SECRET, options));
    assert.equal(refusal(() => verifyWebhook(body, signedHeaders(body, [SECRET], T - 61), SECRET, options)), 'timestamp_too_old');
    assert.equal(refusal(() => verifyWebhook(body, signedHeaders(body, [SECRET], T + 1), SECRET, options)), 'timestamp_in_future');
  });

  test('checks the timestamp against the real clock by default', () => {
    const body = envelope();
    assert.equal(refusal(() => verifyWebhook(body, signedHeaders(body, [SECRET], T), SECRET)), 'timestamp_too_old');
    assert.ok(verifyWebhook(body, signedHeaders(body, [SECRET], Math.floor(Date.now() / 1000)), SECRET));
  });

  test('refuses a wrong secret, a changed body and a changed timestamp as no_matching_signature', () => {
    const body = envelope();
    const headers = signedHeaders(body);
    assert.equal(refusal(() => verifyWebhook(body, headers, OTHER_SECRET, { now })), 'no_matching_signature');
    assert.equal(refusal(() => verifyWebhook(body.replace('John', 'Jane'), headers, SECRET, { now })), 'no_matching_signature');
    const v1 = computeSignature(SECRET, T, body);
    assert.equal(refusal(() => verifyWebhook(body, { 'x-webhook-signature': `t=${T + 1},v1=${v1}` }, SECRET, { now })), 'no_matching_signature');
    assert.equal(refusal(() => verifyWebhook(body, { 'x-webhook-signature': `t=${T},v1=${v1.slice(2)}` }, SECRET, { now })), 'no_matching_signature');
  });

  test('refuses a correctly signed body that is not a JSON envelope as invalid_json', () => {
    for (const body of ['not json', '[1,2]', '{"id":"x","event":"user.new"}', '{"id":1,"event":"user.new","payload":{}}']) {
      assert.equal(refusal(() => verifyWebhook(body, signedHeaders(body), SECRET, { now })), 'invalid_json', body);
    }
  });

  test('parses an event type outside the catalog as a generic event', () => {
    const body = envelope({ event: 'order.paid', payload: { organization_id: 'o', order_id: 'x1', total: 12.5 } });
    const event = verifyWebhook(body, signedHeaders(body), SECRET, { now });
    assert.equal(event.event, 'order.paid');
    assert.equal(isCatalogEvent(event), false);
    assert.equal(event.payload.order_id, 'x1');
  });

  test('keeps fields a producer added to a catalog payload', () => {
    const body = envelope({ event: 'user.follow', payload: { organization_id: 'o', follower_id: 'a', followed_id: 'b', source: 'app' } });
    const event = verifyWebhook(body, signedHeaders(body), SECRET, { now });
    assert.ok(isEventType(event, 'user.follow'));
    assert.equal(event.payload.followed_id, 'b');
    assert.equal(event.payload.source, 'app');
  });

  test('verifies non-ASCII text and emoji given as text or as bytes', () => {
    const body = envelope({ payload: { organization_id: 'o', user_id: 'u', email: null, phone: null, full_name: 'Zoë 😀 日本' } });
    const headers = signedHeaders(Buffer.from(body, 'utf8'));
    for (const raw of [body, Buffer.from(body, 'utf8')]) {
      const event = verifyWebhook(raw, headers, SECRET, { now });
      assert.ok(isEventType(event, 'user.new'));
      assert.equal(event.payload.full_name, 'Zoë 😀 日本');
    }
  });

  test('never puts the secret in an error message', () => {
    const body = envelope();
    for (const headers of [{}, { 'x-webhook-signature': 'nope' }, signedHeaders(body, [SECRET], T - 5000), signedHeaders(body, [OTHER_SECRET])]) {
      try {
        verifyWebhook(body, headers, SECRET, { now });
        assert.fail('expected a refusal');
      } catch (error) {
        assert.ok(error instanceof WebhookVerificationError);
        assert.ok(!error.message.includes(SECRET) && !error.message.includes(SECRET.slice(6)));
      }
    }
  });
});
