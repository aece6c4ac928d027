/**
 * A short-lived memo of trust-policy allows for `AssumeRoleWithWebIdentity`: an SDK re-sends the same token for the
 * same role until it refreshes it, and the evaluation is a pure function of the compiled trust policy and the
 * request context STS builds. That context depends on the token's claims (so on the token's bytes), the provider,
 * the accepted audience, the role, the session name and the current second (`aws:CurrentTime`, `aws:EpochTime`);
 * the memo is keyed by exactly those and forgotten every second, like the IAM allow cache of `authorize.ts`.
 * Only allows are kept: a refusal is evaluated (and traced) in full every time.
 * @module
 */
import type { CompiledPolicy } from '../../policy/index.js';
import { evaluateWebIdentityTrust, type WebIdentityTrustInput, type WebIdentityTrustResult } from './web-identity-trust.js';

/** Inputs of {@link WebIdentityTrustCache.evaluate}: STS's, with the clock required. */
export interface CachedTrustInput extends WebIdentityTrustInput {
  now: Date;
  /** The token `claims` were decoded from: identical tokens have identical claims. */
  token: string;
}

/**
 * Evaluates web-identity trust through a per-second memo of allows.
 * @example
 * const cache = new WebIdentityTrustCache();
 * const trust = cache.evaluate({ trustPolicy, providerArn, claims, audience, roleArn, roleSessionName, now, traceAllows: false, token });
 */
export class WebIdentityTrustCache {
  private readonly allows = new Map<string, { policy: CompiledPolicy; result: WebIdentityTrustResult }>();
  private second = Number.NaN;
  /** Evaluations answered from the memo (tests, metrics). */
  hits = 0;

  constructor(readonly maxEntries = 1000) {}

  evaluate(input: CachedTrustInput): WebIdentityTrustResult {
    const { token, ...trustInput } = input;
    // `traceAllows` changes what an allow carries: only STS's setting (false) is memoized
    if (input.traceAllows !== false) return evaluateWebIdentityTrust(trustInput);
    const second = Math.floor(input.now.getTime() / 1000);
    if (second !== this.second) {
      this.allows.clear();
      this.second = second;
    }
    const key = `${input.providerArn}\u0000${part(input.audience)}\u0000${part(input.roleArn)}\u0000${part(input.roleSessionName)}\u0000${token}`;
    const hit = this.allows.get(key);
    // the compiled policy is compared by identity: an updated trust policy is another document, another object
    if (hit !== undefined && hit.policy === input.trustPolicy) {
      this.hits++;
      return hit.result;
    }
    const result = evaluateWebIdentityTrust(trustInput);
    if (result.allowed) {
      if (this.allows.size >= this.maxEntries) this.allows.clear();
      this.allows.set(key, { policy: input.trustPolicy, result });
    }
    return result;
  }
}

/** A key part; an absent value differs from every string (control characters never occur in these inputs). */
function part(value: string | undefined): string {
  return value ?? '\u0001';
}
