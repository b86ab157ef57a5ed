import { createHmac } from 'node:crypto';
import { signaturesEqual } from './signature.js';

/**
 * A drop-in for webhook verification written against the official `@contactsmanager/server` Node
 * SDK. It keeps that SDK's argument rules and results on purpose — including its quirks: only the
 * LAST `v1` of the header is checked, a timestamp in the future is not refused, and an object payload
 * is re-serialized with `JSON.stringify` (which matches Herald's bodies byte for byte). New code
 * should call `verifyWebhook`, which checks every `v1` and every secret and throws a reason.
 */

/** Same shape as the official SDK's configuration; only webhook verification is implemented here. */
export interface ContactsManagerConfig {
  apiKey: string;
  apiSecret: string;
  orgId: string;
}

const WINDOW_SECONDS = 900;

/**
 * @example
 * import { ContactsManagerClient } from '@herald/sdk'; // was: from '@contactsmanager/server'
 *
 * const client = new ContactsManagerClient({ apiKey, apiSecret, orgId });
 * client.setWebhookSecret(process.env.WEBHOOK_SECRET!);
 * if (!client.verifyWebhookSignature(req.body, req.headers['x-webhook-signature'] as string)) res.status(401).end();
 */
export class ContactsManagerClient {
  #webhookSecret: string | null = null;

  /**
   * @throws Error when `apiKey`, `apiSecret` or `orgId` is missing, with the original's message.
   *
   * @example
   * const client = new ContactsManagerClient({ apiKey: 'key', apiSecret: 'secret', orgId: 'org' });
   */
  constructor(config: ContactsManagerConfig) {
    // Only checked, never kept: the API-calling half of the original SDK is not part of this drop-in.
    if (!config.apiKey || !config.apiSecret || !config.orgId) {
      throw new Error('Missing required configuration: apiKey, apiSecret, and orgId are required');
    }
  }

  /**
   * Sets the endpoint secret used by `verifyWebhookSignature`.
   *
   * @throws Error unless `secret` is a non-empty string.
   * @example
   * client.setWebhookSecret(process.env.WEBHOOK_SECRET!);
   */
  setWebhookSecret(secret: string): void {
    if (!secret || typeof secret !== 'string') {
      throw new Error('Webhook secret is required and must be a string');
    }
    this.#webhookSecret = secret;
  }

  /**
   * True when the `X-Webhook-Signature` header's (last) `v1` matches the payload and its timestamp is
   * at most 900 s old. `payload` is the raw body (string or, unlike the original, a `Buffer` /
   * `Uint8Array`) or the parsed object, which is re-serialized with `JSON.stringify`. Never throws
   * for a bad signature or header — it answers false.
   *
   * @throws Error when no webhook secret was set, as the original does.
   * @example
   * const ok = client.verifyWebhookSignature(rawBody, req.headers['x-webhook-signature'] as string);
   */
  verifyWebhookSignature(payload: unknown, signature: string): boolean {
    if (!this.#webhookSecret) {
      throw new Error('Webhook secret not set. Call setWebhookSecret() first.');
    }
    if (typeof signature !== 'string') return false;
    // The original builds an object from `key=value` parts, so a repeated key keeps its last value.
    const components: Record<string, string | undefined> = {};
    for (const part of signature.split(',')) {
      const [key, value] = part.split('=');
      if (key !== undefined) components[key] = value;
    }
    const timestamp = components.t;
    const provided = components.v1;
    if (!timestamp || !provided) return false;
    if (Math.floor(Date.now() / 1000) - parseInt(timestamp) > WINDOW_SECONDS) return false;

    const hmac = createHmac('sha256', this.#webhookSecret).update(`${timestamp}.`);
    if (typeof payload === 'string' || payload instanceof Uint8Array) hmac.update(payload);
    else {
      const json: string | undefined = JSON.stringify(payload);
      hmac.update(String(json));
    }
    return signaturesEqual(hmac.digest('hex'), provided);
  }
}
