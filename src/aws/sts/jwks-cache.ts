/**
 * The issuer keys STS verifies web-identity tokens with: discovery document → `jwks_uri` → JWKS, fetched through an
 * injected {@link IdpFetcher}, cached per provider by the responses' `max-age`, re-fetched once when a token names an
 * unknown `kid`. Concurrent requests share one fetch. Keys are imported once per fetch.
 * @module
 */
import { createPublicKey, type KeyObject } from 'node:crypto';

/** What one HTTPS GET to an identity provider gave. */
export type IdpFetchResult =
  | { kind: 'response'; status: number; cacheControl: string | undefined; body: string }
  /** Connection refused, DNS failure, timeout: `IDPCommunicationError`. */
  | { kind: 'unreachable'; detail: string }
  /** The certificate chain was neither trusted nor matched a configured thumbprint. */
  | { kind: 'untrusted'; detail: string };

/** HTTPS GET to an identity provider (the Node adapter is `createIdpFetcher`; tests pass fakes). */
export interface IdpFetcher {
  /** `thumbprints`: the provider's ThumbprintList, accepted when the chain is not trusted (AWS's fallback). */
  get(url: string, options: { thumbprints: readonly string[] }): Promise<IdpFetchResult>;
}

/** A usable verification key of a JWKS. */
export interface IssuerKey {
  kid: string | undefined;
  kty: 'RSA' | 'EC';
  /** EC curve (`P-256`, `P-384`, `P-521`). */
  crv: string | undefined;
  key: KeyObject;
}

/** The keys of one issuer at one moment. */
export interface IssuerKeySet {
  /** By `kid`; for a duplicated `kid` the later JWK wins (as observed on real STS). */
  byKid: ReadonlyMap<string, IssuerKey>;
  /** Every usable signing key, in JWKS order. */
  all: readonly IssuerKey[];
  jwksUri: string;
  fetchedAt: number;
  expiresAt: number;
}

/** Why the keys could not be had: `unreachable` maps to IDPCommunicationError, the rest to InvalidIdentityToken. */
export type KeyFetchFailure = { kind: 'unreachable' | 'untrusted' | 'invalid'; detail: string };

export type KeySetResult = { ok: true; keys: IssuerKeySet } | { ok: false; failure: KeyFetchFailure };

/** The key lookup the token checks need (the cache below, or a fixed JWKS for `--jwks FILE`). */
export interface IssuerKeySource {
  /**
   * The issuer's keys; `refresh` asks for a fresh fetch (unknown `kid`), honoured at most once per `minRefreshMs`.
   * Keys at hand may be returned as they are, without a promise.
   */
  getKeys(issuer: string, provider: { arn: string; thumbprints: readonly string[] }, refresh: boolean): KeySetResult | Promise<KeySetResult>;
}

/** AWS's limit: at most 100 RSA and 100 EC keys; past it, that family's keys are not used (spec 2.4.1). */
const MAX_KEYS_PER_TYPE = 100;
/** Used when a response carries no `max-age`. */
const DEFAULT_TTL_SECONDS = 300;
/** Caching never exceeds a day, whatever the issuer says. */
const MAX_TTL_SECONDS = 86_400;

/**
 * Seconds a response may be cached: its `max-age` (`no-store`/`no-cache` → 0), else the default, capped at a day.
 * @example
 * maxAgeSeconds('public, max-age=3600') // 3600
 */
export function maxAgeSeconds(cacheControl: string | undefined): number {
  if (cacheControl === undefined) return DEFAULT_TTL_SECONDS;
  if (/(^|,)\s*(no-store|no-cache)\s*(,|$)/i.test(cacheControl)) return 0;
  const m = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i.exec(cacheControl);
  if (m === null) return DEFAULT_TTL_SECONDS;
  return Math.min(Number(m[1]), MAX_TTL_SECONDS);
}

function jsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The usable signing keys of a JWKS document: RSA with `n`/`e`, EC with `crv`/`x`/`y`; `use: enc`, any `key_ops`
 * and certificate-only keys are skipped, as real STS skips them (spec 2.4.1).
 * @example
 * parseJwks({ keys: [{ kty: 'RSA', kid: 'a', n, e: 'AQAB' }] }).length // 1
 */
