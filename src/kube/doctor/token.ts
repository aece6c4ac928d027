/**
 * The projected token as STS will see it: the file (exists, readable by this user), the JWS header (`alg`, `kid`)
 * and the claims STS checks (`iss`, `sub`, `aud`, `exp`/`iat`/`nbf`). Decoding only; the signature is checked
 * against the issuer's JWKS in issuer.ts.
 * @module
 */
import { decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { parseServiceAccountSubject } from '../../lib/k8s-names.js';
import { DEFAULT_TOKEN_MOUNT_PATH, WEB_IDENTITY_VOLUME_NAME } from '../../lib/wire-names.js';
import { OidcError, validateIssuerUrl } from '../../oidc/index.js';
import { fail, ok, warn, type CheckResult } from './check.js';

/** The algorithms STS accepts for web identity tokens. */
export const STS_TOKEN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'] as const;
/** STS's clock tolerance for `iat`, `nbf` and `exp`. */
export const STS_CLOCK_SKEW_SECONDS = 300;

/** A token decoded without verification. */
export interface DecodedToken {
  text: string;
  header: ProtectedHeaderParameters;
  claims: JWTPayload;
}

/** Why reading the token file failed, as a check result. */
export function tokenFileError(path: string, err: NodeJS.ErrnoException, uid: number | undefined): CheckResult {
  const who = uid === undefined ? 'this user' : `uid ${uid}`;
  switch (err.code) {
    case 'ENOENT':
      return fail('token.file', `${path}: no such file`, `mount the projected token volume (${WEB_IDENTITY_VOLUME_NAME} at ${DEFAULT_TOKEN_MOUNT_PATH}): recreate the pod so the webhook mutates it, or fix AWS_WEB_IDENTITY_TOKEN_FILE`);
    case 'EACCES':
    case 'EPERM':
      return fail('token.file', `${path}: not readable by ${who}`, 'give the pod a securityContext.fsGroup (or runAsUser) that may read the projected token, or make the file readable');
    case 'EISDIR':
      return fail('token.file', `${path}: is a directory`, 'point AWS_WEB_IDENTITY_TOKEN_FILE at the token file inside the mount (…/serviceaccount/token)');
    default:
      return fail('token.file', `${path}: cannot be read (${err.code ?? err.message})`, 'check the file and the volume mount');
  }
}

/** `token.file` for a file that was read: empty files are refused. */
export function checkTokenText(source: string, text: string): CheckResult {
  if (text.trim() === '') return fail('token.file', `${source}: is empty`, 'wait for the kubelet to write the token, or check the projected volume');
  return ok('token.file', `${source}: ${text.trim().length} bytes`);
}

/** `token.jwt`: three segments, JSON header and payload, an algorithm STS accepts. */
export function decodeToken(text: string): { decoded?: DecodedToken; result: CheckResult } {
  const trimmed = text.trim();
  let header: ProtectedHeaderParameters;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(trimmed);
    claims = decodeJwt(trimmed);
  } catch (err) {
    return { result: fail('token.jwt', `not a JWT (${(err as Error).message})`, 'the file must hold the compact service-account token the kubelet writes; check what wrote it') };
  }
  const alg = header.alg ?? '(none)';
  if (!(STS_TOKEN_ALGORITHMS as readonly string[]).includes(alg)) {
    return { decoded: { text: trimmed, header, claims }, result: fail('token.jwt', `alg ${alg}: STS accepts only ${STS_TOKEN_ALGORITHMS.join(', ')}`, 'sign service-account tokens with an RSA or EC key') };
  }
  return { decoded: { text: trimmed, header, claims }, result: ok('token.jwt', `JWT signed with ${alg}`) };
}

/** `token.kid`: STS picks the verification key by `kid`. */
export function checkKid(token: DecodedToken): CheckResult {
  const kid = token.header.kid;
  if (typeof kid !== 'string' || kid === '') {
    return fail('token.kid', 'the header has no kid: STS then accepts the token only if the JWKS holds exactly one key', 'sign tokens with a kid (kube-apiserver always sets one: base64url SHA-256 of the public key)');
  }
  return ok('token.kid', `kid ${kid}`);
}

