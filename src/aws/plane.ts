/**
 * The local AWS identity plane as one request-level function: `plane.handle(request)` runs the fixed steps
 * parse → route (spec 8.3) → authenticate (SigV4) → dispatch (the action authorizes) → serialize, and never
 * throws: every failure becomes the service's own error document. The HTTP server (server.ts) only carries bytes.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { createPolicyCache, type PolicyCache } from '../policy/index.js';
import type { Logger } from '../lib/log.js';
import { Authorizer, explainLine, type AuthorizationDecision, type AuthorizationRequest } from './authorize.js';
import { createDecisionLog, type DecisionLog, type DecisionText } from './decisions.js';
import { AwsError, isWireError, type WireError } from './errors.js';
import { createIamStore, type IamStore } from './iam/store.js';
import { cryptoRandom, type RandomSource } from './ids.js';
import { HEADER_IRSA_EXPLAIN, HEADER_QUERY_REQUEST_ID, HEADER_S3_ID_2, HEADER_S3_REQUEST_ID, IAM_XML_NAMESPACE } from './protocol/constants.js';
import { queryAuthError } from './protocol/auth-errors.js';
import { parseQueryParams, queryErrorJson, queryErrorXml, querySuccessJson, querySuccessXml, wantsJson, type QueryParams } from './protocol/query.js';
import { createSessionStore, type SessionStore } from './sessions.js';
import { findSignature, verifyRequest, type SignatureInput, type SignedRequest } from './sigv4/verify.js';
import { SigningKeyCache } from './sigv4/signing-key.js';
import type { Credential, CredentialLookup } from './credentials.js';
import type { AwsRequest, AwsResponse, Caller, QueryAction, QueryCall, QueryService, QueryServiceFactory, RestCall, RestService, RestServiceFactory } from './service.js';
import type { SqliteDatabase } from './storage/database.js';
import { iamService } from './iam/service.js';
import { stsService } from './sts/service.js';

/** Options of {@link createPlane}. */
export interface PlaneOptions {
  /** The plane's SQLite database (`openDatabase(path)`); the plane creates its tables. */
  db: SqliteDatabase;
  /** Default `000000000000`. */
  accountId?: string;
  /** Default `us-east-1`. */
  region?: string;
  /** Directory for files a service keeps beside the database (S3 object bytes); none in memory-only tests. */
  dataDir?: string;
  now?: () => Date;
  random?: RandomSource;
  requestId?: () => string;
  logger?: Logger;
  /** Query services besides IAM (STS). */
  queryServices?: readonly QueryServiceFactory[];
  /** The REST service (S3), if any. */
  restService?: RestServiceFactory;
  /** Bound of the decision log. */
  maxDecisions?: number;
  /**
   * Where to fetch an issuer's documents instead of its public URL (`https://oidc.irsa.local` → the local issuer's
   * `https://127.0.0.1:8441`), for STS's key fetching.
   */
  issuerEndpoints?: Readonly<Record<string, string>>;
  /** Extra CA certificate files (PEM) STS trusts when fetching issuer documents. */
  issuerCaFiles?: readonly string[];
}

/** The default query services a plane runs; `queryServices` of the same name replace them (STS with a host map). */
export const DEFAULT_QUERY_SERVICES: readonly QueryServiceFactory[] = [iamService, stsService];

class CompositeCredentials implements CredentialLookup {
  /** Long-term keys as credentials, valid while IAM's generation is unchanged (every request looks its key up). */
  private readonly keys = new Map<string, Credential | null>();
  private generation = -1;

  constructor(
    private readonly iam: IamStore,
    private readonly sessions: SessionStore,
  ) {}
  findCredential(accessKeyId: string): Credential | undefined {
    if (accessKeyId.startsWith('ASIA')) return this.sessions.findCredential(accessKeyId);
    if (this.generation !== this.iam.generation) {
      this.keys.clear();
      this.generation = this.iam.generation;
    }
    let credential = this.keys.get(accessKeyId);
    if (credential === undefined) {
      credential = this.userCredential(accessKeyId);
      if (this.keys.size >= 10000) this.keys.clear();
      this.keys.set(accessKeyId, credential);
    }
    return credential ?? undefined;
  }
  private userCredential(accessKeyId: string): Credential | null {
    const key = this.iam.getAccessKey(accessKeyId);
    if (key === undefined) return null;
    const u = key.user;
    return {
      accessKeyId,
      secretAccessKey: key.secretAccessKey,
      sessionTokenSha256: null,
      expiration: null,
      active: key.status === 'Active',
      principal: { kind: 'user', accountId: u.arn.split(':')[4]!, arn: u.arn, userId: u.userId, userName: u.userName, path: u.path },
    };
  }
}

