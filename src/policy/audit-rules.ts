/**
 * The trust-policy audit's rules (kubernetes-oidc.md §6.2), one table entry each: id, stable name, default
 * severity, a one-line summary and the check. A check reads one of three things and returns what it found:
 * - `document`: the parsed document and every Allow statement (T17, T21, T22);
 * - `statement`: one Allow statement (audit-statement.ts), most rules;
 * - `probe`: what evaluation says of one trusted provider (audit-probes.ts) and the findings so far (T23, T24).
 * T1 also has `revise`: evaluation that refuses its issuer's probe for a namespace no one named softens it.
 * docs/policy.md lists every rule (test/policy/audit.test.ts checks it).
 * @module
 */
import { accountOfArn, formatOidcProviderArn, parseOidcProviderArn } from '../lib/aws-arn.js';
import { parseServiceAccountSubject } from '../lib/k8s-names.js';
import type { AuditFinding, AuditOptions, Severity } from './audit.js';
import type { ProviderProbe } from './audit-probes.js';
import { claimOf, conditionsOn, isTrustedIssuer, list, type Condition, type StatementFacts } from './audit-statement.js';
import { SET_ALL } from './operators.js';
import type { ParsedPolicy } from './parse.js';
import { hasWildcard } from './pattern.js';
import { EKS_POD_IDENTITY_SERVICE, STS_AUDIENCE } from '../lib/wire-names.js';

/** What a check found: the finding's text, a severity when not the rule's default. */
export interface AuditHit {
  problem: string;
  fix: string;
  severity?: Severity;
  /** The issuer a T1 is about, for {@link AuditRule.revise}. */
  issuer?: string;
}

/** The whole document, for the rules that look at more than one statement. */
export interface DocumentFacts {
  parsed: ParsedPolicy;
  /** Every Allow statement, read. */
  statements: StatementFacts[];
  options: AuditOptions;
}

interface RuleInfo {
  /** Stable id, e.g. `T1`. */
  id: string;
  /** Stable rule name, e.g. `NO_SUB_CONDITION`. */
  rule: string;
  /** The default severity; a hit may set another. */
  severity: Severity;
  summary: string;
}

/** One rule of the audit. */
export type AuditRule = RuleInfo & (
  | { scope: 'document'; check: (doc: DocumentFacts) => AuditHit[] }
  | {
      scope: 'statement';
      check: (s: StatementFacts) => AuditHit[];
      /** A replacement for a hit once evaluation has probed every trusted provider, or undefined to keep it. */
      revise?: (hit: AuditHit, probes: readonly ProviderProbe[]) => AuditHit | undefined;
    }
  | { scope: 'probe'; check: (probe: ProviderProbe, found: readonly AuditFinding[]) => AuditHit[] }
);

const hit = (problem: string, fix: string, severity?: Severity): AuditHit => (severity === undefined ? { problem, fix } : { problem, fix, severity });

/** Negated, IfExists or ForAllValues: the operators that do not pin a claim to the values written. */
const loosensSub = (c: Condition) => c.negated || c.set === SET_ALL || c.ifExists;
/** An aud condition true when the key is missing (T19). */
const vacuousAud = (c: Condition) => c.ifExists || c.set === SET_ALL;
/** An aud condition that admits other audiences (T8). */
const wideAud = (c: Condition) => c.negated || (c.base === 'StringLike' && c.values.some(hasWildcard));
/** The sub values of the statement's trusted issuers, under operators that pin them (T2, T3, T5, T18). */
function subValues(s: StatementFacts): Array<{ c: Condition; v: string }> {
  return s.trusted.flatMap((t) => conditionsOn(s, t.issuer, 'sub').filter((c) => !loosensSub(c)).flatMap((c) => c.values.map((v) => ({ c, v }))));
}
/** Whether any trusted issuer of a statement with several is constrained by sub (T1 or T11). */
const someSubConstrained = (s: StatementFacts) => s.trusted.length > 1 && s.trusted.some((t) => conditionsOn(s, t.issuer, 'sub').length > 0);
/** A StringLike sub pattern with a wildcard before or in the namespace (T2; else T3). */
const globalWildcard = (v: string) => {
  const parts = v.split(':');
  return parts.length < 4 || parts.slice(0, 3).some(hasWildcard);
};

