/**
 * Evaluates a role's trust policy for a verified web-identity token exactly as STS does (spec 2.5): the context of
 * `buildWebIdentityContext`, every required action (`sts:AssumeRoleWithWebIdentity`, plus `sts:TagSession` /
 * `sts:SetSourceIdentity` when the token carries tags or a source identity) allowed and none denied. Used by STS
 * and by `irsa policy explain-trust`.
 * @module
 */
import type { SessionTag } from '../sessions.js';
import { buildWebIdentityContext, evaluatePolicies, type CompiledPolicy, type EvaluationResult, type RequestContext } from '../../policy/index.js';

/** Inputs of {@link evaluateWebIdentityTrust}. */
export interface WebIdentityTrustInput {
  trustPolicy: CompiledPolicy;
  providerArn: string;
  claims: Record<string, unknown>;
  /** The audience the token checks accepted: it alone is the `:aud` candidate. */
  audience: string | undefined;
  roleArn?: string;
  roleSessionName?: string;
  now?: Date;
  /**
   * Trace every statement also when the trust policy allows (default true, for `irsa policy explain-trust`); STS
   * passes false: an allow then names only the statements that allowed, a refusal is still traced in full.
   */
  traceAllows?: boolean;
}

/** The decision, per action, with the context it was made in. */
export interface WebIdentityTrustResult {
  allowed: boolean;
  /** One evaluation per required action, in order. */
  actions: Array<{ action: string; result: EvaluationResult }>;
  context: RequestContext;
  notes: string[];
  /** Session tags from the `https://aws.amazon.com/tags` claim. */
  sessionTags: SessionTag[];
  transitiveTagKeys: string[];
  sourceIdentity: string | undefined;
}

/**
 * Evaluates the trust policy for a web-identity caller, with explanations.
 * @example
 * const t = evaluateWebIdentityTrust({ trustPolicy, providerArn, claims, audience: STS_AUDIENCE, roleArn }); // STS_AUDIENCE from lib/wire-names
 * t.allowed // true when every required action is allowed
 */
export function evaluateWebIdentityTrust(input: WebIdentityTrustInput): WebIdentityTrustResult {
  const req = buildWebIdentityContext({
    providerArn: input.providerArn,
    claims: input.claims,
    ...(input.audience === undefined ? {} : { clientIds: [input.audience] }),
    ...(input.roleArn === undefined ? {} : { roleArn: input.roleArn }),
    ...(input.roleSessionName === undefined ? {} : { roleSessionName: input.roleSessionName }),
    ...(input.now === undefined ? {} : { now: input.now }),
  });
  const explainAll = input.traceAllows !== false;
  const actions = req.requiredActions.map((action) => {
    const set = { resource: [input.trustPolicy] };
    const context = { ...req.context, action };
    const fast = explainAll ? undefined : evaluatePolicies(set, context, { explain: false });
    return { action, result: fast !== undefined && fast.decision === 'Allow' ? fast : evaluatePolicies(set, context, { explain: true }) };
  });
  const keys = req.context.keys ?? {};
  const sessionTags: SessionTag[] = [];
  for (const [k, v] of Object.entries(keys)) if (k.startsWith('aws:RequestTag/')) sessionTags.push({ key: k.slice('aws:RequestTag/'.length), value: String(v) });
  const transitive = keys['sts:TransitiveTagKeys'];
  const source = keys['sts:SourceIdentity'];
  return {
    allowed: actions.every((a) => a.result.decision === 'Allow'),
    actions,
    context: req.context,
    notes: req.notes,
    sessionTags,
    transitiveTagKeys: Array.isArray(transitive) ? transitive.map(String) : [],
    sourceIdentity: typeof source === 'string' ? source : undefined,
  };
}

/** One line on why the trust policy refused: the first refused action and its first reason. */
export function trustRefusal(result: WebIdentityTrustResult): string {
  const refused = result.actions.find((a) => a.result.decision !== 'Allow');
  if (refused === undefined) return 'allowed';
  return `${refused.action}: ${refused.result.decision}${refused.result.reasons.length > 0 ? ` (${refused.result.reasons[0]})` : ''}`;
}
