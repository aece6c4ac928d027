/**
 * The OIDC discovery document and the set of files an issuer publishes, in the ccoctl/S3 or the kube-apiserver layout.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import { CONTENT_TYPE_JSON, CONTENT_TYPE_JWK_SET, DISCOVERY_PATH, KUBERNETES_JWKS_PATH, S3_JWKS_PATH } from './constants.js';
import { OidcError } from './errors.js';
import { issuerDocumentUrl, validateIssuerUrl } from './issuer.js';
import { buildJwks, serializeJwks, type ServiceAccountJwks } from './jwks.js';

/** `s3`: ccoctl / rosa bucket layout (`keys.json`); `kubernetes`: kube-apiserver's (`openid/v1/jwks`). */
export type IssuerLayout = 's3' | 'kubernetes';

/** The discovery document, members in kube-apiserver's order. */
export interface OpenIdConfiguration {
  issuer: string;
  jwks_uri: string;
  response_types_supported: ['id_token'];
  subject_types_supported: ['public'];
  id_token_signing_alg_values_supported: string[];
}

/** One file of a published issuer: its path relative to the issuer URL, its bytes and content type. */
export interface IssuerFile {
  path: string;
  body: string;
  contentType: string;
}

/** What an issuer publishes. */
export interface IssuerDocuments {
  issuer: string;
  layout: IssuerLayout;
  discovery: OpenIdConfiguration;
  jwks: ServiceAccountJwks;
  /** Discovery document first, then the JWKS. */
  files: IssuerFile[];
}

/**
 * JWKS path relative to the issuer for a layout.
 * @example
 * jwksPath('kubernetes') // 'openid/v1/jwks'
 */
export function jwksPath(layout: IssuerLayout): string {
  return layout === 'kubernetes' ? KUBERNETES_JWKS_PATH : S3_JWKS_PATH;
}

/**
 * Content type of the JWKS at a path relative to the issuer: kube-apiserver's `application/jwk-set+json` at
 * `openid/v1/jwks`, plain JSON elsewhere (the S3 layout's `keys.json`).
 * @example
 * jwksContentType('keys.json') // 'application/json'
 */
export function jwksContentType(path: string): string {
  return path === KUBERNETES_JWKS_PATH ? CONTENT_TYPE_JWK_SET : CONTENT_TYPE_JSON;
}

/**
 * The discovery document kube-apiserver would serve: fixed member order, algorithms sorted and de-duplicated.
 * @example
 * buildDiscoveryDocument({ issuer: 'https://h', jwksUri: 'https://h/keys.json', algorithms: ['RS256'] })
 */
export function buildDiscoveryDocument(input: { issuer: string; jwksUri: string; algorithms: readonly string[] }): OpenIdConfiguration {
  return {
    issuer: input.issuer,
    jwks_uri: input.jwksUri,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...new Set(input.algorithms)].sort(),
  };
}

/** `apiserver`: kube-apiserver's compact documents (default); `ccoctl`: ccoctl's indented files, byte for byte. */
export type IssuerDocumentStyle = 'apiserver' | 'ccoctl';

export interface BuildIssuerDocumentsOptions {
  issuer: string;
  publicKeys: readonly KeyObject[];
  /** Default `s3`. */
  layout?: IssuerLayout;
  /** Default `apiserver`. */
  style?: IssuerDocumentStyle;
}

/**
 * ccoctl's discovery document (its template verbatim: tab then 4-space indentation, RS256 only, and a
 * `claims_supported` list with `sub` twice).
 */
function ccoctlDiscovery(issuer: string, jwksUri: string): string {
  const list = (items: string[]): string => `[\n${items.map((i) => `        "${i}"`).join(',\n')}\n    ]`;
  return `{\n\t"issuer": "${issuer}",\n\t"jwks_uri": "${jwksUri}",\n` +
    `    "response_types_supported": ${list(['id_token'])},\n` +
    `    "subject_types_supported": ${list(['public'])},\n` +
    `    "id_token_signing_alg_values_supported": ${list(['RS256'])},\n` +
    `    "claims_supported": ${list(['aud', 'exp', 'sub', 'iat', 'iss', 'sub'])}\n}`;
}

/**
 * Builds the discovery document and JWKS for an issuer and its verification keys (several during rotation).
 * Validates the issuer as IAM requires.
 * @example
 * const docs = buildIssuerDocuments({ issuer: 'https://oidc.example.com', publicKeys: [publicKey] });
 * for (const f of docs.files) writeFileSync(join(out, f.path), f.body);
 */
export function buildIssuerDocuments(options: BuildIssuerDocumentsOptions): IssuerDocuments {
  const layout = options.layout ?? 's3';
  const { issuer } = validateIssuerUrl(options.issuer);
  if (options.publicKeys.length === 0) {
    throw new OidcError('ERR_OIDC_INVALID_KEY', 'publicKeys: none given; pass at least one public key', { field: 'publicKeys' });
  }
  const jwks = buildJwks(options.publicKeys);
  const path = jwksPath(layout);
  const discovery = buildDiscoveryDocument({ issuer, jwksUri: issuerDocumentUrl(issuer, path), algorithms: jwks.keys.map((k) => k.alg) });
  const ccoctl = options.style === 'ccoctl';
  if (ccoctl && jwks.keys.some((k) => k.kty !== 'RSA')) {
    throw new OidcError('ERR_OIDC_UNSUPPORTED_KEY', 'the ccoctl format publishes RSA keys only (ccoctl: "Public key is not of type RSA"); drop the EC keys or use the apiserver format');
  }
  return {
    issuer,
    layout,
    discovery,
    jwks,
    files: [
      { path: DISCOVERY_PATH, body: ccoctl ? ccoctlDiscovery(issuer, discovery.jwks_uri) : JSON.stringify(discovery), contentType: CONTENT_TYPE_JSON },
      { path, body: ccoctl ? JSON.stringify({ keys: jwks.keys }, null, 4) : serializeJwks(jwks), contentType: jwksContentType(path) },
    ],
  };
}
