/**
 * SigV4 verification of a request as received (spec 7.7): find the signature (Authorization header or presigned
 * query), look up the credential, check the session token and expiry, the time and the scope, rebuild the
 * canonical request and compare signatures in constant time. The result is data: either the authenticated
 * request (with what S3 needs to verify aws-chunked chunk signatures) or an {@link AuthFailure} that each service
 * renders with its own code and status.
 * @module
 */
import { timingSafeEqual } from 'node:crypto';
import { boundedMemo } from '../../lib/bounded-memo.js';
import {
  HEADER_AMZ_DATE,
  HEADER_AUTHORIZATION,
  HEADER_CONTENT_SHA256,
  HEADER_SECURITY_TOKEN,
  MAX_CLOCK_SKEW_MS,
  MAX_PRESIGN_EXPIRES_S,
  QUERY_ALGORITHM,
  QUERY_CREDENTIAL,
  QUERY_DATE,
  QUERY_EXPIRES,
  QUERY_SECURITY_TOKEN,
  QUERY_SIGNATURE,
  QUERY_SIGNED_HEADERS,
  SIGV4_ALGORITHM,
  SIGV4_TERMINATOR,
  UNSIGNED_PAYLOAD,
} from '../protocol/constants.js';
import { buildCanonicalRequest, canonicalUris, sha256Hex } from './canonical-request.js';
import { hmacHex, SigningKeyCache } from './signing-key.js';
import { sessionTokenDigest, type Credential, type CredentialLookup } from '../credentials.js';

/** A request as received, before any parsing of its target. */
export interface SignedRequest {
  method: string;
  /** The path as sent (percent-encoded as the client encoded it). */
  rawPath: string;
  /** The query string as sent, without `?`. */
  rawQuery: string;
  /** Header name/value pairs as received (`rawHeaders`), repeated headers kept. */
  headers: ReadonlyArray<readonly [string, string]>;
  body: Uint8Array;
}

/** The signature's parts, from the Authorization header or the presigned query. */
export interface SignatureInput {
  location: 'header' | 'query';
  accessKeyId: string;
  /** `yyyymmdd` of the scope. */
  scopeDate: string;
  region: string;
  service: string;
  /** `yyyymmdd/region/service/aws4_request`. */
  scope: string;
  signedHeaders: readonly string[];
  signature: string;
  /** `X-Amz-Date` (or the `Date` header, converted). */
  amzDate: string;
  /** Presigned URL lifetime in seconds. */
  expires: number | null;
  securityToken: string | null;
}

/** Why authentication failed; each service maps it to its own wire error (spec 1.5, 7.6). */
export type AuthFailureReason =
  | 'missing'
  | 'incomplete'
  | 'unsupported-algorithm'
  | 'unknown-key'
  | 'inactive-key'
  | 'token-missing'
  | 'token-invalid'
  | 'token-expired'
  | 'skewed'
  | 'presign-expired'
  | 'wrong-service'
  | 'missing-content-sha256'
  | 'content-sha256-mismatch'
  | 'signature';

/** A failed authentication, with the details AWS's messages and S3's debugging elements show. */
export interface AuthFailure {
  reason: AuthFailureReason;
  /** A human description (the part that is missing, what was expected). */
  detail: string;
  accessKeyId?: string;
  signatureInput?: SignatureInput;
  /** For `skewed`: request time and server time. */
  requestTime?: Date;
  serverTime?: Date;
  /** For `signature`: what we signed, so a client bug can be diagnosed (S3 returns these). */
  canonicalRequest?: string;
  stringToSign?: string;
  /** For `content-sha256-mismatch`. */
  computedContentSha256?: string;
}

/** A verified request. */
export interface Authentication {
  credential: Credential;
  input: SignatureInput;
  /** The derived signing key; with `scope`, `amzDate` and `seedSignature` it verifies aws-chunked chunk signatures. */
  signingKey: Buffer;
  seedSignature: string;
  /** The payload hash the signature covers (hex, `UNSIGNED-PAYLOAD`, `STREAMING-…`). */
  payloadHash: string;
}

