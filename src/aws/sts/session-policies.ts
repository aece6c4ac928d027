/**
 * Session policies and session tags of an assume call (spec 2.3 step 12, 3.1): the inline `Policy` validated as a
 * session policy, each `PolicyArns` entry resolved, and the packed size of policies plus tags as a percentage.
 * @module
 */
import { deflateRawSync } from 'node:zlib';
import { PolicyError, type CompiledPolicy } from '../../policy/index.js';
import { malformedPolicyDocument, packedPolicyTooLarge, STS_MESSAGES, type StsFault } from './faults.js';
import type { SessionTag } from '../sessions.js';
import type { StsEnvironment } from './backend.js';

/**
 * The packed space policies and tags may use. AWS packs them in an undocumented compressed binary form; we count
 * their deflated bytes against this budget, which gives percentages of AWS's order of magnitude [I].
 */
export const PACKED_POLICY_BUDGET_BYTES = 2048;

/** Resolved session policies and tags. */
export interface SessionPolicies {
  compiled: CompiledPolicy[];
  /** The inline `Policy`, validated, as submitted. */
  policy: string | undefined;
  policyArns: readonly string[];
  /** Percent of the packed budget, or undefined when no policy and no tag was passed (AWS omits the member). */
  packedPolicySize: number | undefined;
}

/**
 * Validates and resolves the session policies; a fault when one is malformed, unknown or the packed size is over 100 %.
 * @example
 * const r = resolveSessionPolicies(env, policyText, ['arn:aws:iam::aws:policy/ReadOnlyAccess'], []);
 */
export function resolveSessionPolicies(
  env: StsEnvironment,
  policy: string | undefined,
  policyArns: readonly string[],
  tags: readonly SessionTag[],
): { ok: true; value: SessionPolicies } | { ok: false; fault: StsFault; detail: string } {
  const compiled: CompiledPolicy[] = [];
  if (policy !== undefined) {
    try {
      compiled.push(env.compile(policy, { kind: 'session', name: 'session policy' }));
    } catch (err) {
      if (err instanceof PolicyError) {
        return { ok: false, fault: malformedPolicyDocument(err.message), detail: `the session Policy is not a valid session policy: ${err.message}` };
      }
      throw err;
    }
  }
  for (const arn of policyArns) {
    const doc = env.backend.getManagedPolicyDocument(arn);
    if (doc === undefined) {
      return { ok: false, fault: malformedPolicyDocument(STS_MESSAGES.unknownPolicyArn(arn)), detail: `PolicyArns names ${arn}, which is neither an AWS managed policy nor a policy of the role's account` };
    }
    compiled.push(env.compile(doc, { kind: 'session', name: arn, skipSizeCheck: true })); // a managed policy's own quota applied when it was stored
  }
  let packedPolicySize: number | undefined;
  if (compiled.length > 0 || tags.length > 0) {
    const packed = [policy === undefined ? '' : JSON.stringify(JSON.parse(policy)), ...policyArns, ...tags.map((t) => `${t.key}=${t.value}`)].join('\n');
    packedPolicySize = Math.max(1, Math.ceil((deflateRawSync(packed).length * 100) / PACKED_POLICY_BUDGET_BYTES));
    if (packedPolicySize > 100) {
      return { ok: false, fault: packedPolicyTooLarge(packedPolicySize), detail: `session policies and tags pack to ${packedPolicySize}% of the allowed size` };
    }
  }
  return { ok: true, value: { compiled, policy, policyArns, packedPolicySize } };
}
