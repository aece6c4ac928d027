/**
 * The IRSA trust-policy auditor: runs the rule table of audit-rules.ts (kubernetes-oidc.md §6.2) over a trust
 * policy, each finding with a stable rule code, a severity, the statement, the problem in one sentence and the fix.
 * @module
 */
import { accountOfArn } from '../lib/aws-arn.js';
import { probeProviders } from './audit-probes.js';
import { AUDIT_RULE_TABLE, type AuditHit, type AuditRule } from './audit-rules.js';
import { readStatement } from './audit-statement.js';
import { parsePolicy, type ParsedPolicy } from './parse.js';
import type { PolicyDocument } from './types.js';

/** Severity, most severe first. */
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

export const SEVERITY_ORDER: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** One audit finding. */
export interface AuditFinding {
  /** Stable id, e.g. `T1`. */
  id: string;
  /** Stable rule name, e.g. `NO_SUB_CONDITION`. */
  rule: string;
  severity: Severity;
  /** 0-based statement index and Sid, or null for the whole document. */
  statement: { index: number; sid: string | null } | null;
  problem: string;
  fix: string;
}

/** The catalogue: id, rule name, default severity and summary of every rule the auditor checks, by id. */
export const AUDIT_RULES: ReadonlyArray<{ id: string; rule: string; severity: Severity; summary: string }> =
  AUDIT_RULE_TABLE.map(({ id, rule, severity, summary }) => ({ id, rule, severity, summary }));

export { PROBE_NAMESPACE, PROBE_SERVICE_ACCOUNT } from './audit-probes.js';

/** Options of {@link auditTrustPolicy}. */
export interface AuditOptions {
  /** The provider tokens come from: keys are checked against its issuer too. */
  providerArn?: string;
  /** The provider's client ID list (decides how severe a missing aud is). */
  clientIds?: readonly string[];
  /** `operator` for OpenShift operator roles (ccoctl writes no aud by design: T7 is info). */
  roleKind?: 'workload' | 'operator';
  /** The role's own account: other accounts in Principal.AWS need an ExternalId (T16), providers must be its own (T25). */
  accountId?: string;
  /** The role's ARN: its account stands for `accountId` when that is not given. */
  roleArn?: string;
  /** The role's MaxSessionDuration in seconds (T17). */
  maxSessionDuration?: number;
}

/** The result of {@link auditTrustPolicy}. */
export interface AuditReport {
  findings: AuditFinding[];
  /** The most severe finding's severity, or null. */
  highest: Severity | null;
  /** True when any finding is critical or high (the CLI exits 1). */
  failed: boolean;
}

/**
 * Audits a trust policy for the known IRSA holes. Throws `MalformedPolicyDocument` for a document IAM would reject.
 * @example
 * const report = auditTrustPolicy(buildIrsaTrustPolicy({ providerArn, namespace: 'ns', serviceAccount: 'sa' }));
 * report.failed // false
 */
export function auditTrustPolicy(input: string | PolicyDocument | ParsedPolicy, options: AuditOptions = {}): AuditReport {
  const parsed = typeof input === 'object' && input !== null && 'statements' in input && 'kind' in input
    ? (input as ParsedPolicy)
    : parsePolicy(input as string | PolicyDocument, { kind: 'trust', allowDuplicateKeys: true });
  const roleAccount = options.accountId ?? (options.roleArn === undefined ? undefined : accountOfArn(options.roleArn));
  const statements = parsed.statements.flatMap((s, index) =>
    s.Effect === 'Allow' ? [{ at: { index, sid: s.Sid ?? null }, facts: readStatement(s, options, roleAccount) }] : []);
  const recorded: Array<{ rule: AuditRule; finding: AuditFinding; hit: AuditHit }> = [];
  const findings: AuditFinding[] = [];
  const record = (rule: AuditRule, statement: AuditFinding['statement'], hits: AuditHit[]) => {
    for (const hit of hits) {
      const finding: AuditFinding = { id: rule.id, rule: rule.rule, severity: hit.severity ?? rule.severity, statement, problem: hit.problem, fix: hit.fix };
      recorded.push({ rule, finding, hit });
      findings.push(finding);
    }
  };
  const doc = { parsed, statements: statements.map((s) => s.facts), options };
  for (const rule of AUDIT_RULE_TABLE) if (rule.scope === 'document') record(rule, null, rule.check(doc));
  for (const { at, facts } of statements) {
    for (const rule of AUDIT_RULE_TABLE) if (rule.scope === 'statement') record(rule, at, rule.check(facts));
  }
  // Evaluation first revises the statement findings (T1), then each probe rule sees all of them and every earlier
  // rule's findings, so the result does not depend on the order in which the policy names its providers.
  const probes = probeProviders(parsed, options);
  for (const entry of recorded) {
    const revised = entry.rule.scope === 'statement' ? entry.rule.revise?.(entry.hit, probes) : undefined;
    if (revised === undefined) continue;
    entry.hit = revised;
    Object.assign(entry.finding, { severity: revised.severity ?? entry.rule.severity, problem: revised.problem, fix: revised.fix });
  }
  for (const rule of AUDIT_RULE_TABLE) {
    if (rule.scope === 'probe') for (const probe of probes) record(rule, null, rule.check(probe, findings));
  }
  findings.sort((a, b) =>
    SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
    (a.statement?.index ?? -1) - (b.statement?.index ?? -1) ||
    Number(a.id.slice(1)) - Number(b.id.slice(1)));
  const highest = findings.length === 0 ? null : findings[0]!.severity;
  return { findings, highest, failed: highest === 'critical' || highest === 'high' };
}
