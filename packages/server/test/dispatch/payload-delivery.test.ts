import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { ContactsManagerClient, envelopeJson, verifyWebhook } from '@herald/sdk';
import { buildApp } from '../../src/api/app.js';
import { loadCatalog } from '../../src/catalog/load-catalog.js';
import { systemClock } from '../../src/clock.js';
import { createOrganization, userNewPayload } from '../helpers/fixtures.js';
import { dispatchHarness } from './harness.js';
import { secretsVerifyingByRecipe } from './wire-recipe.js';

/**
 * Publishes `payloadText` through the API to one endpoint and returns the request its receiver got.
 * Everything runs on the real clock, so the official SDK's check of the timestamp (it reads the real
 * time) passes.
 */
async function deliverPublished(t: TestContext, payloadText: string) {
  const h = await dispatchHarness(t);
  const app = buildApp({ store: h.store, catalog: loadCatalog(), metrics: h.metrics, clock: systemClock, version: '0.0.0-test' });
  t.after(() => app.close());
  const org = await createOrganization(h.store, systemClock);
  const receiver = await h.receiver();
  const endpoint = await app.inject({ method: 'POST', url: '/v1/endpoints', headers: org.headers, payload: { url: receiver.url, events: ['user.new'] } });
  const { secret } = endpoint.json() as { secret: string };
  const published = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { ...org.headers, 'content-type': 'application/json' },
    payload: `{"event": "user.new", "payload": ${payloadText}}`,
  });
  assert.equal(published.statusCode, 202, published.body);
  const { id } = published.json() as { id: string };
  h.dispatcher({ clock: systemClock });
  const [request] = await receiver.waitForRequests(1);
  return { id, secret, request: request!, body: request!.body.toString('utf8'), signature: request!.headers['x-webhook-signature'] as string };
}

const client = () => new ContactsManagerClient({ apiKey: 'key', apiSecret: 'secret', orgId: 'org' });

describe('dispatcher: payload fidelity', () => {
  it('delivers numbers JavaScript cannot hold digit for digit, in a body the SDKs verify from the raw bytes', async (t) => {
    const fields = '"big":12345678901234567890,"neg":-9007199254740993,"huge":1e400,"thirty":123456789012345678901234567890';
    const exact = `${JSON.stringify(userNewPayload()).slice(0, -1)},${fields}}`;
    const { id, secret, request, body, signature } = await deliverPublished(t, exact.replaceAll(',', ', '));

    assert.equal(body, envelopeJson(id, 'user.new', exact));
    assert.deepEqual(secretsVerifyingByRecipe(signature, request.body, [secret]), [secret]);
    assert.equal(verifyWebhook(request.body, request.headers, secret).id, id);
    const official = client();
    official.setWebhookSecret(secret);
    assert.equal(official.verifyWebhookSignature(body, signature), true);
    // A receiver's JSON.parse rounds those numbers, so re-serializing the parsed object cannot give
    // these bytes back: such payloads verify from the raw body only (docs/api.md says so).
    assert.equal(official.verifyWebhookSignature(JSON.parse(body), signature), false);
  });

  it("delivers a payload of numbers a double holds, unicode and __proto__ keys so that the official SDK's parsed-object path verifies", async (t) => {
    const text = '{"organization_id": "org_1", "user_id": "u_1", "email": null, "phone": null, "full_name": "Zoë 😀 \\u00e9 \\"q\\"", "n": 1.0, "e": 1E2, "z": -0, "t": 1e21, "__proto__": {"constructor": [[]]}}';
    const { id, secret, body, signature } = await deliverPublished(t, text);

    assert.equal(body, envelopeJson(id, 'user.new', JSON.stringify(JSON.parse(text))));
    const official = client();
    official.setWebhookSecret(secret);
    assert.equal(official.verifyWebhookSignature(JSON.parse(body), signature), true);
    assert.equal(official.verifyWebhookSignature(body, signature), true);
  });
});
