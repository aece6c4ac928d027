/**
 * STS `AssumeRole` (signed, spec 3.1): parameters, the role, the trust policy and the caller's own policies (a trust
 * statement naming the caller itself suffices in the same account; one naming only an account, or a caller from
 * another account, also needs an identity-policy Allow), the role-chaining one-hour cap, MaxSessionDuration,
 * session policies and tags, then credentials, stored.
 * @module
 */
import { formatAssumedRoleArn, formatRoleArn, parseAssumedRoleArn, parseRoleArn } from '../../lib/aws-arn.js';
import { evaluatePolicies, type CompiledPolicy, type ContextKeyValue, type EvaluationResult, type RequestContext } from '../../policy/index.js';
import { awsTimestamp, generateSessionCredentials, type SessionCredentials } from './credentials.js';
import { STS_MESSAGES, stsFault, validationFault, type ParameterViolation, type StsFault } from './faults.js';
import { checkDuration, checkPolicyArns, checkString, memberList, POLICY_PATTERN, SESSION_NAME_PATTERN, tagList, type StsParams } from './parameters.js';
import { resolveSessionPolicies } from './session-policies.js';
import type { StsCaller, StsEnvironment, StsSessionRecord } from './backend.js';
import { DEFAULT_DURATION_SECONDS, type StsExplanation, type StsOutcome } from './assume-role-with-web-identity.js';

/** A role session assuming another role gets at most one hour. */
export const ROLE_CHAINING_MAX_SECONDS = 3600;

/** `AssumeRoleResult`'s members. */
export interface AssumeRoleOutput {
  credentials: SessionCredentials;
  assumedRoleUser: { assumedRoleId: string; arn: string };
  packedPolicySize: number | undefined;
  sourceIdentity: string | undefined;
}

const TAG_KEY = { pattern: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u, patternText: '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+' };
const TAG_VALUE = { pattern: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u, patternText: '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*' };

function refuse(fault: StsFault, step: StsExplanation['step'] | 'authorization', summary: string): StsOutcome<AssumeRoleOutput> {
  return { ok: false, fault, explanation: { step: step === 'authorization' ? 'trust-policy' : step, summary } };
}

/** Whether an Allow statement of the trust policy names this caller itself (not its account, not `*`). */
function namesCallerDirectly(trust: CompiledPolicy, refs: EvaluationResult['matchedStatements'], caller: StsCaller): boolean {
  const session = parseAssumedRoleArn(caller.arn);
  const roleArn = caller.principal.roleArn ?? (session === undefined ? undefined : formatRoleArn(session.accountId, session.roleName, '/', session.partition));
  return refs.some((ref) => {
    if (ref.effect !== 'Allow') return false;
    const p = trust.statements[ref.index]?.principal;
    if (p === null || p === undefined) return false;
    return p.aws.some((a) => a === caller.arn || (roleArn !== undefined && a === roleArn));
  });
}

/**
 * Runs `AssumeRole` for an authenticated caller.
 * @example
 * const r = assumeRole({ RoleArn, RoleSessionName: 'ci' }, caller, env);
 */
