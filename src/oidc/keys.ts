/**
 * Signing keys (the Node adapter): generate, read and write PEM files the way kube-apiserver and ccoctl use them
 * (RSA private keys as PKCS#1 `RSA PRIVATE KEY`, EC as SEC1 `EC PRIVATE KEY`, public keys as SPKI `PUBLIC KEY`).
 * @module
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate, type JsonWebKey, type KeyObject } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/atomic-file.js';
import { PUBLIC_KEY_FILE, SIGNING_KEY_FILE } from './constants.js';
import { OidcError } from './errors.js';
import { keyIdFromPublicKey } from './kid.js';

/** JWS algorithms a service-account signing key can have (kube-apiserver's set). */
export type SigningAlgorithm = 'RS256' | 'ES256' | 'ES384' | 'ES512';
export type SigningKeyType = 'rsa' | 'ec';
export type RsaKeyBits = 2048 | 3072 | 4096;

/** A private key ready to sign tokens, with what the header and JWKS need. */
export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  kid: string;
  alg: SigningAlgorithm;
}

export interface GenerateSigningKeyPairOptions {
  /** Default `rsa`. */
  type?: SigningKeyType;
  /** RSA modulus size, default 2048. */
  bits?: RsaKeyBits;
}

/** Smallest RSA modulus accepted for signing or publishing. */
export const MIN_RSA_BITS = 2048;

/**
 * Refuses an RSA key under {@link MIN_RSA_BITS} (ERR_OIDC_WEAK_KEY, exit 2); other key types pass. The one home of
 * the rule, for signing keys and for keys that serve or sign TLS certificates.
 * @example
 * assertRsaKeyStrength(createPrivateKey(pem), 'tls.key');
 */
export function assertRsaKeyStrength(key: KeyObject, source = 'key', fix = ''): void {
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') return;
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    throw new OidcError('ERR_OIDC_WEAK_KEY', `${source}: RSA key of ${bits} bits is too weak; use ${MIN_RSA_BITS} bits or more${fix}`);
  }
}

/**
 * {@link assertRsaKeyStrength} for a PEM private key (a TLS key or a CA key); a PEM that is not a readable private
 * key passes here, so the caller's own parse reports it.
 * @example
 * assertPemKeyStrength(readFileSync('tls.key'), 'tls.key');
 */
export function assertPemKeyStrength(pem: string | Buffer, source = 'key'): void {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    return;
  }
  assertRsaKeyStrength(key, source);
}

const EC_ALGORITHMS: Record<string, SigningAlgorithm> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };

/**
 * The algorithm kube-apiserver signs with for this key: RS256 for any RSA key, ES256/384/512 for P-256/384/521.
 * @example
 * signingAlgorithm(publicKey) // 'RS256'
 */
export function signingAlgorithm(key: KeyObject, source = 'key'): SigningAlgorithm {
  if (key.asymmetricKeyType === 'rsa') {
    // RFC 7518 3.3 and every JWT library (jose included) refuse RS256 below 2048 bits; so does kube-apiserver's signer
    assertRsaKeyStrength(key, source, ' (generate a new 2048-bit key)');
    return 'RS256';
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
    const alg = EC_ALGORITHMS[curve];
    if (alg) return alg;
    throw new OidcError('ERR_OIDC_UNSUPPORTED_KEY', `${source}: EC curve ${curve || 'unknown'} is not supported; use P-256, P-384 or P-521`);
  }
  throw new OidcError('ERR_OIDC_UNSUPPORTED_KEY', `${source}: ${key.asymmetricKeyType ?? 'unknown'} keys are not supported; use an RSA or EC (P-256/384/521) key`);
}

/**
 * Wraps a private key as a {@link SigningKey} (derives public key, kid and alg).
 * @example
 * const key = createSigningKey(generateSigningKeyPair().privateKey);
 */
