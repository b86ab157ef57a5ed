import type { ApiKeyScope, SessionScope } from '../store/store.js';
import { InsufficientScopeError } from '../errors.js';

/**
 * What a credential may do inside one organization. An organization key is `admin` (everything),
 * `publish` (only `POST /events`) or `read` (only GETs); a dashboard session has the scope of the
 * key it was started with, or `portal` when a portal link started it. An operator key may do
 * everything an admin key may, for any organization, under `/v1/organizations/{org}/…`.
 *
 * A route's need is read from its method and path (relative to the organization), so a new route
 * is covered the day it is added: a GET needs `read`, anything else `manage` unless listed below.
 */

export type Access =
  /** GET and HEAD. */
  | 'read'
  /** `POST /events`. */
  | 'publish'
  /** Change the organization's webhooks: endpoints, secrets, test events, resends, recoveries. */
  | 'manage'
  /** Keys, portal links and "sign out everywhere": what hands out or ends access. */
  | 'admin'
  /** The dashboard's own session (`/session`): any holder may read or end their own. */
  | 'session'
  /** What only the platform may do inside an organization: `DELETE /events` (early pruning). */
  | 'operator';

export type Holder = ApiKeyScope | SessionScope;

const GRANTS: Record<Holder, ReadonlySet<Access>> = {
  operator: new Set(['read', 'publish', 'manage', 'admin', 'session', 'operator']),
  admin: new Set(['read', 'publish', 'manage', 'admin', 'session']),
  publish: new Set(['publish', 'session']),
  read: new Set(['read', 'session']),
  portal: new Set(['read', 'manage', 'session']),
};

/** The key scope to name in a refusal: the narrowest one that grants `access`. */
const NEEDED: Record<Access, ApiKeyScope> = { read: 'read', publish: 'publish', manage: 'admin', admin: 'admin', session: 'read', operator: 'operator' };

const ADMIN_PATHS = [/^\/api-keys(\/|$)/, /^\/portal-links(\/|$)/, /^\/sessions$/];

/** What a request needs, from its method and its route's path relative to the organization (`/endpoints/:id`). */
export function accessFor(method: string, path: string): Access {
  if (path === '/session') return 'session';
  if (ADMIN_PATHS.some((pattern) => pattern.test(path))) return 'admin';
  if (method === 'GET' || method === 'HEAD') return 'read';
  if (method === 'POST' && path === '/events') return 'publish';
  if (method === 'DELETE' && path === '/events') return 'operator';
  return 'manage';
}

export function grants(holder: Holder, access: Access): boolean {
  return GRANTS[holder].has(access);
}

/** Throws `insufficient_scope`, naming the scope needed, unless `holder` may do `access`. */
export function requireAccess(holder: Holder, access: Access, what: string): void {
  if (grants(holder, access)) return;
  const needed = NEEDED[access];
  const who = holder === 'portal' ? 'a portal session' : `a key with the "${holder}" scope`;
  throw new InsufficientScopeError(
    `${what} needs the "${needed}" scope${needed === 'admin' || needed === 'operator' ? '' : ' (or "admin")'}; ${who} cannot do it`,
    { field: 'authorization' },
  );
}
