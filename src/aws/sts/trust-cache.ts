/**
 * A short-lived memo of trust-policy allows for `AssumeRoleWithWebIdentity`: an SDK re-sends the same token for the
 * same role until it refreshes it, and the evaluation is a pure function of the compiled trust policy and the
 * request context STS builds. That context depends on the claims it reads ({@link webIdentityClaimsKey}: not a
 * token's `jti` or times, so the tokens kubelet mints for one ServiceAccount share it), the provider, the accepted
 * audience, the role, the session name and the current second (`aws:CurrentTime`, `aws:EpochTime`); the memo is
 * keyed by exactly those and forgotten every second, like the IAM allow cache of `authorize.ts`.
 * Only allows are kept: a refusal is evaluated (and traced) in full every time.
 * @module
 */
import { webIdentityClaimsKey, type CompiledPolicy } from '../../policy/index.js';
import { evaluateWebIdentityTrust, type WebIdentityTrustInput, type WebIdentityTrustResult } from './web-identity-trust.js';

/** Inputs of {@link WebIdentityTrustCache.evaluate}: STS's, with the clock required. */
export interface CachedTrustInput extends WebIdentityTrustInput {
  now: Date;
}

/**
 * Evaluates web-identity trust through a per-second memo of allows.
 * @example
 * const cache = new WebIdentityTrustCache();
 * const trust = cache.evaluate({ trustPolicy, providerArn, claims, audience, roleArn, roleSessionName, now, traceAllows: false });
 */
export class WebIdentityTrustCache {
  /** By the claims' key first; the other inputs are compared field by field. */
  private readonly allows = new Map<string, Allow[]>();
  private second = Number.NaN;
  /** Evaluations answered from the memo (tests, metrics). */
  hits = 0;

  constructor(readonly maxEntries = 1000) {}

  evaluate(input: CachedTrustInput): WebIdentityTrustResult {
    // `traceAllows` changes what an allow carries: only STS's setting (false) is memoized
    if (input.traceAllows !== false) return evaluateWebIdentityTrust(input);
    const second = Math.floor(input.now.getTime() / 1000);
    if (second !== this.second) {
      this.allows.clear();
      this.second = second;
    }
    const claims = webIdentityClaimsKey(input.claims);
    const same = this.allows.get(claims);
    if (same !== undefined) {
      for (const a of same) {
        // the compiled policy is compared by identity: an updated trust policy is another document, another object
        if (a.policy === input.trustPolicy && a.providerArn === input.providerArn && a.audience === input.audience && a.roleArn === input.roleArn && a.roleSessionName === input.roleSessionName) {
          this.hits++;
          return a.result;
        }
      }
    }
    const result = evaluateWebIdentityTrust(input);
    if (result.allowed) {
      const allow: Allow = { policy: input.trustPolicy, providerArn: input.providerArn, audience: input.audience, roleArn: input.roleArn, roleSessionName: input.roleSessionName, result };
      if (same !== undefined && same.length < 16) same.push(allow);
      else {
        if (this.allows.size >= this.maxEntries) this.allows.clear();
        this.allows.set(claims, [allow]);
      }
    }
    return result;
  }
}

/** A memoized allow and the inputs it was made for (besides the claims and the second). */
interface Allow {
  policy: CompiledPolicy;
  providerArn: string;
  audience: string | undefined;
  roleArn: string | undefined;
  roleSessionName: string | undefined;
  result: WebIdentityTrustResult;
}
