/**
 * The issuer as STS reaches it: `<iss>/.well-known/openid-configuration`, its `jwks_uri`, the token's `kid` in the
 * key set, and the signature verifying against that key. HTTP goes through an injected `fetchText`.
 * @module
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { compactVerify, importJWK, type JWK } from 'jose';
import { DISCOVERY_PATH, issuerDocumentUrl } from '../../oidc/index.js';
import { fail, ok, skip, type CheckResult } from './check.js';
import type { DecodedToken } from './token.js';

/** What a GET returned. */
export interface TextResponse {
  status: number;
  body: string;
}

/** GETs a URL; rejects on network and TLS errors (with Node's `code`). */
export type FetchText = (url: string) => Promise<TextResponse>;

/** Where to fetch an issuer's documents when that is not the `iss` URL itself (a local issuer behind a name). */
export interface IssuerLocation {
  /** Only for tokens with this `iss`; every token when unset. */
  forIssuer?: string;
  /** Base URL serving the issuer's documents, e.g. `https://127.0.0.1:8441`. */
  url: string;
}

const MAX_BODY = 1024 * 1024;

/**
 * A `FetchText` over Node's http/https with a timeout; `ca` is trusted besides Node's own roots (a local issuer's CA).
 * @example
 * const fetchText = createFetchText({ ca: readFileSync('.irsa/tls/ca.crt'), timeoutMs: 5000 });
 */
export function createFetchText(options: { ca?: string | Buffer; timeoutMs?: number } = {}): FetchText {
  return (url) =>
    new Promise((resolve, reject) => {
      const u = new URL(url);
      const send = u.protocol === 'http:' ? httpRequest : httpsRequest;
      const req = send(u, { method: 'GET', headers: { accept: 'application/json' }, ...(options.ca !== undefined && u.protocol === 'https:' ? { ca: [...rootCertificates, options.ca.toString()] } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) req.destroy(new Error(`response larger than ${MAX_BODY} bytes`));
          else chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(Object.assign(new Error(`no answer within ${options.timeoutMs ?? 10_000} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end();
    });
}

function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code !== undefined && !String(e.message).includes(e.code) ? `${e.code}: ${e.message}` : String(e.message ?? err);
}

/** The base URL documents are fetched from: the location's when it applies to this issuer, else `iss`. */
function issuerBase(iss: string, location: IssuerLocation | undefined): string {
  return location !== undefined && (location.forIssuer === undefined || location.forIssuer === iss) ? location.url : iss;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `issuer.discovery`, `issuer.jwks` and `issuer.signature` for a token whose `iss` is valid. */
export async function checkIssuer(token: DecodedToken, fetchText: FetchText, location?: IssuerLocation): Promise<CheckResult[]> {
  const iss = token.claims.iss as string;
  const base = issuerBase(iss, location);
  const discoveryUrl = issuerDocumentUrl(base, DISCOVERY_PATH);
  const via = base === iss ? '' : ` (fetched from ${discoveryUrl} for ${iss})`;
  const later = (why: string): CheckResult[] => [skip('issuer.jwks', why), skip('issuer.signature', why)];
  const publish = 'publish the discovery document at <issuer>/.well-known/openid-configuration over HTTPS where STS can read it';

  let response: TextResponse;
  try {
    response = await fetchText(discoveryUrl);
  } catch (err) {
    return [fail('issuer.discovery', `${discoveryUrl}: ${describeError(err)} (STS: Couldn't retrieve verification key from your identity provider)`, publish), ...later('the discovery document could not be read')];
  }
  if (response.status !== 200) {
    return [fail('issuer.discovery', `${discoveryUrl}: HTTP ${response.status}`, publish), ...later('the discovery document could not be read')];
  }
  const doc = parseJson(response.body);
  if (!isRecord(doc)) return [fail('issuer.discovery', `${discoveryUrl}: not a JSON object`, publish), ...later('the discovery document is not JSON')];
  if (doc.issuer !== iss) {
    return [fail('issuer.discovery', `${discoveryUrl}: issuer is ${JSON.stringify(doc.issuer)}, the token's iss is ${JSON.stringify(iss)}${via}`, 'the document\'s issuer must equal the token\'s iss byte for byte (scheme, host, path, trailing slash)'), ...later('the discovery document names another issuer')];
  }
  const jwksUri = doc.jwks_uri;
  if (typeof jwksUri !== 'string' || !/^https:\/\//.test(jwksUri)) {
    return [fail('issuer.discovery', `${discoveryUrl}: jwks_uri ${JSON.stringify(jwksUri)} is not an https URL`, 'set jwks_uri to the https URL of the JWKS'), ...later('the discovery document has no usable jwks_uri')];
  }
  const results: CheckResult[] = [ok('issuer.discovery', `${discoveryUrl}: issuer matches, jwks_uri ${jwksUri}`)];

  // A local location serves the JWKS under the same base: rewrite the issuer's prefix of jwks_uri onto it.
  const issPrefix = iss.replace(/\/+$/, '');
  const fetchUrl = base !== iss && jwksUri.startsWith(`${issPrefix}/`) ? `${base.replace(/\/+$/, '')}${jwksUri.slice(issPrefix.length)}` : jwksUri;
  let jwksResponse: TextResponse;
  try {
    jwksResponse = await fetchText(fetchUrl);
  } catch (err) {
    return [...results, fail('issuer.jwks', `${fetchUrl}: ${describeError(err)} (STS: Couldn't retrieve verification key from your identity provider)`, 'serve the JWKS at jwks_uri over HTTPS'), skip('issuer.signature', 'the JWKS could not be read')];
  }
  const jwks = jwksResponse.status === 200 ? parseJson(jwksResponse.body) : undefined;
  if (!isRecord(jwks) || !Array.isArray(jwks.keys)) {
    const what = jwksResponse.status === 200 ? 'not a JWKS ({"keys": [...]})' : `HTTP ${jwksResponse.status}`;
    return [...results, fail('issuer.jwks', `${fetchUrl}: ${what}`, 'serve the JWKS ({"keys": [...]}) at jwks_uri'), skip('issuer.signature', 'the JWKS could not be read')];
  }
  const keys = jwks.keys.filter(isRecord);
  const kid = token.header.kid;
  const candidates = typeof kid === 'string' ? keys.filter((k) => k.kid === kid) : keys.length === 1 ? keys : [];
  if (candidates.length === 0) {
    const kids = keys.map((k) => String(k.kid)).join(', ') || 'none';
    return [
      ...results,
      fail('issuer.jwks', `${fetchUrl}: no key with kid ${String(kid)} (kids: ${kids}); STS: Couldn't retrieve verification key from your identity provider`, 'publish the public half of the key that signs the tokens in the JWKS (keep the old key during rotation)'),
      skip('issuer.signature', 'no key to verify with'),
    ];
  }
  const key = candidates[candidates.length - 1]!; // duplicate kids: the later key wins, as observed on STS
  results.push(ok('issuer.jwks', `${fetchUrl}: ${keys.length} key(s), kid ${String(kid)} present (${String(key.kty)})`));
  try {
    const alg = token.header.alg!;
    await compactVerify(token.text, await importJWK(key as JWK, alg));
    results.push(ok('issuer.signature', `signature verifies against kid ${String(kid)}`));
  } catch (err) {
    results.push(fail('issuer.signature', `signature does not verify against the published key kid ${String(kid)} (${(err as Error).message})`, 'the token was signed by another private key than the one published under this kid: publish the signing key\'s public half'));
  }
  return results;
}
