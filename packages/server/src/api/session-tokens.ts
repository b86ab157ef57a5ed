import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed tokens for the dashboard: the session cookie and the portal link. A token is
 * `<base64url JSON claims>.<base64url HMAC-SHA256>`, where the MAC covers the token's purpose too,
 * so a portal token is never accepted as a session cookie or the other way round. Each token carries
 * an id: a session's row in the `sessions` table (so signing out ends it on the server, see
 * `sessions.ts`), or a portal link's, recorded when it is used (so it opens one session only). The
 * signature lets a forged or garbled cookie be refused without a database read.
 *
 * The key is derived from the server secret the Store keeps (`getOrCreateServerSecret`), so every
 * process and every restart agree on it.
 */

export type TokenPurpose = 'session' | 'portal';
export type SignedInWith = 'api_key' | 'portal_link';

export interface TokenClaims {
  /** The session's id, or the portal link's. */
  id: string;
  organizationId: string;
  /** Unix ms. */
  expiresAt: number;
  /** How the holder proved who they are; portal tokens always say `portal_link`. */
  signedInWith: SignedInWith;
}

export type TokenCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

interface WireClaims {
  i: string;
  o: string;
  /** Unix seconds. */
  e: number;
  w: 'k' | 'p';
}

export interface TokenSigner {
  sign(purpose: TokenPurpose, claims: TokenClaims): string;
  verify(purpose: TokenPurpose, token: string, now: number): TokenCheck;
  /** The CSRF token that goes with a session token: only someone who can read the session's answer has it. */
  csrfToken(sessionToken: string): string;
}

export function createTokenSigner(serverSecret: string): TokenSigner {
  const tokenKey = derive(serverSecret, 'herald dashboard tokens v1');
  const csrfKey = derive(serverSecret, 'herald dashboard csrf v1');
  const mac = (purpose: TokenPurpose, body: string) => createHmac('sha256', tokenKey).update(`${purpose}.${body}`).digest();

  return {
    sign(purpose, claims) {
      const wire: WireClaims = {
        i: claims.id,
        o: claims.organizationId,
        e: Math.floor(claims.expiresAt / 1000),
        w: claims.signedInWith === 'api_key' ? 'k' : 'p',
      };
      const body = Buffer.from(JSON.stringify(wire)).toString('base64url');
      return `${body}.${mac(purpose, body).toString('base64url')}`;
    },

    verify(purpose, token, now) {
      const parts = token.split('.');
      if (parts.length !== 2 || parts[0] === '' || parts[1] === '') return { ok: false, reason: 'malformed' };
      const [body, signature] = parts as [string, string];
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(purpose, body);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' };
      const claims = parseClaims(body);
      if (claims === null) return { ok: false, reason: 'malformed' };
      if (claims.expiresAt <= now) return { ok: false, reason: 'expired' };
      return { ok: true, claims };
    },

    csrfToken(sessionToken) {
      return createHmac('sha256', csrfKey).update(sessionToken).digest('base64url');
    },
  };
}

function derive(secret: string, label: string): Buffer {
  return createHmac('sha256', secret).update(label).digest();
}

function parseClaims(body: string): TokenClaims | null {
  let wire: unknown;
  try {
    wire = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof wire !== 'object' || wire === null) return null;
  const { i, o, e, w } = wire as Partial<WireClaims>;
  if (typeof i !== 'string' || i === '' || typeof o !== 'string' || o === '') return null;
  if (typeof e !== 'number' || !Number.isInteger(e) || (w !== 'k' && w !== 'p')) return null;
  return { id: i, organizationId: o, expiresAt: e * 1000, signedInWith: w === 'k' ? 'api_key' : 'portal_link' };
}

/** Constant-time string comparison for tokens of possibly different lengths. */
export function tokensEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
