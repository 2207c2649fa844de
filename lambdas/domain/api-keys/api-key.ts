import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * An API key as a person holds it: `oak_<id>_<secret>`. The id (10 hex characters) is public and
 * finds the key's record; the secret (32 random bytes, base64url) is shown once and never stored:
 * the record keeps the SHA-256 of the whole key. A key of 256 random bits needs no slow hash
 * (there is nothing to brute-force), so a lookup costs one GetItem and one hash.
 */
export const API_KEY_PREFIX = 'oak_';
const FORMAT = /^oak_([0-9a-f]{10})_([A-Za-z0-9_-]{43})$/;
export const API_KEY_ID = /^[0-9a-f]{10}$/;

export interface MintedKey {
  id: string;
  /** The whole key, to show once. */
  secret: string;
  hash: string;
}

export function mintApiKey(id = randomBytes(5).toString('hex')): MintedKey {
  const secret = `${API_KEY_PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
  return { id, secret, hash: hashApiKey(secret) };
}

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The id part of a well-formed key; undefined for anything else. */
export function apiKeyIdOf(secret: string): string | undefined {
  return FORMAT.exec(secret)?.[1];
}

/** Constant-time comparison of a presented key with a stored hash. */
export function apiKeyMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashApiKey(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