export function createSigningKey(privateKey: KeyObject, source = 'signing key'): SigningKey {
  if (privateKey.type !== 'private') {
    throw new OidcError('ERR_OIDC_PRIVATE_KEY_EXPECTED', `${source}: holds a public key; pass the private signing key (e.g. ${SIGNING_KEY_FILE})`);
  }
  const alg = signingAlgorithm(privateKey, source);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, kid: keyIdFromPublicKey(publicKey), alg };
}

/**
 * Generates a new signing key pair (RSA 2048 by default, or EC P-256).
 * @example
 * const { privateKey, publicKey } = generateSigningKeyPair({ type: 'ec' });
 */
export function generateSigningKeyPair(options: GenerateSigningKeyPairOptions = {}): { privateKey: KeyObject; publicKey: KeyObject } {
  const type = options.type ?? 'rsa';
  if (type === 'ec') return generateKeyPairSync('ec', { namedCurve: 'P-256' });
  if (type !== 'rsa') throw new TypeError(`unknown key type ${String(type)}`);
  const bits = options.bits ?? 2048;
  if (![2048, 3072, 4096].includes(bits)) throw new TypeError(`unsupported RSA size ${bits}`);
  return generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
}

/**
 * PEM of a private key as kube-apiserver and ccoctl write them: PKCS#1 for RSA, SEC1 for EC.
 * @example
 * writeFileSync('sa-signer.key', exportPrivateKeyPem(privateKey), { mode: 0o600 });
 */
export function exportPrivateKeyPem(key: KeyObject): string {
  if (key.asymmetricKeyType === 'rsa') return key.export({ type: 'pkcs1', format: 'pem' }).toString();
  if (key.asymmetricKeyType === 'ec') return key.export({ type: 'sec1', format: 'pem' }).toString();
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/**
 * PEM (SPKI, `PUBLIC KEY`) of a public key, or of the public half of a private key.
 * @example
 * exportPublicKeyPem(publicKey).startsWith('-----BEGIN PUBLIC KEY-----') // true
 */
export function exportPublicKeyPem(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

interface PemBlock { label: string; text: string }

function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) blocks.push({ label: m[1]!, text: m[0] });
  return blocks;
}

const PRIVATE_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);
const PUBLIC_LABELS = new Set(['PUBLIC KEY', 'RSA PUBLIC KEY']);

/**
 * Parses the private signing key from PEM text (PKCS#1, PKCS#8 or SEC1). `source` names the file in errors.
 * Error messages never contain key material.
 * @example
 * const key = parseSigningKeyPem(readFileSync('sa-signer.key', 'utf8'), 'sa-signer.key');
 */
export function parseSigningKeyPem(text: string, source: string): SigningKey {
  const blocks = pemBlocks(text);
  const privateBlocks = blocks.filter((b) => PRIVATE_LABELS.has(b.label));
  if (privateBlocks.length === 0) {
    if (blocks.some((b) => PUBLIC_LABELS.has(b.label) || b.label === 'CERTIFICATE')) {
      throw new OidcError('ERR_OIDC_PRIVATE_KEY_EXPECTED', `${source}: holds a public key or certificate; pass the private signing key (e.g. ${SIGNING_KEY_FILE})`);
    }
    if (blocks.some((b) => b.label === 'ENCRYPTED PRIVATE KEY')) {
      throw new OidcError('ERR_OIDC_INVALID_KEY', `${source}: the private key is encrypted; decrypt it first (openssl pkey -in FILE -out FILE.plain)`);
    }
    throw new OidcError('ERR_OIDC_INVALID_KEY', `${source}: no PEM private key found; pass a PEM RSA or EC private key (irsa keys create writes one)`);
  }
  if (privateBlocks.length > 1) {
    throw new OidcError('ERR_OIDC_INVALID_KEY', `${source}: holds ${privateBlocks.length} private keys; keep exactly one signing key per file`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: privateBlocks[0]!.text, format: 'pem' });
  } catch (cause) {
    throw new OidcError('ERR_OIDC_INVALID_KEY', `${source}: the PEM private key cannot be parsed; regenerate it with irsa keys create`, { cause });
  }
  return createSigningKey(key, source);
}

