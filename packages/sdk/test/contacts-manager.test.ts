import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { computeSignature, ContactsManagerClient, signatureHeader } from '../src/index.js';
import { envelope, OTHER_SECRET, SECRET } from './fixtures.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);

function client(secret = SECRET): ContactsManagerClient {
  const created = new ContactsManagerClient({ apiKey: 'api-key', apiSecret: 'api-secret', orgId: 'org-1' });
  created.setWebhookSecret(secret);
  return created;
}

describe('ContactsManagerClient (drop-in for @contactsmanager/server)', () => {
  test('requires apiKey, apiSecret and orgId with the original message', () => {
    for (const config of [
      { apiKey: '', apiSecret: 's', orgId: 'o' },
      { apiKey: 'k', apiSecret: '', orgId: 'o' },
      { apiKey: 'k', apiSecret: 's', orgId: '' },
    ]) {
      assert.throws(() => new ContactsManagerClient(config), { message: 'Missing required configuration: apiKey, apiSecret, and orgId are required' });
    }
  });

  test('requires a webhook secret before verifying, as the original does', () => {
    const bare = new ContactsManagerClient({ apiKey: 'k', apiSecret: 's', orgId: 'o' });
    assert.throws(() => bare.setWebhookSecret(''), { message: 'Webhook secret is required and must be a string' });
    assert.throws(() => bare.setWebhookSecret(42 as unknown as string), { message: 'Webhook secret is required and must be a string' });
    assert.throws(() => bare.verifyWebhookSignature('{}', 't=1,v1=a'), { message: 'Webhook secret not set. Call setWebhookSecret() first.' });
  });

  test('verifies the raw body as a string, a Buffer or a Uint8Array', () => {
    const body = envelope();
    const header = signatureHeader([SECRET], nowSeconds(), body);
    assert.equal(client().verifyWebhookSignature(body, header), true);
    assert.equal(client().verifyWebhookSignature(Buffer.from(body), header), true);
    assert.equal(client().verifyWebhookSignature(new Uint8Array(Buffer.from(body)), header), true);
  });

  test('verifies the parsed object by re-serializing it with JSON.stringify, emoji included', () => {
    const body = envelope({ payload: { organization_id: 'o', user_id: 'u', email: null, phone: null, full_name: 'Zoë 😀' } });
    assert.equal(client().verifyWebhookSignature(JSON.parse(body), signatureHeader([SECRET], nowSeconds(), body)), true);
  });

  test('checks only the last v1, like the original: a rotation header verifies with the previous secret', () => {
    const body = envelope();
    const t = nowSeconds();
    const rotation = signatureHeader([OTHER_SECRET, SECRET], t, body);
    assert.equal(client(SECRET).verifyWebhookSignature(body, rotation), true);
    assert.equal(client(OTHER_SECRET).verifyWebhookSignature(body, rotation), false);
  });

  test('answers false, never throws, for a bad header, a wrong secret or a changed body', () => {
    const body = envelope();
    const header = signatureHeader([SECRET], nowSeconds(), body);
    assert.equal(client(OTHER_SECRET).verifyWebhookSignature(body, header), false);
    assert.equal(client().verifyWebhookSignature(`${body} `, header), false);
    for (const bad of ['', 'garbage', `t=${nowSeconds()}`, `v1=${'a'.repeat(64)}`, `t=${nowSeconds()},v1=short`]) {
      assert.equal(client().verifyWebhookSignature(body, bad), false, bad);
    }
    assert.equal(client().verifyWebhookSignature(body, undefined as unknown as string), false);
  });

  test('refuses a timestamp more than 900 s old and, like the original, accepts one in the future', () => {
    const body = envelope();
    const t = nowSeconds();
    assert.equal(client().verifyWebhookSignature(body, signatureHeader([SECRET], t - 890, body)), true);
    assert.equal(client().verifyWebhookSignature(body, signatureHeader([SECRET], t - 910, body)), false);
    assert.equal(client().verifyWebhookSignature(body, signatureHeader([SECRET], t + 3600, body)), true);
  });

  test("signs over the header's own timestamp text, as the original does", () => {
    const body = envelope();
    const t = `0${nowSeconds()}`;
    const v1 = createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex');
    assert.equal(client().verifyWebhookSignature(body, `t=${t},v1=${v1}`), true);
    assert.equal(client().verifyWebhookSignature(body, `t=${t},v1=${computeSignature(SECRET, Number(t), body)}`), false);
  });
});
