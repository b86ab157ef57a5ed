import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHeraldProcess } from '../../../test-support/herald-process.js';
import { startReceiver, type ReceivedRequest } from '../../../test-support/receiver.js';
import { makeTempDir } from '../../../test-support/temp-dir.js';
import { HeraldClient, type PublishInput } from '../../sdk/src/index.js';

/**
 * Real deliveries for the Python SDK's tests: a running Herald (`herald serve`, the built server, on a
 * temp SQLite file) delivers to a real receiver on 127.0.0.1, through an endpoint with
 * `signature_scheme: "both"`, before, during and after a secret rotation. What arrived is captured
 * byte for byte with the secrets that must and must not verify it.
 */

const BUILT = fileURLToPath(new URL('../../server/dist/cli/main.js', import.meta.url));

export interface CapturedDelivery {
  name: string;
  body_base64: string;
  headers: Record<string, string>;
  /** Each of these verifies the delivery on its own. */
  secrets: string[];
  /** None of these does (a secret that did not sign it, or one revoked before it was sent). */
  wrong_secrets: string[];
  /** The envelope as published: `{id, event, payload}`. */
  event: { id: string; event: string; payload: Record<string, unknown> };
}

/** True when the server has been built, so `herald serve` can start. */
export function heraldIsBuilt(): boolean {
  return existsSync(BUILT);
}

/** An operator's own event type, so one delivery is of a type outside the SDK's catalog. */
const EXTRA_CATALOG = {
  event_types: [
    {
      name: 'order.paid',
      group: 'Orders',
      description: 'An order is paid.',
      schema: {
        type: 'object',
        properties: { organization_id: { type: 'string' }, order_id: { type: 'string' }, total: { type: 'number' } },
        required: ['organization_id'],
      },
      example: { organization_id: 'org', order_id: 'o-1', total: 12.5 },
    },
  ],
};

const BEFORE_ROTATION: Array<[string, PublishInput]> = [
  [
    'the wire spec payload',
    { event: 'user.new', payload: { organization_id: 'uuid', user_id: 'uuid', email: 'user@example.com', phone: '+14155552671', full_name: 'John Doe' } },
  ],
  [
    'non-ASCII text and emoji',
    { event: 'user.new', payload: { organization_id: 'org', user_id: 'u-1', email: 'zoë@exämple.com', phone: null, full_name: 'Zoë Ñúñez 😀 日本 \u2028 "quoted" \\ back' } },
  ],
  [
    'numbers JavaScript and Python write differently',
    {
      event: 'user.create_event',
      payload: {
        organization_id: 'o',
        user_id: 'u',
        event_id: 'e',
        event_type: 'meeting',
        title: 'Café ☕',
        is_public: true,
        metadata: { small: 0.00001, tiny: 1.5e-7, big: 1e21, whole: 1, rounded: 12345678901234567890, negative: -0.000123, nested: { list: [1, 2.5, null, 'x'] } },
      },
    },
  ],
  ['an array payload field', { event: 'user.is_contact', payload: { organization_id: 'o', user_id: 'u', email: null, phone: null, matched_user_ids: ['a', 'b'] } }],
  ["an operator's own event type", { event: 'order.paid', payload: { organization_id: 'o', order_id: 'o-1', total: 99.99 } }],
];

/** Starts Herald and a receiver, produces the deliveries, stops both, and returns what arrived. */
export async function captureRealDeliveries(): Promise<CapturedDelivery[]> {
  const dir = makeTempDir('herald-sdk-python-');
  const receiver = await startReceiver();
  const apiKey = `hk_py_${randomBytes(24).toString('hex')}`;
  const catalog = join(dir.path, 'catalog.json');
  writeFileSync(catalog, JSON.stringify(EXTRA_CATALOG));
  let herald: Awaited<ReturnType<typeof startHeraldProcess>> | undefined;
  try {
    herald = await startHeraldProcess(['--db', join(dir.path, 'herald.db'), '--allow-private-networks', '--log-level', 'error', '--catalog', catalog], {
      HERALD_API_KEY: apiKey,
    });
    const client = new HeraldClient({ baseUrl: herald.url, apiKey });
    const endpoint = await client.endpoints.create({ url: receiver.url, events: ['*'], signature_scheme: 'both', description: 'python sdk' });
    const captured: CapturedDelivery[] = [];

    const deliver = async (name: string, input: PublishInput, secrets: string[], wrongSecrets: string[]): Promise<void> => {
      const { id } = await client.events.publish(input);
      const request = await waitForDelivery(receiver.requests, () => receiver.waitForRequests(receiver.requests.length + 1, 15_000), id);
      captured.push({
        name,
        body_base64: request.body.toString('base64'),
        headers: Object.fromEntries(Object.entries(request.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string')),
        secrets,
        wrong_secrets: wrongSecrets,
        event: { id, event: input.event, payload: input.payload },
      });
    };

    const first = endpoint.secret;
    const unrelated = `whsec_${randomBytes(32).toString('base64')}`;
    for (const [name, input] of BEFORE_ROTATION) await deliver(name, input, [first], [unrelated]);

    const rotated = await client.endpoints.rotateSecret(endpoint.id, { grace_seconds: 3600 });
    await deliver(
      'during a rotation: signed with both secrets',
      { event: 'user.follow', payload: { organization_id: 'o', follower_id: 'ädä 🎉', followed_id: 'b' } },
      [rotated.secret, first],
      [unrelated],
    );
    await client.endpoints.revokePreviousSecret(endpoint.id);
    await deliver(
      'after revoking the previous secret',
      { event: 'user.unfollow', payload: { organization_id: 'o', follower_id: 'a', followed_id: 'b' } },
      [rotated.secret],
      [first, unrelated],
    );
    return captured;
  } finally {
    await herald?.stop();
    await receiver.close();
    dir.remove();
  }
}

async function waitForDelivery(requests: ReceivedRequest[], next: () => Promise<unknown>, eventId: string): Promise<ReceivedRequest> {
  for (;;) {
    const found = requests.find((r) => r.headers['x-webhook-id'] === eventId);
    if (found !== undefined) return found;
    await next();
  }
}
