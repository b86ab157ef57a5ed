import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { computeSignature, ContactsManagerClient, envelopeJson, signatureHeader, signaturesEqual, verifyWebhook } from '../src/index.js';
import { at, envelope, OTHER_SECRET, SECRET, VECTOR } from './fixtures.js';

describe('wire-format signature', () => {
  test('reproduces the wire spec test vector', () => {
    assert.equal(computeSignature(VECTOR.secret, VECTOR.timestamp, VECTOR.body), VECTOR.v1);
    assert.equal(signatureHeader([VECTOR.secret], VECTOR.timestamp, VECTOR.body), `t=${VECTOR.timestamp},v1=${VECTOR.v1}`);
  });

  test('signs the same from a string, a Buffer and a Uint8Array of the body', () => {
    const bytes = Buffer.from(VECTOR.body, 'utf8');
    assert.equal(computeSignature(VECTOR.secret, VECTOR.timestamp, bytes), VECTOR.v1);
    assert.equal(computeSignature(VECTOR.secret, VECTOR.timestamp, new Uint8Array(bytes)), VECTOR.v1);
  });

  test('writes the header exactly as t=<digits>,v1=<64 lowercase hex> with one secret', () => {
    const header = signatureHeader([SECRET], 1700000000, envelope());
    assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
  });

  test('carries one v1 per secret, newest first, during a rotation', () => {
    const body = envelope();
    const header = signatureHeader([OTHER_SECRET, SECRET], 1700000000, body);
    assert.match(header, /^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    const [, newest, previous] = header.split(',');
    assert.equal(newest, `v1=${computeSignature(OTHER_SECRET, 1700000000, body)}`);
    assert.equal(previous, `v1=${computeSignature(SECRET, 1700000000, body)}`);
  });

  test('keys the HMAC with the whole secret string, whsec_ prefix included', () => {
    const expected = createHmac('sha256', Buffer.from(VECTOR.secret, 'utf8')).update(`${VECTOR.timestamp}.${VECTOR.body}`).digest('hex');
    assert.equal(expected, VECTOR.v1);
  });

  test('signs non-ASCII text and emoji over their UTF-8 bytes, left unescaped in the body', () => {
    const body = envelope({ payload: { organization_id: 'o', user_id: 'u', email: null, phone: null, full_name: 'Zoë Ñúñez 😀 日本' } });
    assert.ok(body.includes('Zoë Ñúñez 😀 日本'), 'JSON.stringify leaves non-ASCII unescaped');
    const viaBytes = createHmac('sha256', SECRET).update(Buffer.concat([Buffer.from('1700000000.'), Buffer.from(body, 'utf8')])).digest('hex');
    assert.equal(computeSignature(SECRET, 1700000000, body), viaBytes);
  });

  test('builds the body exactly as JSON.stringify of the envelope', () => {
    const payload = { organization_id: 'o', b: 1, a: [true, null], text: 'line\n"quoted" 😀' };
    assert.equal(envelopeJson('id-1', 'user.new', JSON.stringify(payload)), JSON.stringify({ id: 'id-1', event: 'user.new', payload }));
  });

  test("verifies through the official Node SDK's object path: JSON.stringify(JSON.parse(body))", () => {
    const body = envelope({ payload: { organization_id: 'o', user_id: 'u', email: 'é@example.com', phone: null, full_name: 'Zoë 😀' } });
    const timestamp = Math.floor(Date.now() / 1000);
    const header = signatureHeader([SECRET], timestamp, body);
    const reserialized = JSON.stringify(JSON.parse(body));
    assert.equal(reserialized, body);
    const client = new ContactsManagerClient({ apiKey: 'k', apiSecret: 's', orgId: 'o' });
    client.setWebhookSecret(SECRET);
    assert.equal(client.verifyWebhookSignature(JSON.parse(body), header), true);
    assert.equal(verifyWebhook(reserialized, { 'x-webhook-signature': header }, SECRET, { now: at(timestamp * 1000) }).id, JSON.parse(body).id);
  });

  test('signaturesEqual matches identical signatures only, characters above U+00FF included', () => {
    assert.equal(signaturesEqual(VECTOR.v1, VECTOR.v1), true);
    assert.equal(signaturesEqual(VECTOR.v1, VECTOR.v1.slice(1)), false);
    assert.equal(signaturesEqual(VECTOR.v1, `4${VECTOR.v1.slice(1)}`), false);
    // U+0133 encodes to 0x33 ('3') in latin1, so a Buffer comparison would call these equal.
    assert.equal(signaturesEqual(VECTOR.v1, `\u0133${VECTOR.v1.slice(1)}`), false);
  });

  test('refuses to sign with a fractional timestamp or without a secret', () => {
    assert.throws(() => signatureHeader([SECRET], 1.5, envelope()), TypeError);
    assert.throws(() => signatureHeader([], 1, envelope()), /at least one secret/);
  });
});
