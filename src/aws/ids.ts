/**
 * Identifiers and secrets in AWS's formats (spec 4): `AKIA`/`ASIA` access key ids, `AROA` role ids, `ANPA` policy ids,
 * `AIDA` user ids, 40-character secrets and opaque session tokens. Randomness comes from a source passed in.
 * @module
 */
import { randomBytes } from 'node:crypto';

/** Random bytes; tests pass a seeded source. */
export type RandomSource = (size: number) => Buffer;

const POOL_SIZE = 65536;
let pool = Buffer.alloc(0);
let offset = 0;

/**
 * The default source: node:crypto's CSPRNG, drawn 64 KiB at a time because a session needs three small draws (271
 * bytes) and each `randomBytes` call costs about 10 µs here whatever its size (8 KiB at a time still cost STS about
 * 0.5 µs a session). Every byte is handed out once.
 */
export const cryptoRandom: RandomSource = (size) => {
  if (size > POOL_SIZE / 4) return randomBytes(size);
  if (offset + size > pool.length) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const out = pool.subarray(offset, offset + size);
  offset += size;
  return out;
};

const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Character codes of each alphabet, for {@link pick}. */
const CODES = new Map<string, Uint8Array>();

function pick(random: RandomSource, alphabet: string, n: number): string {
  const bytes = random(n);
  let codes = CODES.get(alphabet);
  if (codes === undefined) {
    codes = Uint8Array.from(alphabet, (c) => c.charCodeAt(0));
    CODES.set(alphabet, codes);
  }
  // one string from the codes instead of n concatenations (each a string of its own for the collector)
  const out = Buffer.allocUnsafe(n);
  // alphabets of 32 and 64 characters divide 256: no modulo bias
  for (let i = 0; i < n; i++) out[i] = codes[bytes[i]! % codes.length]!;
  return out.toString('latin1');
}

/** `AKIA` + 16: a long-term access key id. */
export function newAccessKeyId(random: RandomSource): string {
  return `AKIA${pick(random, UPPER_DIGITS, 16)}`;
}
/** Characters of a session key's serial (5 bits each): serials are below 2^50. */
const SERIAL_CHARS = 10;
/** The largest session serial + 1. */
export const SESSION_SERIAL_LIMIT = 2 ** (5 * SERIAL_CHARS);
const SERIAL_VALUES = new Map([...UPPER_DIGITS].map((c, i) => [c, i]));

/**
 * `ASIA` + the session's serial (10 base32 characters) + 6 random characters: the session store finds a key's row by
 * the serial (an integer key), not by the whole text.
 * @example
 * sessionAccessKeyId(1, cryptoRandom) // 'ASIAAAAAAAAAAB' + 6 random characters
 */
export function sessionAccessKeyId(serial: number, random: RandomSource): string {
  if (!Number.isSafeInteger(serial) || serial < 0 || serial >= SESSION_SERIAL_LIMIT) throw new RangeError(`session serial ${serial} is not an integer in [0, 2^50)`);
  let digits = '';
  for (let i = 0, rest = serial; i < SERIAL_CHARS; i++, rest = Math.floor(rest / 32)) digits = UPPER_DIGITS[rest % 32]! + digits;
  return `ASIA${digits}${pick(random, UPPER_DIGITS, 16 - SERIAL_CHARS)}`;
}

/**
 * The serial in a session access key id (the inverse of {@link sessionAccessKeyId}); `undefined` for text that is not
 * `ASIA` + 16 base32 characters. Any such key has one: whether a session has it is the store's question.
 */
export function sessionSerialOf(accessKeyId: string): number | undefined {
  if (accessKeyId.length !== 20 || !accessKeyId.startsWith('ASIA')) return undefined;
  let serial = 0;
  for (let i = 4; i < 20; i++) {
    const v = SERIAL_VALUES.get(accessKeyId[i]!);
    if (v === undefined) return undefined;
    if (i < 4 + SERIAL_CHARS) serial = serial * 32 + v;
  }
  return serial;
}
/** `AROA` + 17: a role id. */
export function newRoleId(random: RandomSource): string {
  return `AROA${pick(random, UPPER_DIGITS, 17)}`;
}
/** `ANPA` + 17: a managed policy id. */
export function newPolicyId(random: RandomSource): string {
  return `ANPA${pick(random, UPPER_DIGITS, 17)}`;
}
/** `AIDA` + 17: a user id. */
export function newUserId(random: RandomSource): string {
  return `AIDA${pick(random, UPPER_DIGITS, 17)}`;
}
/** 40 characters of `[A-Za-z0-9+/]`, as AWS secrets look. */
export function newSecretAccessKey(random: RandomSource): string {
  return pick(random, SECRET_CHARS, 40);
}
/** An opaque session token: a recognizable prefix and 300 random characters (real ones are long too). */
export function newSessionToken(random: RandomSource): string {
  return `IQoJaXJzYS1raXQ${random(225).toString('base64')}`;
}
