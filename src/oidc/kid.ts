/**
 * The `kid` Kubernetes, ccoctl, rosa and azwi all compute: unpadded base64url of SHA-256 over the DER SubjectPublicKeyInfo.
 * @module
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

/**
 * Key ID of a public (or private, reduced to its public half) key exactly as kube-apiserver derives it.
 * @example
 * const kid = keyIdFromPublicKey(createPublicKey(pem)); // 43 characters, e.g. 'yG3m…'
 */
export function keyIdFromPublicKey(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64url');
}
