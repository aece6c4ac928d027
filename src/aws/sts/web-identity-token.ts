/**
 * The web-identity token checks of `AssumeRoleWithWebIdentity`, in the order of spec 2.3 (size, parse, issuer →
 * provider, required claims, audience, times, algorithm and signature), each failure with STS's exact code, status
 * and message. One module, used by STS and by `irsa policy explain-trust` / `irsa token verify`, so the two can
 * never decide differently. The clock, the provider lookup and the key source are inputs; `jose` verifies the
 * signature, while the algorithm allow-list and the claim checks are ours so the error mapping is exact.
 * @module
 */
import { verify as verifySignature } from 'node:crypto';
import { compactVerify } from 'jose';
import type { IssuerKey, IssuerKeySource, KeyFetchFailure } from './jwks-cache.js';
import { boundedMemo } from '../../lib/bounded-memo.js';
import { ConstraintValidator } from '../protocol/validation.js';
import { expiredTokenException, idpCommunicationError, invalidIdentityToken, STS_MESSAGES, type StsFault } from './faults.js';

/** The bounds of the `WebIdentityToken` parameter (botocore's STS model; 20,000 since 2021). */
export const WEB_IDENTITY_TOKEN_MIN_LENGTH = 4;
export const WEB_IDENTITY_TOKEN_MAX_LENGTH = 20_000;
/** The only algorithms STS accepts (its API reference). */
export const ACCEPTED_ALGORITHMS: ReadonlySet<string> = new Set(['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512']);
/** Clock tolerance observed on real STS for `exp`, `nbf` and `iat`. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 300;
/** Claims STS requires (spec 2.3 step 6), checked in this order. */
const REQUIRED_CLAIMS = ['sub', 'aud', 'iat', 'exp'] as const;
const EC_CURVE: Readonly<Record<string, string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };
const DIGEST: Readonly<Record<string, string>> = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512', ES256: 'sha256', ES384: 'sha384', ES512: 'sha512' };

/** An IAM OIDC provider as the token checks see it. */
export interface WebIdentityProvider {
  arn: string;
  /** The URL as registered, `https://host[/path]` (a trailing slash is part of it). */
  url: string;
  clientIds: readonly string[];
  thumbprints: readonly string[];
}

/** Finds the provider registered in an account for a token's issuer. */
export interface WebIdentityProviderLookup {
  /**
   * `hostPath`: the token's `iss` without `https://`, kept exactly (case, path, trailing slash); match it exactly
   * against the URLs providers were created with.
   */
  findOidcProvider(accountId: string, hostPath: string): WebIdentityProvider | undefined;
}

/** The named checks, in the order they run. */
export const TOKEN_CHECKS = ['size', 'parse', 'issuer', 'claims', 'audience', 'time', 'algorithm', 'signature'] as const;
export type TokenCheck = (typeof TOKEN_CHECKS)[number];

