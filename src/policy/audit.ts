/**
 * The IRSA trust-policy auditor: the rule catalogue of kubernetes-oidc.md §6.2, each finding with a stable rule
 * code, a severity, the statement, the problem in one sentence and the fix.
 * @module
 */
import { accountOfArn, parseOidcProviderArn } from '../lib/aws-arn.js';
import { parsePolicy, type ParsedPolicy } from './parse.js';
import { compilePolicy } from './compile.js';
import { evaluatePolicies } from './evaluate.js';
import { parseOperator, SET_ALL } from './operators.js';
import { compilePattern, hasWildcard, matchPattern } from './pattern.js';
import { ASSUME_ROLE_WITH_WEB_IDENTITY, buildWebIdentityContext } from './web-identity.js';
import type { PolicyDocument, PolicyStatement } from './types.js';

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

/** The catalogue: id, rule name and default severity of every rule the auditor checks. */
export const AUDIT_RULES: ReadonlyArray<{ id: string; rule: string; severity: Severity; summary: string }> = [
  { id: 'T1', rule: 'NO_SUB_CONDITION', severity: 'critical', summary: 'web-identity statement without a condition on <issuer>:sub' },
  { id: 'T2', rule: 'SUB_WILDCARD_GLOBAL', severity: 'critical', summary: 'StringLike sub with a wildcard before or in the namespace' },
  { id: 'T3', rule: 'SUB_WILDCARD_NAMESPACE', severity: 'medium', summary: 'StringLike sub with a wildcard in the service-account name' },
  { id: 'T4', rule: 'SUB_NEGATED', severity: 'high', summary: 'negated, IfExists or ForAllValues operator on sub' },
  { id: 'T5', rule: 'SUB_LITERAL_STAR', severity: 'high', summary: 'wildcard characters under StringEquals (matched literally)' },
  { id: 'T6', rule: 'CONDITION_ISSUER_MISMATCH', severity: 'high', summary: 'condition key prefix is not the issuer of the trusted provider' },
  { id: 'T7', rule: 'NO_AUD_CONDITION', severity: 'medium', summary: 'no condition on <issuer>:aud (high when the provider accepts several client IDs)' },
  { id: 'T8', rule: 'AUD_WILDCARD', severity: 'medium', summary: 'aud matched with a wildcard or a negated operator' },
  { id: 'T9', rule: 'PRINCIPAL_WILDCARD', severity: 'critical', summary: 'Principal "*", {"AWS": "*"} or {"Federated": "*"} on an Allow' },
  { id: 'T11', rule: 'MULTI_PROVIDER_STATEMENT', severity: 'high', summary: 'several providers trusted, not all constrained by sub' },
  { id: 'T12', rule: 'BROAD_ACTION', severity: 'medium', summary: 'sts:* or * (or NotAction) in a federated statement' },
  { id: 'T14', rule: 'NOTPRINCIPAL_OR_NOTACTION', severity: 'high', summary: 'Allow with NotPrincipal or NotAction' },
  { id: 'T15', rule: 'PODID_NO_SCOPE', severity: 'medium', summary: 'pods.eks.amazonaws.com trusted without namespace/service-account/source conditions' },
  { id: 'T16', rule: 'CROSS_ACCOUNT_NO_EXTERNALID', severity: 'high', summary: 'another account trusted without sts:ExternalId or aws:PrincipalArn' },
  { id: 'T17', rule: 'LONG_SESSION', severity: 'low', summary: 'MaxSessionDuration above one hour' },
  { id: 'T18', rule: 'SUB_NOT_K8S_FORMAT', severity: 'info', summary: 'sub value is not system:serviceaccount:<namespace>:<name>' },
  { id: 'T19', rule: 'CONDITION_VACUOUS', severity: 'high', summary: 'IfExists or ForAllValues makes a web-identity condition true when the key is missing' },
  { id: 'T20', rule: 'WEB_IDENTITY_NON_OIDC_PRINCIPAL', severity: 'high', summary: 'sts:AssumeRoleWithWebIdentity granted to a principal that is not an IAM OIDC provider' },
  { id: 'T21', rule: 'NO_WEB_IDENTITY_STATEMENT', severity: 'info', summary: 'no statement allows sts:AssumeRoleWithWebIdentity' },
  { id: 'T22', rule: 'DUPLICATE_KEY', severity: 'high', summary: 'a JSON key written twice: a reader sees the first, the engine keeps the last (IAM refuses the document)' },
  { id: 'T23', rule: 'ANY_SERVICE_ACCOUNT', severity: 'critical', summary: 'evaluated: a token for a service account no one named, in a namespace no one named, is allowed' },
  { id: 'T24', rule: 'UNNAMED_SERVICE_ACCOUNT', severity: 'medium', summary: 'evaluated: a token for a service account no one named, in a named namespace, is allowed' },
  { id: 'T25', rule: 'FEDERATED_OTHER_ACCOUNT', severity: 'high', summary: "Federated provider of another account than the role's" },
];

