/**
 * The IAM policy language: parse and validate documents (AWS's messages and size quotas), compile them once,
 * evaluate requests with AWS's algorithm and explain the decision (as text or JSON), audit IRSA trust policies,
 * build the IRSA trust policy, ccoctl's role policies and the request context STS builds for a web-identity token,
 * and the AWS managed policies and service reference (read from their data packages on first use).
 * No HTTP, no Kubernetes.
 * @module
 */
export { parsePolicy, validatePolicy, policySize, detectPolicyKind, lintPolicy, MESSAGES, SIZE_LIMITS } from './parse.js';
export type { ParsedPolicy, ParsePolicyOptions, PolicyWarning, ValidationResult } from './parse.js';
export { compilePolicy, createPolicyCache, documentHash, PolicyCache, CompiledPolicy } from './compile.js';
export type { CompilePolicyOptions } from './compile.js';
export { prepareContext, PreparedContext } from './context.js';
export { evaluatePolicies, accessDeniedMessage, arnMatchText } from './evaluate.js';
export type { PolicySet, EvaluateOptions } from './evaluate.js';
export { evaluationToJson, renderEvaluationText, renderAuditText } from './render.js';
export type { EvaluationJson } from './render.js';
export { auditTrustPolicy, AUDIT_RULES, SEVERITY_ORDER, PROBE_NAMESPACE, PROBE_SERVICE_ACCOUNT } from './audit.js';
export type { AuditFinding, AuditOptions, AuditReport, Severity } from './audit.js';
export { buildIrsaTrustPolicy, oidcProviderArn } from './trust.js';
/** The audience IRSA tokens carry for STS (its home is lib/wire-names.ts). */
export { STS_AUDIENCE } from '../lib/wire-names.js';
export type { IrsaTrustPolicyOptions } from './trust.js';
export { buildCcoctlPermissionPolicy, buildCcoctlTrustPolicy, renderCcoctlTrustPolicy } from './ccoctl.js';
export type { CcoctlTrustPolicyOptions, StatementEntry } from './ccoctl.js';
export {
  buildWebIdentityContext,
  webIdentityClaimsKey,
  decodeJwtPayload,
  issuerHostPath,
  parseOidcProviderArn,
  ASSUME_ROLE_WITH_WEB_IDENTITY,
} from './web-identity.js';
export type { OidcProviderArn, WebIdentityContextOptions, WebIdentityRequest } from './web-identity.js';
export { getManagedPolicy, listManagedPolicies, listManagedPolicyNames } from './managed.js';
export type { ManagedPolicy } from './managed.js';
export { lintServiceReference, SERVICE_REFERENCE_WARNING_CODES } from './service-reference.js';
export { PolicyError, MalformedPolicyDocumentError, PolicySizeLimitError, POLICY_ERROR_CODES } from './errors.js';
export type { PolicyErrorCode } from './errors.js';
export { BASE_OPERATORS } from './operators.js';
export type {
  ConditionValue,
  ContextKeyValue,
  CrossAccountCheck,
  Decision,
  EvaluationResult,
  NotAppliedReason,
  PolicyDocument,
  PolicyKind,
  PolicyRole,
  PolicyStatement,
  PrincipalType,
  RequestContext,
  RequestPrincipal,
  StatementRef,
  StatementTrace,
  StringOrList,
} from './types.js';