/** A decoded (not verified) JWT. */
export interface DecodedToken {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

/** Why a token was refused: the wire error and, for people, which check and what exactly. */
export interface TokenCheckFailure {
  check: TokenCheck;
  error: StsFault;
  /** A sentence naming the failing value; never sent to SDKs (real STS reveals no more than its message). */
  detail: string;
}

export type WebIdentityTokenResult =
  | {
      ok: true;
      decoded: DecodedToken;
      provider: WebIdentityProvider;
      /** The audience accepted (`azp` when the token has several `aud`): the response's `Audience`. */
      audience: string;
      subject: string;
      /** `not-checked` only when no key source was given (explain-trust without keys); STS always verifies. */
      signature: 'verified' | 'not-checked';
      /** The `kid` of the key that verified it. */
      keyId: string | undefined;
    }
  | { ok: false; failure: TokenCheckFailure; decoded: DecodedToken | undefined; provider: WebIdentityProvider | undefined };

/** Inputs of {@link verifyWebIdentityToken}. */
export interface VerifyWebIdentityTokenOptions {
  /** The account of the role being assumed: its providers are searched. */
  accountId: string;
  providers: WebIdentityProviderLookup;
  /** Where keys come from; absent → the signature is NOT checked (the result says so). */
  keys: IssuerKeySource | undefined;
  /** Seconds since the epoch (may be fractional). */
  nowSeconds: number;
  /** Default 300 s. */
  clockToleranceSeconds?: number;
  /** `Token too old` past this age by `iat`; default off (AWS's threshold is unknown). */
  maxTokenAgeSeconds?: number;
  /** Tokens whose signature already verified (see {@link VerifiedTokens}); absent → every signature is checked. */
  verifiedTokens?: VerifiedTokens;
  /** Verifies signatures in batches (see {@link SignatureBatch}); absent → each is verified at once. */
  signatureBatch?: SignatureBatch;
}

/** A signature check's answer: `null` when it verifies, else why not. */
type SignatureVerdict = string | null;

function signatureVerdict(token: string, key: IssuerKey, alg: string): SignatureVerdict {
  try {
    return signatureVerifies(token, key, alg) ? null : 'signature verification failed';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Verifies the signatures asked for within one turn of the event loop together, just after it (setImmediate). Under
 * load, an RSA verification between parsing one request and answering another costs about twice what it costs run
 * back to back with others (OpenSSL's code and tables stay in the CPU's caches): measured on the bare RS256 server,
 * 77 → 62 µs of CPU per request with batches of about 8. A lone request waits one turn of the loop.
 * @example
 * await verifyWebIdentityToken(token, { accountId, providers, keys, nowSeconds, signatureBatch: new SignatureBatch() });
 */
export class SignatureBatch {
  private pending: Array<{ token: string; key: IssuerKey; alg: string; done: (verdict: SignatureVerdict) => void }> = [];
  /** Batches run and signatures checked in them (tests, metrics). */
  batches = 0;
  checked = 0;

  verify(token: string, key: IssuerKey, alg: string): Promise<SignatureVerdict> {
    return new Promise((done) => {
      this.pending.push({ token, key, alg, done });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    this.batches++;
    this.checked += batch.length;
    for (const p of batch) p.done(signatureVerdict(p.token, p.key, p.alg));
  }
}

/**
 * A bounded memo of tokens whose signature verified, with the decoded token and the key object that verified it.
 * An SDK re-sends the same token until it refreshes it; verifying a JWS is a pure function of its bytes and the key,
 * so for identical bytes and the very same key object (the JWKS cache makes new objects when it re-fetches) the
 * answer cannot differ. Everything else still runs per request: issuer → provider, required claims, audience,
 * exp/nbf/iat against the clock, the algorithm allow-list, the key lookup by kid (an unknown kid re-fetches, a
 * rotated-out key fails) and the algorithm/key fit. Only successes are kept; the oldest entry goes first.
 * @example
 * const verifiedTokens = new VerifiedTokens();
 * await verifyWebIdentityToken(token, { accountId, providers, keys, nowSeconds, verifiedTokens });
 */
export class VerifiedTokens {
  /** By {@link tokenMark}, the whole token compared on a hit: a long text is never hashed for a lookup. */
  private readonly entries = new Map<number, { token: string; decoded: DecodedToken; key: IssuerKey }>();
  /** Signature checks skipped (tests, metrics). */
  hits = 0;

  constructor(readonly maxEntries = 1000) {}

  /** The decoded token and its verifying key, when these exact bytes verified before. */
  get(token: string): { decoded: DecodedToken; key: IssuerKey } | undefined {
    const entry = this.entries.get(tokenMark(token));
    return entry !== undefined && entry.token === token ? entry : undefined;
  }

  /**
   * Marks of the tokens verified lately (numbers: a short slice of a string keeps the whole token alive): the newest
   * up to half the memo's size, and the half before them.
   */
  private seenNow = new Set<number>();
  private seenBefore = new Set<number>();

  /**
   * Remembers that `key` verified `token`, from its second verification within the memo's reach on (the last
   * `maxEntries / 2` to `maxEntries` tokens verified). A stream of new tokens (each used once) then costs the memo
   * nothing, a token an SDK re-sends is kept after its first repeat, and a token that comes back only after more
   * tokens than the memo holds is not stored: it would be gone again before its next use, and storing each such
   * token (its text and claims, promoted, then dropped) made collections dearer under load. A clash of marks only
   * admits a token one verification early, or replaces another token's entry.
   */
  remember(token: string, decoded: DecodedToken, key: IssuerKey): void {
    const mark = tokenMark(token);
    if (!this.seenNow.has(mark) && !this.seenBefore.has(mark)) {
      if (this.seenNow.size >= Math.max(1, this.maxEntries / 2)) {
        this.seenBefore = this.seenNow;
        this.seenNow = new Set();
      }
      this.seenNow.add(mark);
      return;
    }
    if (this.entries.size >= this.maxEntries && !this.entries.has(mark)) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(mark, { token, decoded, key });
  }
}

/**
 * A number made of a token's last seven characters, exactly (7 bits each): a JWS ends in its signature, so they tell
 * tokens apart.
 */
function tokenMark(token: string): number {
  let mark = 0;
  for (let i = Math.max(0, token.length - 7); i < token.length; i++) mark = mark * 128 + (token.charCodeAt(i) & 127);
  return mark;
}

function fail(check: TokenCheck, error: StsFault, detail: string, decoded?: DecodedToken, provider?: WebIdentityProvider): WebIdentityTokenResult {
  return { ok: false, failure: { check, error, detail }, decoded, provider };
}

/** Reused for decoding segments and for the signing input: its users are synchronous, so one at a time uses it. */
let scratch = Buffer.allocUnsafeSlow(4096);

/** {@link scratch}, at least `size` bytes long. */
function scratchOf(size: number): Buffer {
  if (scratch.length < size) scratch = Buffer.allocUnsafeSlow(size * 2);
  return scratch;
}

function jsonSegment(segment: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) return undefined;
  try {
    const buffer = scratchOf(segment.length);
    const v: unknown = JSON.parse(buffer.toString('utf8', 0, buffer.write(segment, 0, 'base64url')));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Decoded JOSE headers by their text: an issuer's tokens share one (`alg`, `kid`), so it is parsed once. The object is
 * shared: read, never change it.
 */
const headerSegment = boundedMemo(256, jsonSegment);

/**
 * Adds the `WebIdentityToken` length constraint (4–20,000, the value not echoed) to a parameter validation.
 * @example
 * checkTokenLength(token, validator).error()?.message
 */
export function checkTokenLength(token: string | undefined, v: ConstraintValidator): ConstraintValidator {
  v.length('WebIdentityToken', token, WEB_IDENTITY_TOKEN_MIN_LENGTH, WEB_IDENTITY_TOKEN_MAX_LENGTH, { sensitive: true });
  return v;
}

/**
 * Decodes a compact JWS without verifying anything; `undefined` when it is not three base64url segments whose
 * first two are JSON objects.
 * @example
 * decodeWebIdentityToken(token)?.claims.sub
 */
export function decodeWebIdentityToken(token: string): DecodedToken | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const header = headerSegment(parts[0]!);
  const claims = jsonSegment(parts[1]!);
  if (header === undefined || claims === undefined) return undefined;
  return { header, claims };
}

/** A NumericDate as STS reads it: an integer, or a string holding one; fractions and anything else refused. */
export function numericDate(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}

/**
 * The audience STS accepts for a token and a provider: one `aud` (string or one-element list) in the client ids,
 * or, when `aud` has several, the `azp`. Returns the value, or a failure detail.
 */
export function acceptedAudience(claims: Record<string, unknown>, clientIds: readonly string[]): { audience: string } | { detail: string } {
  const aud = claims.aud;
  const list = Array.isArray(aud) ? aud : [aud];
  if (list.length > 1) {
    const azp = claims.azp;
    if (typeof azp !== 'string') return { detail: `the token has ${list.length} audiences and no azp claim; STS then requires azp to name the client id` };
    if (!clientIds.includes(azp)) return { detail: `azp ${JSON.stringify(azp)} is not among the provider's client ids [${clientIds.join(', ')}]` };
    return { audience: azp };
  }
  const one = list[0];
  if (typeof one !== 'string') return { detail: `aud ${JSON.stringify(aud)} is not a string` };
  if (!clientIds.includes(one)) return { detail: `aud ${JSON.stringify(one)} is not among the provider's client ids [${clientIds.join(', ')}]` };
  return { audience: one };
}

function keyFailure(f: KeyFetchFailure, iss: string): { error: StsFault; detail: string } {
  if (f.kind === 'unreachable') {
    let host = iss;
    try {
      host = new URL(iss).host;
    } catch {
      /* keep iss */
    }
    return { error: idpCommunicationError(STS_MESSAGES.idpUnreachable(host)), detail: f.detail };
  }
  if (f.kind === 'untrusted') return { error: invalidIdentityToken(STS_MESSAGES.thumbprint), detail: f.detail };
  return { error: invalidIdentityToken(STS_MESSAGES.noKey), detail: f.detail };
}

/** The key for a token from a key set: by `kid`, or the only key when the token names none. */
function selectKey(all: readonly IssuerKey[], byKid: ReadonlyMap<string, IssuerKey>, kid: string | undefined): IssuerKey | undefined {
  if (kid !== undefined) return byKid.get(kid);
  return all.length === 1 ? all[0] : undefined;
}

function keyFitsAlgorithm(key: IssuerKey, alg: string): boolean {
  if (alg.startsWith('RS')) return key.kty === 'RSA';
  return key.kty === 'EC' && key.crv === EC_CURVE[alg];
}

/** Steps 3–6 (issuer → provider, required claims, audience, times) on decoded claims. */
function checkClaims(decoded: DecodedToken, o: VerifyWebIdentityTokenOptions): WebIdentityTokenResult | { provider: WebIdentityProvider; audience: string; iss: string } {
  const { claims } = decoded;
  // 3. issuer → a provider registered in the role's account
  const iss = claims.iss;
  if (typeof iss !== 'string' || iss === '') {
    return fail('issuer', invalidIdentityToken(STS_MESSAGES.missingClaim('iss')), 'the token has no iss claim, so no OIDC provider can be looked up', decoded);
  }
  const hostPath = iss.startsWith('https://') ? iss.slice('https://'.length) : iss;
  const provider = o.providers.findOidcProvider(o.accountId, hostPath);
  if (provider === undefined) {
    const hint = iss.endsWith('/') ? ' (the trailing slash counts: register the provider with exactly this URL, or mint tokens without it)' : '';
    return fail('issuer', invalidIdentityToken(STS_MESSAGES.noProvider(iss)), `no IAM OIDC provider in account ${o.accountId} has the URL ${iss}${hint}`, decoded);
  }
  // 4. required claims
  for (const claim of REQUIRED_CLAIMS) {
    const v = claims[claim];
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) {
      return fail('claims', invalidIdentityToken(STS_MESSAGES.missingClaim(claim)), `the token has no ${claim} claim; STS requires iss, sub, aud, iat and exp`, decoded, provider);
    }
  }
  // 5. audience
  const aud = acceptedAudience(claims, provider.clientIds);
  if ('detail' in aud) return fail('audience', invalidIdentityToken(STS_MESSAGES.audience), aud.detail, decoded, provider);
  // 6. times
  const tolerance = o.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  const now = Math.floor(o.nowSeconds);
  const times: Record<string, number | undefined> = {};
  for (const claim of ['exp', 'iat', 'nbf'] as const) {
    if (claims[claim] === undefined) continue;
    const t = numericDate(claims[claim]);
    if (t === undefined) {
      return fail('time', invalidIdentityToken(STS_MESSAGES.notAJwt), `${claim} ${JSON.stringify(claims[claim])} is not an integer NumericDate (seconds since the epoch)`, decoded, provider);
    }
    times[claim] = t;
  }
  const exp = times.exp!;
  const iat = times.iat!;
  if (exp <= now - tolerance) {
    return fail('time', expiredTokenException(STS_MESSAGES.expired(now, exp)), `exp ${isoSeconds(exp)} is ${now - exp} s before now (${isoSeconds(now)}); tolerance ${tolerance} s`, decoded, provider);
  }
  if (o.maxTokenAgeSeconds !== undefined && now - iat > o.maxTokenAgeSeconds) {
    return fail('time', expiredTokenException(STS_MESSAGES.tooOld(now - iat)), `issued ${now - iat} s ago; the limit is ${o.maxTokenAgeSeconds} s`, decoded, provider);
  }
  if (times.nbf !== undefined && times.nbf > now + tolerance) {
    return fail('time', invalidIdentityToken(STS_MESSAGES.notYetValid(now, times.nbf)), `nbf ${isoSeconds(times.nbf)} is ${times.nbf - now} s after now; tolerance ${tolerance} s`, decoded, provider);
  }
  if (iat > now + tolerance) {
    return fail('time', invalidIdentityToken(STS_MESSAGES.issuedInFuture(now, iat)), `iat ${isoSeconds(iat)} is ${iat - now} s after now; tolerance ${tolerance} s`, decoded, provider);
  }
  return { provider, audience: aud.audience, iss };
}

/**
 * Steps 3–6 only, for claims given without a token (`explain-trust --claims`): the algorithm and signature are not
 * checked, and the result says so.
 * @example
 * const r = checkWebIdentityClaims({ iss, sub, aud, iat, exp }, { accountId, providers, keys: undefined, nowSeconds });
 */
export function checkWebIdentityClaims(claims: Record<string, unknown>, o: VerifyWebIdentityTokenOptions): WebIdentityTokenResult {
  const decoded: DecodedToken = { header: {}, claims };
  const checked = checkClaims(decoded, o);
  if ('ok' in checked) return checked;
  const subject = typeof claims.sub === 'string' ? claims.sub : String(claims.sub);
  return { ok: true, decoded, provider: checked.provider, audience: checked.audience, subject, signature: 'not-checked', keyId: undefined };
}

/**
 * Runs every check STS runs on a web-identity token, in its order; the first failure is the answer.
 * @example
 * const r = await verifyWebIdentityToken(token, { accountId, providers, keys: jwksCache, nowSeconds: Date.now() / 1000 });
 * if (!r.ok) console.log(r.failure.error.code, r.failure.error.message, r.failure.detail);
 */
export async function verifyWebIdentityToken(token: string, o: VerifyWebIdentityTokenOptions): Promise<WebIdentityTokenResult> {
  // 1. size (the parameter's own constraint; the value is sensitive, so AWS does not echo it)
  const sizeError = token.length >= WEB_IDENTITY_TOKEN_MIN_LENGTH && token.length <= WEB_IDENTITY_TOKEN_MAX_LENGTH ? null : checkTokenLength(token, new ConstraintValidator()).error();
  if (sizeError !== null) {
    return fail('size', sizeError, `the token is ${token.length} characters; STS accepts ${WEB_IDENTITY_TOKEN_MIN_LENGTH} to ${WEB_IDENTITY_TOKEN_MAX_LENGTH}`);
  }
  // 2. parse (a token that verified before was decoded then: the same bytes give the same objects)
  const known = o.verifiedTokens?.get(token);
  const decoded = known?.decoded ?? decodeWebIdentityToken(token);
  if (decoded === undefined) {
    return fail('parse', invalidIdentityToken(STS_MESSAGES.notAJwt), 'a JWT is three base64url segments (header.payload.signature) whose first two are JSON objects');
  }
  const checked = checkClaims(decoded, o);
  if ('ok' in checked) return checked;
  const { provider, iss } = checked;
  const aud = { audience: checked.audience };
  const { header, claims } = decoded;
  // 7. algorithm: the allow-list is ours, before any key is touched (no `none`, no HS* key confusion)
  const alg = header.alg;
  if (typeof alg !== 'string' || !ACCEPTED_ALGORITHMS.has(alg)) {
    return fail('algorithm', invalidIdentityToken(STS_MESSAGES.signature), `alg ${JSON.stringify(alg)} is not accepted; STS accepts only ${[...ACCEPTED_ALGORITHMS].join(', ')}`, decoded, provider);
  }
  const subject = typeof claims.sub === 'string' ? claims.sub : String(claims.sub);
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  if (o.keys === undefined) return { ok: true, decoded, provider, audience: aud.audience, subject, signature: 'not-checked', keyId: kid };
  // 8. signature: keys by kid, re-fetched once when the kid is unknown
  const cached = o.keys.getKeys(iss, provider, false);
  let keys = cached instanceof Promise ? await cached : cached;
  if (!keys.ok) {
    const f = keyFailure(keys.failure, iss);
    return fail('signature', f.error, f.detail, decoded, provider);
  }
  let key = selectKey(keys.keys.all, keys.keys.byKid, kid);
  if (key === undefined) {
    keys = await o.keys.getKeys(iss, provider, true);
    if (!keys.ok) {
      const f = keyFailure(keys.failure, iss);
      return fail('signature', f.error, f.detail, decoded, provider);
    }
    key = selectKey(keys.keys.all, keys.keys.byKid, kid);
  }
  if (key === undefined) {
    const detail = kid === undefined
      ? `the token has no kid and ${keys.keys.jwksUri} has ${keys.keys.all.length} signing keys; without kid STS needs exactly one`
      : `no key with kid ${JSON.stringify(kid)} in ${keys.keys.jwksUri} (kids: ${[...keys.keys.byKid.keys()].join(', ') || 'none'})`;
    return fail('signature', invalidIdentityToken(STS_MESSAGES.noKey), detail, decoded, provider);
  }
  if (!keyFitsAlgorithm(key, alg)) {
    return fail('signature', invalidIdentityToken(STS_MESSAGES.signature), `alg ${alg} does not fit key ${kid ?? '(no kid)'} (${key.kty}${key.crv === undefined ? '' : ` ${key.crv}`})`, decoded, provider);
  }
  if (known !== undefined && known.key === key) {
    o.verifiedTokens!.hits++;
  } else {
    const why = 'crit' in header || 'b64' in header
      ? await extendedSignatureVerdict(token, key, alg)
      : o.signatureBatch === undefined ? signatureVerdict(token, key, alg) : await o.signatureBatch.verify(token, key, alg);
    if (why !== null) {
      return fail('signature', invalidIdentityToken(STS_MESSAGES.signature), `the signature does not verify with key ${kid ?? '(no kid)'} from ${keys.keys.jwksUri}: ${why}`, decoded, provider);
    }
    o.verifiedTokens?.remember(token, decoded, key);
  }
  return { ok: true, decoded, provider, audience: aud.audience, subject, signature: 'verified', keyId: key.kid };
}

/** A JWS whose header has extensions (`crit`, `b64`) is verified by jose, which implements them. */
async function extendedSignatureVerdict(token: string, key: IssuerKey, alg: string): Promise<SignatureVerdict> {
  try {
    await compactVerify(token, key.key, { algorithms: [alg] });
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * The JWS signature over `header.payload`, checked synchronously with node:crypto (jose's WebCrypto path queues every
 * verification on the thread pool, several times the cost of the RSA operation itself).
 */
function signatureVerifies(token: string, key: IssuerKey, alg: string): boolean {
  const dot = token.lastIndexOf('.');
  if (!/^[A-Za-z0-9_-]*$/.test(token.slice(dot + 1))) return false;
  // the signing input as bytes (latin1: the token is base64url and dots), then the signature, in one buffer
  const buffer = scratchOf(token.length);
  const dataLength = buffer.write(token, 0, dot, 'latin1');
  const sigLength = buffer.write(token.slice(dot + 1), dataLength, 'base64url');
  const data = buffer.subarray(0, dataLength);
  const sig = buffer.subarray(dataLength, dataLength + sigLength);
  return alg.startsWith('ES') ? verifySignature(DIGEST[alg]!, data, { key: key.key, dsaEncoding: 'ieee-p1363' }, sig) : verifySignature(DIGEST[alg]!, data, key.key, sig);
}

function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