export function parseJwks(doc: Record<string, unknown>): IssuerKey[] {
  const keys = Array.isArray(doc.keys) ? (doc.keys as unknown[]) : [];
  const out: IssuerKey[] = [];
  let rsa = 0;
  let ec = 0;
  for (const raw of keys) {
    if (typeof raw !== 'object' || raw === null) continue;
    const jwk = raw as Record<string, unknown>;
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    if (jwk.key_ops !== undefined) continue;
    const kid = typeof jwk.kid === 'string' ? jwk.kid : undefined;
    let kty: 'RSA' | 'EC';
    let material: Record<string, string>;
    if (jwk.kty === 'RSA' && typeof jwk.n === 'string' && typeof jwk.e === 'string') {
      kty = 'RSA';
      material = { kty: 'RSA', n: jwk.n, e: jwk.e };
      rsa++;
    } else if (jwk.kty === 'EC' && typeof jwk.crv === 'string' && typeof jwk.x === 'string' && typeof jwk.y === 'string') {
      kty = 'EC';
      material = { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y };
      ec++;
    } else continue;
    let key: KeyObject;
    try {
      key = createPublicKey({ key: material, format: 'jwk' });
    } catch {
      continue; // not a key Node can import: unusable, as on AWS
    }
    out.push({ kid, kty, crv: kty === 'EC' ? material.crv : undefined, key });
  }
  return out.filter((k) => (k.kty === 'RSA' ? rsa : ec) <= MAX_KEYS_PER_TYPE);
}

function keySetOf(keys: IssuerKey[], jwksUri: string, now: number, ttlSeconds: number): IssuerKeySet {
  const byKid = new Map<string, IssuerKey>();
  for (const k of keys) if (k.kid !== undefined) byKid.set(k.kid, k);
  return { byKid, all: keys, jwksUri, fetchedAt: now, expiresAt: now + ttlSeconds * 1000 };
}

/** Joins an issuer and `.well-known/openid-configuration` keeping the issuer's path. */
function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

function failureOf(r: IdpFetchResult & { kind: 'unreachable' | 'untrusted' }): KeyFetchFailure {
  return { kind: r.kind, detail: r.detail };
}

/**
 * Fetches an issuer's discovery document and JWKS once (no cache); checks the discovery `issuer` equals `iss`.
 * @example
 * const r = await fetchIssuerKeys('https://oidc.example.com', fetcher, [], Date.now());
 */
export async function fetchIssuerKeys(issuer: string, fetcher: IdpFetcher, thumbprints: readonly string[], now: number): Promise<KeySetResult> {
  const url = discoveryUrl(issuer);
  const d = await fetcher.get(url, { thumbprints });
  if (d.kind !== 'response') return { ok: false, failure: failureOf(d) };
  if (d.status !== 200) return { ok: false, failure: { kind: d.status >= 500 ? 'unreachable' : 'invalid', detail: `GET ${url} answered HTTP ${d.status}` } };
  const discovery = jsonObject(d.body);
  if (discovery === undefined) return { ok: false, failure: { kind: 'invalid', detail: `${url} is not a JSON object` } };
  if (discovery.issuer !== issuer) {
    return { ok: false, failure: { kind: 'invalid', detail: `the discovery document's issuer ${JSON.stringify(discovery.issuer)} is not the token's iss ${JSON.stringify(issuer)}` } };
  }
  const jwksUri = discovery.jwks_uri;
  if (typeof jwksUri !== 'string' || !jwksUri.startsWith('https://')) {
    return { ok: false, failure: { kind: 'invalid', detail: `${url} has no https jwks_uri (got ${JSON.stringify(jwksUri)})` } };
  }
  const j = await fetcher.get(jwksUri, { thumbprints });
  if (j.kind !== 'response') return { ok: false, failure: failureOf(j) };
  if (j.status !== 200) return { ok: false, failure: { kind: j.status >= 500 ? 'unreachable' : 'invalid', detail: `GET ${jwksUri} answered HTTP ${j.status}` } };
  const jwks = jsonObject(j.body);
  if (jwks === undefined) return { ok: false, failure: { kind: 'invalid', detail: `${jwksUri} is not a JSON object` } };
  const keys = parseJwks(jwks);
  if (keys.length === 0) return { ok: false, failure: { kind: 'invalid', detail: `${jwksUri} holds no usable signing key (RSA n/e or EC crv/x/y, not use=enc, no key_ops)` } };
  const ttl = Math.min(maxAgeSeconds(d.cacheControl), maxAgeSeconds(j.cacheControl));
  return { ok: true, keys: keySetOf(keys, jwksUri, now, ttl) };
}

