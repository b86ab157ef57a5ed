import { apiKeyDisplayPrefix, generateApiKey, hashApiKey } from './api/api-keys.js';
import type { Clock } from './clock.js';
import { uuidv7 } from './ids.js';
import type { ApiKeyScope, Store } from './store/store.js';

export interface CreatedOrganization {
  organizationId: string;
  apiKey: string;
}

/** Creates an organization with one API key; the key is returned once and stored only as a hash. */
export async function createOrganization(store: Store, name: string, clock: Clock, apiKey = generateApiKey()): Promise<CreatedOrganization> {
  const organizationId = uuidv7(clock.now());
  await store.createOrganization({ id: organizationId, name, createdAt: clock.now() });
  await createApiKey(store, organizationId, clock, apiKey);
  return { organizationId, apiKey };
}

export async function createApiKey(store: Store, organizationId: string, clock: Clock, apiKey = generateApiKey()): Promise<string> {
  return (await issueApiKey(store, clock, { organizationId }, apiKey)).apiKey;
}

export interface NewKeyOptions {
  /** Null for an operator key. */
  organizationId: string | null;
  scope?: ApiKeyScope;
  name?: string;
  expiresAt?: number | null;
}

/** Stores a new key (only its hash) and returns it with its id: the one time the key is seen. */
export async function issueApiKey(store: Store, clock: Clock, options: NewKeyOptions, apiKey = generateApiKey()): Promise<{ id: string; apiKey: string }> {
  const id = uuidv7(clock.now());
  await store.createApiKey({ id, prefix: apiKeyDisplayPrefix(apiKey), createdAt: clock.now(), ...options }, hashApiKey(apiKey));
  return { id, apiKey };
}

/**
 * On an empty database, creates the first organization and its API key (`seedKey` when given, for
 * automation) so that a fresh `herald serve` is usable at once. Returns null when another process
 * did it, or organizations already exist.
 *
 * Several API processes may start at once on one empty PostgreSQL database: they first agree on the
 * organization's id through `getOrCreateServerSecret` (one stored value, whoever wrote it), and the
 * organization's primary key then lets exactly one of them create it.
 */
export async function bootstrapFirstOrganization(store: Store, clock: Clock, seedKey?: string): Promise<CreatedOrganization | null> {
  if ((await store.countOrganizations()) > 0) return null;
  const organizationId = await store.getOrCreateServerSecret('bootstrap-organization-id', uuidv7(clock.now()), clock.now());
  try {
    await store.createOrganization({ id: organizationId, name: 'Default organization', createdAt: clock.now() });
  } catch (error) {
    if (await store.getOrganization(organizationId)) return null;
    throw error;
  }
  return { organizationId, apiKey: await createApiKey(store, organizationId, clock, seedKey) };
}

/**
 * On an empty database (no organization, no operator key), stores `operatorKey` as the platform's
 * operator key, as `HERALD_OPERATOR_KEY` asks. Returns whether this call stored it. Processes racing
 * here insert the same key hash, which is unique: one wins, the others find it stored.
 */
export async function bootstrapOperatorKey(store: Store, clock: Clock, operatorKey: string): Promise<boolean> {
  if ((await store.countOrganizations()) > 0 || (await store.listApiKeys(null)).length > 0) return false;
  try {
    await issueApiKey(store, clock, { organizationId: null, name: 'HERALD_OPERATOR_KEY' }, operatorKey);
    return true;
  } catch (error) {
    if ((await store.findApiKeyByHash(hashApiKey(operatorKey))) !== null) return false;
    throw error;
  }
}
