/**
 * STS `AssumeRoleWithWebIdentity` (spec section 2): the whole pipeline, in its order — parameters, RoleArn, ProviderId,
 * the token checks (one module shared with `irsa policy explain-trust`), the role and its trust policy, duration
 * against MaxSessionDuration, session policies, then new credentials, stored. Unsigned: no caller. Pure apart from
 * the backend and key source it is given; returns the output or STS's fault with an explanation for `irsa why`.
 * @module
 */
import { formatAssumedRoleArn, parseRoleArn } from '../../lib/aws-arn.js';
import { awsTimestamp, generateSessionCredentials, type SessionCredentials } from './credentials.js';
import { STS_MESSAGES, stsFault, validationFault, type ParameterViolation, type StsFault } from './faults.js';
import { checkDuration, checkPolicyArns, checkString, memberList, POLICY_PATTERN, SESSION_NAME_PATTERN, type StsParams } from './parameters.js';
import { resolveSessionPolicies } from './session-policies.js';
import type { StsEnvironment, StsSessionRecord } from './backend.js';
import { verifyWebIdentityToken, WEB_IDENTITY_TOKEN_MAX_LENGTH, WEB_IDENTITY_TOKEN_MIN_LENGTH, type TokenCheck } from './web-identity-token.js';
import { evaluateWebIdentityTrust, trustRefusal, type WebIdentityTrustResult } from './web-identity-trust.js';

/** The session length when `DurationSeconds` is absent. */
export const DEFAULT_DURATION_SECONDS = 3600;

/** `AssumeRoleWithWebIdentityResult`'s members. */
export interface AssumeRoleWithWebIdentityOutput {
  credentials: SessionCredentials;
  subjectFromWebIdentityToken: string;
  assumedRoleUser: { assumedRoleId: string; arn: string };
  packedPolicySize: number | undefined;
  /** The IAM provider ARN (what real STS returns for OIDC tokens). */
  provider: string;
  audience: string;
  sourceIdentity: string | undefined;
}

/** Which step of the pipeline decided, for explanations. */
export type StsStep = 'parameters' | 'role-arn' | 'provider-id' | TokenCheck | 'role' | 'trust-policy' | 'duration' | 'session-policy';

/** What `irsa why` and `x-irsa-explain` show; never sent in the body. */
export interface StsExplanation {
  step: StsStep;
  /** One line. */
  summary: string;
  /** The trust-policy evaluation, when it ran. */
  trust?: WebIdentityTrustResult;
}

export type StsOutcome<T> = { ok: true; output: T; explanation: StsExplanation } | { ok: false; fault: StsFault; explanation: StsExplanation };

function refuse<T>(fault: StsFault, step: StsStep, summary: string, trust?: WebIdentityTrustResult): StsOutcome<T> {
  return { ok: false, fault, explanation: { step, summary, ...(trust === undefined ? {} : { trust }) } };
}

/** ProviderIds of the OAuth 2.0 providers STS knows; with them the token must be an access token, not a JWT. */
const OAUTH_PROVIDER_IDS = new Set(['www.amazon.com', 'graph.facebook.com']);

/**
 * Runs `AssumeRoleWithWebIdentity` on decoded query parameters.
 * @example
 * const r = await assumeRoleWithWebIdentity({ RoleArn, RoleSessionName: 's', WebIdentityToken: token }, env);
 * if (r.ok) renderAssumeRoleWithWebIdentity(r.output, requestId);
 */
