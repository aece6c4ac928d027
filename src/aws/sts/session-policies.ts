/**
 * Session policies and session tags of an assume call (spec 2.3 step 12, 3.1): the inline `Policy` validated as a
 * session policy, each `PolicyArns` entry resolved, and the packed size of policies plus tags as a percentage.
 * @module
 */
import { deflateRawSync } from 'node:zlib';
import { PolicyError, type CompiledPolicy } from '../../policy/index.js';
import { STS_MESSAGES, stsFault, type StsFault } from './faults.js';
import type { StsEnvironment } from './backend.js';

/**
 * The packed space policies and tags may use. AWS packs them in an undocumented compressed binary form; we count
 * their deflated bytes against this budget, which gives percentages of AWS's order of magnitude [I].
 */
export const PACKED_POLICY_BUDGET_BYTES = 2048;

/** Resolved session policies and tags. */
export interface SessionPolicies {
  compiled: CompiledPolicy[];
  documents: Array<{ name: string; document: string }>;
  /** Percent of the packed budget, or undefined when no policy and no tag was passed (AWS omits the member). */
  packedPolicySize: number | undefined;
}

/**
 * Validates and resolves the session policies; a fault when one is malformed, unknown or the packed size is over 100 %.
 * @example
 * const r = resolveSessionPolicies(env, policyText, ['arn:aws:iam::aws:policy/ReadOnlyAccess'], {}, '111122223333');
 */
export function resolveSessionPolicies(
  env: StsEnvironment,
  policy: string | undefined,
  policyArns: readonly string[],
  tags: Readonly<Record<string, string>>,
): { ok: true; value: SessionPolicies } | { ok: false; fault: StsFault; detail: string } {
  const compiled: CompiledPolicy[] = [];
  const documents: Array<{ name: string; document: string }> = [];
  if (policy !== undefined) {
    try {
      compiled.push(env.compile(policy, 'session', 'session policy'));
    } catch (err) {
      if (err instanceof PolicyError) {
        return { ok: false, fault: stsFault('MalformedPolicyDocument', err.message), detail: `the session Policy is not a valid session policy: ${err.message}` };
      }
      throw err;
    }
    documents.push({ name: 'session policy', document: policy });
  }
  for (const arn of policyArns) {
    const doc = env.backend.getManagedPolicyDocument(arn);
    if (doc === undefined) {
      const message = `Policy ${arn} does not exist or is not attachable.`;
      return { ok: false, fault: stsFault('MalformedPolicyDocument', message), detail: `PolicyArns names ${arn}, which is neither an AWS managed policy nor a policy of the role's account` };
    }
    compiled.push(env.compile(doc, 'session', arn));
    documents.push({ name: arn, document: doc });
  }
  const tagKeys = Object.keys(tags);
  let packedPolicySize: number | undefined;
  if (documents.length > 0 || tagKeys.length > 0) {
    const packed = [policy === undefined ? '' : JSON.stringify(JSON.parse(policy)), ...policyArns, ...tagKeys.map((k) => `${k}=${tags[k]}`)].join('\n');
    packedPolicySize = Math.max(1, Math.ceil((deflateRawSync(packed).length * 100) / PACKED_POLICY_BUDGET_BYTES));
    if (packedPolicySize > 100) {
      return { ok: false, fault: stsFault('PackedPolicyTooLarge', STS_MESSAGES.packedPolicy(packedPolicySize)), detail: `session policies and tags pack to ${packedPolicySize}% of the allowed size` };
    }
  }
  return { ok: true, value: { compiled, documents, packedPolicySize } };
}
