/**
 * What a service module plugs into the plane. Query services (IAM, STS) register actions by name; each action is
 * `(call) => result`, where the call carries the parsed parameters, the raw request, the authenticated caller
 * (or `null` for unsigned actions such as AssumeRoleWithWebIdentity), the plane's stores and the time. A REST
 * service (S3) registers one handler that answers any request the query services do not take.
 * See src/aws/README.md for a worked example.
 * @module
 */
import type { Readable } from 'node:stream';
import type { AuthorizationDecision, AuthorizationRequest } from './authorize.js';
import type { Principal } from './credentials.js';
import type { DecisionText } from './decisions.js';
import type { WireError } from './errors.js';
import type { Plane } from './plane.js';
import type { QueryParams } from './protocol/query.js';
import type { XmlObject } from './protocol/xml.js';
import type { Authentication, AuthFailure } from './sigv4/verify.js';

/** A request as the server received it. */
export interface AwsRequest {
  method: string;
  /** The request target as sent (`/path?query`), never re-serialized. */
  target: string;
  /** Header name/value pairs as received (repeated headers kept, names as sent). */
  headers: ReadonlyArray<readonly [string, string]>;
  body: Buffer;
  remoteAddress: string;
  /** True over HTTPS (`aws:SecureTransport`). */
  secure: boolean;
}

/** A response to write. A stream body is piped (large S3 objects); HEAD responses send no body. */
export interface AwsResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array | Readable;
}

/** An authenticated caller. */
export interface Caller {
  principal: Principal;
  auth: Authentication;
}

/** What every handler gets. */
export interface BaseCall {
  readonly request: AwsRequest;
  /** The raw path and query string (split once). */
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly requestId: string;
  /** The signing region, else the plane's region. */
  readonly region: string;
  readonly plane: Plane;
  /** The time of this request (the plane's clock, read once). */
  readonly now: Date;
  /** The first value of a header (case-insensitive name). */
  header(name: string): string | undefined;
  /**
   * Authorizes the caller (spec 6.6) and records the decision; sets `x-irsa-explain`. Returns the decision; use
   * {@link QueryCall.requireAllowed} in query services to answer AccessDenied with AWS's text.
   */
  authorize(request: AuthorizationRequest): AuthorizationDecision;
  /**
   * Records a decision the service made itself (STS's assume operations decide on trust policies, not through
   * authorize()) for `irsa why`, and sets `x-irsa-explain` from it. Pass the same text object for requests decided
   * the same way: it is stored once.
   */
  record(text: DecisionText): void;
}

/** A query-protocol call. */
export interface QueryCall extends BaseCall {
  readonly action: string;
  /** Form body and query string parameters (`Action`, `Version` included). */
  readonly params: QueryParams;
  /** `null` only for actions registered with `auth: 'none'`. */
  readonly caller: Caller | null;
  /** Authorizes and throws `AccessDenied` (403, spec 6.8 text) when denied. */
  requireAllowed(request: AuthorizationRequest): AuthorizationDecision;
}

/** A query action. */
export interface QueryAction {
  /** `signed`: SigV4 required. `none`: never authenticated (a signature is ignored, spec 2.1). */
  auth: 'signed' | 'none';
  /** Answers `Accept: application/json` with the JSON form (spec 1.4). */
  json?: boolean;
  /** The `…Result` members in model order; `undefined` for operations without output. Throw a WireError to fail. */
  handle(call: QueryCall): XmlObject | undefined | Promise<XmlObject | undefined>;
}

/** A query-protocol service (IAM, STS). */
export interface QueryService {
  /** The SigV4 signing name (`iam`, `sts`). */
  name: string;
  version: string;
  namespace: string;
  actions: Readonly<Record<string, QueryAction>>;
}

/** A REST call (S3). The signature, when present, is verified before `handle` runs. */
export interface RestCall extends BaseCall {
  /** `null` for an unsigned request (the service decides whether to allow anonymous access). */
  readonly caller: Caller | null;
}

/** A REST service (S3): takes every request the query services do not. */
export interface RestService {
  /** The SigV4 signing name (`s3`). */
  name: string;
  handle(call: RestCall): AwsResponse | Promise<AwsResponse>;
  /** This service's rendering of an error (S3: `<Error>` without namespace, `x-amz-request-id`, `x-amz-id-2`). */
  renderError(err: WireError, call: { request: AwsRequest; requestId: string }): AwsResponse;
  /** This service's error for a failed authentication (S3's codes differ from the query services'). */
  authError(failure: AuthFailure): WireError;
}

/** Builds a service for a plane (it may open its own tables on `plane.db`). */
export type QueryServiceFactory = (plane: Plane) => QueryService;
export type RestServiceFactory = (plane: Plane) => RestService;
