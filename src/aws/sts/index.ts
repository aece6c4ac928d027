/**
 * The local STS: `AssumeRoleWithWebIdentity` (the web-identity token checks, shared with `irsa policy explain-trust`),
 * `AssumeRole`, `GetCallerIdentity`, their XML, and the issuer-key cache. Pure operations over the small interfaces
 * of `backend.ts`; the HTTP server carries their results.
 * @module
 */
export { assumeRoleWithWebIdentity, DEFAULT_DURATION_SECONDS } from './assume-role-with-web-identity.js';
export type { AssumeRoleWithWebIdentityOutput, StsExplanation, StsOutcome, StsStep } from './assume-role-with-web-identity.js';
export { assumeRole, getCallerIdentity, ROLE_CHAINING_MAX_SECONDS } from './assume-role.js';
export type { AssumeRoleOutput, GetCallerIdentityOutput } from './assume-role.js';
export type { StsBackend, StsCaller, StsEnvironment, StsRole, StsSessionRecord } from './backend.js';
export { awsTimestamp, generateSessionCredentials, SESSION_ACCESS_KEY_PREFIX, SESSION_TOKEN_PREFIX } from './credentials.js';
export type { RandomBytes, SessionCredentials } from './credentials.js';
export { STS_FAULT_CODES, STS_MESSAGES, stsFault, validationFault } from './faults.js';
export type { ParameterViolation, StsFault, StsFaultCode } from './faults.js';
export { createIdpFetcher } from './idp-fetcher.js';
export type { IdpFetcherOptions } from './idp-fetcher.js';
export { fetchIssuerKeys, JwksCache, maxAgeSeconds, parseJwks, staticKeySource } from './jwks-cache.js';
export type { IdpFetcher, IdpFetchResult, IssuerKey, IssuerKeySet, IssuerKeySource, JwksCacheOptions, KeyFetchFailure, KeySetResult } from './jwks-cache.js';
export { MemoryStsBackend } from './memory-backend.js';
export { PACKED_POLICY_BUDGET_BYTES, resolveSessionPolicies } from './session-policies.js';
export type { SessionPolicies } from './session-policies.js';
export {
  ACCEPTED_ALGORITHMS,
  acceptedAudience,
  decodeWebIdentityToken,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  numericDate,
  TOKEN_CHECKS,
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
export { evaluateWebIdentityTrust, trustRefusal } from './web-identity-trust.js';
export type { WebIdentityTrustInput, WebIdentityTrustResult } from './web-identity-trust.js';
export { escapeXml, renderAssumeRole, renderAssumeRoleWithWebIdentity, renderGetCallerIdentity, renderGetCallerIdentityJson, renderStsError, STS_API_VERSION, STS_NAMESPACE } from './xml.js';
