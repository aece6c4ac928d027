/**
 * S3 on the plane: the {@link RestService} that turns a verified {@link RestCall} into an {@link S3Request} for
 * {@link S3Service}, authorizes through the plane (decision log, `x-irsa-explain`, bucket policies as resource
 * policies), and answers SigV4 failures with S3's own codes and debugging elements (spec 7.6).
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Plane } from '../plane.js';
import type { AwsResponse, RestCall, RestService } from '../service.js';
import type { WireError } from '../errors.js';
import { formatAmzDate, type AuthFailure } from '../sigv4/verify.js';
import { MAX_CLOCK_SKEW_MS } from '../protocol/constants.js';
import { s3Error } from './errors.js';
import { ObjectStore } from './store.js';
import { S3Service, renderS3Error, type S3Authorizer, type S3Caller, type S3Request, type S3Response } from './service.js';

/** `41 57 53 34 …`: the bytes S3 shows beside StringToSign and CanonicalRequest. */
function hexBytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex').replace(/(..)(?!$)/g, '$1 ');
}

/** S3's error for a failed SigV4 authentication (spec 7.6); S3's codes and statuses differ from IAM's and STS's. */
export function s3AuthError(failure: AuthFailure): WireError {
  const akid = failure.accessKeyId ?? failure.signatureInput?.accessKeyId ?? '';
  const query = failure.signatureInput?.location === 'query';
  switch (failure.reason) {
    case 'missing':
      return s3Error('AccessDenied');
    case 'incomplete':
      return query
        ? s3Error('AuthorizationQueryParametersError', { message: failure.detail })
        : s3Error('AuthorizationHeaderMalformed', { message: `The authorization header is malformed; ${failure.detail}` });
    case 'unsupported-algorithm':
      return query
        ? s3Error('AuthorizationQueryParametersError', { message: 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"' })
        : s3Error('InvalidRequest', { message: 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.' });
    case 'unknown-key':
    case 'inactive-key':
      return s3Error('InvalidAccessKeyId', { extra: [['AWSAccessKeyId', akid]] });
    case 'token-missing':
    case 'token-invalid':
      return s3Error('InvalidToken', { extra: [['Token-0', failure.signatureInput?.securityToken ?? '']] });
    case 'token-expired':
      return s3Error('ExpiredToken', { extra: [['Token-0', failure.signatureInput?.securityToken ?? '']] });
    case 'skewed':
      return s3Error('RequestTimeTooSkewed', {
        extra: [
          ['RequestTime', formatAmzDate(failure.requestTime!)],
          ['ServerTime', failure.serverTime!.toISOString().replace(/\.\d{3}Z$/, 'Z')],
          ['MaxAllowedSkewMilliseconds', String(MAX_CLOCK_SKEW_MS)],
        ],
      });
    case 'presign-expired': {
      const expires = failure.signatureInput?.expires ?? 0;
      return s3Error('AccessDenied', {
        message: 'Request has expired',
        extra: [
          ['X-Amz-Expires', String(expires)],
          ['Expires', new Date(failure.requestTime!.getTime() + expires * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')],
          ['ServerTime', failure.serverTime!.toISOString().replace(/\.\d{3}Z$/, 'Z')],
        ],
      });
    }
    case 'wrong-service':
      return s3Error('AuthorizationHeaderMalformed', {
        message: `The authorization header is malformed; incorrect service "${failure.signatureInput?.service ?? ''}". This endpoint belongs to "s3".`,
      });
    case 'missing-content-sha256':
      return s3Error('InvalidRequest', { message: 'Missing required header for this request: x-amz-content-sha256' });
    case 'content-sha256-mismatch':
      return s3Error('XAmzContentSHA256Mismatch', {
        extra: [['S3ComputedContentSHA256', failure.computedContentSha256 ?? '']],
      });
    case 'signature': {
      const extra: Array<[string, string]> = [['AWSAccessKeyId', akid]];
      if (failure.stringToSign !== undefined) extra.push(['StringToSign', failure.stringToSign]);
      extra.push(['SignatureProvided', failure.signatureInput?.signature ?? '']);
      if (failure.stringToSign !== undefined) extra.push(['StringToSignBytes', hexBytes(failure.stringToSign)]);
      if (failure.canonicalRequest !== undefined) {
        extra.push(['CanonicalRequest', failure.canonicalRequest], ['CanonicalRequestBytes', hexBytes(failure.canonicalRequest)]);
      }
      return s3Error('SignatureDoesNotMatch', { extra });
    }
  }
}

/** A repeated header's values as one, as node:http joins them: `a, b`. */
function joined(sofar: string | undefined, value: string): string {
  return sofar === undefined ? value : `${sofar}, ${value}`;
}

function headersOf(pairs: ReadonlyArray<readonly [string, string]>): IncomingHttpHeaders {
  const out: Record<string, string> = {};
  for (const [name, value] of pairs) {
    const n = name.toLowerCase();
    out[n] = joined(out[n], value);
  }
  return out;
}

/**
 * A plane call as {@link S3Service} takes it. The header record and the body stream are made on first use: a
 * ListBuckets reads neither, most requests (lists, heads, gets, deletes) never read a body, and the stream is the
 * biggest object a request would otherwise make.
 */
class CallRequest implements S3Request {
  readonly method: string;
  readonly host: string;
  readonly rawPath: string;
  readonly query: URLSearchParams;
  private record: IncomingHttpHeaders | undefined;
  private stream: Readable | undefined;

  constructor(private readonly call: RestCall) {
    this.method = call.request.method;
    let host: string | undefined;
    for (const [name, value] of call.request.headers) if (name.length === 4 && name.toLowerCase() === 'host') host = joined(host, value);
    this.host = host ?? '';
    this.rawPath = call.rawPath;
    this.query = new URLSearchParams(call.rawQuery);
  }

  get headers(): IncomingHttpHeaders {
    return (this.record ??= headersOf(this.call.request.headers));
  }

  get body(): Readable {
    const bytes = this.call.request.body;
    return (this.stream ??= Readable.from(bytes.length === 0 ? [] : [bytes]));
  }
}

function toAwsResponse(res: S3Response): AwsResponse {
  return { status: res.status, headers: res.headers, body: res.body ?? '' };
}

/** Options of {@link createS3Service}. */
export interface S3ServiceFactoryOptions {
  /** Extra host names whose sub-domains are buckets (virtual-hosted style), e.g. the endpoint's host name. */
  endpointHosts?: readonly string[];
  /** Single-PUT limit (S3's 5 GiB by default; the server's body bound applies first). */
  maxObjectBytes?: number;
}

/**
 * The S3 REST service factory for `createPlane({ restService })`. Objects live under `<plane.dataDir>/s3/`.
 * @example
 * const plane = createPlane({ db, dataDir: '.irsa', restService: createS3Service() });
 */
export function createS3Service(options: S3ServiceFactoryOptions = {}): (plane: Plane) => RestService {
  return (plane) => {
    if (plane.dataDir === undefined) throw new TypeError('S3 needs the plane\'s dataDir (object bytes are files under it)');
    const store = ObjectStore.open(plane.db, join(plane.dataDir, 's3'));
    const service = new S3Service({
      store,
      now: () => plane.now().getTime(),
      endpointHosts: options.endpointHosts,
      maxObjectBytes: options.maxObjectBytes,
      onInternalError: (err) => plane.logger?.error({ err }, 'internal error answering an S3 request'),
    });
    return {
      name: 's3',
      async handle(call: RestCall): Promise<AwsResponse> {
        const request = new CallRequest(call);
        const principal = call.caller?.principal;
        const auth = call.caller?.auth;
        const caller: S3Caller = {
          accountId: principal?.accountId ?? '',
          arn: principal?.arn ?? '',
          region: call.region,
          chunkSigning:
            auth === undefined || auth.input.location !== 'header'
              ? undefined
              : { signingKey: auth.signingKey, amzDate: auth.input.amzDate, scope: auth.input.scope, seedSignature: auth.seedSignature },
        };
        const authorize: S3Authorizer = (_caller, check) => {
          // anonymous requests: nothing here grants them access (no public buckets in this local S3)
          if (call.caller === null) return { allowed: false };
          const resourcePolicies = check.resourcePolicy === undefined ? undefined : [plane.policies.compile(check.resourcePolicy, { kind: 'resource', name: `bucket policy of ${check.resource.split(':::')[1]!.split('/')[0]}`, skipSizeCheck: true })];
          const request = { action: check.action, resource: check.resource, keys: check.context };
          const decision = call.authorize(resourcePolicies === undefined ? request : { ...request, resourcePolicies });
          return { allowed: decision.allowed };
        };
        return toAwsResponse(await service.handle(request, caller, call.requestId, authorize));
      },
      renderError(err: WireError, ctx): AwsResponse {
        return toAwsResponse(renderS3Error(err, ctx.request.method, ctx.requestId, plane.random(24).toString('base64')));
      },
      authError: s3AuthError,
    };
  };
}
