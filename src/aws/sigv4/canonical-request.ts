/**
 * The SigV4 canonical request rebuilt from the request as received: the raw path and query (never a parsed and
 * re-serialized URL), the signed headers' values as sent, and the payload hash. Two path rules: S3 signs the path
 * as the client encoded it (one encoding, no normalization); every other service normalizes the path and encodes
 * it again (spec 7.7 step 6).
 * @module
 */
import { hash } from 'node:crypto';

const UNRESERVED = /[A-Za-z0-9\-_.~]/;
/** White space that `replace(/\s+/g, ' ')` would change: a run of two or more, or one that is not a space. */
const NEEDS_COLLAPSE = /\s\s|[^\S ]/;

/**
 * RFC 3986 percent-encoding as SigV4 uses it (unreserved kept, space `%20`, UTF-8 bytes upper-case hex).
 * @example
 * uriEncode('a b/c', false) // 'a%20b/c'
 */
export function uriEncode(text: string, encodeSlash: boolean): string {
  let out = '';
  for (const ch of text) {
    if (UNRESERVED.test(ch) || (ch === '/' && !encodeSlash)) {
      out += ch;
      continue;
    }
    for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Percent-decodes; a malformed escape is kept as written (the client signed those bytes). */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Removes `.` and `..` segments and collapses repeated slashes, keeping a trailing slash (RFC 3986 5.2.4). */
function normalizePath(path: string): string {
  const trailing = path.length > 1 && path.endsWith('/');
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  const joined = `/${out.join('/')}`;
  return trailing && joined !== '/' ? `${joined}/` : joined;
}

/** A path that percent-decoding and RFC 3986 encoding give back unchanged. */
const PLAIN_PATH = /^[A-Za-z0-9\-._~/]*$/;

/**
 * Canonical URI candidates for a raw request path. S3: the path re-encoded once from its decoded form (clients
 * differ in which reserved characters they escape), then the path exactly as sent. Others: normalized, then
 * encoded again over the client's own encoding (botocore, smithy and the test suite do the same).
 */
export function canonicalUris(rawPath: string, s3: boolean): string[] {
  const path = rawPath === '' ? '/' : rawPath;
  // only unreserved characters and slashes: S3 re-encodes to the same text (the common case, `/` and `/bucket/key`)
  if (s3 && PLAIN_PATH.test(path)) return [path];
  if (s3) {
    const reencoded = path
      .split('/')
      .map((seg) => uriEncode(safeDecode(seg), true))
      .join('/');
    return reencoded === path ? [path] : [reencoded, path];
  }
  return [uriEncode(normalizePath(path), false)];
}

/**
 * The canonical query string: every parameter but `X-Amz-Signature`, names and values decoded then encoded by
 * RFC 3986, sorted by name then value, `name=` for a parameter without a value.
 * @example
 * canonicalQuery('b=2&a=1&a') // 'a=&a=1&b=2'
 */
export function canonicalQuery(rawQuery: string): string {
  if (rawQuery === '') return '';
  const pairs: Array<[string, string]> = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = uriEncode(safeDecode(eq < 0 ? part : part.slice(0, eq)), true);
    if (name === 'X-Amz-Signature') continue;
    pairs.push([name, eq < 0 ? '' : uriEncode(safeDecode(part.slice(eq + 1)), true)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/**
 * `name:value\n` for each signed header (sorted, lower-case); a repeated header's values joined with `,`; each value
 * trimmed with inner runs of white space collapsed (obs-fold line breaks included).
 */
export function canonicalHeaders(headers: ReadonlyArray<readonly [string, string]>, signedHeaders: readonly string[]): string {
  let out = '';
  for (const name of signedHeaders) {
    let joined: string | undefined;
    for (let i = 0; i < headers.length; i++) {
      // lower-casing a name already in lower case (what clients send) makes no new string
      const sent = headers[i]![0];
      if (sent.length !== name.length || sent.toLowerCase() !== name) continue;
      const trimmed = headers[i]![1].trim();
      // only a run of white space or one that is not a plain space changes (the common value is left as is)
      const value = NEEDS_COLLAPSE.test(trimmed) ? trimmed.replace(/\s+/g, ' ') : trimmed;
      joined = joined === undefined ? value : `${joined},${value}`;
    }
    out += `${name}:${joined ?? ''}\n`;
  }
  return out;
}

/** SHA-256 of nothing: the payload hash of every request without a body. */
export const EMPTY_SHA256 = hash('sha256', '', 'hex');

/** Hex SHA-256 (one call: no hash object per request). */
export function sha256Hex(data: string | Uint8Array): string {
  return data.length === 0 ? EMPTY_SHA256 : hash('sha256', data, 'hex');
}

/** The parts a canonical request is made of. */
export interface CanonicalRequestInput {
  method: string;
  canonicalUri: string;
  rawQuery: string;
  headers: ReadonlyArray<readonly [string, string]>;
  signedHeaders: readonly string[];
  payloadHash: string;
}

/**
 * `METHOD\nURI\nQUERY\nHEADERS\n\nSIGNED\nPAYLOAD` (the empty line comes from the headers block's own final newline).
 * @example
 * buildCanonicalRequest({ method: 'GET', canonicalUri: '/', rawQuery: '', headers, signedHeaders: ['host'], payloadHash })
 */
export function buildCanonicalRequest(input: CanonicalRequestInput): string {
  return [
    input.method.toUpperCase(),
    input.canonicalUri,
    canonicalQuery(input.rawQuery),
    canonicalHeaders(input.headers, input.signedHeaders),
    input.signedHeaders.join(';'),
    input.payloadHash,
  ].join('\n');
}