export type VerifyResult = { ok: true; auth: Authentication } | { ok: false; failure: AuthFailure };

/** Options of {@link verifyRequest}. */
export interface VerifyOptions {
  now: Date;
  credentials: CredentialLookup;
  /** S3's rules: the path as encoded, `x-amz-content-sha256` required and checked. */
  s3: boolean;
  /** The signing name the endpoint answers to (`iam`, `sts`, `s3`). */
  service: string;
  keyCache: SigningKeyCache;
}

function header(req: SignedRequest, name: string): string | undefined {
  for (const [n, v] of req.headers) if (n.length === name.length && n.toLowerCase() === name) return v;
  return undefined;
}

function queryParam(rawQuery: string, name: string): string | undefined {
  if (rawQuery === '') return undefined;
  for (const part of rawQuery.split('&')) {
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    if (k === name) {
      try {
        return decodeURIComponent(eq < 0 ? '' : part.slice(eq + 1));
      } catch {
        return part.slice(eq + 1);
      }
    }
  }
  return undefined;
}

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** `yyyymmddThhmmssZ` → Date; undefined when malformed. */
export function parseAmzDate(value: string): Date | undefined {
  const time = amzDateTime(value);
  return Number.isNaN(time) ? undefined : new Date(time);
}

/** A busy client's requests share their second: each `X-Amz-Date` text is read once. NaN when malformed. */
const amzDateTime = boundedMemo(256, (value: string): number => {
  const m = AMZ_DATE.exec(value);
  return m === null ? NaN : Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
});

/** Date → `yyyymmddThhmmssZ`. */
export function formatAmzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

function fail(reason: AuthFailureReason, detail: string, extra: Partial<AuthFailure> = {}): { ok: false; failure: AuthFailure } {
  return { ok: false, failure: { reason, detail, ...extra } };
}

/** The credential scope of a client's requests is the same all day: each text parsed once (results are read-only). */
const parseCredential = boundedMemo(1024, parseCredentialText);

/** A client signs the same header list on every request of a kind. */
const signedHeaderList = boundedMemo(1024, (text: string): readonly string[] => text.toLowerCase().split(';'));

function parseCredentialText(value: string): Pick<SignatureInput, 'accessKeyId' | 'scopeDate' | 'region' | 'service' | 'scope'> | string {
  const parts = value.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) {
    return `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${value}'`;
  }
  const [accessKeyId, scopeDate, region, service, term] = parts as [string, string, string, string, string];
  if (term !== SIGV4_TERMINATOR) return `Credential should be scoped with a valid terminator: '${SIGV4_TERMINATOR}', not '${term}'.`;
  if (!/^\d{8}$/.test(scopeDate)) return `Credential should be scoped to a valid date, not '${scopeDate}'.`;
  return { accessKeyId, scopeDate, region, service, scope: `${scopeDate}/${region}/${service}/${term}` };
}

/**
 * Finds the request's signature without checking it: `null` when the request is unsigned, an {@link AuthFailure}
 * when it is signed in a form we cannot read. Routing uses the scope's service.
 * @example
 * const sig = findSignature(req); if (sig !== null && !('reason' in sig)) sig.service // 'iam'
 */
export function findSignature(req: SignedRequest): SignatureInput | AuthFailure | null {
  const authorization = header(req, HEADER_AUTHORIZATION);
  if (authorization !== undefined) return parseAuthorizationHeader(req, authorization.trim());
  const algorithm = queryParam(req.rawQuery, QUERY_ALGORITHM);
  if (algorithm !== undefined || queryParam(req.rawQuery, QUERY_SIGNATURE) !== undefined) return parsePresignedQuery(req, algorithm);
  return null;
}