function splitTarget(target: string): { rawPath: string; rawQuery: string } {
  const q = target.indexOf('?');
  return q < 0 ? { rawPath: target, rawQuery: '' } : { rawPath: target.slice(0, q), rawQuery: target.slice(q + 1) };
}

function firstHeader(headers: AwsRequest['headers'], name: string): string | undefined {
  for (const [n, v] of headers) if (n.length === name.length && n.toLowerCase() === name) return v;
  return undefined;
}

/** The local AWS plane. Build with {@link createPlane}. */
export class Plane {
  readonly accountId: string;
  readonly region: string;
  readonly partition = 'aws';
  readonly db: SqliteDatabase;
  readonly dataDir: string | undefined;
  readonly iam: IamStore;
  readonly sessions: SessionStore;
  readonly decisions: DecisionLog;
  readonly authorizer: Authorizer;
  readonly policies: PolicyCache;
  readonly credentials: CredentialLookup;
  readonly keyCache = new SigningKeyCache();
  readonly now: () => Date;
  readonly random: RandomSource;
  readonly logger: Logger | undefined;
  readonly issuerEndpoints: Readonly<Record<string, string>>;
  readonly issuerCaFiles: readonly string[];
  private readonly newRequestId: () => string;
  private readonly queryServices = new Map<string, QueryService>();
  private readonly actionIndex = new Map<string, QueryService>();
  private restService: RestService | null = null;

  constructor(options: PlaneOptions) {
    this.accountId = options.accountId ?? '000000000000';
    this.region = options.region ?? 'us-east-1';
    this.db = options.db;
    this.dataDir = options.dataDir;
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? cryptoRandom;
    this.logger = options.logger;
    this.newRequestId = options.requestId ?? randomUUID;
    this.issuerEndpoints = options.issuerEndpoints ?? {};
    this.issuerCaFiles = options.issuerCaFiles ?? [];
    this.iam = createIamStore(this.db);
    this.sessions = createSessionStore(this.db, this.now, this.random);
    this.decisions = createDecisionLog(this.db, { ...(options.maxDecisions ? { maxEntries: options.maxDecisions } : {}) });
    this.policies = createPolicyCache({ maxEntries: 2000 });
    this.authorizer = new Authorizer(this.iam, this.sessions, this.decisions, this.policies);
    this.credentials = new CompositeCredentials(this.iam, this.sessions);
    for (const factory of [...DEFAULT_QUERY_SERVICES, ...(options.queryServices ?? [])]) this.registerQueryService(factory(this));
    if (options.restService) this.registerRestService(options.restService(this));
  }

  /** Adds a query service; its actions are routed by name when the request's signature does not name a service. */
  registerQueryService(service: QueryService): void {
    this.queryServices.set(service.name, service);
    for (const action of Object.keys(service.actions)) {
      const current = this.actionIndex.get(action);
      if (current === undefined || current.name === service.name) this.actionIndex.set(action, service);
    }
  }

  /** Sets the REST service (S3). */
  registerRestService(service: RestService): void {
    this.restService = service;
  }

  /** The services this plane answers (`IAM`, `STS`, `S3`), for people. */
  serviceNames(): string[] {
    return [...[...this.queryServices.keys()].map((n) => n.toUpperCase()), ...(this.restService === null ? [] : [this.restService.name.toUpperCase()])];
  }

  /** Whether a REST service (S3) is registered. */
  hasRestService(): boolean {
    return this.restService !== null;
  }

  /** The query service registered under a signing name. */
  queryService(name: string): QueryService | undefined {
    return this.queryServices.get(name);
  }

  /** Writes pending decisions; call before closing the database. */
  flush(): void {
    this.decisions.flush();
  }

  /**
   * Answers one request. Never throws: failures are rendered as the service's error document.
   * @example
   * const res = await plane.handle({ method: 'POST', target: '/', headers, body, remoteAddress: '127.0.0.1', secure: false });
   */
  async handle(request: AwsRequest): Promise<AwsResponse> {
    const requestId = this.newRequestId();
    const { rawPath, rawQuery } = splitTarget(request.target);
    const signed: SignedRequest = { method: request.method, rawPath, rawQuery, headers: request.headers, body: request.body };
    const signature = findSignature(signed);
    const params = this.queryParams(request, rawPath, rawQuery);
    if (params !== null) return this.handleQuery(request, requestId, rawPath, rawQuery, signed, signature, params);
    return this.handleRest(request, requestId, rawPath, rawQuery, signed, signature);
  }