/** The namespace and service account of the probe tokens: names no one gives a real service account. */
export const PROBE_NAMESPACE = 'irsa-audit-probe-ns';
export const PROBE_SERVICE_ACCOUNT = 'irsa-audit-probe-sa';

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

type Cond = { op: string; base: string; negated: boolean; ifExists: boolean; set: number; key: string; values: string[] };

function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : typeof v === 'string' ? [v] : v;
}

const WEB_CLAIMS = new Set(['sub', 'aud', 'amr', 'azp', 'oaud', 'email']);
const K8S_SUB = /^system:serviceaccount:[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?:[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Whether an Action entry matches an action, as evaluation matches it (case-insensitive `*`/`?` glob). */
function actionCovers(pattern: string, action: string): boolean {
  return matchPattern(compilePattern(pattern, { wildcards: true, variables: false, lower: true }), action.toLowerCase());
}

function grantsWebIdentity(s: PolicyStatement): boolean {
  if (s.NotAction !== undefined) return !list(s.NotAction).some((a) => actionCovers(a, 'sts:AssumeRoleWithWebIdentity'));
  return list(s.Action).some((a) => actionCovers(a, 'sts:AssumeRoleWithWebIdentity'));
}

function grantsAssumeRole(s: PolicyStatement): boolean {
  if (s.NotAction !== undefined) return true;
  return list(s.Action).some((a) => actionCovers(a, 'sts:AssumeRole') || actionCovers(a, 'sts:AssumeRoleWithWebIdentity'));
}

function conditionsOf(s: PolicyStatement): Cond[] {
  const out: Cond[] = [];
  for (const [op, block] of Object.entries(s.Condition ?? {})) {
    const o = parseOperator(op);
    if (o === null) continue;
    for (const [key, v] of Object.entries(block)) {
      out.push({ op, base: o.baseName, negated: o.negated, ifExists: o.ifExists, set: o.set, key, values: (Array.isArray(v) ? v : [v]).map(String) });
    }
  }
  return out;
}

function claimOf(key: string): { prefix: string; claim: string } | null {
  const at = key.lastIndexOf(':');
  if (at <= 0) return null;
  const prefix = key.slice(0, at);
  const claim = key.slice(at + 1).toLowerCase();
  if (!WEB_CLAIMS.has(claim)) return null;
  // global and service keys (aws:…, sts:…) have a bare service prefix; issuer prefixes contain a dot or a slash
  if (!/[./]/.test(prefix)) return null;
  return { prefix, claim };
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
  const findings: AuditFinding[] = [];
  const roleAccount = options.accountId ?? (options.roleArn === undefined ? undefined : accountOfArn(options.roleArn));
  for (const d of parsed.duplicateKeys ?? []) {
    findings.push({ id: 'T22', rule: 'DUPLICATE_KEY', severity: 'high', statement: null,
      problem: `Key "${d.key}" is written twice at ${d.path} (line ${d.line}, column ${d.column}): a reader sees the first value, JSON parsers keep the last, and IAM refuses the document.`,
      fix: `Keep one "${d.key}" at ${d.path}; merge the values if both were meant.` });
  }
  /** T1 findings with the issuer they are about, for the evaluation below to confirm or soften. */
  const noSub: Array<{ finding: AuditFinding; prefix: string }> = [];
  let anyWebIdentity = false;
  parsed.statements.forEach((s, index) => {
    const at = { index, sid: s.Sid ?? null };
    const add = (id: string, problem: string, fix: string, severity?: Severity) => {
      const rule = AUDIT_RULES.find((r) => r.id === id)!;
      findings.push({ id, rule: rule.rule, severity: severity ?? rule.severity, statement: at, problem, fix });
    };
    if (s.Effect !== 'Allow') return;
    const principal = s.Principal ?? s.NotPrincipal;
    const p = principal === '*' || principal === undefined ? null : principal;
    const conds = conditionsOf(s);
    const webIdentity = grantsWebIdentity(s);
    if (webIdentity) anyWebIdentity = true;

    if (s.NotPrincipal !== undefined || s.NotAction !== undefined) {
      add('T14', `Allow with ${s.NotPrincipal !== undefined ? 'NotPrincipal' : 'NotAction'} matches everything not listed.`,
        'Name the principal in Principal and the actions in Action.');
    }
    const wildcardPrincipal = principal === '*' || list(p?.AWS).includes('*') || list(p?.Federated).includes('*');
    if (wildcardPrincipal && grantsAssumeRole(s)) {
      add('T9', 'The statement trusts every principal, so any identity provider or AWS account can assume the role.',
        'Set Principal to {"Federated": "<your OIDC provider ARN>"}.');
    }
    const federated = list(p?.Federated).filter((f) => f !== '*');
    const oidc = federated.filter((f) => /^arn:[^:]+:iam::\d{12}:oidc-provider\//.test(f));
    if (webIdentity && !wildcardPrincipal && s.NotPrincipal === undefined && (oidc.length === 0 || p?.AWS !== undefined || p?.Service !== undefined)) {
      const other = [...list(p?.AWS), ...list(p?.Service), ...federated.filter((f) => !oidc.includes(f))];
      if (other.length > 0) {
        add('T20', `sts:AssumeRoleWithWebIdentity is granted to ${other.map((x) => JSON.stringify(x)).join(', ')}, which is not an IAM OIDC provider.`,
          'Trust only {"Federated": "arn:aws:iam::<account>:oidc-provider/<issuer>"} for web identity.');
      }
    }
    if (federated.length > 0 && (s.NotAction !== undefined || list(s.Action).some((a) => a === '*' || a.toLowerCase() === 'sts:*'))) {
      add('T12', 'Action "sts:*" or "*" also grants sts:TagSession, sts:SetSourceIdentity and every other STS action to federated callers.',
        'Use "Action": "sts:AssumeRoleWithWebIdentity".');
    }
    // Pod Identity
    if (list(p?.Service).includes('pods.eks.amazonaws.com')) {
      const scoped = conds.some((c) => /^aws:(requesttag\/kubernetes-(namespace|service-account)|sourceaccount|sourcearn)$/i.test(c.key));
      if (!scoped) {
        add('T15', 'Any EKS Pod Identity association in the account can use this role.',
          'Add conditions on aws:RequestTag/kubernetes-namespace and aws:RequestTag/kubernetes-service-account (or aws:SourceArn).');
      }
    }
    // cross-account AWS principals
    if (options.accountId !== undefined && grantsAssumeRole(s)) {
      const foreign = list(p?.AWS).filter((a) => a !== '*' && !a.includes(`:${options.accountId}:`) && a !== options.accountId);
      const guarded = conds.some((c) => /^(sts:externalid|aws:principalarn)$/i.test(c.key));
      if (foreign.length > 0 && !guarded) {
        add('T16', `Another account (${foreign.join(', ')}) can assume the role with no sts:ExternalId or aws:PrincipalArn condition (confused deputy).`,
          'Add "StringEquals": {"sts:ExternalId": "<shared secret>"} or pin aws:PrincipalArn.');
      }
    }
    if (!webIdentity || wildcardPrincipal && oidc.length === 0) {
      if (webIdentity && wildcardPrincipal) checkProviderless(conds, add);
      return;
    }
    if (oidc.length === 0) return;
    if (roleAccount !== undefined) {
      for (const f of oidc) {
        const owner = accountOfArn(f);
        if (owner !== undefined && owner !== roleAccount) {
          add('T25', `The statement trusts ${f}, a provider of account ${owner}, while the role is in account ${roleAccount}: that account decides which issuer's tokens are accepted.`,
            `Register the cluster's issuer in account ${roleAccount} and trust "arn:aws:iam::${roleAccount}:oidc-provider/${f.slice(f.indexOf('oidc-provider/') + 'oidc-provider/'.length)}".`);
        }
      }
    }

    const prefixes = oidc.map((f) => f.slice(f.indexOf('oidc-provider/') + 'oidc-provider/'.length));
    const lowerPrefixes = prefixes.map((x) => x.toLowerCase());
    if (options.providerArn !== undefined) {
      const want = options.providerArn.slice(options.providerArn.indexOf('oidc-provider/') + 'oidc-provider/'.length).toLowerCase();
      if (!lowerPrefixes.includes(want)) {
        add('T6', `The statement trusts ${oidc.join(', ')}, not the provider ${options.providerArn}: tokens from that provider never match it.`,
          `Set Principal.Federated to "${options.providerArn}".`);
      }
    }
    // keys naming another issuer
    for (const c of conds) {
      const wc = claimOf(c.key);
      if (wc === null) continue;
      if (!lowerPrefixes.includes(wc.prefix.toLowerCase())) {
        const vacuous = c.ifExists || c.set === SET_ALL || c.negated;
        add('T6',
          `Condition key "${c.key}" does not start with the trusted issuer "${prefixes[0]}", so the key is absent at runtime and ${vacuous ? `${c.op} is always true: the condition protects nothing` : `${c.op} is always false: the role can never be assumed`}.`,
          `Use "${prefixes[0]}:${wc.claim}" (the issuer without https:// and without a trailing slash).`,
          vacuous ? 'critical' : 'high');
      }
    }
    const byPrefix = (prefix: string, claim: string) => conds.filter((c) => c.key.toLowerCase() === `${prefix.toLowerCase()}:${claim}`);
    const subConstrained = prefixes.map((px) => byPrefix(px, 'sub').length > 0);
    prefixes.forEach((px, i) => {
      const subs = byPrefix(px, 'sub');
      if (subs.length === 0) {
        if (prefixes.length > 1 && subConstrained.some(Boolean)) {
          add('T11', `The statement trusts ${prefixes.length} providers but only constrains sub for some; tokens from "${px}" are unconstrained.`,
            'Put each provider in its own statement with its own sub and aud conditions.');
        } else {
          add('T1', `No condition on "${px}:sub": every service account of every namespace (and any token with an accepted audience) can assume the role.`,
            `Add "StringEquals": {"${px}:sub": "system:serviceaccount:<namespace>:<service-account>"}.`);
          noSub.push({ finding: findings[findings.length - 1]!, prefix: px });
        }
      }
      for (const c of subs) {
        if (c.negated || c.set === SET_ALL || c.ifExists) {
          const how = c.negated ? 'a negated operator excludes a few subjects and admits every other one'
            : c.ifExists ? 'IfExists makes the condition true whenever the key is missing'
            : 'ForAllValues is true for a missing or empty key';
          add('T4', `${c.op} on "${c.key}": ${how}.`, `Use "StringEquals": {"${c.key}": "system:serviceaccount:<namespace>:<service-account>"}.`);
          continue;
        }
        for (const v of c.values) {
          if (c.base === 'StringLike' && hasWildcard(v)) {
            const parts = v.split(':');
            const globalWild = parts.length < 4 || parts.slice(0, 3).some(hasWildcard);
            if (globalWild) {
              add('T2', `StringLike "${v}" on sub matches service accounts in every namespace.`,
                'Pin the namespace (and ideally the name): "system:serviceaccount:<namespace>:<service-account>".');
            } else {
              add('T3', `StringLike "${v}" on sub matches every service account of namespace "${parts[2]}", including ones created later.`,
                'List the service accounts explicitly under StringEquals.');
            }
          } else if ((c.base === 'StringEquals' || c.base === 'StringEqualsIgnoreCase') && hasWildcard(v)) {
            add('T5', `${c.op} compares "${v}" literally: "*" and "?" are not wildcards here, so this value never matches a real subject.`,
              'Use StringLike for wildcards, or better, the exact subject under StringEquals.');
          } else if (!hasWildcard(v) && !K8S_SUB.test(v) && (c.base === 'StringEquals' || c.base === 'StringLike')) {
            add('T18', `sub value "${v}" is not a Kubernetes service-account subject (system:serviceaccount:<namespace>:<name>).`,
              'Check for typos: the subject is case-sensitive and has exactly four colon-separated parts.');
          }
        }
      }
      const auds = byPrefix(px, 'aud');
      if (auds.length === 0) {
        const ids = options.clientIds;
        let severity: Severity = 'medium';
        let extra = '';
        if (options.roleKind === 'operator') {
          severity = 'info';
          extra = ' (ccoctl writes operator roles without aud by design)';
        } else if (ids !== undefined && (ids.length > 1 || ids.some((x) => x !== 'sts.amazonaws.com'))) {
          severity = 'high';
          extra = ` and the provider accepts ${ids.length} client IDs (${ids.join(', ')})`;
        } else if (ids !== undefined) {
          severity = 'low';
          extra = ' (the provider accepts only sts.amazonaws.com today)';
        }
        add('T7', `No condition on "${px}:aud": tokens minted for another audience accepted by the provider can be replayed to STS${extra}.`,
          `Add "StringEquals": {"${px}:aud": "sts.amazonaws.com"}.`, severity);
      }
      for (const c of auds) {
        if (c.ifExists || c.set === SET_ALL) {
          add('T19', `${c.op} on "${c.key}" is true when the key is missing, so it does not constrain the audience.`,
            `Use "StringEquals": {"${c.key}": "sts.amazonaws.com"}.`);
        } else if (c.negated || (c.base === 'StringLike' && c.values.some(hasWildcard))) {
          add('T8', `${c.op} on "${c.key}" admits audiences other than the one intended.`, `Use "StringEquals": {"${c.key}": "sts.amazonaws.com"}.`);
        } else if (c.base === 'StringEquals' && c.values.some(hasWildcard)) {
          add('T5', `${c.op} compares "${c.values.find(hasWildcard)}" literally on aud: the role never matches.`, `Use "StringEquals": {"${c.key}": "sts.amazonaws.com"}.`);
        }
      }
    });
    // IfExists / ForAllValues on other web-identity keys
    for (const c of conds) {
      const wc = claimOf(c.key);
      if (wc === null || wc.claim === 'sub' || wc.claim === 'aud') continue;
      if (!lowerPrefixes.includes(wc.prefix.toLowerCase())) continue;
      if (c.ifExists || (c.set === SET_ALL && wc.claim === 'amr')) {
        add('T19', `${c.op} on "${c.key}" is true when the key is missing or empty, so it does not constrain the caller.`,
          `Drop ${c.ifExists ? 'IfExists' : 'ForAllValues'} or add "Null": {"${c.key}": "false"}.`);
      }
    }
  });
  evaluateProbes(parsed, options, findings, noSub);
  if (!anyWebIdentity) {
    findings.push({ id: 'T21', rule: 'NO_WEB_IDENTITY_STATEMENT', severity: 'info', statement: null,
      problem: 'No Allow statement grants sts:AssumeRoleWithWebIdentity, so pods cannot assume this role with IRSA.',
      fix: 'Add a statement with Principal {"Federated": "<OIDC provider ARN>"} and Action "sts:AssumeRoleWithWebIdentity".' });
  }
  if (options.maxSessionDuration !== undefined && options.maxSessionDuration > 3600 && options.roleKind !== 'operator') {
    findings.push({ id: 'T17', rule: 'LONG_SESSION', severity: 'low', statement: null,
      problem: `MaxSessionDuration is ${options.maxSessionDuration} s: stolen session credentials stay valid longer than an hour.`,
      fix: 'Keep MaxSessionDuration at 3600 for workload roles.' });
  }
  findings.sort((a, b) =>
    SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
    (a.statement?.index ?? -1) - (b.statement?.index ?? -1) ||
    Number(a.id.slice(1)) - Number(b.id.slice(1)));
  const highest = findings.length === 0 ? null : findings[0]!.severity;
  return { findings, highest, failed: highest === 'critical' || highest === 'high' };
}

function checkProviderless(conds: Cond[], add: (id: string, problem: string, fix: string, severity?: Severity) => void): void {
  if (!conds.some((c) => claimOf(c.key)?.claim === 'sub')) {
    add('T1', 'No condition on "<issuer>:sub": with a wildcard principal, any token from any provider can assume the role.',
      'Trust one provider and add "StringEquals": {"<issuer>:sub": "system:serviceaccount:<namespace>:<service-account>"}.');
  }
}

/** `*` → `irsa-audit-probe`, `?` → `x`: one value a wildcard pattern admits that no one wrote. */
function instantiate(pattern: string): string {
  return pattern.replace(/\$\{([*?$])\}/g, '$1').replace(/\*/g, 'irsa-audit-probe').replace(/\?/g, 'x');
}

/**
 * Decides "can a service account no one named assume this role?" by evaluating the whole trust policy (Deny
 * statements included) for tokens of each trusted provider: a sub in a namespace no one named, an unnamed service
 * account in each named namespace, and one instance of every wildcard pattern on sub; with every audience the
 * provider accepts (or, without `clientIds`, sts.amazonaws.com and each audience the policy names). An allowed
 * probe is T23 (any namespace) or T24 (a named namespace); a T1 whose probes are all refused is softened to info.
 */
function evaluateProbes(parsed: ParsedPolicy, options: AuditOptions, findings: AuditFinding[], noSub: Array<{ finding: AuditFinding; prefix: string }>): void {
  const providers = new Set<string>();
  for (const s of parsed.statements) {
    if (s.Effect !== 'Allow' || !grantsWebIdentity(s)) continue;
    const p = s.Principal;
    if (p === undefined || p === '*') continue;
    for (const f of list(p.Federated)) if (parseOidcProviderArn(f) !== undefined) providers.add(f);
  }
  if (providers.size === 0) return;
  const compiled = compilePolicy(parsed, { kind: 'trust', name: 'trust' });
  for (const provider of providers) {
    const prefix = parseOidcProviderArn(provider)!.hostPath;
    const conds = parsed.statements.filter((s) => s.Effect === 'Allow').flatMap(conditionsOf);
    const on = (claim: string) => conds.filter((c) => c.key.toLowerCase() === `${prefix.toLowerCase()}:${claim}`);
    const named = new Set<string>();
    const patterns: string[] = [];
    for (const c of on('sub')) {
      if (c.negated || c.base === 'Null') continue;
      for (const v of c.values) {
        if ((c.base === 'StringLike' || c.base === 'ArnLike') && hasWildcard(v)) patterns.push(v);
        else named.add(v);
      }
    }
    // a namespace is named when written literally in a sub value, exact or pattern (`system:serviceaccount:team:*`)
    const namespaces = new Set([...named].filter((v) => K8S_SUB.test(v)).map((v) => v.split(':')[2]!));
    for (const pt of patterns) {
      const parts = pt.split(':');
      if (parts.length >= 4 && !parts.slice(0, 3).some(hasWildcard)) namespaces.add(parts[2]!);
    }
    const probes = new Map<string, boolean>(); // sub → whether it lies in a namespace no one named
    probes.set(`system:serviceaccount:${PROBE_NAMESPACE}:${PROBE_SERVICE_ACCOUNT}`, true);
    for (const ns of namespaces) probes.set(`system:serviceaccount:${ns}:${PROBE_SERVICE_ACCOUNT}`, false);
    for (const pt of patterns) {
      const sub = instantiate(pt);
      const ns = sub.split(':')[2];
      if (!probes.has(sub)) probes.set(sub, ns === undefined || !namespaces.has(ns));
    }
    let auds: string[];
    if (options.clientIds !== undefined) auds = [...options.clientIds];
    else {
      auds = ['sts.amazonaws.com'];
      for (const c of on('aud')) {
        if (c.negated || c.base === 'Null') continue;
        for (const v of c.values) auds.push(hasWildcard(v) ? instantiate(v) : v);
      }
      auds = [...new Set(auds)];
    }
    let wide: { sub: string; aud: string } | null = null;
    let narrow: { sub: string; aud: string } | null = null;
    for (const [sub, unnamedNamespace] of probes) {
      if (named.has(sub)) continue;
      for (const aud of auds) {
        const req = buildWebIdentityContext({ providerArn: provider, claims: { sub, aud }, ...(options.clientIds === undefined ? {} : { clientIds: options.clientIds }) });
        if (evaluatePolicies({ resource: [compiled] }, { ...req.context, action: ASSUME_ROLE_WITH_WEB_IDENTITY }).decision !== 'Allow') continue;
        if (unnamedNamespace) wide ??= { sub, aud };
        else narrow ??= { sub, aud };
      }
    }
    const has = (pred: (f: AuditFinding) => boolean) => findings.some(pred);
    if (wide !== null && !has((f) => f.severity === 'critical' && ['T1', 'T2', 'T9', 'T6'].includes(f.id))) {
      findings.push({ id: 'T23', rule: 'ANY_SERVICE_ACCOUNT', severity: 'critical', statement: null,
        problem: `Evaluated: a token from ${provider} with sub "${wide.sub}" and aud "${wide.aud}" is allowed, though no one named that service account or its namespace: every service account can assume the role.`,
        fix: `Allow only named subjects: "StringEquals": {"${prefix}:sub": "system:serviceaccount:<namespace>:<service-account>"}.` });
    }
    if (wide === null && narrow !== null && !has((f) => ['T2', 'T3', 'T23'].includes(f.id))) {
      findings.push({ id: 'T24', rule: 'UNNAMED_SERVICE_ACCOUNT', severity: 'medium', statement: null,
        problem: `Evaluated: a token from ${provider} with sub "${narrow.sub}" and aud "${narrow.aud}" is allowed: service accounts no one named (including ones created later) can assume the role.`,
        fix: `List the service accounts under "StringEquals" on "${prefix}:sub".` });
    }
    if (wide === null) {
      for (const t of noSub) {
        if (t.prefix.toLowerCase() !== prefix.toLowerCase()) continue;
        t.finding.severity = narrow === null ? 'info' : 'medium';
        t.finding.problem = `No condition on "${t.prefix}:sub" in this Allow statement, but evaluation refuses a token for a service account in a namespace no one named: another condition or statement (such as a Deny) restricts sub, which readers of this statement alone miss.`;
        t.finding.fix = `Put the sub condition in the Allow statement itself: "StringEquals": {"${t.prefix}:sub": "system:serviceaccount:<namespace>:<service-account>"}.`;
      }
    }
  }
}
