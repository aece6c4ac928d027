/**
 * The STS side: which endpoint the SDKs call (configured endpoint URLs, regional or global), the CA bundle they
 * trust, then `AssumeRoleWithWebIdentity` and `GetCallerIdentity` through an injected {@link DoctorStsClient},
 * with AWS's error code and message printed and the common ones turned into the fix.
 * @module
 */
import { X509Certificate } from 'node:crypto';
import { formatOidcProviderArn, issuerHostPath, parseAssumedRoleArn, type RoleArn } from '../../lib/aws-arn.js';
import {
  ENV_CA_BUNDLE,
  ENV_ENDPOINT_URL,
  ENV_ENDPOINT_URL_STS,
  ENV_IGNORE_CONFIGURED_ENDPOINT_URLS,
  ENV_STS_REGIONAL_ENDPOINTS,
  STS_AUDIENCE,
  STS_GLOBAL_ENDPOINT,
  STS_REGIONAL_ENDPOINTS_LEGACY,
  STS_REGIONAL_ENDPOINTS_REGIONAL,
} from '../../lib/wire-names.js';
import { fail, ok, skip, type AwsErrorDetail, type CheckResult } from './check.js';
import { envRegion, envValue, type DoctorEnv } from './environment.js';
import { tokenAudiences, type DecodedToken } from './token.js';

/** The regions where botocore's `legacy` setting still sends STS calls to the global endpoint. */
const LEGACY_GLOBAL_REGIONS = new Set([
  'ap-northeast-1', 'ap-south-1', 'ap-southeast-1', 'ap-southeast-2', 'aws-global', 'ca-central-1', 'eu-central-1', 'eu-north-1',
  'eu-west-1', 'eu-west-2', 'eu-west-3', 'sa-east-1', 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2',
]);

/** Where the SDK will send STS calls. */
export interface StsTarget {
  endpoint: string;
  /** The signing region (us-east-1 for the global endpoint or when none is set). */
  region: string;
  /** Why this endpoint (which variable or rule chose it). */
  source: string;
  /** The CA bundle (PEM) the SDK adds, from AWS_CA_BUNDLE. */
  caBundle?: string;
}

/** `sts.endpoint`: the endpoint the SDKs resolve, in their order (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, regional/global). */
export function resolveStsEndpoint(env: DoctorEnv): { target?: Omit<StsTarget, 'caBundle'>; result: CheckResult } {
  const region = envRegion(env);
  const signingRegion = region ?? 'us-east-1';
  const ignore = envValue(env, ENV_IGNORE_CONFIGURED_ENDPOINT_URLS)?.toLowerCase() === 'true';
  for (const name of [ENV_ENDPOINT_URL_STS, ENV_ENDPOINT_URL] as const) {
    const value = envValue(env, name);
    if (value === undefined || ignore) continue;
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
      return { result: fail('sts.endpoint', `${name}=${value} is not an http(s) URL`, `set ${name} to a URL such as https://sts.us-east-1.amazonaws.com, or unset it`) };
    }
    const endpoint = value.replace(/\/+$/, '');
    return { target: { endpoint, region: signingRegion, source: name }, result: ok('sts.endpoint', `${endpoint} (from ${name}; boto3 >= 1.28, aws CLI >= 2.13 and the JS SDK >= 3.428 honour it)`) };
  }
  const mode = envValue(env, ENV_STS_REGIONAL_ENDPOINTS) ?? STS_REGIONAL_ENDPOINTS_REGIONAL;
  if (region === undefined) {
    return { target: { endpoint: STS_GLOBAL_ENDPOINT, region: 'us-east-1', source: 'global' }, result: ok('sts.endpoint', `${STS_GLOBAL_ENDPOINT} (global: no region set)`) };
  }
  if (mode === STS_REGIONAL_ENDPOINTS_LEGACY && LEGACY_GLOBAL_REGIONS.has(region)) {
    return { target: { endpoint: STS_GLOBAL_ENDPOINT, region: 'us-east-1', source: 'global' }, result: ok('sts.endpoint', `${STS_GLOBAL_ENDPOINT} (global: AWS_STS_REGIONAL_ENDPOINTS=legacy in ${region})`) };
  }
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  const endpoint = `https://sts.${region}.${suffix}`;
  return { target: { endpoint, region, source: 'regional' }, result: ok('sts.endpoint', `${endpoint} (regional, region ${region})`) };
}

