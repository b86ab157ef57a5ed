import { randomBytes } from 'node:crypto';

/**
 * A new endpoint secret, `whsec_` + base64 of 32 random bytes (wire spec §3). Receivers use the whole
 * string, prefix included, as the HMAC key.
 */
export function generateEndpointSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
