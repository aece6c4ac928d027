/**
 * Temporary credentials in AWS's shapes (spec section 4): `ASIA` + 16 of `[A-Z0-9]`, a 40-character secret, an
 * opaque session token with a recognizable prefix. Randomness is an input.
 * @module
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';

/** Session access keys start with this; long-term keys with `AKIA`. */
export const SESSION_ACCESS_KEY_PREFIX = 'ASIA';
/** Our session tokens start with this (readable as "irsa local session"), so logs and `irsa why` can spot them. */
export const SESSION_TOKEN_PREFIX = 'IQoJaXJzYS1sb2NhbA';

/** A random source: `n` random bytes. */
export type RandomBytes = (n: number) => Buffer;

/** Session credentials as STS returns them. */
export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** `n` characters of `alphabet` (its length a power of two, so no bias), from `random`. */
function randomChars(random: RandomBytes, alphabet: string, n: number): string {
  const bytes = random(n);
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[bytes[i]! & (alphabet.length - 1)];
  return out;
}

/**
 * New session credentials expiring at `expiration`.
 * @example
 * const c = generateSessionCredentials(new Date(Date.now() + 3600_000));
 * c.accessKeyId // 'ASIA…' (20 characters)
 */
export function generateSessionCredentials(expiration: Date, random: RandomBytes = nodeRandomBytes): SessionCredentials {
  return {
    accessKeyId: SESSION_ACCESS_KEY_PREFIX + randomChars(random, UPPER_ALNUM, 16),
    secretAccessKey: randomChars(random, SECRET_CHARS, 40),
    sessionToken: SESSION_TOKEN_PREFIX + random(192).toString('base64'),
    expiration,
  };
}

/** ISO-8601 UTC without milliseconds, as STS writes `Expiration`. */
export function awsTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
