/**
 * STS `AssumeRole` (signed, spec 3.1): parameters, the role, the trust policy and the caller's own policies (a trust
 * statement naming the caller itself suffices in the same account; one naming only an account, or a caller from
 * another account, also needs an identity-policy Allow), the role-chaining one-hour cap, MaxSessionDuration,
 * session policies and tags, then credentials, stored.
 * @module
 */
import { formatRoleArn, parseAssumedRoleArn, parseRoleArn } from '../../lib/aws-arn.js';
import { evaluatePolicies, type CompiledPolicy, type ContextKeyValue, type EvaluationResult, type RequestContext } from '../../policy/index.js';
import { listParam, structListParam, type QueryParams } from '../protocol/query.js';
import { ConstraintValidator } from '../protocol/validation.js';
import { awsTimestamp } from '../protocol/xml.js';
import type { SessionCredentials, SessionTag } from '../sessions.js';
import { accessDenied, STS_MESSAGES, validationError, type StsFault } from './faults.js';
import { issueRoleSession } from './role-session.js';
import type { StsCaller, StsEnvironment } from './backend.js';
import {
  checkRoleParams,
  checkSessionParams,
  DEFAULT_DURATION_SECONDS,
  policyArnsParam,
  SESSION_NAME_PATTERN,
  SESSION_NAME_PATTERN_TEXT,
  type StsExplanation,
  type StsOutcome,
} from './assume-role-with-web-identity.js';

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
export async function assumeRole(params: QueryParams, caller: StsCaller, env: StsEnvironment): Promise<StsOutcome<AssumeRoleOutput>> {
  const v = new ConstraintValidator();
  const roleArn = params.get('RoleArn');
  const sessionName = params.get('RoleSessionName');
  const policyArns = policyArnsParam(params);
  const tags: SessionTag[] = (structListParam(params, 'Tags', ['Key', 'Value']) ?? []).map((t) => ({ key: t.Key ?? '', value: t.Value ?? '' }));
  const transitive = listParam(params, 'TransitiveTagKeys') ?? [];
  checkRoleParams(v, params);
  // no length cap on AssumeRole's Policy in the model: the packed size limits it
  const requested = checkSessionParams(v, params, policyArns, Number.MAX_SAFE_INTEGER);
  v.listLength('Tags', tags.length > 0 ? tags : undefined, 0, 50);
  tags.forEach((t, i) => {
    v.length(`tags.${i + 1}.member.key`, t.key, 1, 128);
    v.pattern(`tags.${i + 1}.member.key`, t.key, TAG_KEY.pattern, TAG_KEY.patternText);
    v.length(`tags.${i + 1}.member.value`, t.value, 0, 256);
    v.pattern(`tags.${i + 1}.member.value`, t.value, TAG_VALUE.pattern, TAG_VALUE.patternText);
  });
  v.listLength('TransitiveTagKeys', transitive.length > 0 ? transitive : undefined, 0, 50);
  v.length('ExternalId', params.get('ExternalId'), 2, 1224);
  v.pattern('ExternalId', params.get('ExternalId'), /^[\w+=,.@:/-]*$/, '[\\w+=,.@:\\/-]*');
  v.length('SerialNumber', params.get('SerialNumber'), 9, 256);
  v.pattern('SerialNumber', params.get('SerialNumber'), /^[\w+=/:,.@-]*$/, '[\\w+=/:,.@-]*');
  v.length('TokenCode', params.get('TokenCode'), 6, 6);
  v.pattern('TokenCode', params.get('TokenCode'), /^\d*$/, '[\\d]*');
  v.length('SourceIdentity', params.get('SourceIdentity'), 2, 64);
  v.pattern('SourceIdentity', params.get('SourceIdentity'), SESSION_NAME_PATTERN, SESSION_NAME_PATTERN_TEXT);
  const shape = v.error();
  if (shape !== null) return refuse(shape, 'parameters', shape.message);
  const parsed = parseRoleArn(roleArn!);
  if (parsed === undefined) return refuse(validationError(STS_MESSAGES.invalidArn(roleArn!)), 'role-arn', `RoleArn ${roleArn} is not arn:aws:iam::<12-digit account>:role/<name>`);

  const denied = accessDenied(STS_MESSAGES.notAuthorizedAssumeRole(caller.arn, roleArn!));
  const role = env.backend.getRole(roleArn!);
  if (role === undefined) return refuse(denied, 'role', `role ${roleArn} does not exist`);

  // session tags: the caller's transitive tags carry over, the request's are added
  const prior = caller.session;
  const sessionTags = new Map<string, string>();
  const transitiveKeys = new Set<string>();
  if (prior !== undefined) {
    for (const k of prior.transitiveTagKeys) {
      const t = prior.tags.find((x) => x.key === k);
      if (t !== undefined) {
        sessionTags.set(k, t.value);
        transitiveKeys.add(k);
      }
    }
  }
  for (const t of tags) sessionTags.set(t.key, t.value);
  for (const k of transitive) transitiveKeys.add(k);
  const sourceIdentity = prior?.sourceIdentity ?? params.get('SourceIdentity');

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
  const externalId = params.get('ExternalId');
  const requestedSource = params.get('SourceIdentity');
  if (externalId !== undefined) keys['sts:ExternalId'] = externalId;
  if (prior !== undefined && prior.sourceIdentity !== null) keys['aws:SourceIdentity'] = prior.sourceIdentity;
  if (requestedSource !== undefined) keys['sts:SourceIdentity'] = requestedSource;
  if (prior !== undefined) for (const t of prior.tags) keys[`aws:PrincipalTag/${t.key}`] = t.value;
  for (const t of tags) keys[`aws:RequestTag/${t.key}`] = t.value;
  if (tags.length > 0) keys['aws:TagKeys'] = tags.map((t) => t.key);
  if (transitive.length > 0) keys['sts:TransitiveTagKeys'] = transitive;
  const required = ['sts:AssumeRole'];
  if (tags.length > 0 || transitive.length > 0) required.push('sts:TagSession');
  if (requestedSource !== undefined) required.push('sts:SetSourceIdentity');
  const trust = env.compile(role.assumeRolePolicyDocument, { kind: 'trust', name: `${role.roleName} trust policy` });
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
    return refuse(validationError(STS_MESSAGES.durationOverChainingLimit), 'duration', `${caller.arn} is a role session; chained sessions last at most ${ROLE_CHAINING_MAX_SECONDS} s (asked ${duration})`);
  }
  const issued = await issueRoleSession(env, {
    role,
    partition: parsed.partition,
    sessionName: sessionName!,
    durationSeconds: duration,
    now,
    policy: params.get('Policy'),
    policyArns,
    packedTags: tags,
    session: {
      tags: [...sessionTags].map(([key, value]) => ({ key, value })),
      transitiveTagKeys: [...transitiveKeys],
      sourceIdentity: sourceIdentity ?? null,
      chained,
    },
  });
  if (!issued.ok) return refuse(issued.fault, issued.step, issued.detail);
  const { credentials, assumedRoleUser, packedPolicySize } = issued.value;
  return {
    ok: true,
    output: { credentials, assumedRoleUser, packedPolicySize, sourceIdentity: sourceIdentity ?? undefined },
    explanation: { step: 'trust-policy', summary: `allowed: ${caller.arn} → ${assumedRoleUser.arn} until ${awsTimestamp(credentials.expiration)}` },
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
