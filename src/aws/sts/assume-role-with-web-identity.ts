/**
 * STS `AssumeRoleWithWebIdentity` (spec section 2): the whole pipeline, in its order — parameters, RoleArn, ProviderId,
 * the token checks (one module shared with `irsa policy explain-trust`), the role and its trust policy, duration
 * against MaxSessionDuration, session policies, then new credentials, stored. Unsigned: no caller. Pure apart from
 * the backend and key source it is given; returns the output or STS's fault with an explanation for `irsa why`.
 * @module
 */
import { parseRoleArn } from '../../lib/aws-arn.js';
import { boundedMemo } from '../../lib/bounded-memo.js';
import { awsTimestamp } from '../protocol/xml.js';
import { structListParam, type QueryParams } from '../protocol/query.js';
import { ConstraintValidator } from '../protocol/validation.js';
import type { SessionCredentials } from '../sessions.js';
import { accessDenied, invalidIdentityToken, STS_MESSAGES, validationError, type StsFault } from './faults.js';
import { issueRoleSession } from './role-session.js';
import type { StsEnvironment } from './backend.js';
import { checkTokenLength, verifyWebIdentityToken, type TokenCheck } from './web-identity-token.js';
import { evaluateWebIdentityTrust, trustRefusal, type WebIdentityTrustResult } from './web-identity-trust.js';

/** The session length when `DurationSeconds` is absent. */
export const DEFAULT_DURATION_SECONDS = 3600;
/** `DurationSeconds` bounds of the STS model. */
export const MIN_DURATION_SECONDS = 900;
export const MAX_DURATION_SECONDS = 43_200;
/** Session names and source identities: `[\w+=,.@-]*`, 2–64 characters. */
export const SESSION_NAME_PATTERN = /^[\w+=,.@-]*$/;
export const SESSION_NAME_PATTERN_TEXT = '[\\w+=,.@-]*';
/** Session policy characters. */
export const POLICY_PATTERN = /^[\u0009\u000A\u000D\u0020-\u00FF]+$/;
export const POLICY_PATTERN_TEXT = '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+';

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

/** The managed session policy ARNs (`PolicyArns.member.N.arn`). */
export function policyArnsParam(params: QueryParams): string[] {
  return (structListParam(params, 'PolicyArns', ['arn']) ?? []).map((p) => p.arn ?? '');
}

/** `RoleArn` and `RoleSessionName` constraints (both operations). */
export function checkRoleParams(v: ConstraintValidator, params: QueryParams): void {
  const roleArn = params.get('RoleArn');
  const sessionName = params.get('RoleSessionName');
  if (v.required('RoleArn', roleArn)) v.length('RoleArn', roleArn, 20, 2048);
  if (v.required('RoleSessionName', sessionName)) {
    v.length('RoleSessionName', sessionName, 2, 64);
    v.pattern('RoleSessionName', sessionName, SESSION_NAME_PATTERN, SESSION_NAME_PATTERN_TEXT);
  }
}

/** `PolicyArns`, `Policy` (up to `policyMax` characters) and `DurationSeconds` constraints; returns the duration asked. */
export function checkSessionParams(v: ConstraintValidator, params: QueryParams, policyArns: readonly string[], policyMax: number): number | undefined {
  v.listLength('PolicyArns', params.has('PolicyArns.member.1.arn') ? policyArns : undefined, 0, 10);
  policyArns.forEach((arn, i) => v.length(`policyArns.${i + 1}.member.arn`, arn, 20, 2048));
  v.length('Policy', params.get('Policy'), 1, policyMax);
  v.pattern('Policy', params.get('Policy'), POLICY_PATTERN, POLICY_PATTERN_TEXT);
  return v.integer('DurationSeconds', params.get('DurationSeconds'), MIN_DURATION_SECONDS, MAX_DURATION_SECONDS);
}

/** Parsed RoleArns, by text (a client assumes the same role again and again); bounded. Never mutated. */
const roleArnParts = boundedMemo(1000, parseRoleArn);

/**
 * Runs `AssumeRoleWithWebIdentity` on decoded query parameters.
 * @example
 * const r = await assumeRoleWithWebIdentity(call.params, env);
 * if (!r.ok) throw r.fault;
 */
