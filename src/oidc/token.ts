/**
 * Kubernetes-shaped service-account tokens, byte for byte as kube-apiserver's TokenRequest issues them:
 * header `{"alg","kid"}`, payload keys in go-jose's lexicographic order, `aud` always an array, `nbf` = `iat`, `jti`.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { CompactSign } from 'jose';
import {
  DEFAULT_EXPIRATION_SECONDS,
  EXPIRATION_EXTENSION_SECONDS,
  KUBERNETES_CLAIM,
  MAX_EXPIRATION_SECONDS,
  MIN_EXPIRATION_SECONDS,
  WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS,
} from './constants.js';
import { OidcError } from './errors.js';
import type { SigningKey } from './keys.js';
import { isNamespaceName, isServiceAccountName, serviceAccountSubject } from '../lib/k8s-names.js';
import { STS_AUDIENCE } from '../lib/wire-names.js';

/** A `{name, uid}` reference as Kubernetes writes it (empty members omitted). */
export interface ObjectRef {
  name: string;
  uid?: string;
}

/** The `kubernetes.io` private claim, members in the order Kubernetes emits them. */
export interface KubernetesClaim {
  namespace: string;
  node?: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  serviceaccount: ObjectRef;
  warnafter?: number;
}

/** The claims of a projected token, in the order Kubernetes emits them. */
export interface ServiceAccountTokenClaims {
  aud: string[];
  exp: number;
  iat: number;
  iss: string;
  jti?: string;
  'kubernetes.io': KubernetesClaim;
  nbf: number;
  sub: string;
}

export interface MintServiceAccountTokenOptions {
  signingKey: SigningKey;
  /** `iss`, verbatim. */
  issuer: string;
  namespace: string;
  serviceAccountName: string;
  serviceAccountUid?: string;
  /** At least one. */
  audiences: readonly string[];
  /** Requested lifetime, default 3600; 600 … 2^32 as the TokenRequest API validates. */
  expirationSeconds?: number;
  /** Like `--service-account-max-token-expiration`: longer requests are shortened, with a warning. */
  maxExpirationSeconds?: number;
  /** Lower bound, default 600 as the TokenRequest API. Only tests lower it (`irsa exec`'s hidden lifetime flag). */
  minExpirationSeconds?: number;
  /** The field an error about the lifetime carries (its message starts with it), default `expirationSeconds`. */
  expirationField?: string;
  /** Bind to a Pod (kubelet-projected tokens always are). */
  pod?: ObjectRef;
  /** Node info of a Pod-bound token (`name` alone when the Node object is unknown). */
  node?: ObjectRef;
  /** Bind to a Secret instead of a Pod. */
  secret?: ObjectRef;
  /**
   * Emulate `--service-account-extend-token-expiration`: a Pod-bound request for 3607 s whose audiences are all API
   * audiences gets a one-year `exp` and `warnafter = iat + 3607`. Off unless API audiences are given.
   */
  extendExpiration?: { apiAudiences: readonly string[] };
  /** Emit `jti` (on since Kubernetes 1.30); default true. */
  jti?: boolean;
  /** Clock, default `() => new Date()`. */
  now?: () => Date;
  /** UUID source for `jti`, default `crypto.randomUUID`. */
  randomUUID?: () => string;
}

export interface MintedServiceAccountToken {
  /** Compact JWS. */
  token: string;
  header: { alg: string; kid: string };
  claims: ServiceAccountTokenClaims;
  issuedAt: Date;
  /** The JWT's `exp`. */
  expiresAt: Date;
  /** Lifetime actually granted (what a TokenRequest's status reports; the requested one even when extended). */
  expirationSeconds: number;
  /** Human-readable notes, e.g. the shortening warning the API server returns. */
  warnings: string[];
}

function checkNames(namespace: string, serviceAccountName: string): void {
  if (!isNamespaceName(namespace)) {
    throw new OidcError('ERR_OIDC_INVALID_CLAIM', `namespace ${JSON.stringify(namespace)}: must be a lowercase DNS label (a-z, 0-9, '-', at most 63), as Kubernetes requires`, { field: 'namespace' });
  }
  if (!isServiceAccountName(serviceAccountName)) {
    throw new OidcError('ERR_OIDC_INVALID_CLAIM', `serviceAccountName ${JSON.stringify(serviceAccountName)}: a service account name must be a lowercase DNS name (a-z, 0-9, '-', '.', at most 253), as Kubernetes requires`, { field: 'serviceAccountName' });
  }
}

/**
 * Validates a requested lifetime exactly as the TokenRequest API does (messages included) and applies an optional cap.
 * @example
 * checkExpirationSeconds(300) // throws: may not specify a duration less than 10 minutes
 */