  /** An error answered before routing completes (body too large, timeouts), in the shape the route would use. */
  errorResponse(request: Omit<AwsRequest, 'body'>, err: WireError): AwsResponse {
    const requestId = this.newRequestId();
    const { rawPath, rawQuery } = splitTarget(request.target);
    const looksQuery = rawPath === '/' && (request.method === 'POST' || /(^|&)Action=/.test(rawQuery));
    if (!looksQuery && this.restService !== null) return this.restService.renderError(err, { request: { ...request, body: Buffer.alloc(0) }, requestId });
    return this.queryError(err, IAM_XML_NAMESPACE, requestId, false);
  }

  /** Query-protocol parameters, or null when the request is not a query call (spec 8.3). */
  private queryParams(request: AwsRequest, rawPath: string, rawQuery: string): Map<string, string> | null {
    if (rawPath !== '/') return null;
    const contentType = firstHeader(request.headers, 'content-type') ?? '';
    const form = request.method === 'POST' && /^application\/x-www-form-urlencoded\b/i.test(contentType);
    const fromQuery = rawQuery === '' ? null : parseQueryParams(rawQuery);
    if (!form) return fromQuery !== null && fromQuery.has('Action') && (request.method === 'GET' || request.method === 'POST') ? fromQuery : null;
    const params = fromQuery ?? new Map<string, string>();
    for (const [k, v] of parseQueryParams(request.body.toString('utf8'))) params.set(k, v);
    return params;
  }

  private async handleQuery(
    request: AwsRequest,
    requestId: string,
    rawPath: string,
    rawQuery: string,
    signed: SignedRequest,
    signature: SignatureInput | ReturnType<typeof findSignature>,
    params: Map<string, string>,
  ): Promise<AwsResponse> {
    const sig = signature !== null && !('reason' in signature) ? signature : null;
    const actionName = params.get('Action');
    const byScope = sig === null ? undefined : this.queryServices.get(sig.service);
    const service = byScope ?? (actionName === undefined ? undefined : this.actionIndex.get(actionName)) ?? this.queryServices.get('iam')!;
    const json = wantsJson(firstHeader(request.headers, 'accept'));
    if (actionName === undefined || actionName === '') {
      return this.queryError(new AwsError('MissingAction', 'Missing Action', 400), service.namespace, requestId, false);
    }
    const action: QueryAction | undefined = service.actions[actionName];
    if (action === undefined) {
      const version = params.get('Version') ?? service.version;
      return this.queryError(new AwsError('InvalidAction', `Could not find operation ${actionName} for version ${version}`, 400), service.namespace, requestId, false);
    }
    const useJson = json && action.json === true;
    const now = this.now();
    let caller: Caller | null = null;
    if (action.auth === 'signed') {
      if (signature === null) return this.queryError(queryAuthError({ reason: 'missing', detail: '' }), service.namespace, requestId, useJson);
      if ('reason' in signature) return this.queryError(queryAuthError(signature), service.namespace, requestId, useJson);
      const verified = verifyRequest(signed, signature, { now, credentials: this.credentials, s3: false, service: service.name, keyCache: this.keyCache });
      if (!verified.ok) {
        this.logger?.debug({ requestId, reason: verified.failure.reason, detail: verified.failure.detail, canonicalRequest: verified.failure.canonicalRequest }, 'authentication failed');
        return this.queryError(queryAuthError(verified.failure), service.namespace, requestId, useJson);
      }
      caller = { principal: verified.auth.credential.principal, auth: verified.auth };
    }
    const call = new PlaneQueryCall(this, request, rawPath, rawQuery, requestId, sig?.region ?? this.region, service.name, now, caller, actionName, params);
    try {
      const result = await action.handle(call);
      const headers: Record<string, string> = { 'content-type': useJson ? 'application/json' : 'text/xml', [HEADER_QUERY_REQUEST_ID]: requestId };
      if (call.explained !== null) headers[HEADER_IRSA_EXPLAIN] = call.explained;
      const body = useJson ? querySuccessJson(actionName, result, requestId) : querySuccessXml(actionName, service.namespace, result, requestId);
      return { status: 200, headers, body };
    } catch (err) {
      const res = this.queryError(this.toWireError(err, requestId), service.namespace, requestId, useJson);
      if (call.explained !== null) res.headers[HEADER_IRSA_EXPLAIN] = call.explained;
      return res;
    }
  }

  private toWireError(err: unknown, requestId: string): WireError {
    if (isWireError(err)) return err;
    this.logger?.error({ err, requestId }, 'internal error answering a request');
    return new AwsError('ServiceFailure', 'An internal error occurred.', 500, { cause: err });
  }

