import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { ConfigError } from '../errors.js';

/**
 * Encryption of secrets at rest: AES-256-GCM under `HERALD_ENCRYPTION_KEY` (32 random bytes,
 * base64). A sealed value reads `hsb1:<key id>:<base64url(iv ‖ ciphertext ‖ tag)>`:
 * - the key id (16 hex digits of an HMAC of the key; it says nothing about the key itself) tells a
 *   wrong key apart from damaged data before anything is decrypted, and names the key in messages;
 * - a fresh 12-byte IV per value, as GCM requires;
 * - the associated data is what the value belongs to (`endpoint_secret:<endpoint id>`,
 *   `server_secret:<name>`), so a sealed value copied onto another row does not open there.
 *
 * Applied at the store boundary by `encrypted-store.ts`, the same for SQLite and PostgreSQL.
 */
export const ENCRYPTION_KEY_ENV = 'HERALD_ENCRYPTION_KEY';

const FORMAT = 'hsb1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBox {
  readonly keyId: string;
  /** Opened values by their sealed text: claims open the same few secrets thousands of times a second. */
  private readonly opened = new Map<string, string>();

  private constructor(private readonly key: Buffer) {
    this.keyId = keyIdOf(key);
  }

  /** The key from its base64 text; `name` is where it came from, for the message when it is malformed. */
  static fromBase64(text: string, name: string = ENCRYPTION_KEY_ENV): SecretBox {
    const trimmed = text.trim();
    const key = Buffer.from(trimmed, 'base64');
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) || key.length !== KEY_BYTES) {
      throw new ConfigError(`${name} must be ${KEY_BYTES} random bytes in base64 (\`herald keys generate-encryption-key\` prints one), got ${key.length} bytes`, {
        field: name,
      });
    }
    return new SecretBox(key);
  }

  /** The key as `fromBase64` reads it: how `herald serve` hands it to its dispatcher thread. */
  toBase64(): string {
    return this.key.toString('base64');
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${FORMAT}:${this.keyId}:${body.toString('base64url')}`;
  }

  /** The plain text of a sealed value. Throws `SecretBoxError` for another key's value or a damaged one. */
  open(sealed: string, context: string): string {
    const cached = this.opened.get(`${context}\n${sealed}`);
    if (cached !== undefined) return cached;
    const parts = parseSealed(sealed);
    if (parts === null) throw new SecretBoxError('not_sealed', 'the value is not encrypted');
    if (parts.keyId !== this.keyId) {
      throw new SecretBoxError('other_key', `the value is encrypted with key id ${parts.keyId}, not with this key (${this.keyId})`);
    }
    const body = Buffer.from(parts.body, 'base64url');
    let plaintext: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, body.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      plaintext = Buffer.concat([decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new SecretBoxError('damaged', `the value does not decrypt with key id ${this.keyId}: it was altered or belongs to another row`, error);
    }
    if (this.opened.size >= OPENED_CACHE_MAX) this.opened.clear();
    this.opened.set(`${context}\n${sealed}`, plaintext);
    return plaintext;
  }
}

const OPENED_CACHE_MAX = 10_000;

export class SecretBoxError extends Error {
  constructor(
    readonly reason: 'not_sealed' | 'other_key' | 'damaged',
    message: string,
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = 'SecretBoxError';
  }
}

export function isSealed(value: string): boolean {
  return parseSealed(value) !== null;
}

/** The key id a sealed value names, or null for plain text. */
export function sealedKeyId(value: string): string | null {
  return parseSealed(value)?.keyId ?? null;
}

/** A new key, as `HERALD_ENCRYPTION_KEY` takes it. */
export function generateEncryptionKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/** What a stored secret is bound to: the associated data it is sealed with. */
export function secretContext(kind: 'endpoint' | 'server', owner: string): string {
  return kind === 'endpoint' ? `endpoint_secret:${owner}` : `server_secret:${owner}`;
}

function keyIdOf(key: Buffer): string {
  return createHmac('sha256', key).update('herald encryption key id').digest('hex').slice(0, 16);
}

function parseSealed(value: string): { keyId: string; body: string } | null {
  const match = /^hsb1:([0-9a-f]{16}):([A-Za-z0-9_-]+)$/.exec(value);
  return match ? { keyId: match[1]!, body: match[2]! } : null;
}

/** The key in `HERALD_ENCRYPTION_KEY`, or null when it is not set. */
export function secretBoxFromEnv(env: NodeJS.ProcessEnv = process.env): SecretBox | null {
  const raw = env[ENCRYPTION_KEY_ENV];
  return raw === undefined || raw.trim() === '' ? null : SecretBox.fromBase64(raw);
}
