/**
 * SigV4 signing keys: the HMAC-SHA256 chain `AWS4`+secret → date → region → service → `aws4_request`, kept in a
 * bounded cache (a key is valid for one day, scope and secret; clients reuse them for thousands of requests).
 * @module
 */
import { createHmac } from 'node:crypto';
import { SIGV4_TERMINATOR } from '../protocol/constants.js';

/** HMAC-SHA256. */
export function hmac(key: Uint8Array | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** Hex HMAC-SHA256 (digested to hex directly: no intermediate Buffer). */
export function hmacHex(key: Uint8Array, data: string): string {
  return createHmac('sha256', key).update(data, 'utf8').digest('hex');
}

/**
 * Derives the signing key of a scope.
 * @example
 * deriveSigningKey(secret, '20150830', 'us-east-1', 'iam')
 */
export function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), SIGV4_TERMINATOR);
}

/** A bounded cache of derived keys, oldest evicted first. */
export class SigningKeyCache {
  private readonly keys = new Map<string, Buffer>();
  constructor(private readonly maxEntries = 1024) {}

  get(secret: string, date: string, region: string, service: string): Buffer {
    const id = `${secret}\n${date}\n${region}\n${service}`;
    let key = this.keys.get(id);
    if (key === undefined) {
      key = deriveSigningKey(secret, date, region, service);
      if (this.keys.size >= this.maxEntries) this.keys.delete(this.keys.keys().next().value!);
      this.keys.set(id, key);
    }
    return key;
  }
}