/**
 * A fixed key set (from `--jwks FILE`): never fetched, never expires.
 * @example
 * const source = staticKeySource(JSON.parse(readFileSync('keys.json', 'utf8')));
 */
export function staticKeySource(jwks: Record<string, unknown>, jwksUri = 'file'): IssuerKeySource {
  const keys = parseJwks(jwks);
  const result: KeySetResult =
    keys.length === 0
      ? { ok: false, failure: { kind: 'invalid', detail: `${jwksUri} holds no usable signing key` } }
      : { ok: true, keys: keySetOf(keys, jwksUri, 0, Number.POSITIVE_INFINITY) };
  return { getKeys: () => Promise.resolve(result) };
}

/** Options of {@link JwksCache}. */
export interface JwksCacheOptions {
  fetcher: IdpFetcher;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** A forced re-fetch (unknown `kid`) happens at most once per this many ms per provider; default 1000. */
  minRefreshMs?: number;
  /** Providers kept; least recently fetched dropped first. Default 1000. */
  maxEntries?: number;
}

interface CacheEntry {
  /** The cached keys, as the result handed out. */
  keys: (KeySetResult & { ok: true }) | undefined;
  inflight: Promise<KeySetResult> | undefined;
  lastFetch: number;
}

/**
 * Caches key sets per provider ARN and issuer (thumbprints are per provider, so one provider's trust never serves
 * another's). Failures are not cached.
 * @example
 * const cache = new JwksCache({ fetcher: createIdpFetcher({ ca }), now: Date.now });
 * const r = await cache.getKeys(iss, provider, false);
 */
export class JwksCache implements IssuerKeySource {
  private readonly fetcher: IdpFetcher;
  private readonly now: () => number;
  private readonly minRefreshMs: number;
  private readonly maxEntries: number;
  private readonly entries = new Map<string, CacheEntry>();
  /** Fetches started (discovery + JWKS count as one); for tests and metrics. */
  fetches = 0;

  constructor(options: JwksCacheOptions) {
    this.fetcher = options.fetcher;
    this.now = options.now;
    this.minRefreshMs = options.minRefreshMs ?? 1000;
    this.maxEntries = options.maxEntries ?? 1000;
  }

  getKeys(issuer: string, provider: { arn: string; thumbprints: readonly string[] }, refresh: boolean): KeySetResult | Promise<KeySetResult> {
    const cacheKey = `${provider.arn} ${issuer}`;
    let entry = this.entries.get(cacheKey);
    if (entry === undefined) {
      entry = { keys: undefined, inflight: undefined, lastFetch: Number.NEGATIVE_INFINITY };
      this.entries.set(cacheKey, entry);
      if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    }
    const now = this.now();
    const fresh = entry.keys !== undefined && now < entry.keys.keys.expiresAt;
    const refreshAllowed = now - entry.lastFetch >= this.minRefreshMs;
    if (fresh && (!refresh || !refreshAllowed)) return entry.keys!;
    if (entry.inflight !== undefined) return entry.inflight;
    const e = entry;
    e.lastFetch = now;
    this.fetches++;
    e.inflight = fetchIssuerKeys(issuer, this.fetcher, provider.thumbprints, now).then((r) => {
      e.inflight = undefined;
      if (r.ok) e.keys = r;
      return r;
    });
    return e.inflight;
  }

  /** Drops every cached key set. */
  clear(): void {
    this.entries.clear();
  }
}
