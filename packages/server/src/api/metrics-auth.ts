import type { Store } from '../store/store.js';
import { bearerToken, checkApiKey } from '../tenancy/api-key-check.js';
import { hashApiKey } from './api-keys.js';

/**
 * `GET /metrics` counts across every organization, so it takes the platform's operator key
 * (`Authorization: Bearer <operator key>`), on the API and on `herald dispatch`'s metrics listener alike.
 */
export async function isOperatorKey(store: Store, authorization: string | undefined, now: number): Promise<boolean> {
  const presented = bearerToken(authorization);
  if (presented === null) return false;
  const check = checkApiKey(await store.findApiKeyByHash(hashApiKey(presented)), now);
  return check.ok && check.key.scope === 'operator';
}