export function checkExpirationSeconds(
  expirationSeconds: number,
  maxExpirationSeconds?: number,
  field = 'expirationSeconds',
  minExpirationSeconds = MIN_EXPIRATION_SECONDS,
): { expirationSeconds: number; warnings: string[] } {
  if (!Number.isSafeInteger(expirationSeconds) || expirationSeconds <= 0) {
    throw new OidcError('ERR_OIDC_INVALID_EXPIRATION', `${field}: ${String(expirationSeconds)} is not a whole number of seconds; pass e.g. 3600`, { field });
  }
  if (expirationSeconds < minExpirationSeconds) {
    throw new OidcError('ERR_OIDC_INVALID_EXPIRATION', `${field}: may not specify a duration less than 10 minutes (got ${expirationSeconds}; use ${MIN_EXPIRATION_SECONDS} or more)`, { field });
  }
  if (expirationSeconds > MAX_EXPIRATION_SECONDS) {
    throw new OidcError('ERR_OIDC_INVALID_EXPIRATION', `${field}: may not specify a duration larger than 2^32 seconds (got ${expirationSeconds})`, { field });
  }
  if (maxExpirationSeconds !== undefined && expirationSeconds > maxExpirationSeconds) {
    return { expirationSeconds: maxExpirationSeconds, warnings: [`requested expiration of ${expirationSeconds} seconds shortened to ${maxExpirationSeconds} seconds`] };
  }
  return { expirationSeconds, warnings: [] };
}

function ref(value: ObjectRef): ObjectRef {
  return value.uid ? { name: value.name, uid: value.uid } : { name: value.name };
}

/**
 * The claims kube-apiserver would put in the token (pure: time and jti are inputs). Keys are inserted in go-jose's
 * lexicographic order, so `JSON.stringify` gives Kubernetes' bytes.
 * @example
 * const { claims } = buildServiceAccountClaims(options, new Date(), randomUUID());
 */
export function buildServiceAccountClaims(options: MintServiceAccountTokenOptions, now: Date, jti: string | undefined): { claims: ServiceAccountTokenClaims; expirationSeconds: number; warnings: string[] } {
  checkNames(options.namespace, options.serviceAccountName);
  if (options.audiences.length === 0 || options.audiences.some((a) => a === '')) {
    throw new OidcError('ERR_OIDC_INVALID_CLAIM', `audiences: at least one non-empty audience is required (e.g. ${STS_AUDIENCE})`, { field: 'audiences' });
  }
  if (options.pod && options.secret) {
    throw new OidcError('ERR_OIDC_INVALID_CLAIM', 'a token is bound to a Pod or a Secret, not both; drop one of them');
  }
  if (options.node && !options.pod) {
    throw new OidcError('ERR_OIDC_INVALID_CLAIM', 'node information is only set on Pod-bound tokens; add the pod name and uid');
  }
  const requested = options.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
  const checked = checkExpirationSeconds(requested, options.maxExpirationSeconds, options.expirationField, options.minExpirationSeconds);
  let lifetime = checked.expirationSeconds;
  const iat = Math.floor(now.getTime() / 1000);
  let warnafter: number | undefined;
  const api = options.extendExpiration?.apiAudiences;
  if (api && options.pod && requested === WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS && options.audiences.every((a) => api.includes(a))) {
    warnafter = iat + WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS;
    lifetime = EXPIRATION_EXTENSION_SECONDS;
    checked.warnings.length = 0; // the extension ignores the max-expiration cap
  }
  const k8s: KubernetesClaim = { namespace: options.namespace } as KubernetesClaim;
  if (options.node) k8s.node = ref(options.node);
  if (options.pod) k8s.pod = ref(options.pod);
  if (options.secret) k8s.secret = ref(options.secret);
  k8s.serviceaccount = ref({ name: options.serviceAccountName, ...(options.serviceAccountUid ? { uid: options.serviceAccountUid } : {}) });
  if (warnafter !== undefined) k8s.warnafter = warnafter;
  const claims = {
    aud: [...options.audiences],
    exp: iat + lifetime,
    iat,
    iss: options.issuer,
  } as ServiceAccountTokenClaims;
  if (jti !== undefined) claims.jti = jti;
  claims[KUBERNETES_CLAIM] = k8s;
  claims.nbf = iat;
  claims.sub = serviceAccountSubject(options.namespace, options.serviceAccountName);
  return { claims, expirationSeconds: warnafter !== undefined ? requested : lifetime, warnings: checked.warnings };
}

/**
 * Mints a projected service-account token as kube-apiserver's TokenRequest would (signed with `jose`).
 * Used by `irsa token`, `irsa exec` and `irsa up`.
 * @example
 * const { token } = await mintServiceAccountToken({
 *   signingKey, issuer: 'https://oidc.example.com', namespace: 'default', serviceAccountName: 'app',
 *   audiences: ['sts.amazonaws.com'],
 * });
 */
export async function mintServiceAccountToken(options: MintServiceAccountTokenOptions): Promise<MintedServiceAccountToken> {
  const now = (options.now ?? (() => new Date()))();
  const jti = options.jti === false ? undefined : (options.randomUUID ?? randomUUID)();
  const { claims, expirationSeconds, warnings } = buildServiceAccountClaims(options, now, jti);
  const header = { alg: options.signingKey.alg, kid: options.signingKey.kid };
  const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader(header)
    .sign(options.signingKey.privateKey);
  return {
    token,
    header,
    claims,
    issuedAt: new Date(claims.iat * 1000),
    expiresAt: new Date(claims.exp * 1000),
    expirationSeconds,
    warnings,
  };
}
