/**
 * The auditor's evaluated check: "can a service account no one named assume this role?", answered by evaluating
 * the whole trust policy (Deny statements included) with the engine for probe tokens of each trusted provider.
 * The rules T23, T24 and the softening of T1 read its results (audit-rules.ts).
 * @module
 */
import { parseOidcProviderArn } from '../lib/aws-arn.js';
import { parseServiceAccountSubject, serviceAccountSubject } from '../lib/k8s-names.js';
import type { AuditOptions } from './audit.js';
import { conditionsOf, grantsWebIdentity, list } from './audit-statement.js';
import { compilePolicy } from './compile.js';
import { evaluatePolicies } from './evaluate.js';
import type { ParsedPolicy } from './parse.js';
import { hasWildcard } from './pattern.js';
import { STS_AUDIENCE } from '../lib/wire-names.js';
import { ASSUME_ROLE_WITH_WEB_IDENTITY, buildWebIdentityContext } from './web-identity.js';

/** The namespace and service account of the probe tokens: names no one gives a real service account. */
export const PROBE_NAMESPACE = 'irsa-audit-probe-ns';
export const PROBE_SERVICE_ACCOUNT = 'irsa-audit-probe-sa';

/** A probe token's claims that the trust policy allowed. */
export interface AllowedProbe {
  sub: string;
  aud: string;
}

/** What evaluation says of one trusted provider. */
export interface ProviderProbe {
  /** The provider's ARN, as the policy writes it. */
  provider: string;
  /** Its issuer host/path: the condition-key prefix. */
  issuer: string;
  /** The first allowed probe whose sub lies in a namespace no one named, or null. */
  wide: AllowedProbe | null;
  /** The first allowed probe for an unnamed service account in a named namespace, or null. */
  narrow: AllowedProbe | null;
}

/** `*` → `irsa-audit-probe`, `?` → `x`: one value a wildcard pattern admits that no one wrote. */
function instantiate(pattern: string): string {
  return pattern.replace(/\$\{([*?$])\}/g, '$1').replace(/\*/g, 'irsa-audit-probe').replace(/\?/g, 'x');
}

/**
 * Evaluates probe tokens for each OIDC provider an Allow statement trusts for web identity, in the order the policy
 * names them: a sub in a namespace no one named, an unnamed service account in each named namespace, and one
 * instance of every wildcard pattern on sub; with every audience the provider accepts (or, without `clientIds`,
 * sts.amazonaws.com and each audience the policy names).
 */
export function probeProviders(parsed: ParsedPolicy, options: AuditOptions): ProviderProbe[] {
  const providers = new Set<string>();
  for (const s of parsed.statements) {
    if (s.Effect !== 'Allow' || !grantsWebIdentity(s)) continue;
    const p = s.Principal;
    if (p === undefined || p === '*') continue;
    for (const f of list(p.Federated)) if (parseOidcProviderArn(f) !== undefined) providers.add(f);
  }
  if (providers.size === 0) return [];
  const compiled = compilePolicy(parsed, { kind: 'trust', name: 'trust' });
  const results: ProviderProbe[] = [];
  for (const provider of providers) {
    const issuer = parseOidcProviderArn(provider)!.hostPath;
    const conds = parsed.statements.filter((s) => s.Effect === 'Allow').flatMap(conditionsOf);
    const on = (claim: string) => conds.filter((c) => c.key.toLowerCase() === `${issuer.toLowerCase()}:${claim}`);
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
    const namespaces = new Set([...named].flatMap((v) => parseServiceAccountSubject(v)?.namespace ?? []));
    for (const pt of patterns) {
      const parts = pt.split(':');
      if (parts.length >= 4 && !parts.slice(0, 3).some(hasWildcard)) namespaces.add(parts[2]!);
    }
    const probes = new Map<string, boolean>(); // sub → whether it lies in a namespace no one named
    probes.set(serviceAccountSubject(PROBE_NAMESPACE, PROBE_SERVICE_ACCOUNT), true);
    for (const ns of namespaces) probes.set(serviceAccountSubject(ns, PROBE_SERVICE_ACCOUNT), false);
    for (const pt of patterns) {
      const sub = instantiate(pt);
      const ns = sub.split(':')[2];
      if (!probes.has(sub)) probes.set(sub, ns === undefined || !namespaces.has(ns));
    }
    let auds: string[];
    if (options.clientIds !== undefined) auds = [...options.clientIds];
    else {
      auds = [STS_AUDIENCE];
      for (const c of on('aud')) {
        if (c.negated || c.base === 'Null') continue;
        for (const v of c.values) auds.push(hasWildcard(v) ? instantiate(v) : v);
      }
      auds = [...new Set(auds)];
    }
    let wide: AllowedProbe | null = null;
    let narrow: AllowedProbe | null = null;
    for (const [sub, unnamedNamespace] of probes) {
      if (named.has(sub)) continue;
      for (const aud of auds) {
        const req = buildWebIdentityContext({ providerArn: provider, claims: { sub, aud }, ...(options.clientIds === undefined ? {} : { clientIds: options.clientIds }) });
        if (evaluatePolicies({ resource: [compiled] }, { ...req.context, action: ASSUME_ROLE_WITH_WEB_IDENTITY }).decision !== 'Allow') continue;
        if (unnamedNamespace) wide ??= { sub, aud };
        else narrow ??= { sub, aud };
      }
    }
    results.push({ provider, issuer, wide, narrow });
  }
  return results;
}
