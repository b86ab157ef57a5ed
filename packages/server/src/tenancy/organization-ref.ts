import { ValidationError } from '../errors.js';
import { isUuid } from '../ids.js';
import type { OrganizationProfile, Store } from '../store/store.js';

/**
 * `{org}` in a path, `--org` on the command line: an organization's id or its uid. An id is tried
 * first, so a uid that happens to look like another organization's id can still be reached by that
 * organization's own id, never the other way round.
 */
export async function resolveOrganization(store: Store, ref: string): Promise<OrganizationProfile | null> {
  if (isUuid(ref)) {
    const byId = await store.getOrganizationProfile(ref);
    if (byId !== null) return byId;
  }
  return UID.test(ref) ? store.findOrganizationByUid(ref) : null;
}

/** Safe in a URL path segment unescaped, and short enough to index. */
const UID = /^[A-Za-z0-9][A-Za-z0-9._:@~-]{0,127}$/;
export const UID_RULE = '1 to 128 letters, digits and . _ : @ ~ -, starting with a letter or digit';
export const UID_PATTERN = UID.source;

export function checkUid(uid: string, field = 'uid'): string {
  if (!UID.test(uid)) throw new ValidationError(`${field} must be ${UID_RULE}`, { field });
  return uid;
}
