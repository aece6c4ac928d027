/**
 * The local AWS identity plane: IAM, STS and a small S3 behind one endpoint, AWS's query and REST-XML protocols,
 * SigV4 verification, authorization with src/policy, SQLite storage. `createPlane` builds the request-level core,
 * `startAwsServer` puts it on a port. Service modules plug in through the types of service.ts (see README.md).
 * @module
 */
export { createPlane, Plane, DEFAULT_QUERY_SERVICES } from './plane.js';
export type { PlaneOptions } from './plane.js';
export { startAwsServer } from './server.js';
export type { AwsServer, AwsServerOptions } from './server.js';
export type {
  AwsRequest,
  AwsResponse,
  BaseCall,
  Caller,
  QueryAction,
  QueryCall,
  QueryService,
  QueryServiceFactory,
  RestCall,
  RestService,
  RestServiceFactory,
} from './service.js';
export type { AssumedRolePrincipal, Credential, CredentialLookup, Principal, RootPrincipal, UserPrincipal } from './credentials.js';
export { Authorizer, oneLine } from './authorize.js';
export type { AuthorizationDecision, AuthorizationRequest, RequestFacts } from './authorize.js';
export { DecisionLog, createDecisionLog, readDecisions } from './decisions.js';
export type { DecisionRecord, DecisionText } from './decisions.js';
export { SessionStore, createSessionStore } from './sessions.js';
export type { IssueSessionInput, SessionCredentials, SessionRecord, SessionTag } from './sessions.js';
export { IamStore, createIamStore } from './iam/store.js';
export type { AccessKeyRecord, ManagedPolicyRecord, OidcProviderRecord, RoleRecord, Tag, UserRecord } from './iam/store.js';
export { iamService, IAM_ACTIONS, IAM_QUOTAS } from './iam/service.js';
export { ensureAdminUser, ensureOidcProvider, ADMINISTRATOR_ACCESS_ARN } from './iam/bootstrap.js';
export type { AdminCredentials } from './iam/bootstrap.js';
export { AwsError, isWireError, AWS_ERROR_CODES, AWS_PROTOCOL_ERROR_CODES, IAM_ERROR_CODES, STS_ERROR_CODES, S3_ERROR_CODES } from './errors.js';
export type { AwsErrorCode, AwsErrorOptions, WireError } from './errors.js';
export { ConstraintValidator } from './protocol/validation.js';
export { listParam, structListParam, parseQueryParams, querySuccessXml, queryErrorXml } from './protocol/query.js';
export type { QueryParams } from './protocol/query.js';
export { writeXml, escapeXml, awsTimestamp } from './protocol/xml.js';
export type { XmlObject, XmlValue, WriteXmlOptions } from './protocol/xml.js';
export { queryAuthError, INVALID_CLIENT_TOKEN_MESSAGE, SIGNATURE_MISMATCH_MESSAGE } from './protocol/auth-errors.js';
export {
  HEADER_IRSA_EXPLAIN,
  HEADER_QUERY_REQUEST_ID,
  HEADER_S3_ID_2,
  HEADER_S3_REQUEST_ID,
  IAM_API_VERSION,
  IAM_XML_NAMESPACE,
  S3_XML_NAMESPACE,
  STS_API_VERSION,
  STS_XML_NAMESPACE,
  MAX_CLOCK_SKEW_MS,
  UNSIGNED_PAYLOAD,
} from './protocol/constants.js';
export { findSignature, verifyRequest, parseAmzDate, formatAmzDate } from './sigv4/verify.js';
export type { Authentication, AuthFailure, AuthFailureReason, SignatureInput, SignedRequest, VerifyOptions, VerifyResult } from './sigv4/verify.js';
export { buildCanonicalRequest, canonicalQuery, canonicalUris, uriEncode, sha256Hex } from './sigv4/canonical-request.js';
export { deriveSigningKey, hmac, SigningKeyCache } from './sigv4/signing-key.js';
export { cryptoRandom, newAccessKeyId, sessionAccessKeyId, sessionSerialOf, newSecretAccessKey, newSessionToken, newRoleId, newPolicyId, newUserId } from './ids.js';
export type { RandomSource } from './ids.js';
export { openDatabase, openDatabaseReadOnly, applyMigrations } from './storage/database.js';
export type { SqliteDatabase } from './storage/database.js';
export { createStsService, stsService, createIdpFetcher, JwksCache, verifyWebIdentityToken, evaluateWebIdentityTrust } from './sts/index.js';
export type { StsServiceOptions, IdpFetcherOptions, WebIdentityTokenResult, TokenCheck } from './sts/index.js';
