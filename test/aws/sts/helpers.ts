/**
 * Helpers of the STS tests: a signing issuer with its published documents served by a fake fetcher, tokens signed
 * as kube-apiserver signs them or crafted by hand (alg none, HS256 with the public key, tampered payloads).
 * @module
 */
import { createHmac, sign as nodeSign, type KeyObject } from 'node:crypto';
import {
  buildIssuerDocuments,
  createSigningKey,
  exportPublicKeyPem,
  generateSigningKeyPair,
  mintServiceAccountToken,
  type SigningKey,
  type SigningKeyType,
} from '../../../src/oidc/index.js';
import type { IdpFetcher, IdpFetchResult } from '../../../src/aws/sts/jwks-cache.js';
import type { WebIdentityProvider, WebIdentityProviderLookup } from '../../../src/aws/sts/web-identity-token.js';
import { formatOidcProviderArn } from '../../../src/lib/aws-arn.js';

export const ACCOUNT = '111122223333';
export const ISSUER = 'https://oidc.irsa.local';
export const PROVIDER_ARN = formatOidcProviderArn(ACCOUNT, ISSUER);
/** 2026-01-01T00:00:00Z */
export const NOW = 1_767_225_600;

/** An IRSA trust policy: the provider may assume the role for this ServiceAccount subject with the STS audience. */
export function trustPolicy(providerArn = PROVIDER_ARN, sub = 'system:serviceaccount:default:app', extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: providerArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { 'oidc.irsa.local:sub': sub, 'oidc.irsa.local:aud': 'sts.amazonaws.com' } },
        ...extra,
      },
    ],
  });
}

export function newSigningKey(type: SigningKeyType = 'rsa'): SigningKey {
  return createSigningKey(generateSigningKeyPair({ type }).privateKey);
}

/** An issuer whose discovery document and JWKS a fake fetcher serves; `down` makes every fetch fail. */
export class FakeIssuer implements IdpFetcher {
  keys: SigningKey[];
  issuer: string;
  down = false;
  status = 200;
  cacheControl: string | undefined = 'public, max-age=3600';
  requests: string[] = [];

  /** The issuer the documents name (another one to test the discovery check). */
  documentIssuer: string;

  constructor(keys: SigningKey[], issuer = ISSUER, documentIssuer = issuer) {
    this.keys = keys;
    this.issuer = issuer;
    this.documentIssuer = documentIssuer;
  }

  get(url: string): Promise<IdpFetchResult> {
    this.requests.push(url);
    if (this.down) return Promise.resolve({ kind: 'unreachable', detail: `connect ECONNREFUSED for ${url}` });
    const docs = buildIssuerDocuments({ issuer: this.documentIssuer, publicKeys: this.keys.map((k) => k.publicKey) });
    const file = docs.files.find((f) => url === `${this.issuer.replace(/\/+$/, '')}/${f.path}`);
    if (file === undefined) return Promise.resolve({ kind: 'response', status: 404, cacheControl: undefined, body: 'not found' });
    return Promise.resolve({ kind: 'response', status: this.status, cacheControl: this.cacheControl, body: file.body });
  }
}

/** One provider per account, found by exact host/path. */
export function providerLookup(providers: WebIdentityProvider[], account = ACCOUNT): WebIdentityProviderLookup {
  return {
    findOidcProvider(accountId, hostPath) {
      if (accountId !== account) return undefined;
      return providers.find((p) => p.url === `https://${hostPath}`);
    },
  };
}

export function provider(overrides: Partial<WebIdentityProvider> = {}): WebIdentityProvider {
  return { arn: PROVIDER_ARN, url: ISSUER, clientIds: ['sts.amazonaws.com', 'openshift'], thumbprints: [], ...overrides };
}

/** A projected token as kube-apiserver mints it, at {@link NOW}. */
export async function mintToken(key: SigningKey, o: { issuer?: string; audiences?: string[]; now?: number; expirationSeconds?: number; namespace?: string; sa?: string } = {}): Promise<string> {
  const minted = await mintServiceAccountToken({
    signingKey: key,
    issuer: o.issuer ?? ISSUER,
    namespace: o.namespace ?? 'default',
    serviceAccountName: o.sa ?? 'app',
    audiences: o.audiences ?? ['sts.amazonaws.com'],
    expirationSeconds: o.expirationSeconds ?? 3600,
    now: () => new Date((o.now ?? NOW) * 1000),
  });
  return minted.token;
}

const b64 = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** Standard claims at {@link NOW}, overridable; `undefined` values are dropped. */
export function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    aud: ['sts.amazonaws.com'],
    exp: NOW + 3600,
    iat: NOW,
    iss: ISSUER,
    nbf: NOW,
    sub: 'system:serviceaccount:default:app',
    ...overrides,
  };
  for (const k of Object.keys(base)) if (base[k] === undefined) delete base[k];
  return base;
}

/** Signs arbitrary claims with a key (RS256 or ES*), header `{alg, kid}` unless overridden. */
export function signToken(key: SigningKey, payload: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const h = { alg: key.alg, kid: key.kid, ...header };
  const input = `${b64(h)}.${b64(payload)}`;
  const alg = String(h.alg);
  const hash = `sha${alg.slice(2)}`;
  const sig = alg.startsWith('ES')
    ? nodeSign(hash, Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
    : nodeSign(hash, Buffer.from(input), key.privateKey);
  return `${input}.${sig.toString('base64url')}`;
}

/** `alg: none`, no signature. */
export function unsignedToken(payload: Record<string, unknown>, kid?: string): string {
  return `${b64({ alg: 'none', ...(kid ? { kid } : {}) })}.${b64(payload)}.`;
}

/** The key-confusion attack: HS256 with the issuer's public key PEM as the HMAC secret. */
export function hs256WithPublicKey(publicKey: KeyObject, payload: Record<string, unknown>, kid: string): string {
  const input = `${b64({ alg: 'HS256', kid })}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', exportPublicKeyPem(publicKey)).update(input).digest('base64url')}`;
}

/** The token with its payload replaced, the original signature kept. */
export function tamper(token: string, payload: Record<string, unknown>): string {
  const [h, , s] = token.split('.');
  return `${h}.${b64(payload)}.${s}`;
}
