import { randomBytes } from 'node:crypto';
import { OPERATIONAL_EVENT_TYPES } from '../catalog/operational-events.js';
import type { Clock } from '../clock.js';
import { uuidv7 } from '../ids.js';
import type { Endpoint, Store } from '../store/store.js';

/**
 * The platform-wide operational receiver (`--operational-webhook-url`), modelled as one ordinary
 * endpoint in a system organization of its own (uid `herald.operational-webhooks`), subscribed to
 * the operational types. Every organization's operational events are also published there, each
 * payload naming its `organization_id`, so they are signed, retried and logged like any delivery,
 * and the operator reads that log under `/v1/organizations/herald.operational-webhooks/deliveries`.
 *
 * Its secret is generated once and kept as a server secret, so a restart, or another process, signs
 * with the same one. The ids of the organization and endpoint are server secrets too: processes
 * starting together agree on them, and the primary keys let only one of them create each.
 */

export const OPERATIONAL_ORGANIZATION_UID = 'herald.operational-webhooks';

const SECRET_NAME = 'operational-webhook-secret';
const ORGANIZATION_ID_NAME = 'operational-webhook-organization-id';
const ENDPOINT_ID_NAME = 'operational-webhook-endpoint-id';

export interface OperationalWebhook {
  organizationId: string;
  endpoint: Endpoint;
  /** The current signing secret. */
  secret: string;
}

/**
 * Creates the receiver's organization and endpoint if missing, and points the endpoint at `url`.
 * `secretCreated` is true for the call that generated the secret: the one start that prints it.
 */
export async function ensureOperationalWebhook(
  store: Store,
  clock: Clock,
  url: string,
): Promise<OperationalWebhook & { secretCreated: boolean }> {
  const now = clock.now();
  // The same form as an endpoint secret (wire spec §3).
  const candidate = `whsec_${randomBytes(32).toString('base64')}`;
  const secret = await store.getOrCreateServerSecret(SECRET_NAME, candidate, now);
  const organizationId = await store.getOrCreateServerSecret(ORGANIZATION_ID_NAME, uuidv7(now), now);
  if ((await store.getOrganizationProfile(organizationId)) === null) {
    const written = await store
      .createOrganizationProfile({
        id: organizationId,
        name: 'Herald operational webhooks',
        createdAt: now,
        uid: OPERATIONAL_ORGANIZATION_UID,
        metadata: { system: 'operational-webhooks' },
      })
      .catch(() => null);
    if (written?.ok !== true && (await store.getOrganizationProfile(organizationId)) === null) {
      throw new Error(`cannot create the operational webhook's organization: the uid ${OPERATIONAL_ORGANIZATION_UID} is taken`);
    }
  }
  const endpointId = await store.getOrCreateServerSecret(ENDPOINT_ID_NAME, uuidv7(now), now);
  let endpoint = await store.getEndpoint(organizationId, endpointId);
  if (endpoint === null) {
    endpoint = await store
      .createEndpoint({
        id: endpointId,
        organizationId,
        url,
        description: 'The platform-wide operational webhook (--operational-webhook-url)',
        events: [...OPERATIONAL_EVENT_TYPES],
        enabled: true,
        signatureScheme: 'contactsmanager',
        secret,
        createdAt: now,
      })
      .catch(async (error: unknown) => {
        const raced = await store.getEndpoint(organizationId, endpointId);
        if (raced === null) throw error;
        return raced;
      });
  }
  if (endpoint.url !== url) endpoint = (await store.updateEndpoint(organizationId, endpointId, { url }, now)) ?? endpoint;
  const current = (await store.listSecrets(organizationId, endpointId, now))[0]?.secret ?? secret;
  return { organizationId, endpoint, secret: current, secretCreated: secret === candidate };
}

/** The receiver as configured, or null when no process was ever started with `--operational-webhook-url`. */
export async function findOperationalWebhook(store: Store, now: number): Promise<OperationalWebhook | null> {
  const organization = await store.findOrganizationByUid(OPERATIONAL_ORGANIZATION_UID);
  if (organization === null) return null;
  const [endpoint] = await store.listEndpoints(organization.id);
  if (endpoint === undefined) return null;
  const [secret] = await store.listSecrets(organization.id, endpoint.id, now);
  return secret === undefined ? null : { organizationId: organization.id, endpoint, secret: secret.secret };
}