function parseAuthorizationHeader(req: SignedRequest, value: string): SignatureInput | AuthFailure {
  const space = value.indexOf(' ');
  const algorithm = space < 0 ? value : value.slice(0, space);
  if (algorithm !== SIGV4_ALGORITHM) {
    return { reason: 'unsupported-algorithm', detail: `Unsupported AWS 'algorithm': '${algorithm}'` };
  }
  // `Credential=…, SignedHeaders=…, Signature=…`: a later repeat of a field wins, parts without `=` are ignored
  let credential: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  for (const part of value.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name === 'Credential') credential = part.slice(eq + 1).trim();
    else if (name === 'SignedHeaders') signedHeaders = part.slice(eq + 1).trim();
    else if (name === 'Signature') signature = part.slice(eq + 1).trim();
  }
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    const missing = [credential === undefined ? 'Credential' : '', signedHeaders === undefined ? 'SignedHeaders' : '', signature === undefined ? 'Signature' : ''].filter((m) => m !== '');
    return {
      reason: 'incomplete',
      detail: `Authorization header requires ${missing.map((m) => `'${m}'`).join(', ')} parameter${missing.length > 1 ? 's' : ''}. Authorization=${value}`,
    };
  }
  const cred = parseCredential(credential);
  if (typeof cred === 'string') return { reason: 'incomplete', detail: cred };
  const amzDate = header(req, HEADER_AMZ_DATE) ?? dateHeaderAsAmz(header(req, 'date'));
  if (amzDate === undefined) {
    return { reason: 'incomplete', detail: `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${value}`, accessKeyId: cred.accessKeyId };
  }
  return {
    location: 'header',
    accessKeyId: cred.accessKeyId,
    scopeDate: cred.scopeDate,
    region: cred.region,
    service: cred.service,
    scope: cred.scope,
    signedHeaders: signedHeaderList(signedHeaders),
    signature: signature.toLowerCase(),
    amzDate,
    expires: null,
    securityToken: header(req, HEADER_SECURITY_TOKEN) ?? null,
  };
}

function dateHeaderAsAmz(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : formatAmzDate(d);
}

function parsePresignedQuery(req: SignedRequest, algorithm: string | undefined): SignatureInput | AuthFailure {
  if (algorithm !== SIGV4_ALGORITHM) {
    return { reason: 'unsupported-algorithm', detail: `X-Amz-Algorithm only supports "${SIGV4_ALGORITHM}"` };
  }
  const get = (n: string): string | undefined => queryParam(req.rawQuery, n);
  const needed = [QUERY_CREDENTIAL, QUERY_SIGNATURE, QUERY_SIGNED_HEADERS, QUERY_DATE];
  const missing = needed.filter((n) => get(n) === undefined);
  if (missing.length > 0) return { reason: 'incomplete', detail: `AWS query-string parameters must include ${missing.map((m) => `'${m}'`).join(', ')}. Re-examine the query-string parameters.` };
  const cred = parseCredential(get(QUERY_CREDENTIAL)!);
  if (typeof cred === 'string') return { reason: 'incomplete', detail: cred };
  const expiresText = get(QUERY_EXPIRES);
  let expires: number | null = null;
  if (expiresText !== undefined) {
    expires = /^\d+$/.test(expiresText) ? Number(expiresText) : NaN;
    if (!(expires >= 1 && expires <= MAX_PRESIGN_EXPIRES_S)) {
      return { reason: 'incomplete', detail: `X-Amz-Expires must be between 1 and ${MAX_PRESIGN_EXPIRES_S} seconds, not ${JSON.stringify(expiresText)}` };
    }
  }
  return {
    location: 'query',
    ...cred,
    signedHeaders: signedHeaderList(get(QUERY_SIGNED_HEADERS)!),
    signature: get(QUERY_SIGNATURE)!.toLowerCase(),
    amzDate: get(QUERY_DATE)!,
    expires,
    securityToken: get(QUERY_SECURITY_TOKEN) ?? null,
  };
}

