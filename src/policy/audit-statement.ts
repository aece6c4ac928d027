/**
 * What the trust-policy audit reads from one statement, worked out once for every rule: its conditions one key at
 * a time, whether it grants web identity, its principals, and the issuers of the OIDC providers it trusts.
 * @module
 */
import { parseOidcProviderArn } from '../lib/aws-arn.js';
import type { AuditOptions } from './audit.js';
import { parseOperator } from './operators.js';
import { compilePattern, matchPattern } from './pattern.js';
import type { PolicyStatement, PrincipalType, StringOrList } from './types.js';

/** One condition key under one operator, with the operator's parts. */
export interface Condition {
  /** The operator as written, e.g. `ForAllValues:StringLikeIfExists`. */
  op: string;
  /** The base operator, e.g. `StringLike`. */
  base: string;
  negated: boolean;
  ifExists: boolean;
  /** SET_NONE, SET_ANY or SET_ALL (operators.ts). */
  set: number;
  key: string;
  values: string[];
}

export function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : typeof v === 'string' ? [v] : v;
}

const WEB_CLAIMS = new Set(['sub', 'aud', 'amr', 'azp', 'oaud', 'email']);

/** Whether an Action entry matches an action, as evaluation matches it (case-insensitive `*`/`?` glob). */
function actionCovers(pattern: string, action: string): boolean {
  return matchPattern(compilePattern(pattern, { wildcards: true, variables: false, lower: true }), action.toLowerCase());
}

export function grantsWebIdentity(s: PolicyStatement): boolean {
  if (s.NotAction !== undefined) return !list(s.NotAction).some((a) => actionCovers(a, 'sts:AssumeRoleWithWebIdentity'));
  return list(s.Action).some((a) => actionCovers(a, 'sts:AssumeRoleWithWebIdentity'));
}

function grantsAssumeRole(s: PolicyStatement): boolean {
  if (s.NotAction !== undefined) return true;
  return list(s.Action).some((a) => actionCovers(a, 'sts:AssumeRole') || actionCovers(a, 'sts:AssumeRoleWithWebIdentity'));
}

export function conditionsOf(s: PolicyStatement): Condition[] {
  const out: Condition[] = [];
  for (const [op, block] of Object.entries(s.Condition ?? {})) {
    const o = parseOperator(op);
    if (o === null) continue;
    for (const [key, v] of Object.entries(block)) {
      out.push({ op, base: o.baseName, negated: o.negated, ifExists: o.ifExists, set: o.set, key, values: (Array.isArray(v) ? v : [v]).map(String) });
    }
  }
  return out;
}

/** The issuer prefix and web-identity claim of a condition key (`<issuer>:sub`), or null for any other key. */
export function claimOf(key: string): { prefix: string; claim: string } | null {
  const at = key.lastIndexOf(':');
  if (at <= 0) return null;
  const prefix = key.slice(0, at);
  const claim = key.slice(at + 1).toLowerCase();
  if (!WEB_CLAIMS.has(claim)) return null;
  // global and service keys (aws:…, sts:…) have a bare service prefix; issuer prefixes contain a dot or a slash
  if (!/[./]/.test(prefix)) return null;
  return { prefix, claim };
}

/** One Allow statement as the audit rules read it. */
export interface StatementFacts {
  statement: PolicyStatement;
  /** Principal (or NotPrincipal) when it names principal types; null for `*` or none. */
  principals: Partial<Record<PrincipalType, StringOrList>> | null;
  conditions: Condition[];
  /** Whether the actions cover sts:AssumeRoleWithWebIdentity. */
  webIdentity: boolean;
  /** Whether the actions cover sts:AssumeRole or sts:AssumeRoleWithWebIdentity (any NotAction does). */
  assumeRole: boolean;
  /** Principal `*`, {"AWS": "*"} or {"Federated": "*"}. */
  wildcardPrincipal: boolean;
  /** Principal.Federated entries other than `*`. */
  federated: string[];
  /** The IAM OIDC provider ARNs among `federated`. */
  oidcProviders: string[];
  /**
   * The OIDC providers trusted for web identity, with their issuer host/path (the condition-key prefix): the
   * providers of a statement that grants web identity, empty for any other statement.
   */
  trusted: Array<{ provider: string; issuer: string }>;
  /** The role's own account: `accountId`, or the account of `roleArn`. */
  roleAccount: string | undefined;
  options: AuditOptions;
}

/** Reads an Allow statement once for all the rules. */
export function readStatement(s: PolicyStatement, options: AuditOptions, roleAccount: string | undefined): StatementFacts {
  const principal = s.Principal ?? s.NotPrincipal;
  const principals = principal === '*' || principal === undefined ? null : principal;
  const webIdentity = grantsWebIdentity(s);
  const federated = list(principals?.Federated).filter((f) => f !== '*');
  const oidcProviders = federated.filter((f) => parseOidcProviderArn(f) !== undefined);
  return {
    statement: s,
    principals,
    conditions: conditionsOf(s),
    webIdentity,
    assumeRole: grantsAssumeRole(s),
    wildcardPrincipal: principal === '*' || list(principals?.AWS).includes('*') || list(principals?.Federated).includes('*'),
    federated,
    oidcProviders,
    trusted: webIdentity ? oidcProviders.map((provider) => ({ provider, issuer: parseOidcProviderArn(provider)!.hostPath })) : [],
    roleAccount,
    options,
  };
}

/** The statement's conditions on `<issuer>:<claim>` (keys compare without case). */
export function conditionsOn(s: StatementFacts, issuer: string, claim: string): Condition[] {
  return s.conditions.filter((c) => c.key.toLowerCase() === `${issuer.toLowerCase()}:${claim}`);
}

/** Whether a key's issuer prefix is one of the statement's trusted issuers. */
export function isTrustedIssuer(s: StatementFacts, prefix: string): boolean {
  return s.trusted.some((t) => t.issuer.toLowerCase() === prefix.toLowerCase());
}
