import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { buildDeliveryRequest } from '../../src/dispatch/request.js';
import type { ClaimedDelivery } from '../../src/store/store.js';
import { secretsVerifyingByRecipe } from './wire-recipe.js';

const SPEC_PAYLOAD =
  '{"organization_id":"uuid","user_id":"uuid","email":"user@example.com","phone":"+14155552671","full_name":"John Doe"}';
const SPEC_BODY = `{"id":"123e4567-e89b-12d3-a456-426614174000","event":"user.new","payload":${SPEC_PAYLOAD}}`;

function claimed(overrides: Partial<ClaimedDelivery> = {}): ClaimedDelivery {
  return {
    deliveryId: '0190b6a4-0000-7000-8000-000000000001',
    organizationId: '0190b6a4-0000-7000-8000-000000000002',
    endpointId: '0190b6a4-0000-7000-8000-000000000003',
    url: 'https://hooks.example.com/herald',
    signatureScheme: 'contactsmanager',
    secrets: ['whsec_test_secret'],
    eventId: '123e4567-e89b-12d3-a456-426614174000',
    eventType: 'user.new',
    payloadJson: SPEC_PAYLOAD,
    attempt: 1,
    leaseExpiresAt: 1_672_531_240_000,
    endpointConcurrencyLimit: 4,
    endpointUnanswered: 0,
    endpointRetrySchedule: null,
    endpointTimeoutMs: null,
    ...overrides,
  };
}

const signing = { timestamp: 1672531200, userAgent: 'Herald/0.1.0' };
const standardSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

describe('buildDeliveryRequest', () => {
  it('signs the wire spec test vector exactly', () => {
    const request = buildDeliveryRequest(claimed(), signing);
    assert.equal(request.body, SPEC_BODY);
    assert.equal(
      request.headers['x-webhook-signature'],
      't=1672531200,v1=3337234afccbe4af5a215ad21fd39ca4a8960cd8b979c5877f30bdc00677dfaf',
    );
  });

  it('sends exactly the wire spec headers', () => {
    const request = buildDeliveryRequest(claimed({ attempt: 2 }), signing);
    const signature = 't=1672531200,v1=3337234afccbe4af5a215ad21fd39ca4a8960cd8b979c5877f30bdc00677dfaf';
    assert.deepEqual(request.headers, {
      'content-type': 'application/json',
      'x-webhook-signature': signature,
      'x-contactsmanager-signature': signature,
      'x-webhook-id': '123e4567-e89b-12d3-a456-426614174000',
      'x-webhook-event': 'user.new',
      'x-webhook-attempt': '2',
      'user-agent': 'Herald/0.1.0',
    });
    assert.equal(request.url, 'https://hooks.example.com/herald');
  });

  it('builds the body byte for byte as JSON.stringify({ id, event, payload }), keeping field order and non-ASCII text', () => {
    const payload = { organization_id: 'o1', full_name: 'Zoë “Ω” 😀', nested: { b: 1, a: [true, null, 1.5] }, email: 'a\u2028b</script>' };
    const request = buildDeliveryRequest(claimed({ eventType: 'user.update_event', payloadJson: JSON.stringify(payload) }), signing);
    assert.equal(
      request.body,
      JSON.stringify({ id: '123e4567-e89b-12d3-a456-426614174000', event: 'user.update_event', payload }),
    );
  });

  it('keeps the body identical across attempts while the timestamp and signature change', () => {
    const first = buildDeliveryRequest(claimed({ attempt: 1 }), signing);
    const third = buildDeliveryRequest(claimed({ attempt: 3 }), { ...signing, timestamp: signing.timestamp + 10 });
    assert.equal(third.body, first.body);
    assert.equal(third.headers['x-webhook-id'], first.headers['x-webhook-id']);
    assert.notEqual(third.headers['x-webhook-signature'], first.headers['x-webhook-signature']);
    assert.match(third.headers['x-webhook-signature']!, /^t=1672531210,v1=/);
  });

  it('signs with every valid secret during a rotation, newest first, each verifying by the recipe', () => {
    const request = buildDeliveryRequest(claimed({ secrets: ['whsec_new', 'whsec_old'] }), signing);
    const header = request.headers['x-webhook-signature']!;
    assert.match(header, /^t=1672531200,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    assert.deepEqual(secretsVerifyingByRecipe(header, request.body, ['whsec_new']), ['whsec_new']);
    assert.deepEqual(secretsVerifyingByRecipe(header, request.body, ['whsec_old']), ['whsec_old']);
    // The official SDKs keep only the last v1, so receivers on the previous secret keep working.
    const last = header.split(',').at(-1)!;
    assert.deepEqual(secretsVerifyingByRecipe(`t=1672531200,${last}`, request.body, ['whsec_new', 'whsec_old']), ['whsec_old']);
  });

  it('adds no Standard Webhooks headers to a contactsmanager-only endpoint', () => {
    const request = buildDeliveryRequest(claimed({ secrets: [standardSecret()] }), signing);
    assert.equal(Object.keys(request.headers).some((name) => name.startsWith('webhook-')), false);
  });

  it('adds Standard Webhooks headers that the standardwebhooks library verifies, for scheme "both"', () => {
    const secret = standardSecret();
    const now = Math.floor(Date.now() / 1000);
    const request = buildDeliveryRequest(claimed({ signatureScheme: 'both', secrets: [secret] }), { ...signing, timestamp: now });
    assert.equal(request.headers['webhook-id'], '123e4567-e89b-12d3-a456-426614174000');
    assert.equal(request.headers['webhook-timestamp'], String(now));
    assert.match(request.headers['webhook-signature']!, /^v1,[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(new Webhook(secret).verify(request.body, request.headers), JSON.parse(SPEC_BODY));
    // The wire format's own headers are still there and still verify.
    assert.deepEqual(secretsVerifyingByRecipe(request.headers['x-webhook-signature']!, request.body, [secret]), [secret]);
  });

  it('signs Standard Webhooks with every secret during a rotation, and either verifies', () => {
    const [current, previous] = [standardSecret(), standardSecret()];
    const now = Math.floor(Date.now() / 1000);
    const request = buildDeliveryRequest(
      claimed({ signatureScheme: 'both', secrets: [current, previous] }),
      { ...signing, timestamp: now },
    );
    assert.match(request.headers['webhook-signature']!, /^v1,\S+ v1,\S+$/);
    for (const secret of [current, previous]) assert.ok(new Webhook(secret).verify(request.body, request.headers));
  });

  it('skips secrets that are not base64 after whsec_ when signing Standard Webhooks', () => {
    const secret = standardSecret();
    const now = Math.floor(Date.now() / 1000);
    const mixed = buildDeliveryRequest(
      claimed({ signatureScheme: 'both', secrets: ['whsec_test_secret', secret] }),
      { ...signing, timestamp: now },
    );
    assert.match(mixed.headers['webhook-signature']!, /^v1,[A-Za-z0-9+/]{43}=$/);
    assert.ok(new Webhook(secret).verify(mixed.body, mixed.headers));

    const none = buildDeliveryRequest(claimed({ signatureScheme: 'both', secrets: ['whsec_test_secret'] }), signing);
    assert.equal(none.headers['webhook-signature'], undefined);
    assert.equal(none.headers['webhook-id'], '123e4567-e89b-12d3-a456-426614174000');
  });
});