function sameBytes(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Verifies a signed request. Call {@link findSignature} first to know whether it is signed at all.
 * @example
 * const r = verifyRequest(req, sig, { now: new Date(), credentials, s3: false, service: 'iam', keyCache });
 * if (!r.ok) throw queryAuthError(r.failure);
 */
export function verifyRequest(req: SignedRequest, input: SignatureInput, options: VerifyOptions): VerifyResult {
  const { now } = options;
  const credential = options.credentials.findCredential(input.accessKeyId);
  const akid = { accessKeyId: input.accessKeyId, signatureInput: input };
  if (credential === undefined) return fail('unknown-key', `access key ${input.accessKeyId} is not known`, akid);
  if (!credential.active) return fail('inactive-key', `access key ${input.accessKeyId} is inactive`, akid);
  if (credential.sessionTokenSha256 !== null) {
    if (input.securityToken === null) return fail('token-missing', 'temporary credentials need X-Amz-Security-Token', akid);
    if (!timingSafeEqual(sessionTokenDigest(input.securityToken), credential.sessionTokenSha256)) {
      return fail('token-invalid', 'the session token does not belong to this access key', akid);
    }
  }
  if (credential.expiration !== null && now.getTime() >= credential.expiration.getTime()) {
    return fail('token-expired', `the session expired at ${credential.expiration.toISOString()}`, akid);
  }
  if (input.service !== options.service) {
    return fail('wrong-service', `Credential should be scoped to correct service: '${options.service}'. `, akid);
  }
  const requestMs = amzDateTime(input.amzDate);
  if (Number.isNaN(requestMs)) {
    return fail('incomplete', `Date must be in ISO-8601 'basic format'. Got '${input.amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`, akid);
  }
  if (!input.amzDate.startsWith(input.scopeDate)) {
    return fail('signature', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${input.scopeDate}' != '${input.amzDate.slice(0, 8)}', from '${input.amzDate}'.`, akid);
  }
  const skew = requestMs - now.getTime();
  if (input.location === 'query') {
    if (skew > MAX_CLOCK_SKEW_MS) return fail('skewed', 'request time is in the future', { ...akid, requestTime: new Date(requestMs), serverTime: now });
    const expires = input.expires ?? MAX_PRESIGN_EXPIRES_S;
    if (now.getTime() > requestMs + expires * 1000) {
      return fail('presign-expired', 'Request has expired', { ...akid, requestTime: new Date(requestMs), serverTime: now });
    }
  } else if (Math.abs(skew) > MAX_CLOCK_SKEW_MS) {
    return fail('skewed', 'request time too far from server time', { ...akid, requestTime: new Date(requestMs), serverTime: now });
  }
  if (!input.signedHeaders.includes('host')) {
    return fail('incomplete', "Signature must be calculated over the 'host' header (SignedHeaders must include host)", akid);
  }
  let payloadHash: string;
  if (options.s3) {
    const declared = input.location === 'query' ? UNSIGNED_PAYLOAD : header(req, HEADER_CONTENT_SHA256);
    if (declared === undefined) return fail('missing-content-sha256', `Missing required header for this request: ${HEADER_CONTENT_SHA256}`, akid);
    if (/^[0-9a-f]{64}$/i.test(declared)) {
      const computed = sha256Hex(req.body);
      if (computed !== declared.toLowerCase()) return fail('content-sha256-mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", { ...akid, computedContentSha256: computed });
    }
    payloadHash = declared;
  } else {
    payloadHash = sha256Hex(req.body);
  }
  const signingKey = options.keyCache.get(credential.secretAccessKey, input.scopeDate, input.region, input.service, input.scope);
  let first: { canonicalRequest: string; stringToSign: string } | undefined;
  for (const canonicalUri of canonicalUris(req.rawPath, options.s3)) {
    const canonicalRequest = buildCanonicalRequest({
      method: req.method,
      canonicalUri,
      rawQuery: req.rawQuery,
      headers: req.headers,
      signedHeaders: input.signedHeaders,
      payloadHash,
    });
    const stringToSign = `${SIGV4_ALGORITHM}\n${input.amzDate}\n${input.scope}\n${sha256Hex(canonicalRequest)}`;
    const expected = hmacHex(signingKey, stringToSign);
    if (sameBytes(expected, input.signature)) {
      return { ok: true, auth: { credential, input, signingKey, seedSignature: input.signature, payloadHash } };
    }
    first ??= { canonicalRequest, stringToSign };
  }
  return fail('signature', 'signature mismatch', { ...akid, ...first });
}