/** The audit rules, by id. */
export const AUDIT_RULE_TABLE: readonly AuditRule[] = [
  {
    id: 'T1', rule: 'NO_SUB_CONDITION', severity: 'critical', summary: 'web-identity statement without a condition on <issuer>:sub',
    scope: 'statement',
    check: (s) => {
      if (s.webIdentity && s.wildcardPrincipal && s.oidcProviders.length === 0) {
        if (s.conditions.some((c) => claimOf(c.key)?.claim === 'sub')) return [];
        return [hit('No condition on "<issuer>:sub": with a wildcard principal, any token from any provider can assume the role.',
          'Trust one provider and add "StringEquals": {"<issuer>:sub": "system:serviceaccount:<namespace>:<service-account>"}.')];
      }
      if (someSubConstrained(s)) return [];
      return s.trusted.filter((t) => conditionsOn(s, t.issuer, 'sub').length === 0).map((t) => ({
        ...hit(`No condition on "${t.issuer}:sub": every service account of every namespace (and any token with an accepted audience) can assume the role.`,
          `Add "StringEquals": {"${t.issuer}:sub": "system:serviceaccount:<namespace>:<service-account>"}.`),
        issuer: t.issuer,
      }));
    },
    // softened when evaluation refuses the issuer's tokens for a namespace no one named: info, or medium when it
    // allows an unnamed service account of a named namespace
    revise: (found, probes) => {
      const issuer = found.issuer;
      const restricted = issuer === undefined ? [] : probes.filter((p) => p.wide === null && p.issuer.toLowerCase() === issuer.toLowerCase());
      if (issuer === undefined || restricted.length === 0) return undefined;
      return {
        ...hit(`No condition on "${issuer}:sub" in this Allow statement, but evaluation refuses a token for a service account in a namespace no one named: another condition or statement (such as a Deny) restricts sub, which readers of this statement alone miss.`,
          `Put the sub condition in the Allow statement itself: "StringEquals": {"${issuer}:sub": "system:serviceaccount:<namespace>:<service-account>"}.`,
          restricted.some((p) => p.narrow !== null) ? 'medium' : 'info'),
        issuer,
      };
    },
  },
  {
    id: 'T2', rule: 'SUB_WILDCARD_GLOBAL', severity: 'critical', summary: 'StringLike sub with a wildcard before or in the namespace',
    scope: 'statement',
    check: (s) => subValues(s).filter(({ c, v }) => c.base === 'StringLike' && hasWildcard(v) && globalWildcard(v)).map(({ v }) =>
      hit(`StringLike "${v}" on sub matches service accounts in every namespace.`,
        'Pin the namespace (and ideally the name): "system:serviceaccount:<namespace>:<service-account>".')),
  },
  {
    id: 'T3', rule: 'SUB_WILDCARD_NAMESPACE', severity: 'medium', summary: 'StringLike sub with a wildcard in the service-account name',
    scope: 'statement',
    check: (s) => subValues(s).filter(({ c, v }) => c.base === 'StringLike' && hasWildcard(v) && !globalWildcard(v)).map(({ v }) =>
      hit(`StringLike "${v}" on sub matches every service account of namespace "${v.split(':')[2]}", including ones created later.`,
        'List the service accounts explicitly under StringEquals.')),
  },
  {
    id: 'T4', rule: 'SUB_NEGATED', severity: 'high', summary: 'negated, IfExists or ForAllValues operator on sub',
    scope: 'statement',
    check: (s) => s.trusted.flatMap((t) => conditionsOn(s, t.issuer, 'sub').filter(loosensSub)).map((c) => {
      const how = c.negated ? 'a negated operator excludes a few subjects and admits every other one'
        : c.ifExists ? 'IfExists makes the condition true whenever the key is missing'
        : 'ForAllValues is true for a missing or empty key';
      return hit(`${c.op} on "${c.key}": ${how}.`, `Use "StringEquals": {"${c.key}": "system:serviceaccount:<namespace>:<service-account>"}.`);
    }),
  },
  {
    id: 'T5', rule: 'SUB_LITERAL_STAR', severity: 'high', summary: 'wildcard characters under StringEquals (matched literally)',
    scope: 'statement',
    check: (s) => s.trusted.flatMap((t) => [
      ...conditionsOn(s, t.issuer, 'sub').filter((c) => !loosensSub(c) && (c.base === 'StringEquals' || c.base === 'StringEqualsIgnoreCase'))
        .flatMap((c) => c.values.filter(hasWildcard).map((v) =>
          hit(`${c.op} compares "${v}" literally: "*" and "?" are not wildcards here, so this value never matches a real subject.`,
            'Use StringLike for wildcards, or better, the exact subject under StringEquals.'))),
      ...conditionsOn(s, t.issuer, 'aud').filter((c) => !vacuousAud(c) && !wideAud(c) && c.base === 'StringEquals' && c.values.some(hasWildcard))
        .map((c) => hit(`${c.op} compares "${c.values.find(hasWildcard)}" literally on aud: the role never matches.`, `Use "StringEquals": {"${c.key}": "${STS_AUDIENCE}"}.`)),
    ]),
  },
  {
    id: 'T6', rule: 'CONDITION_ISSUER_MISMATCH', severity: 'high', summary: 'condition key prefix is not the issuer of the trusted provider',
    scope: 'statement',
    check: (s) => {
      if (s.trusted.length === 0) return [];
      const hits: AuditHit[] = [];
      const { providerArn } = s.options;
      if (providerArn !== undefined && !isTrustedIssuer(s, parseOidcProviderArn(providerArn)?.hostPath ?? providerArn)) {
        hits.push(hit(`The statement trusts ${s.trusted.map((t) => t.provider).join(', ')}, not the provider ${providerArn}: tokens from that provider never match it.`,
          `Set Principal.Federated to "${providerArn}".`));
      }
      const first = s.trusted[0]!.issuer;
      for (const c of s.conditions) {
        const wc = claimOf(c.key);
        if (wc === null || isTrustedIssuer(s, wc.prefix)) continue;
        const vacuous = c.ifExists || c.set === SET_ALL || c.negated;
        hits.push(hit(
          `Condition key "${c.key}" does not start with the trusted issuer "${first}", so the key is absent at runtime and ${vacuous ? `${c.op} is always true: the condition protects nothing` : `${c.op} is always false: the role can never be assumed`}.`,
          `Use "${first}:${wc.claim}" (the issuer without https:// and without a trailing slash).`,
          vacuous ? 'critical' : 'high'));
      }
      return hits;
    },
  },
  {
    id: 'T7', rule: 'NO_AUD_CONDITION', severity: 'medium', summary: 'no condition on <issuer>:aud (high when the provider accepts several client IDs)',
    scope: 'statement',
    check: (s) => s.trusted.filter((t) => conditionsOn(s, t.issuer, 'aud').length === 0).map((t) => {
      const ids = s.options.clientIds;
      let severity: Severity = 'medium';
      let extra = '';
      if (s.options.roleKind === 'operator') {
        severity = 'info';
        extra = ' (ccoctl writes operator roles without aud by design)';
      } else if (ids !== undefined && (ids.length > 1 || ids.some((x) => x !== STS_AUDIENCE))) {
        severity = 'high';
        extra = ` and the provider accepts ${ids.length} client IDs (${ids.join(', ')})`;
      } else if (ids !== undefined) {
        severity = 'low';
        extra = ` (the provider accepts only ${STS_AUDIENCE} today)`;
      }
      return hit(`No condition on "${t.issuer}:aud": tokens minted for another audience accepted by the provider can be replayed to STS${extra}.`,
        `Add "StringEquals": {"${t.issuer}:aud": "${STS_AUDIENCE}"}.`, severity);
    }),
  },
  {
    id: 'T8', rule: 'AUD_WILDCARD', severity: 'medium', summary: 'aud matched with a wildcard or a negated operator',
    scope: 'statement',
    check: (s) => s.trusted.flatMap((t) => conditionsOn(s, t.issuer, 'aud').filter((c) => !vacuousAud(c) && wideAud(c)))
      .map((c) => hit(`${c.op} on "${c.key}" admits audiences other than the one intended.`, `Use "StringEquals": {"${c.key}": "${STS_AUDIENCE}"}.`)),
  },
  {
    id: 'T9', rule: 'PRINCIPAL_WILDCARD', severity: 'critical', summary: 'Principal "*", {"AWS": "*"} or {"Federated": "*"} on an Allow',
    scope: 'statement',
    check: (s) => (s.wildcardPrincipal && s.assumeRole
      ? [hit('The statement trusts every principal, so any identity provider or AWS account can assume the role.',
        'Set Principal to {"Federated": "<your OIDC provider ARN>"}.')]
      : []),
  },
  {
    id: 'T11', rule: 'MULTI_PROVIDER_STATEMENT', severity: 'high', summary: 'several providers trusted, not all constrained by sub',
    scope: 'statement',
    check: (s) => (someSubConstrained(s) ? s.trusted.filter((t) => conditionsOn(s, t.issuer, 'sub').length === 0) : []).map((t) =>
      hit(`The statement trusts ${s.trusted.length} providers but only constrains sub for some; tokens from "${t.issuer}" are unconstrained.`,
        'Put each provider in its own statement with its own sub and aud conditions.')),
  },
  {
    id: 'T12', rule: 'BROAD_ACTION', severity: 'medium', summary: 'sts:* or * (or NotAction) in a federated statement',
    scope: 'statement',
    check: (s) => (s.federated.length > 0 && (s.statement.NotAction !== undefined || list(s.statement.Action).some((a) => a === '*' || a.toLowerCase() === 'sts:*'))
      ? [hit('Action "sts:*" or "*" also grants sts:TagSession, sts:SetSourceIdentity and every other STS action to federated callers.',
        'Use "Action": "sts:AssumeRoleWithWebIdentity".')]
      : []),
  },
  {
    id: 'T14', rule: 'NOTPRINCIPAL_OR_NOTACTION', severity: 'high', summary: 'Allow with NotPrincipal or NotAction',
    scope: 'statement',
    check: (s) => (s.statement.NotPrincipal !== undefined || s.statement.NotAction !== undefined
      ? [hit(`Allow with ${s.statement.NotPrincipal !== undefined ? 'NotPrincipal' : 'NotAction'} matches everything not listed.`,
        'Name the principal in Principal and the actions in Action.')]
      : []),
  },
  {
    id: 'T15', rule: 'PODID_NO_SCOPE', severity: 'medium', summary: `${EKS_POD_IDENTITY_SERVICE} trusted without namespace/service-account/source conditions`,
    scope: 'statement',
    check: (s) => (list(s.principals?.Service).includes(EKS_POD_IDENTITY_SERVICE)
        && !s.conditions.some((c) => /^aws:(requesttag\/kubernetes-(namespace|service-account)|sourceaccount|sourcearn)$/i.test(c.key))
      ? [hit('Any EKS Pod Identity association in the account can use this role.',
        'Add conditions on aws:RequestTag/kubernetes-namespace and aws:RequestTag/kubernetes-service-account (or aws:SourceArn).')]
      : []),
  },
  {
    id: 'T16', rule: 'CROSS_ACCOUNT_NO_EXTERNALID', severity: 'high', summary: 'another account trusted without sts:ExternalId or aws:PrincipalArn',
    scope: 'statement',
    check: (s) => {
      const { accountId } = s.options;
      if (accountId === undefined || !s.assumeRole) return [];
      const foreign = list(s.principals?.AWS).filter((a) => a !== '*' && !a.includes(`:${accountId}:`) && a !== accountId);
      const guarded = s.conditions.some((c) => /^(sts:externalid|aws:principalarn)$/i.test(c.key));
      if (foreign.length === 0 || guarded) return [];
      return [hit(`Another account (${foreign.join(', ')}) can assume the role with no sts:ExternalId or aws:PrincipalArn condition (confused deputy).`,
        'Add "StringEquals": {"sts:ExternalId": "<shared secret>"} or pin aws:PrincipalArn.')];
    },
  },
  {
    id: 'T17', rule: 'LONG_SESSION', severity: 'low', summary: 'MaxSessionDuration above one hour',
    scope: 'document',
    check: ({ options }) => (options.maxSessionDuration !== undefined && options.maxSessionDuration > 3600 && options.roleKind !== 'operator'
      ? [hit(`MaxSessionDuration is ${options.maxSessionDuration} s: stolen session credentials stay valid longer than an hour.`,
        'Keep MaxSessionDuration at 3600 for workload roles.')]
      : []),
  },
  {
    id: 'T18', rule: 'SUB_NOT_K8S_FORMAT', severity: 'info', summary: 'sub value is not system:serviceaccount:<namespace>:<name>',
    scope: 'statement',
    check: (s) => subValues(s)
      .filter(({ c, v }) => !hasWildcard(v) && parseServiceAccountSubject(v) === undefined && (c.base === 'StringEquals' || c.base === 'StringLike'))
      .map(({ v }) => hit(`sub value "${v}" is not a Kubernetes service-account subject (system:serviceaccount:<namespace>:<name>).`,
        'Check for typos: the subject is case-sensitive and has exactly four colon-separated parts.')),
  },
  {
    id: 'T19', rule: 'CONDITION_VACUOUS', severity: 'high', summary: 'IfExists or ForAllValues makes a web-identity condition true when the key is missing',
    scope: 'statement',
    check: (s) => [
      ...s.trusted.flatMap((t) => conditionsOn(s, t.issuer, 'aud').filter(vacuousAud)).map((c) =>
        hit(`${c.op} on "${c.key}" is true when the key is missing, so it does not constrain the audience.`,
          `Use "StringEquals": {"${c.key}": "${STS_AUDIENCE}"}.`)),
      // IfExists / ForAllValues on the other web-identity keys
      ...s.conditions.filter((c) => {
        const wc = claimOf(c.key);
        if (wc === null || wc.claim === 'sub' || wc.claim === 'aud' || !isTrustedIssuer(s, wc.prefix)) return false;
        return c.ifExists || (c.set === SET_ALL && wc.claim === 'amr');
      }).map((c) => hit(`${c.op} on "${c.key}" is true when the key is missing or empty, so it does not constrain the caller.`,
        `Drop ${c.ifExists ? 'IfExists' : 'ForAllValues'} or add "Null": {"${c.key}": "false"}.`)),
    ],
  },
  {
    id: 'T20', rule: 'WEB_IDENTITY_NON_OIDC_PRINCIPAL', severity: 'high', summary: 'sts:AssumeRoleWithWebIdentity granted to a principal that is not an IAM OIDC provider',
    scope: 'statement',
    check: (s) => {
      const p = s.principals;
      if (!s.webIdentity || s.wildcardPrincipal || s.statement.NotPrincipal !== undefined) return [];
      if (s.oidcProviders.length > 0 && p?.AWS === undefined && p?.Service === undefined) return [];
      const other = [...list(p?.AWS), ...list(p?.Service), ...s.federated.filter((f) => !s.oidcProviders.includes(f))];
      if (other.length === 0) return [];
      return [hit(`sts:AssumeRoleWithWebIdentity is granted to ${other.map((x) => JSON.stringify(x)).join(', ')}, which is not an IAM OIDC provider.`,
        'Trust only {"Federated": "arn:aws:iam::<account>:oidc-provider/<issuer>"} for web identity.')];
    },
  },
  {
    id: 'T21', rule: 'NO_WEB_IDENTITY_STATEMENT', severity: 'info', summary: 'no statement allows sts:AssumeRoleWithWebIdentity',
    scope: 'document',
    check: ({ statements }) => (statements.some((s) => s.webIdentity)
      ? []
      : [hit('No Allow statement grants sts:AssumeRoleWithWebIdentity, so pods cannot assume this role with IRSA.',
        'Add a statement with Principal {"Federated": "<OIDC provider ARN>"} and Action "sts:AssumeRoleWithWebIdentity".')]),
  },
  {
    id: 'T22', rule: 'DUPLICATE_KEY', severity: 'high', summary: 'a JSON key written twice: a reader sees the first, the engine keeps the last (IAM refuses the document)',
    scope: 'document',
    check: ({ parsed }) => (parsed.duplicateKeys ?? []).map((d) =>
      hit(`Key "${d.key}" is written twice at ${d.path} (line ${d.line}, column ${d.column}): a reader sees the first value, JSON parsers keep the last, and IAM refuses the document.`,
        `Keep one "${d.key}" at ${d.path}; merge the values if both were meant.`)),
  },
  {
    id: 'T23', rule: 'ANY_SERVICE_ACCOUNT', severity: 'critical', summary: 'evaluated: a token for a service account no one named, in a namespace no one named, is allowed',
    scope: 'probe',
    // not repeated when a critical T1, T2, T6 or T9 already says so
    check: ({ provider, issuer, wide }, found) => (wide !== null && !found.some((f) => f.severity === 'critical' && ['T1', 'T2', 'T9', 'T6'].includes(f.id))
      ? [hit(`Evaluated: a token from ${provider} with sub "${wide.sub}" and aud "${wide.aud}" is allowed, though no one named that service account or its namespace: every service account can assume the role.`,
        `Allow only named subjects: "StringEquals": {"${issuer}:sub": "system:serviceaccount:<namespace>:<service-account>"}.`)]
      : []),
  },
  {
    id: 'T24', rule: 'UNNAMED_SERVICE_ACCOUNT', severity: 'medium', summary: 'evaluated: a token for a service account no one named, in a named namespace, is allowed',
    scope: 'probe',
    // not repeated when T2, T3 or T23 already says so
    check: ({ provider, issuer, wide, narrow }, found) => (wide === null && narrow !== null && !found.some((f) => ['T2', 'T3', 'T23'].includes(f.id))
      ? [hit(`Evaluated: a token from ${provider} with sub "${narrow.sub}" and aud "${narrow.aud}" is allowed: service accounts no one named (including ones created later) can assume the role.`,
        `List the service accounts under "StringEquals" on "${issuer}:sub".`)]
      : []),
  },
  {
    id: 'T25', rule: 'FEDERATED_OTHER_ACCOUNT', severity: 'high', summary: "Federated provider of another account than the role's",
    scope: 'statement',
    check: (s) => {
      const account = s.roleAccount;
      if (account === undefined) return [];
      return s.trusted.flatMap(({ provider, issuer }) => {
        const owner = accountOfArn(provider);
        if (owner === undefined || owner === account) return [];
        return [hit(`The statement trusts ${provider}, a provider of account ${owner}, while the role is in account ${account}: that account decides which issuer's tokens are accepted.`,
          `Register the cluster's issuer in account ${account} and trust "${formatOidcProviderArn(account, issuer)}".`)];
      });
    },
  },
];
