/**
 * JWKS entries as kube-apiserver renders them through go-jose: members in go-jose's order, `use: "sig"`, Kubernetes' kid.
 * @module
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { keyIdFromPublicKey } from './kid.js';
import { signingAlgorithm, type SigningAlgorithm } from './keys.js';

/** An RSA verification key, members in the order kube-apiserver serves them. */
export interface RsaServiceAccountJwk {
  use: 'sig';
  kty: 'RSA';
  kid: string;
  alg: 'RS256';
  n: string;
  e: string;
}

/** An EC verification key, members in the order kube-apiserver serves them. */
export interface EcServiceAccountJwk {
  use: 'sig';
  kty: 'EC';
  kid: string;
  crv: 'P-256' | 'P-384' | 'P-521';
  alg: 'ES256' | 'ES384' | 'ES512';
  x: string;
  y: string;
}

export type ServiceAccountJwk = RsaServiceAccountJwk | EcServiceAccountJwk;

export interface ServiceAccountJwks {
  keys: ServiceAccountJwk[];
}

/**
 * The JWK kube-apiserver publishes for a verification key (a private key is reduced to its public half).
 * @example
 * publicKeyToJwk(publicKey) // { use: 'sig', kty: 'RSA', kid: '…', alg: 'RS256', n: '…', e: 'AQAB' }
 */
export function publicKeyToJwk(key: KeyObject): ServiceAccountJwk {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const alg: SigningAlgorithm = signingAlgorithm(publicKey);
  const jwk = publicKey.export({ format: 'jwk' });
  const kid = keyIdFromPublicKey(publicKey);
  if (alg === 'RS256') return { use: 'sig', kty: 'RSA', kid, alg, n: jwk.n!, e: jwk.e! };
  return { use: 'sig', kty: 'EC', kid, crv: jwk.crv as EcServiceAccountJwk['crv'], alg, x: jwk.x!, y: jwk.y! };
}

/**
 * The key set for several verification keys, in the given order, without duplicates (same kid).
 * @example
 * const jwks = buildJwks([oldPublicKey, newPublicKey]);
 */
export function buildJwks(keys: readonly KeyObject[]): ServiceAccountJwks {
  const seen = new Set<string>();
  const out: ServiceAccountJwk[] = [];
  for (const key of keys) {
    const jwk = publicKeyToJwk(key);
    if (seen.has(jwk.kid)) continue;
    seen.add(jwk.kid);
    out.push(jwk);
  }
  return { keys: out };
}

/**
 * The JWKS body exactly as kube-apiserver serves it: compact JSON, go-jose member order.
 * @example
 * writeFileSync('keys.json', serializeJwks(buildJwks([publicKey])));
 */
export function serializeJwks(jwks: ServiceAccountJwks): string {
  return JSON.stringify({ keys: jwks.keys });
}
