/**
 * Issuer URL validation: what IAM's CreateOpenIDConnectProvider and kube-apiserver's discovery endpoints accept.
 * @module
 */
import { OidcError } from './errors.js';

/** A validated issuer. */
export interface ValidatedIssuer {
  /** The issuer exactly as given (the `iss` of every token; a trailing slash is significant). */
  issuer: string;
  host: string;
  /** Path without trailing slash, '' for none. */
  path: string;
  /** The issuer without `https://` and without a trailing slash: the form IAM uses in condition keys and provider ARNs. */
  hostPath: string;
}

/** IAM's limit on an OIDC provider URL. */
const MAX_ISSUER_LENGTH = 255;

/**
 * Checks an issuer URL as IAM requires it (https, a host, no port, no query, no fragment, no user info) and splits it.
 * Throws {@link OidcError} `ERR_OIDC_INVALID_ISSUER` carrying `field` (default `issuer`), its message starting with
 * the field and naming the fix.
 * @example
 * validateIssuerUrl('https://oidc.example.com/cluster-1').hostPath // 'oidc.example.com/cluster-1'
 */
export function validateIssuerUrl(issuer: string, field = 'issuer'): ValidatedIssuer {
  const fail = (why: string): never => {
    throw new OidcError('ERR_OIDC_INVALID_ISSUER', `${field} ${JSON.stringify(issuer)}: ${why}`, { field });
  };
  if (issuer === '') fail('is empty; pass the issuer URL, e.g. https://oidc.example.com');
  if (issuer.length > MAX_ISSUER_LENGTH) fail(`is ${issuer.length} characters long; IAM accepts at most ${MAX_ISSUER_LENGTH}`);
  if (!/^https:\/\//i.test(issuer)) fail('must start with https:// (IAM and STS accept only https issuers)');
  if (/\s/.test(issuer)) fail('contains white space; remove it');
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return fail('is not a valid URL; use https://HOST[/PATH]');
  }
  const authority = issuer.slice('https://'.length).split(/[/?#]/, 1)[0] ?? '';
  if (authority.includes('@')) fail('must not contain user info (user@); use https://HOST[/PATH]');
  if (url.hostname === '') fail('has no host; use https://HOST[/PATH]');
  if (/:\d*$/.test(authority) || url.port !== '') fail('must not contain a port (IAM rejects issuer URLs with a port); serve it on 443');
  if (issuer.includes('?')) fail('must not contain a query (?...); remove it');
  if (issuer.includes('#')) fail('must not contain a fragment (#...); remove it');
  const rawPath = issuer.slice('https://'.length + authority.length);
  const path = rawPath.replace(/\/+$/, '');
  return { issuer, host: url.hostname, path, hostPath: `${url.hostname}${path}` };
}

/**
 * Joins an issuer and a relative document path the way relying parties resolve it (issuer path preserved).
 * @example
 * issuerDocumentUrl('https://h/c1/', 'keys.json') // 'https://h/c1/keys.json'
 */
export function issuerDocumentUrl(issuer: string, relativePath: string): string {
  return `${issuer.replace(/\/+$/, '')}/${relativePath}`;
}
