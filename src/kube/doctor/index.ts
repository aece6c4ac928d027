/**
 * `irsa doctor`'s checks as a library: the environment the SDK reads (role ARN, token file, region, STS endpoints,
 * session name, static credentials) and the shared config profile, the projected token, the issuer's discovery
 * document and JWKS, the STS endpoint and CA bundle, and the STS calls themselves. Each check returns a result
 * (ok / warn / fail / skip, one line, one fix); `runDoctor` runs them in order. The kube area's because the token
 * file and the mutated pod's environment are what it checks; it depends on oidc, policy and lib only, and reaches
 * STS through an injected client (`createSdkStsClient` builds one over the AWS SDK, loaded on first use).
 * @module
 */
export { DOCTOR_CHECK_IDS } from './check.js';
export type { AwsErrorDetail, CheckResult, CheckStatus, DoctorCheckId } from './check.js';
export { checkRegion, checkSessionName, checkStaticCredentials, checkStsRegionalEndpoints, checkWebIdentityEnv, envRegion, envValue } from './environment.js';
export { checkProfile, loadSharedProfile, parseAwsIni, profileWebIdentity } from './profile.js';
export type { SharedProfile } from './profile.js';
export type { DoctorEnv } from './environment.js';
export { checkAudience, checkExpiry, checkIssuerClaim, checkKid, checkSubject, decodeToken, STS_CLOCK_SKEW_SECONDS, STS_TOKEN_ALGORITHMS } from './token.js';
export { parseServiceAccountSubject } from '../../lib/k8s-names.js';
export type { DecodedToken } from './token.js';
export { checkIssuer, createFetchText } from './issuer.js';
export type { FetchText, IssuerLocation, TextResponse } from './issuer.js';
export { checkCaBundle, checkSts, explainStsFailure, resolveStsEndpoint } from './sts.js';
export type { AssumedRole, CallerIdentity, DoctorStsClient, SessionCredentials, StsContext, StsFailure, StsOutcome, StsTarget } from './sts.js';
export { createSdkStsClient, stsFailureFromSdkError } from './sdk-sts-client.js';
export { runDoctor } from './run.js';
export type { DoctorDeps, DoctorInput, DoctorReport } from './run.js';
