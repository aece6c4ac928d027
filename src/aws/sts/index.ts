/**
 * The local STS: `AssumeRoleWithWebIdentity` (the web-identity token checks, shared with `irsa policy explain-trust`),
 * `AssumeRole`, `GetCallerIdentity`, their XML, and the issuer-key cache. Pure operations over the small interfaces
 * of `backend.ts`; the HTTP server carries their results.
 * @module
 */
export { assumeRoleWithWebIdentity, DEFAULT_DURATION_SECONDS, MAX_DURATION_SECONDS, MIN_DURATION_SECONDS } from './assume-role-with-web-identity.js';
export type { AssumeRoleWithWebIdentityOutput, StsExplanation, StsOutcome, StsStep } from './assume-role-with-web-identity.js';
export { assumeRole, getCallerIdentity, ROLE_CHAINING_MAX_SECONDS } from './assume-role.js';
export type { AssumeRoleOutput, GetCallerIdentityOutput } from './assume-role.js';
export type { StsBackend, StsCaller, StsEnvironment, StsRole } from './backend.js';
export { STS_MESSAGES } from './faults.js';
export type { StsFault } from './faults.js';
export { createIdpFetcher } from './idp-fetcher.js';
export type { IdpFetcherOptions } from './idp-fetcher.js';
export { fetchIssuerKeys, JwksCache, maxAgeSeconds, parseJwks, staticKeySource } from './jwks-cache.js';
export type { IdpFetcher, IdpFetchResult, IssuerKey, IssuerKeySet, IssuerKeySource, JwksCacheOptions, KeyFetchFailure, KeySetResult } from './jwks-cache.js';
export { MemoryStsBackend } from './memory-backend.js';
export { assumeRoleResult, assumeRoleWithWebIdentityResult, createStsService, PlaneStsBackend, planeIdpFetcher, stsService } from './service.js';
export type { StsServiceOptions } from './service.js';
export { PACKED_POLICY_BUDGET_BYTES, resolveSessionPolicies } from './session-policies.js';
export type { SessionPolicies } from './session-policies.js';
export {
  ACCEPTED_ALGORITHMS,
  acceptedAudience,
  checkTokenLength,
  checkWebIdentityClaims,
  decodeWebIdentityToken,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  numericDate,
  TOKEN_CHECKS,
  VerifiedTokens,
  verifyWebIdentityToken,
  WEB_IDENTITY_TOKEN_MAX_LENGTH,
  WEB_IDENTITY_TOKEN_MIN_LENGTH,
} from './web-identity-token.js';
export type {
  DecodedToken,
  TokenCheck,
  TokenCheckFailure,
  VerifyWebIdentityTokenOptions,
  WebIdentityProvider,
  WebIdentityProviderLookup,
  WebIdentityTokenResult,
} from './web-identity-token.js';
export { WebIdentityTrustCache } from './trust-cache.js';
export type { CachedTrustInput } from './trust-cache.js';
export { evaluateWebIdentityTrust, trustRefusal } from './web-identity-trust.js';
export type { WebIdentityTrustInput, WebIdentityTrustResult } from './web-identity-trust.js';