/**
 * Parses every public key in PEM text (SPKI `PUBLIC KEY`, PKCS#1 `RSA PUBLIC KEY`, or a `CERTIFICATE`'s key),
 * as kube-apiserver's `--service-account-key-file` does, or in a published JWKS (JSON `{"keys":[…]}`, for rotation).
 * A private key is refused: pass its `.pub` instead.
 * @example
 * const [publicKey] = parsePublicKeysPem(readFileSync('sa-signer.pub', 'utf8'), 'sa-signer.pub');
 */
export function parsePublicKeysPem(text: string, source: string): KeyObject[] {
  if (/^\s*\{/.test(text)) return parsePublicJwks(text, source);
  const blocks = pemBlocks(text);
  if (blocks.some((b) => PRIVATE_LABELS.has(b.label) || b.label === 'ENCRYPTED PRIVATE KEY')) {
    throw new OidcError('ERR_OIDC_PUBLIC_KEY_EXPECTED', `${source}: holds a private key; pass the public key instead (e.g. ${PUBLIC_KEY_FILE}, or: openssl pkey -in FILE -pubout)`);
  }
  const keys: KeyObject[] = [];
  for (const block of blocks) {
    try {
      if (block.label === 'CERTIFICATE') keys.push(new X509Certificate(block.text).publicKey);
      else if (PUBLIC_LABELS.has(block.label)) keys.push(createPublicKey({ key: block.text, format: 'pem' }));
    } catch (cause) {
      throw new OidcError('ERR_OIDC_INVALID_KEY', `${source}: a PEM ${block.label} block cannot be parsed; export the key again (openssl pkey -pubin -in FILE)`, { cause });
    }
  }
  if (keys.length === 0) {
    throw new OidcError('ERR_OIDC_INVALID_KEY', `${source}: no PEM public key found; pass a PEM "PUBLIC KEY" file (irsa keys create writes ${PUBLIC_KEY_FILE})`);
  }
  for (const key of keys) signingAlgorithm(key, source);
  return keys;
}

/** Public keys of a published JWKS (`keys.json`, `openid/v1/jwks`): rotation merges the keys already published. */
function parsePublicJwks(text: string, source: string): KeyObject[] {
  let set: { keys?: unknown };
  try {
    set = JSON.parse(text) as { keys?: unknown };
  } catch (cause) {
    throw new OidcError('ERR_OIDC_INVALID_KEY', `${source}: looks like JSON but does not parse; pass a PEM public key or a JWKS file`, { cause });
  }
  if (!Array.isArray(set.keys)) throw new OidcError('ERR_OIDC_INVALID_KEY', `${source}: JSON without a "keys" array; pass a PEM public key or a JWKS file`);
  const keys: KeyObject[] = [];
  for (const [i, jwk] of set.keys.entries()) {
    if (typeof jwk !== 'object' || jwk === null || 'd' in jwk) {
      throw new OidcError('ERR_OIDC_PUBLIC_KEY_EXPECTED', `${source}: keys[${i}] is not a public JWK; publish public keys only`);
    }
    try {
      keys.push(createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }));
    } catch (cause) {
      throw new OidcError('ERR_OIDC_INVALID_KEY', `${source}: keys[${i}] is not a valid RSA or EC JWK; fix or remove it`, { cause });
    }
  }
  if (keys.length === 0) throw new OidcError('ERR_OIDC_INVALID_KEY', `${source}: the JWKS has no keys; pass a PEM public key`);
  for (const key of keys) signingAlgorithm(key, source);
  return keys;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : code === 'EISDIR' ? 'is a directory' : 'cannot be read';
    throw new OidcError('ERR_OIDC_INVALID_KEY', `${path}: ${what} file ${why}; check the path`, { cause });
  }
}

/**
 * Reads the private signing key from a PEM file.
 * @example
 * const key = await readSigningKeyFile('.irsa/keys/sa-signer.key');
 */
export async function readSigningKeyFile(path: string): Promise<SigningKey> {
  return parseSigningKeyPem(await readText(path, 'signing key'), path);
}