export function assumeRole(params: StsParams, caller: StsCaller, env: StsEnvironment): StsOutcome<AssumeRoleOutput> {
  const violations: ParameterViolation[] = [];
  const roleArn = params.RoleArn;
  const sessionName = params.RoleSessionName;
  const policyArns = memberList(params, 'PolicyArns', '.arn');
  const tags = tagList(params);
  const transitive = memberList(params, 'TransitiveTagKeys');
  checkString(roleArn, { member: 'roleArn', required: true, min: 20, max: 2048 }, violations);
  checkString(sessionName, { member: 'roleSessionName', required: true, min: 2, max: 64, ...SESSION_NAME_PATTERN }, violations);
  checkPolicyArns(policyArns, violations);
  checkString(params.Policy, { member: 'policy', min: 1, ...POLICY_PATTERN }, violations);
  const requested = checkDuration(params.DurationSeconds, violations);
  if (tags.length > 50) violations.push({ member: 'tags', value: undefined, constraint: 'Member must have length less than or equal to 50' });
  tags.forEach((t, i) => {
    checkString(t.key, { member: `tags.${i + 1}.member.key`, min: 1, max: 128, ...TAG_KEY }, violations);
    checkString(t.value, { member: `tags.${i + 1}.member.value`, max: 256, ...TAG_VALUE }, violations);
  });
  if (transitive.length > 50) violations.push({ member: 'transitiveTagKeys', value: undefined, constraint: 'Member must have length less than or equal to 50' });
  checkString(params.ExternalId, { member: 'externalId', min: 2, max: 1224, pattern: /^[\w+=,.@:/-]*$/, patternText: '[\\w+=,.@:\\/-]*' }, violations);
  checkString(params.SerialNumber, { member: 'serialNumber', min: 9, max: 256, pattern: /^[\w+=/:,.@-]*$/, patternText: '[\\w+=/:,.@-]*' }, violations);
  checkString(params.TokenCode, { member: 'tokenCode', min: 6, max: 6, pattern: /^\d*$/, patternText: '[\\d]*' }, violations);
  checkString(params.SourceIdentity, { member: 'sourceIdentity', min: 2, max: 64, ...SESSION_NAME_PATTERN }, violations);
  if (violations.length > 0) return refuse(validationFault(violations), 'parameters', violations.map((v) => `${v.member}: ${v.constraint}`).join('; '));
  const parsed = parseRoleArn(roleArn!);
  if (parsed === undefined) return refuse(stsFault('ValidationError', STS_MESSAGES.invalidArn(roleArn!)), 'role-arn', `RoleArn ${roleArn} is not arn:aws:iam::<12-digit account>:role/<name>`);

  const denied = stsFault('AccessDenied', STS_MESSAGES.notAuthorizedAssumeRole(caller.arn, roleArn!));
  const role = env.backend.getRole(roleArn!);
  if (role === undefined) return refuse(denied, 'role', `role ${roleArn} does not exist`);

  // session tags: the caller's transitive tags carry over, the request's are added
  const prior = caller.session;
  const sessionTags: Record<string, string> = {};
  const transitiveKeys = new Set<string>();
  if (prior !== undefined) {
    for (const k of prior.transitiveTagKeys) {
      const v = prior.sessionTags[k];
      if (v !== undefined) {
        sessionTags[k] = v;
        transitiveKeys.add(k);
      }
    }
  }
  for (const t of tags) sessionTags[t.key] = t.value;
  for (const k of transitive) transitiveKeys.add(k);
  const sourceIdentity = prior?.sourceIdentity ?? params.SourceIdentity;

  // authorization: every required action by the trust policy and, unless the trust names the caller in the same account, by the caller's policies
  const now = env.now();
  const keys: Record<string, ContextKeyValue> = {
    'aws:PrincipalArn': caller.principal.roleArn ?? caller.arn,
    'aws:PrincipalAccount': caller.accountId,
    'aws:userid': caller.userId,
    'aws:PrincipalType': prior !== undefined ? 'AssumedRole' : caller.arn.endsWith(':root') ? 'Account' : 'User',
    'aws:CurrentTime': awsTimestamp(now),
    'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
    'sts:RoleSessionName': sessionName!,
  };
  if (params.ExternalId !== undefined) keys['sts:ExternalId'] = params.ExternalId;
  if (prior?.sourceIdentity !== undefined) keys['aws:SourceIdentity'] = prior.sourceIdentity;
  if (params.SourceIdentity !== undefined) keys['sts:SourceIdentity'] = params.SourceIdentity;
  if (prior !== undefined) for (const [k, v] of Object.entries(prior.sessionTags)) keys[`aws:PrincipalTag/${k}`] = v;
  for (const t of tags) keys[`aws:RequestTag/${t.key}`] = t.value;
  if (tags.length > 0) keys['aws:TagKeys'] = tags.map((t) => t.key);
  if (transitive.length > 0) keys['sts:TransitiveTagKeys'] = transitive;
  const required = ['sts:AssumeRole'];
  if (tags.length > 0 || transitive.length > 0) required.push('sts:TagSession');
  if (params.SourceIdentity !== undefined) required.push('sts:SetSourceIdentity');
  const trust = env.compile(role.assumeRolePolicyDocument, 'trust', `${role.roleName} trust policy`);
  const sameAccount = caller.accountId === role.accountId;
  for (const action of required) {
    const context: RequestContext = { action, resource: role.arn, principal: caller.principal, keys };
    const byTrust = evaluatePolicies({ resource: [trust] }, context, { explain: true });
    if (byTrust.decision !== 'Allow') return refuse(denied, 'authorization', `${action}: the trust policy of ${role.roleName} gives ${byTrust.decision}${byTrust.reasons[0] ? ` (${byTrust.reasons[0]})` : ''}`);
    const direct = sameAccount && namesCallerDirectly(trust, byTrust.matchedStatements, caller);
    const set = direct ? { ...caller.policies, resource: [trust] } : { ...caller.policies, resource: [] };
    const decision = evaluatePolicies(set, context, { explain: true });
    if (decision.decision !== 'Allow') {
      const why = direct ? 'the caller\'s policies refuse it' : 'the trust policy trusts the account, so the caller\'s identity policies must allow it, and they do not';
      return refuse(denied, 'authorization', `${action} on ${role.arn}: ${decision.decision}; ${why}${decision.reasons[0] ? ` (${decision.reasons[0]})` : ''}`);
    }
  }

  const chained = prior !== undefined;
  const duration = requested ?? DEFAULT_DURATION_SECONDS;
  if (chained && duration > ROLE_CHAINING_MAX_SECONDS) {
    return refuse(stsFault('ValidationError', STS_MESSAGES.durationOverChainingLimit), 'duration', `${caller.arn} is a role session; chained sessions last at most ${ROLE_CHAINING_MAX_SECONDS} s (asked ${duration})`);
  }
  if (duration > role.maxSessionDuration) {
    return refuse(stsFault('ValidationError', STS_MESSAGES.durationOverRoleMax), 'duration', `DurationSeconds ${duration} > MaxSessionDuration ${role.maxSessionDuration} of ${role.roleName}`);
  }
  const session = resolveSessionPolicies(env, params.Policy, policyArns, tags.length > 0 ? Object.fromEntries(tags.map((t) => [t.key, t.value])) : {});
  if (!session.ok) return refuse(session.fault, 'session-policy', session.detail);

  const credentials = generateSessionCredentials(new Date(now.getTime() + duration * 1000), env.random);
  const assumedRoleArn = formatAssumedRoleArn(role.accountId, role.roleName, sessionName!, parsed.partition);
  const assumedRoleId = `${role.roleId}:${sessionName}`;
  const record: StsSessionRecord = {
    credentials,
    accountId: role.accountId,
    roleArn: role.arn,
    roleId: role.roleId,
    roleName: role.roleName,
    sessionName: sessionName!,
    assumedRoleArn,
    assumedRoleId,
    issuedAt: now,
    sessionPolicies: session.value.documents,
    sessionTags,
    transitiveTagKeys: [...transitiveKeys],
    sourceIdentity,
    webIdentity: undefined,
    chained,
  };
  env.backend.saveSession(record);
  return {
    ok: true,
    output: { credentials, assumedRoleUser: { assumedRoleId, arn: assumedRoleArn }, packedPolicySize: session.value.packedPolicySize, sourceIdentity },
    explanation: { step: 'trust-policy', summary: `allowed: ${caller.arn} → ${assumedRoleArn} until ${awsTimestamp(credentials.expiration)}` },
  };
}

/** `GetCallerIdentityResult`'s members. */
export interface GetCallerIdentityOutput {
  userId: string;
  account: string;
  arn: string;
}

/**
 * `GetCallerIdentity`: always allowed, even under an explicit Deny (spec 3.2).
 * @example
 * getCallerIdentity(caller) // { userId: 'AROA…:s', account: '111122223333', arn: 'arn:aws:sts::…:assumed-role/r/s' }
 */
export function getCallerIdentity(caller: StsCaller): GetCallerIdentityOutput {
  return { userId: caller.userId, account: caller.accountId, arn: caller.arn };
}