/** `token.issuer`: `iss` present and an issuer IAM can register (https, no port, no query). */
export function checkIssuerClaim(token: DecodedToken): CheckResult {
  const iss = token.claims.iss;
  if (typeof iss !== 'string' || iss === '') {
    return fail('token.issuer', 'the token has no iss claim (STS: Missing a required claim: iss)', 'mint tokens through the TokenRequest API with the cluster\'s service-account issuer set');
  }
  try {
    validateIssuerUrl(iss, 'iss');
  } catch (err) {
    if (err instanceof OidcError) return fail('token.issuer', err.message, 'set the cluster\'s service-account issuer to the https URL registered as the IAM OIDC provider');
    throw err;
  }
  return ok('token.issuer', `iss ${iss}`);
}

/** `token.subject`: `sub` is a service account's, and the expected one when known. */
export function checkSubject(token: DecodedToken, expected?: string): CheckResult {
  const sub = token.claims.sub;
  if (typeof sub !== 'string' || sub === '') return fail('token.subject', 'the token has no sub claim (STS: Missing a required claim: sub)', 'use a projected service-account token');
  if (parseServiceAccountSubject(sub) === undefined) {
    return fail('token.subject', `sub ${sub} is not system:serviceaccount:NAMESPACE:NAME`, 'use a projected service-account token; trust policies match sub against system:serviceaccount:NAMESPACE:NAME');
  }
  if (expected !== undefined && sub !== expected) {
    return fail('token.subject', `sub ${sub}, but the pod runs as ${expected}`, 'mint the token for the pod\'s own ServiceAccount');
  }
  return ok('token.subject', `sub ${sub}`);
}

/** The token's audiences as a list (`aud` may be a string or an array). */
export function tokenAudiences(token: DecodedToken): string[] {
  const aud = token.claims.aud;
  if (typeof aud === 'string') return [aud];
  return Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];
}

/** `token.audience`: `aud` present, holding the audience the IAM OIDC provider lists (sts.amazonaws.com for IRSA). */
export function checkAudience(token: DecodedToken, expected: string): CheckResult {
  const audiences = tokenAudiences(token);
  const fix = `project the token with audience ${expected}: the ServiceAccount annotation eks.amazonaws.com/audience (or the webhook's token audience), and list ${expected} in the IAM OIDC provider's client IDs`;
  if (audiences.length === 0) return fail('token.audience', 'the token has no aud claim (STS: Missing a required claim: aud)', fix);
  if (!audiences.includes(expected)) return fail('token.audience', `aud ${JSON.stringify(audiences)} does not hold ${expected} (STS: Incorrect token audience)`, fix);
  if (audiences.length > 1 && typeof token.claims.azp !== 'string') {
    return warn('token.audience', `aud has ${audiences.length} values and no azp: STS then needs azp to pick the audience`, `project the token with the single audience ${expected}`);
  }
  return ok('token.audience', `aud ${JSON.stringify(token.claims.aud)}`);
}

function duration(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** `token.expiry`: `exp` and `iat` present, not expired, not issued in the future (beyond STS's 5-minute skew). */
export function checkExpiry(token: DecodedToken, now: Date): CheckResult {
  const { exp, iat, nbf } = token.claims;
  const nowS = now.getTime() / 1000;
  if (typeof exp !== 'number') return fail('token.expiry', 'the token has no exp claim (STS: Missing a required claim: exp)', 'use a projected service-account token (they always expire)');
  if (typeof iat !== 'number') return fail('token.expiry', 'the token has no iat claim (STS: Missing a required claim: iat)', 'use a projected service-account token');
  const at = new Date(exp * 1000).toISOString();
  if (exp <= nowS) {
    return fail('token.expiry', `expired ${duration(nowS - exp)} ago (exp ${at}; STS: ExpiredTokenException)`, 'read the token file anew on every call: the kubelet rewrites it at 80% of its lifetime; a copied or cached token goes stale');
  }
  const start = Math.max(iat, typeof nbf === 'number' ? nbf : iat);
  if (start > nowS + STS_CLOCK_SKEW_SECONDS) {
    return fail('token.expiry', `issued ${duration(start - nowS)} in the future (iat/nbf ${new Date(start * 1000).toISOString()}): clocks differ`, 'synchronise this machine\'s clock (NTP) with the cluster\'s');
  }
  return ok('token.expiry', `expires in ${duration(exp - nowS)} (exp ${at})`);
}
