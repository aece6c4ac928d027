/**
 * Verifying a service-account token against an issuer's JWKS (what STS and kube-apiserver check first).
 * @module
 */
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import type { ServiceAccountJwks } from './jwks.js';
import type { ServiceAccountTokenClaims } from './token.js';

export interface VerifyServiceAccountTokenOptions {
  issuer: string;
  /** One of these must be in `aud`. */
  audiences?: readonly string[];
  /** Default `() => new Date()`. */
  now?: () => Date;
  /** Leeway in seconds, default 60 (go-jose's). */
  clockToleranceSeconds?: number;
}

/**
 * Verifies signature (key chosen by `kid`), `iss`, `aud`, `exp`, `nbf`; returns the claims. Throws jose's errors.
 * @example
 * const claims = await verifyServiceAccountToken(token, jwks, { issuer, audiences: ['sts.amazonaws.com'] });
 */
export async function verifyServiceAccountToken(token: string, jwks: ServiceAccountJwks, options: VerifyServiceAccountTokenOptions): Promise<ServiceAccountTokenClaims> {
  const keySet = createLocalJWKSet(jwks as unknown as JSONWebKeySet);
  const now = options.now ?? (() => new Date());
  const { payload } = await jwtVerify(token, keySet, {
    issuer: options.issuer,
    ...(options.audiences ? { audience: [...options.audiences] } : {}),
    currentDate: now(),
    clockTolerance: options.clockToleranceSeconds ?? 60,
    algorithms: ['RS256', 'ES256', 'ES384', 'ES512'],
  });
  return payload as unknown as ServiceAccountTokenClaims;
}