export async function assumeRoleWithWebIdentity(params: StsParams, env: StsEnvironment): Promise<StsOutcome<AssumeRoleWithWebIdentityOutput>> {
  // 1. shape, every violation at once
  const violations: ParameterViolation[] = [];
  const roleArn = params.RoleArn;
  const sessionName = params.RoleSessionName;
  const token = params.WebIdentityToken;
  const policyArns = memberList(params, 'PolicyArns', '.arn');
  checkString(roleArn, { member: 'roleArn', required: true, min: 20, max: 2048 }, violations);
  checkString(sessionName, { member: 'roleSessionName', required: true, min: 2, max: 64, ...SESSION_NAME_PATTERN }, violations);
  checkString(token, { member: 'webIdentityToken', required: true, min: WEB_IDENTITY_TOKEN_MIN_LENGTH, max: WEB_IDENTITY_TOKEN_MAX_LENGTH, sensitive: true }, violations);
  checkString(params.ProviderId, { member: 'providerId', min: 4, max: 2048 }, violations);
  checkPolicyArns(policyArns, violations);
  checkString(params.Policy, { member: 'policy', min: 1, max: 2048, ...POLICY_PATTERN }, violations);
  const requested = checkDuration(params.DurationSeconds, violations);
  if (violations.length > 0) return refuse(validationFault(violations), 'parameters', violations.map((v) => `${v.member}: ${v.constraint}`).join('; '));
  // 2. RoleArn syntax
  const role = parseRoleArn(roleArn!);
  if (role === undefined) return refuse(stsFault('ValidationError', STS_MESSAGES.invalidArn(roleArn!)), 'role-arn', `RoleArn ${roleArn} is not arn:aws:iam::<12-digit account>:role/<name>`);
  // 3. ProviderId is for OAuth 2.0 access tokens only
  if (params.ProviderId !== undefined) {
    const oauth = OAUTH_PROVIDER_IDS.has(params.ProviderId);
    const fault = oauth ? stsFault('InvalidIdentityToken', STS_MESSAGES.notAJwt) : stsFault('AccessDenied', STS_MESSAGES.notAuthorizedWebIdentity);
    return refuse(fault, 'provider-id', `ProviderId ${params.ProviderId} was sent; OpenID Connect callers must omit it`);
  }
  // 4–9. the token
  const now = env.now();
  const verified = await verifyWebIdentityToken(token!, {
    accountId: role.accountId,
    providers: env.backend,
    keys: env.keys,
    nowSeconds: now.getTime() / 1000,
    ...(env.clockToleranceSeconds === undefined ? {} : { clockToleranceSeconds: env.clockToleranceSeconds }),
    ...(env.maxTokenAgeSeconds === undefined ? {} : { maxTokenAgeSeconds: env.maxTokenAgeSeconds }),
  });
  if (!verified.ok) return refuse(verified.failure.error, verified.failure.check, verified.failure.detail);
  // 10. role and trust policy; the wire message never says which part failed
  const denied = stsFault('AccessDenied', STS_MESSAGES.notAuthorizedWebIdentity);
  const stored = env.backend.getRole(roleArn!);
  if (stored === undefined) return refuse(denied, 'role', `role ${roleArn} does not exist`);
  const trust = evaluateWebIdentityTrust({
    trustPolicy: env.compile(stored.assumeRolePolicyDocument, 'trust', `${stored.roleName} trust policy`),
    providerArn: verified.provider.arn,
    claims: verified.decoded.claims,
    audience: verified.audience,
    roleArn: stored.arn,
    roleSessionName: sessionName!,
    now,
  });
  if (!trust.allowed) return refuse(denied, 'trust-policy', `the trust policy of ${stored.roleName} refuses: ${trustRefusal(trust)}`, trust);
  // 11. duration against the role's maximum
  const duration = requested ?? DEFAULT_DURATION_SECONDS;
  if (duration > stored.maxSessionDuration) {
    return refuse(stsFault('ValidationError', STS_MESSAGES.durationOverRoleMax), 'duration', `DurationSeconds ${duration} > MaxSessionDuration ${stored.maxSessionDuration} of ${stored.roleName}`, trust);
  }
  // 12. session policies and the packed size (tags from the token count too)
  const session = resolveSessionPolicies(env, params.Policy, policyArns, trust.sessionTags);
  if (!session.ok) return refuse(session.fault, 'session-policy', session.detail, trust);
  // 14. credentials, stored before answering
  const credentials = generateSessionCredentials(new Date(now.getTime() + duration * 1000), env.random);
  const assumedRoleArn = formatAssumedRoleArn(stored.accountId, stored.roleName, sessionName!, role.partition);
  const assumedRoleId = `${stored.roleId}:${sessionName}`;
  const record: StsSessionRecord = {
    credentials,
    accountId: stored.accountId,
    roleArn: stored.arn,
    roleId: stored.roleId,
    roleName: stored.roleName,
    sessionName: sessionName!,
    assumedRoleArn,
    assumedRoleId,
    issuedAt: now,
    sessionPolicies: session.value.documents,
    sessionTags: trust.sessionTags,
    transitiveTagKeys: trust.transitiveTagKeys,
    sourceIdentity: trust.sourceIdentity,
    webIdentity: { providerArn: verified.provider.arn, audience: verified.audience, subject: verified.subject, claims: verified.decoded.claims },
    chained: false,
  };
  env.backend.saveSession(record);
  return {
    ok: true,
    output: {
      credentials,
      subjectFromWebIdentityToken: verified.subject,
      assumedRoleUser: { assumedRoleId, arn: assumedRoleArn },
      packedPolicySize: session.value.packedPolicySize,
      provider: verified.provider.arn,
      audience: verified.audience,
      sourceIdentity: trust.sourceIdentity,
    },
    explanation: { step: 'trust-policy', summary: `allowed: ${assumedRoleArn} until ${awsTimestamp(credentials.expiration)}`, trust },
  };
}
