/**
 * Wire names of the issuer side, defined once: document paths, content types, cache policy, token limits.
 * @module
 */

/** Path of the OIDC discovery document relative to the issuer URL. */
export const DISCOVERY_PATH = '.well-known/openid-configuration';
/** JWKS path in the ccoctl / S3 layout (`<issuer>/keys.json`). */
export const S3_JWKS_PATH = 'keys.json';
/** JWKS path as kube-apiserver serves it (`<issuer>/openid/v1/jwks`). */
export const KUBERNETES_JWKS_PATH = 'openid/v1/jwks';

export const CONTENT_TYPE_JSON = 'application/json';
export const CONTENT_TYPE_JWK_SET = 'application/jwk-set+json';
/** What kube-apiserver sends with both documents. */
export const ISSUER_CACHE_CONTROL = 'public, max-age=3600';

/** TokenRequest default lifetime. */
export const DEFAULT_EXPIRATION_SECONDS = 3600;
/** TokenRequest minimum lifetime ("may not specify a duration less than 10 minutes"); its home is lib/wire-names.ts. */
export { MIN_TOKEN_EXPIRATION_SECONDS as MIN_EXPIRATION_SECONDS } from '../lib/wire-names.js';
/** TokenRequest maximum lifetime ("may not specify a duration larger than 2^32 seconds"). */
export const MAX_EXPIRATION_SECONDS = 2 ** 32;
/** The odd kube-api-access lifetime that triggers extended (legacy-compatible) tokens. */
export const WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 3607;
/** One year: the lifetime of extended tokens. */
export const EXPIRATION_EXTENSION_SECONDS = 24 * 365 * 3600;

/** The private claim Kubernetes puts its binding information in. */
export const KUBERNETES_CLAIM = 'kubernetes.io';

/** File names `irsa keys create` writes. */
export const SIGNING_KEY_FILE = 'sa-signer.key';
export const PUBLIC_KEY_FILE = 'sa-signer.pub';