/** `sts.ca-bundle`: AWS_CA_BUNDLE, when set, is readable and holds PEM certificates. */
export async function checkCaBundle(env: DoctorEnv, readFile: (path: string) => Promise<Buffer>, now: Date): Promise<{ pem?: string; result: CheckResult }> {
  const path = envValue(env, ENV_CA_BUNDLE);
  if (path === undefined) return { result: ok('sts.ca-bundle', 'AWS_CA_BUNDLE not set: the system\'s CAs are trusted') };
  let text: string;
  try {
    text = (await readFile(path)).toString('utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { result: fail('sts.ca-bundle', `AWS_CA_BUNDLE=${path}: cannot be read (${code})`, 'point AWS_CA_BUNDLE at a readable PEM file of CA certificates, or unset it') };
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const certs: X509Certificate[] = [];
  for (const block of blocks) {
    try {
      certs.push(new X509Certificate(block));
    } catch {
      return { result: fail('sts.ca-bundle', `AWS_CA_BUNDLE=${path}: holds a certificate block that does not parse`, 'replace the file with the CA certificates in PEM') };
    }
  }
  if (certs.length === 0) return { result: fail('sts.ca-bundle', `AWS_CA_BUNDLE=${path}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it`, 'point AWS_CA_BUNDLE at the CA certificates in PEM (not DER, not a key)') };
  const expired = certs.filter((c) => new Date(c.validTo).getTime() < now.getTime());
  if (expired.length === certs.length) {
    return { result: fail('sts.ca-bundle', `AWS_CA_BUNDLE=${path}: every certificate has expired (${expired.map((c) => c.validTo).join(', ')})`, 'renew the CA certificate') };
  }
  return { pem: text, result: ok('sts.ca-bundle', `AWS_CA_BUNDLE=${path}: ${certs.length} certificate(s)`) };
}

/** Temporary credentials from STS. */
export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration?: Date;
}

export interface AssumedRole {
  credentials: SessionCredentials;
  assumedRoleArn?: string;
  subject?: string;
  provider?: string;
  audience?: string;
}

export interface CallerIdentity {
  account?: string;
  arn?: string;
  userId?: string;
}

/** A refused call: AWS's code and message, or a network/TLS failure (no `code` from AWS). */
export interface StsFailure {
  /** AWS's wire code (`InvalidIdentityToken`, `AccessDenied`, …); undefined when no AWS answer came (then `httpStatus` is set when something else answered). */
  code?: string;
  message: string;
  httpStatus?: number;
  /** Node's error code for network and TLS failures (`ECONNREFUSED`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, …). */
  networkCode?: string;
}

export type StsOutcome<T> = { ok: true; value: T } | { ok: false; failure: StsFailure };

/** The two STS calls the doctor makes; the CLI passes one over @aws-sdk/client-sts, tests may pass a fake. */
export interface DoctorStsClient {
  assumeRoleWithWebIdentity(input: { roleArn: string; sessionName: string; token: string }, target: StsTarget): Promise<StsOutcome<AssumedRole>>;
  getCallerIdentity(credentials: SessionCredentials, target: StsTarget): Promise<StsOutcome<CallerIdentity>>;
}

/** What the fixes name: the role, the token's claims. */
export interface StsContext {
  role: RoleArn;
  roleArn: string;
  token: DecodedToken;
  endpoint: string;
}

/**
 * The fix for an STS refusal, from AWS's code and message: the causes behind the common errors, with the names
 * and values to check.
 * @example
 * explainStsFailure({ code: 'AccessDenied', message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity' }, ctx)
 */
export function explainStsFailure(failure: StsFailure, ctx: StsContext): string {
  const iss = typeof ctx.token.claims.iss === 'string' ? ctx.token.claims.iss : '<iss>';
  const hostPath = issuerHostPath(iss);
  const providerArn = formatOidcProviderArn(ctx.role.accountId, hostPath, ctx.role.partition);
  const aud = tokenAudiences(ctx.token)[0] ?? STS_AUDIENCE;
  const sub = typeof ctx.token.claims.sub === 'string' ? ctx.token.claims.sub : '<sub>';
  const { code, message } = failure;
  if (code === undefined && failure.httpStatus !== undefined) {
    return `${ctx.endpoint} is not STS (HTTP ${failure.httpStatus}, no AWS answer): point AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL at STS`;
  }
  if (code === undefined) {
    const tls = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(failure.networkCode ?? '');
    return tls
      ? `the endpoint's TLS certificate is not trusted: set AWS_CA_BUNDLE to the CA that signed ${ctx.endpoint}'s certificate`
      : `nothing answers at ${ctx.endpoint}: check AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL, DNS, proxies and network policies (egress to STS)`;
  }
  if (code === 'InvalidIdentityToken') {
    if (message.startsWith('No OpenIDConnect provider found')) {
      return `create the IAM OIDC provider for ${iss} in account ${ctx.role.accountId} (aws iam create-open-id-connect-provider --url ${iss} --client-id-list ${aud}); its URL must equal iss exactly`;
    }
    if (message.startsWith('Incorrect token audience')) {
      return `add ${aud} to the client IDs of ${providerArn} (aws iam add-client-id-to-open-id-connect-provider), or project the token with an audience the provider lists`;
    }
    if (message.startsWith('Missing a required claim')) return 'the token lacks a claim STS requires (iss, sub, aud, iat, exp): use a projected service-account token with an audience';
    if (message.startsWith("Couldn't retrieve verification key")) {
      return `STS cannot read ${iss}/.well-known/openid-configuration or its JWKS, or the JWKS lacks kid ${String(ctx.token.header.kid)}: publish both over HTTPS (see the issuer.* checks)`;
    }
    if (message.includes('thumbprint')) return `update the thumbprint of ${providerArn} to the issuer's current certificate chain (aws iam update-open-id-connect-provider-thumbprint)`;
    return `STS refused the token itself: compare the token.* and issuer.* checks with ${providerArn}`;
  }
  if (code === 'ExpiredTokenException') return 'the token expired (or is too old): read the token file anew on every call; the kubelet refreshes it at 80% of its lifetime';
  if (code === 'AccessDenied' || code === 'AccessDeniedException') {
    if (/AssumeRoleWithWebIdentity/.test(message)) {
      return `the trust policy of ${ctx.roleArn} must allow Principal.Federated ${providerArn} with Action sts:AssumeRoleWithWebIdentity, and its conditions must hold for "${hostPath}:sub" = "${sub}" and "${hostPath}:aud" = "${aud}" (irsa policy explain-trust shows which fails); the role must exist`;
    }
    return 'the session is not allowed this call: check the role\'s permission policies';
  }
  if (code === 'IDPCommunicationError') return `STS could not reach ${iss}: serve the discovery document and JWKS on a public HTTPS host`;
  if (code === 'ValidationError') return 'fix the request value AWS names: AWS_ROLE_ARN (the role ARN) or AWS_ROLE_SESSION_NAME';
  if (code === 'RegionDisabledException') return 'activate STS in this region (IAM account settings, STS regions) or set AWS_REGION to another';
  if (code === 'InvalidClientTokenId' || code === 'SignatureDoesNotMatch') return 'the endpoint refused the session credentials it just issued: is AWS_ENDPOINT_URL_STS pointing at another service than the one that issued them?';
  if (code === 'ExpiredToken') return 'the session credentials expired: request new ones';
  return 'see AWS\'s message above';
}

function detail(failure: StsFailure): AwsErrorDetail | undefined {
  return failure.code === undefined ? undefined : { code: failure.code, message: failure.message, ...(failure.httpStatus !== undefined ? { httpStatus: failure.httpStatus } : {}) };
}

function shown(failure: StsFailure): string {
  if (failure.code !== undefined) return `${failure.code}: ${failure.message}`;
  return failure.httpStatus !== undefined ? `not STS: ${failure.message}` : `no answer: ${failure.networkCode && !failure.message.includes(failure.networkCode) ? `${failure.networkCode}: ` : ''}${failure.message}`;
}

/** `sts.assume-role` and `sts.caller-identity` through `client`. */
export async function checkSts(client: DoctorStsClient, target: StsTarget, ctx: StsContext, sessionName: string): Promise<CheckResult[]> {
  const assumed = await client.assumeRoleWithWebIdentity({ roleArn: ctx.roleArn, sessionName, token: ctx.token.text }, target);
  if (!assumed.ok) {
    return [
      fail('sts.assume-role', `AssumeRoleWithWebIdentity at ${target.endpoint}: ${shown(assumed.failure)}`, explainStsFailure(assumed.failure, ctx), detail(assumed.failure)),
      skip('sts.caller-identity', 'no session credentials'),
    ];
  }
  const session = assumed.value;
  const expires = session.credentials.expiration ? `, expires ${session.credentials.expiration.toISOString()}` : '';
  const results: CheckResult[] = [ok('sts.assume-role', `AssumeRoleWithWebIdentity: ${session.assumedRoleArn ?? 'session'} (key ${session.credentials.accessKeyId}${expires})`)];
  const identity = await client.getCallerIdentity(session.credentials, target);
  if (!identity.ok) {
    results.push(fail('sts.caller-identity', `GetCallerIdentity at ${target.endpoint}: ${shown(identity.failure)}`, explainStsFailure(identity.failure, ctx), detail(identity.failure)));
    return results;
  }
  const arn = identity.value.arn ?? '';
  const parsed = parseAssumedRoleArn(arn);
  if (parsed === undefined || parsed.roleName !== ctx.role.roleName || parsed.accountId !== ctx.role.accountId) {
    results.push(fail('sts.caller-identity', `GetCallerIdentity says ${arn || '(no Arn)'}, not a session of ${ctx.roleArn}`, 'the credentials in use are not the role\'s: check for static keys or a profile taking precedence, and the STS endpoint'));
  } else {
    results.push(ok('sts.caller-identity', `GetCallerIdentity: ${arn} (account ${identity.value.account ?? parsed.accountId})`));
  }
  return results;
}