export async function assumeRoleWithWebIdentity(params: QueryParams, env: StsEnvironment): Promise<StsOutcome<AssumeRoleWithWebIdentityOutput>> {
  // 1. shape, every violation at once (model member order)
  const v = new ConstraintValidator();
  const policyArns = policyArnsParam(params);
  const roleArn = params.get('RoleArn');
  const sessionName = params.get('RoleSessionName');
  const token = params.get('WebIdentityToken');
  checkRoleParams(v, params);
  if (v.required('WebIdentityToken', token)) checkTokenLength(token, v);
  v.length('ProviderId', params.get('ProviderId'), 4, 2048);
  const requested = checkSessionParams(v, params, policyArns, 2048);
  const shape = v.error();
  if (shape !== null) return refuse(shape, 'parameters', shape.message);
  // 2. RoleArn syntax
  const role = roleArnParts(roleArn!);
  if (role === undefined) return refuse(validationError(STS_MESSAGES.invalidArn(roleArn!)), 'role-arn', `RoleArn ${roleArn} is not arn:aws:iam::<12-digit account>:role/<name>`);
  // 3. ProviderId is for OAuth 2.0 access tokens only
  const providerId = params.get('ProviderId');
  if (providerId !== undefined) {
    const fault = OAUTH_PROVIDER_IDS.has(providerId) ? invalidIdentityToken(STS_MESSAGES.notAJwt) : accessDenied(STS_MESSAGES.notAuthorizedWebIdentity);
    return refuse(fault, 'provider-id', `ProviderId ${providerId} was sent; OpenID Connect callers must omit it`);
  }
  // 4–9. the token
  const now = env.now();
  const verified = await verifyWebIdentityToken(token!, {
    accountId: role.accountId,
    providers: env.backend,
    keys: env.keys,
    nowSeconds: now.getTime() / 1000,
    clockToleranceSeconds: env.clockToleranceSeconds,
    maxTokenAgeSeconds: env.maxTokenAgeSeconds,
    verifiedTokens: env.verifiedTokens,
    signatureBatch: env.signatureBatch,
  });
  if (!verified.ok) return refuse(verified.failure.error, verified.failure.check, verified.failure.detail);
  // 10. role and trust policy; the wire message never says which part failed
  const stored = env.backend.getRole(roleArn!);
  if (stored === undefined) return refuse(accessDenied(STS_MESSAGES.notAuthorizedWebIdentity), 'role', `role ${roleArn} does not exist`);
  const trustInput = {
    trustPolicy: env.compile(stored.assumeRolePolicyDocument, { kind: 'trust', name: `${stored.roleName} trust policy` }),
    providerArn: verified.provider.arn,
    claims: verified.decoded.claims,
    audience: verified.audience,
    roleArn: stored.arn,
    roleSessionName: sessionName!,
    now,
    traceAllows: false,
  };
  const trust = env.trustCache === undefined ? evaluateWebIdentityTrust(trustInput) : env.trustCache.evaluate(trustInput);
  if (!trust.allowed) return refuse(accessDenied(STS_MESSAGES.notAuthorizedWebIdentity), 'trust-policy', `the trust policy of ${stored.roleName} refuses: ${trustRefusal(trust)}`, trust);
  // 11–14. duration against the role's maximum, session policies and the packed size (tags from the token count
  // too), credentials stored before answering
  const issued = await issueRoleSession(env, {
    role: stored,
    partition: role.partition,
    sessionName: sessionName!,
    durationSeconds: requested ?? DEFAULT_DURATION_SECONDS,
    now,
    policy: params.get('Policy'),
    policyArns,
    packedTags: trust.sessionTags,
    session: {
      tags: trust.sessionTags,
      transitiveTagKeys: trust.transitiveTagKeys,
      sourceIdentity: trust.sourceIdentity ?? null,
      chained: false,
      federatedProvider: verified.provider.arn,
      webIdentity: { iss: verified.decoded.claims.iss, sub: verified.subject, aud: verified.audience },
    },
  });
  if (!issued.ok) return refuse(issued.fault, issued.step, issued.detail, trust);
  const { credentials, assumedRoleUser, packedPolicySize } = issued.value;
  return {
    ok: true,
    output: {
      credentials,
      subjectFromWebIdentityToken: verified.subject,
      assumedRoleUser,
      packedPolicySize,
      provider: verified.provider.arn,
      audience: verified.audience,
      sourceIdentity: trust.sourceIdentity,
    },
    explanation: { step: 'trust-policy', summary: `allowed: ${assumedRoleUser.arn} until ${awsTimestamp(credentials.expiration)}`, trust },
  };
}
