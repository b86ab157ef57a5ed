import { createHash, randomBytes } from 'node:crypto';

/**
 * API keys: `hk_` + base64url of 32 random bytes. Only the SHA-256 hash is stored; a plain hash is
 * enough (no salt, no slow KDF) because the key itself carries 256 bits of entropy.
 */

export const API_KEY_PREFIX = 'hk_';

export function generateApiKey(): string {
  return `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** Lowercase hex SHA-256 of the whole key string, prefix included. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The first characters of a key, safe to show so an operator can tell keys apart ("hk_a1B2c3"). */
export function apiKeyDisplayPrefix(key: string): string {
  return key.slice(0, API_KEY_PREFIX.length + 6);
}
