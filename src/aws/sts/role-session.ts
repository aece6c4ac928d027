/**
 * The last steps both assume operations share once the caller is trusted (spec 2.3 steps 11–14, 3.1): the duration
 * against the role's MaxSessionDuration, the session policies and their packed size, then the session's credentials,
 * stored before answering, and the assumed-role user STS returns. `AssumeRole` checks its role-chaining cap first.
 * @module
 */
import { formatAssumedRoleArn } from '../../lib/aws-arn.js';
import type { IssueSessionInput, SessionCredentials, SessionTag } from '../sessions.js';
import { STS_MESSAGES, validationError, type StsFault } from './faults.js';
import { resolveSessionPolicies } from './session-policies.js';
import type { StsEnvironment, StsRole } from './backend.js';

/** What the operation decided before this step, and what the new session carries. */
export interface RoleSessionRequest {
  role: StsRole;
  /** The partition of the `RoleArn` asked for (the assumed-role ARN's). */
  partition: string;
  sessionName: string;
  /** Seconds, already within the STS model's bounds. */
  durationSeconds: number;
  now: Date;
  /** The inline `Policy` as submitted. */
  policy: string | undefined;
  policyArns: readonly string[];
  /** The tags that count toward the packed size (AssumeRole: the request's; web identity: the token's). */
  packedTags: readonly SessionTag[];
  /** The session's tags, transitive keys, source identity, chaining and federation, as stored. */
  session: Pick<IssueSessionInput, 'tags' | 'transitiveTagKeys' | 'sourceIdentity' | 'chained' | 'federatedProvider' | 'webIdentity'>;
}

/** The issued session. */
export interface RoleSession {
  credentials: SessionCredentials;
  assumedRoleUser: { assumedRoleId: string; arn: string };
  packedPolicySize: number | undefined;
}

/**
 * Checks the duration and the session policies, then issues and stores the session's credentials.
 * @example
 * const r = await issueRoleSession(env, { role, partition: 'aws', sessionName: 'ci', durationSeconds: 3600, now, policy: undefined, policyArns: [], packedTags: [], session: {} });
 * if (!r.ok) return refuse(r.fault, r.step, r.detail);
 */
export async function issueRoleSession(
  env: StsEnvironment,
  request: RoleSessionRequest,
): Promise<{ ok: true; value: RoleSession } | { ok: false; fault: StsFault; step: 'duration' | 'session-policy'; detail: string }> {
  const { role, sessionName, durationSeconds } = request;
  if (durationSeconds > role.maxSessionDuration) {
    return { ok: false, fault: validationError(STS_MESSAGES.durationOverRoleMax), step: 'duration', detail: `DurationSeconds ${durationSeconds} > MaxSessionDuration ${role.maxSessionDuration} of ${role.roleName}` };
  }
  const policies = resolveSessionPolicies(env, request.policy, request.policyArns, request.packedTags);
  if (!policies.ok) return { ok: false, fault: policies.fault, step: 'session-policy', detail: policies.detail };
  const credentials = await env.backend.issueSessionCredentials({
    accountId: role.accountId,
    roleArn: role.arn,
    roleId: role.roleId,
    roleName: role.roleName,
    sessionName,
    expiration: new Date(request.now.getTime() + durationSeconds * 1000),
    sessionPolicy: policies.value.policy ?? null,
    policyArns: policies.value.policyArns,
    ...request.session,
  });
  return {
    ok: true,
    value: {
      credentials,
      assumedRoleUser: { assumedRoleId: `${role.roleId}:${sessionName}`, arn: formatAssumedRoleArn(role.accountId, role.roleName, sessionName, request.partition) },
      packedPolicySize: policies.value.packedPolicySize,
    },
  };
}