/**
 * Reads the public keys of several PEM files, in order (duplicates are kept; the JWKS builder drops them).
 * @example
 * const keys = await readPublicKeyFiles(['old.pub', 'new.pub']);
 */
export async function readPublicKeyFiles(paths: readonly string[]): Promise<KeyObject[]> {
  const keys: KeyObject[] = [];
  for (const path of paths) keys.push(...parsePublicKeysPem(await readText(path, 'public key'), path));
  return keys;
}

export interface WriteSigningKeyPairOptions extends GenerateSigningKeyPairOptions {
  /** Overwrite existing files. */
  force?: boolean;
}

export interface WrittenSigningKeyPair {
  privateKeyPath: string;
  publicKeyPath: string;
  kid: string;
  alg: SigningAlgorithm;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}


/**
 * Generates a key pair and writes `sa-signer.key` (mode 0600) and `sa-signer.pub` into `dir` (created if needed),
 * refusing to overwrite existing files unless `force`.
 * @example
 * const { kid } = await writeSigningKeyPair('.irsa/keys', { type: 'rsa', bits: 2048 });
 */
export async function writeSigningKeyPair(dir: string, options: WriteSigningKeyPairOptions = {}): Promise<WrittenSigningKeyPair> {
  const { key: _key, ...written } = await generateAndWrite(dir, options);
  return written;
}

/** {@link writeSigningKeyPair}, also returning the generated key (so a caller need not read the file back). */
async function generateAndWrite(dir: string, options: WriteSigningKeyPairOptions): Promise<WrittenSigningKeyPair & { key: SigningKey }> {
  const privateKeyPath = join(dir, SIGNING_KEY_FILE);
  const publicKeyPath = join(dir, PUBLIC_KEY_FILE);
  if (!options.force) {
    for (const path of [privateKeyPath, publicKeyPath]) {
      if (await exists(path)) throw new OidcError('ERR_OIDC_KEY_EXISTS', `${path} already exists; pass force to replace it or choose another directory`, { field: 'force' });
    }
  }
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw new OidcError('ERR_OIDC_INVALID_KEY', `${dir}: cannot create the key directory; choose a writable directory`, { cause, field: 'dir' });
  }
  const { privateKey, publicKey } = generateSigningKeyPair(options);
  const key = createSigningKey(privateKey);
  await writeFileAtomic(privateKeyPath, exportPrivateKeyPem(privateKey), 0o600);
  await writeFileAtomic(publicKeyPath, exportPublicKeyPem(publicKey), 0o644);
  return { privateKeyPath, publicKeyPath, kid: key.kid, alg: key.alg, key };
}

/** What {@link ensureSigningKeyPair} found or made. */
export interface EnsuredSigningKeyPair extends WrittenSigningKeyPair {
  key: SigningKey;
  /** True when the pair was generated by this call. */
  created: boolean;
}

/**
 * Reads `sa-signer.key` from `dir`, or generates the pair there when it does not exist yet (what `irsa up` wants
 * for its state directory; like ccoctl's create-key-pair, an existing private key is reused). The public key file
 * is rewritten from the private key when it is missing.
 * @example
 * const { key, created } = await ensureSigningKeyPair('.irsa/keys');
 */
export async function ensureSigningKeyPair(dir: string, options: GenerateSigningKeyPairOptions = {}): Promise<EnsuredSigningKeyPair> {
  const privateKeyPath = join(dir, SIGNING_KEY_FILE);
  const publicKeyPath = join(dir, PUBLIC_KEY_FILE);
  if (!(await exists(privateKeyPath))) return { ...(await generateAndWrite(dir, options)), created: true };
  const key = await readSigningKeyFile(privateKeyPath);
  if (!(await exists(publicKeyPath))) await writeFileAtomic(publicKeyPath, exportPublicKeyPem(key.publicKey), 0o644);
  return { privateKeyPath, publicKeyPath, kid: key.kid, alg: key.alg, key, created: false };
}
