import type { ApiKeyDetails } from '../store/store.js';

/** Whether a stored key may authenticate at `now`. An expected outcome, so a value, not a throw. */
export type ApiKeyCheck = { ok: true; key: ApiKeyDetails } | { ok: false; reason: 'unknown' | 'revoked' | 'expired' };

export function checkApiKey(key: ApiKeyDetails | null, now: number): ApiKeyCheck {
  if (key === null) return { ok: false, reason: 'unknown' };
  if (key.revokedAt !== null) return { ok: false, reason: 'revoked' };
  if (key.expiresAt !== null && key.expiresAt <= now) return { ok: false, reason: 'expired' };
  return { ok: true, key };
}

export const API_KEY_REFUSALS: Record<Exclude<ApiKeyCheck, { ok: true }>['reason'], string> = {
  unknown: 'the API key is not valid',
  revoked: 'the API key has been revoked',
  expired: 'the API key has expired',
};

/** The key in `Authorization: Bearer <key>`, or null. */
export function bearerToken(header: string | undefined): string | null {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match === null ? null : match[1]!;
}