  private queryError(err: WireError, namespace: string, requestId: string, json: boolean): AwsResponse {
    return {
      status: err.httpStatus,
      headers: { 'content-type': json ? 'application/json' : 'text/xml', [HEADER_QUERY_REQUEST_ID]: requestId },
      body: json ? queryErrorJson(err, requestId) : queryErrorXml(err, namespace, requestId),
    };
  }

  private async handleRest(
    request: AwsRequest,
    requestId: string,
    rawPath: string,
    rawQuery: string,
    signed: SignedRequest,
    signature: ReturnType<typeof findSignature>,
  ): Promise<AwsResponse> {
    const service = this.restService;
    if (service === null) {
      return this.queryError(new AwsError('InvalidAction', 'This endpoint serves IAM and STS only: no S3 here.', 400), IAM_XML_NAMESPACE, requestId, false);
    }
    const now = this.now();
    let caller: Caller | null = null;
    if (signature !== null) {
      if ('reason' in signature) return this.withRestIds(service.renderError(service.authError(signature), { request, requestId }), requestId);
      const verified = verifyRequest(signed, signature, { now, credentials: this.credentials, s3: true, service: service.name, keyCache: this.keyCache });
      if (!verified.ok) return this.withRestIds(service.renderError(service.authError(verified.failure), { request, requestId }), requestId);
      caller = { principal: verified.auth.credential.principal, auth: verified.auth };
    }
    const region = signature !== null && !('reason' in signature) ? signature.region : this.region;
    const call = new PlaneCall(this, request, rawPath, rawQuery, requestId, region, service.name, now, caller);
    let res: AwsResponse;
    try {
      res = await service.handle(call);
    } catch (err) {
      res = service.renderError(this.toWireError(err, requestId), { request, requestId });
    }
    if (call.explained !== null) res.headers[HEADER_IRSA_EXPLAIN] = call.explained;
    return this.withRestIds(res, requestId);
  }

  /** A REST response with the request id headers every S3 answer carries (kept when the service set them). */
  private withRestIds(res: AwsResponse, requestId: string): AwsResponse {
    res.headers[HEADER_S3_REQUEST_ID] ??= requestId;
    res.headers[HEADER_S3_ID_2] ??= this.random(24).toString('base64');
    return res;
  }
}

/** A call as services see it (a REST call as it is), with the plane's authorization of its caller. */
class PlaneCall implements RestCall {
  /** The `x-irsa-explain` line, once set. */
  explained: string | null = null;

  constructor(
    readonly plane: Plane,
    readonly request: AwsRequest,
    readonly rawPath: string,
    readonly rawQuery: string,
    readonly requestId: string,
    readonly region: string,
    private readonly service: string,
    readonly now: Date,
    readonly caller: Caller | null,
  ) {}

  header(name: string): string | undefined {
    return firstHeader(this.request.headers, name.toLowerCase());
  }

  authorize(req: AuthorizationRequest): AuthorizationDecision {
    if (this.caller === null) throw new TypeError('authorize() needs an authenticated caller');
    const request = this.request;
    const decision = this.plane.authorizer.authorize(this.caller.principal, req, {
      requestId: this.requestId,
      service: this.service,
      sourceIp: request.remoteAddress,
      secure: request.secure,
      userAgent: firstHeader(request.headers, 'user-agent') ?? '',
      region: this.region,
      now: this.now,
    });
    this.explained = decision.summary;
    return decision;
  }

  record(text: DecisionText): void {
    this.plane.decisions.record(this.requestId, this.now, text);
    this.explained = explainLine(text, this.requestId);
  }
}

/** A query-protocol call. */
class PlaneQueryCall extends PlaneCall implements QueryCall {
  readonly params: QueryParams;

  constructor(
    plane: Plane,
    request: AwsRequest,
    rawPath: string,
    rawQuery: string,
    requestId: string,
    region: string,
    service: string,
    now: Date,
    caller: Caller | null,
    readonly action: string,
    params: Map<string, string>,
  ) {
    super(plane, request, rawPath, rawQuery, requestId, region, service, now, caller);
    this.params = params as QueryParams;
  }

  requireAllowed(req: AuthorizationRequest): AuthorizationDecision {
    const d = this.authorize(req);
    if (!d.allowed) throw new AwsError('AccessDenied', d.message, 403);
    return d;
  }
}

/**
 * Creates a plane over a database: IAM and the session store always, the query services and REST service given.
 * @example
 * const plane = createPlane({ db: openDatabase(':memory:'), accountId: '111122223333' });
 */
export function createPlane(options: PlaneOptions): Plane {
  return new Plane(options);
}

