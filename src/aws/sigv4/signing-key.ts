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

/**
 * A bounded cache of derived keys, oldest secret evicted first. Looked up by the secret, then by the scope
 * (`date/region/service/aws4_request`): both are strings a request hands over again and again (the credential's
 * secret, the parsed scope), so no key string is built per request.
 */
export class SigningKeyCache {
  private readonly bySecret = new Map<string, Map<string, Buffer>>();
  constructor(private readonly maxEntries = 1024) {}

  get(secret: string, date: string, region: string, service: string, scope = `${date}/${region}/${service}/${SIGV4_TERMINATOR}`): Buffer {
    let scopes = this.bySecret.get(secret);
    if (scopes === undefined) {
      if (this.bySecret.size >= this.maxEntries) this.bySecret.delete(this.bySecret.keys().next().value!);
      scopes = new Map();
      this.bySecret.set(secret, scopes);
    }
    let key = scopes.get(scope);
    if (key === undefined) {
      key = deriveSigningKey(secret, date, region, service);
      // a secret's keys: one per day, region and service it signs for; a new day's keys replace old ones
      if (scopes.size >= 16) scopes.clear();
      scopes.set(scope, key);
    }
    return key;
  }
}
