/**
 * The S3 REST-XML service: routes a request (already authenticated by SigV4) to its operation, authorizes it as
 * the IAM action S3 uses (spec 7.7a), and answers with S3's status, headers and XML. It takes a small request
 * shape and returns a response shape; the HTTP server around it only copies bytes.
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { checksFor, s3Arn, type S3AuthCheck, type S3Operation } from './actions.js';
import { bucketFromHost, resolveAddress } from './addressing.js';
import { boundedMemo } from '../../lib/bounded-memo.js';
import type { ChunkSigningContext } from './chunked.js';
import { checksumHeaderName, type ChecksumAlgorithm } from './checksum.js';
import { s3Error } from './errors.js';
import { isWireError, type WireError } from '../errors.js';
import { validatePolicy } from '../../policy/index.js';
import { MultipartUploads } from './multipart.js';
import { isBucketReference, isValidBucketName, MAX_KEY_BYTES } from './names.js';
import { MAX_PUT_BYTES, checkDeclaredSize, readPayload, readSmallBody } from './payload.js';
import type { ObjectRecord, ObjectStore, PendingObject } from './store.js';
import {
  copyObjectResultXml,
  deleteResultXml,
  errorXml,
  httpDate,
  listBucketsXml,
  listObjectsV2Xml,
  locationConstraintXml,
  parseCreateBucketConfiguration,
  parseDeleteRequest,
  urlEncodeKey,
  xmlDate,
  xmlDocument,
  type DeleteOutcome,
  type ListedObject,
} from './xml.js';

/** An S3 request as the server hands it over. */
export interface S3Request {
  method: string;
  /** The Host header (bucket for virtual-hosted style). */
  host: string;
  /** The raw path of the request target, still percent-encoded, without the query. */
  rawPath: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Readable;
}

/** A caller with the authorizer of its request. */
interface RequestCaller extends S3Caller {
  decide: S3Authorizer;
}

/** Who is calling, as SigV4 verification established. */
export interface S3Caller {
  accountId: string;
  /** The principal's ARN (user, assumed role). */
  arn: string;
  /** The region of the request's credential scope (the endpoint's region for unsigned calls). */
  region: string;
  /** Present when the request was signed with an Authorization header: the seed of signed aws-chunked bodies. */
  chunkSigning?: ChunkSigningContext | undefined;
}

export interface S3AuthDecision {
  allowed: boolean;
  /** AWS's AccessDenied text for this denial, when the authorizer words it (spec 6.8); `Access Denied` otherwise. */
  message?: string | undefined;
}

/** Decides one check for a caller; `resourcePolicy` is the bucket's policy document when one is set. */
export type S3Authorizer = (caller: S3Caller, check: S3AuthCheck & { resourcePolicy?: string | undefined }) => S3AuthDecision;

export interface S3Response {
  status: number;
  headers: Record<string, string>;
  body?: string | Buffer | Readable | undefined;
  /** The operation served (for logs and the decision log); `undefined` when routing failed. */
  operation?: S3Operation | undefined;
}

export interface S3ServiceOptions {
  store: ObjectStore;
  /** The authorizer when {@link S3Service.handle} is given none (tests; the plane passes one per request). */
  authorize?: S3Authorizer;
  now?: () => number;
  /** Extra host names whose sub-domains are buckets (virtual-hosted style), besides `localhost` and AWS's names. */
  endpointHosts?: readonly string[];
  maxObjectBytes?: number;
  idleTimeoutMs?: number;
  /** Called with errors that are not wire errors (bugs) before they are answered as InternalError. */
  onInternalError?: (err: unknown) => void;
}

const STORED_HEADERS = ['content-type', 'content-encoding', 'content-disposition', 'content-language', 'cache-control', 'expires', 'x-amz-website-redirect-location', 'x-amz-storage-class'];
/** S3's limit on user metadata (x-amz-meta-* names and values), in bytes. */
const MAX_METADATA_BYTES = 2048;

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

const canonicalIds = new Map<string, string>();
/** The 64-hex canonical user id S3 shows as an account's `Owner/ID` (stable per account, computed once). */
function canonicalUserId(accountId: string): string {
  let id = canonicalIds.get(accountId);
  if (id === undefined) {
    id = createHash('sha256').update(`irsa-kit:${accountId}`).digest('hex');
    if (canonicalIds.size < 1024) canonicalIds.set(accountId, id);
  }
  return id;
}

/** Opaque `x-amz-id-2` / `HostId` values, cut from a random pool refilled 256 at a time (one syscall, not one per request). */
class HostIds {
  private pool = randomBytes(24 * 256);
  private next = 0;
  take(): string {
    if (this.next === this.pool.length) {
      this.pool = randomBytes(24 * 256);
      this.next = 0;
    }
    const id = this.pool.toString('base64', this.next, this.next + 24);
    this.next += 24;
    return id;
  }
}

/** Keeps the headers S3 stores with an object (aws-chunked removed from Content-Encoding), bounded metadata. */
function objectHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  let metaBytes = 0;
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(',') : raw;
    if (name.startsWith('x-amz-meta-')) {
      metaBytes += Buffer.byteLength(name.slice('x-amz-meta-'.length)) + Buffer.byteLength(value);
      out[name] = value;
    } else if (STORED_HEADERS.includes(name)) {
      if (name === 'content-encoding') {
        const rest = value.split(',').map((s) => s.trim()).filter((s) => s !== '' && s.toLowerCase() !== 'aws-chunked');
        if (rest.length > 0) out[name] = rest.join(', ');
      } else {
        out[name] = value;
      }
    }
  }
  if (metaBytes > MAX_METADATA_BYTES) throw s3Error('MetadataTooLarge', { extra: [['Size', String(metaBytes)], ['MaxSizeAllowed', String(MAX_METADATA_BYTES)]] });
  return out;
}

function checkKey(key: string): void {
  const bytes = Buffer.byteLength(key);
  if (bytes > MAX_KEY_BYTES) throw s3Error('KeyTooLongError', { extra: [['MaxSizeAllowed', String(MAX_KEY_BYTES)], ['Size', String(bytes)]] });
}

/** Parses `bytes=a-b`, `bytes=a-`, `bytes=-n` against a size; `undefined` means serve the whole object (S3 ignores what it cannot parse). */
export function parseRange(value: string, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (m === null || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

type ContinuationMark = { kind: 'key' | 'prefix'; value: string };

function encodeToken(mark: ContinuationMark): string {
  return Buffer.from(JSON.stringify([mark.kind === 'key' ? 'k' : 'p', mark.value])).toString('base64');
}

function decodeToken(token: string): ContinuationMark {
  try {
    const [kind, value] = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as [string, string];
    if ((kind === 'k' || kind === 'p') && typeof value === 'string') return { kind: kind === 'k' ? 'key' : 'prefix', value };
  } catch {
    // fall through to S3's error
  }
  throw s3Error('InvalidArgument', { message: 'The continuation token provided is incorrect', extra: [['ArgumentName', 'continuation-token'], ['ArgumentValue', token.slice(0, 256)]] });
}

/** A check as the authorizer takes it, with the bucket policy (fields named: one literal of a fixed shape per check). */
function withPolicy(check: S3AuthCheck, policy: string | undefined): S3AuthCheck & { resourcePolicy: string | undefined } {
  return { action: check.action, resource: check.resource, context: check.context, resourcePolicy: policy };
}

/**
 * The S3 service of one state directory.
 * @example
 * const s3 = new S3Service({ store, authorize: () => ({ allowed: true }) });
 * const res = await s3.handle(request, caller, 'REQ1');
 */
export class S3Service {
  private readonly store: ObjectStore;
  private readonly defaultAuthorizer: S3Authorizer;
  private readonly now: () => number;
  private readonly endpointHosts: readonly string[];
  private readonly maxObjectBytes: number;
  private readonly idleTimeoutMs: number;
  private readonly onInternalError: (err: unknown) => void;
  private readonly hostIds = new HostIds();
  private readonly multipart: MultipartUploads;
  /** The last ListBuckets document per account, valid while the store's bucket generation is unchanged. */
  private readonly listBucketsCache = new Map<string, { generation: number; xml: string }>();
  /** The bucket a Host header names: a client sends the same Host on every request, so each text is read once. */
  private readonly bucketOfHost = boundedMemo(256, (host: string) => bucketFromHost(host, this.endpointHosts));

  constructor(options: S3ServiceOptions) {
    this.store = options.store;
    this.defaultAuthorizer = options.authorize ?? (() => ({ allowed: false }));
    this.now = options.now ?? Date.now;
    this.endpointHosts = options.endpointHosts ?? [];
    this.maxObjectBytes = options.maxObjectBytes ?? MAX_PUT_BYTES;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 20_000;
    this.onInternalError = options.onInternalError ?? (() => undefined);
    this.multipart = new MultipartUploads({ store: this.store, now: this.now, maxPartBytes: this.maxObjectBytes, idleTimeoutMs: this.idleTimeoutMs });
  }

  /** Answers one request; S3 errors become S3's error document (no body for HEAD). Never throws. */
  async handle(req: S3Request, caller: S3Caller, requestId: string, authorize: S3Authorizer = this.defaultAuthorizer): Promise<S3Response> {
    const hostId = this.hostIds.take();
    let operation: S3Operation | undefined;
    const rc: RequestCaller = { ...caller, decide: authorize };
    try {
      const address = resolveAddress(req.host, req.rawPath, this.endpointHosts, this.bucketOfHost);
      operation = routeOperation(req, address.bucket, address.key);
      const res = await this.dispatch(operation, req, rc, address.bucket, address.key);
      return { ...res, headers: { 'x-amz-request-id': requestId, 'x-amz-id-2': hostId, ...res.headers }, operation };
    } catch (err) {
      const wire: WireError = isWireError(err) ? err : s3Error('InternalError', { cause: err });
      if (!isWireError(err)) this.onInternalError(err);
      req.body.resume();
      return { ...renderS3Error(wire, req.method, requestId, hostId), operation };
    }
  }

  private authorize(caller: RequestCaller, check: S3AuthCheck, policy: string | undefined): void {
    const decision = caller.decide(caller, withPolicy(check, policy));
    if (!decision.allowed) throw s3Error('AccessDenied', decision.message === undefined ? {} : { message: decision.message });
  }

  private allowed(caller: RequestCaller, check: S3AuthCheck, policy: string | undefined): boolean {
    return caller.decide(caller, withPolicy(check, policy)).allowed;
  }

  private requireBucket(name: string) {
    const bucket = isBucketReference(name) ? this.store.getBucket(name) : undefined;
    if (bucket === undefined) throw s3Error('NoSuchBucket', { extra: [['BucketName', name]] });
    return bucket;
  }

  /** Not async itself: the operations answered at once (lists, heads) return their response without a promise of their own. */
  private dispatch(op: S3Operation, req: S3Request, caller: RequestCaller, bucketName: string | undefined, key: string | undefined): S3Response | Promise<S3Response> {
    if (op === 'ListBuckets') {
      for (const check of checksFor(op, undefined, undefined, req)) this.authorize(caller, check, undefined);
      return this.listBuckets(req, caller);
    }
    const b = bucketName!;
    if (op === 'CreateBucket') {
      for (const check of checksFor(op, b, undefined, req)) this.authorize(caller, check, undefined);
      return this.createBucket(req, caller, b);
    }
    if (key !== undefined) checkKey(key);
    const bucket = this.requireBucket(b);
    const policy = bucket.policy;
    for (const check of checksFor(op, b, key, req)) this.authorize(caller, check, policy);
    switch (op) {
      case 'HeadBucket':
        return { status: 200, headers: { 'x-amz-bucket-region': bucket.region, 'x-amz-access-point-alias': 'false' } };
      case 'GetBucketLocation':
        return xmlResponse(locationConstraintXml(bucket.region));
      case 'DeleteBucket': {
        const outcome = this.store.deleteBucket(b);
        if (outcome === 'missing') throw s3Error('NoSuchBucket', { extra: [['BucketName', b]] });
        if (outcome === 'not-empty') throw s3Error('BucketNotEmpty', { extra: [['BucketName', b]] });
        return { status: 204, headers: {} };
      }
      case 'ListObjectsV2':
      case 'ListObjects':
        return this.listObjects(op, req, caller, b);
      case 'PutBucketPolicy':
        return this.putBucketPolicy(req, caller, b);
      case 'GetBucketPolicy':
        if (policy === undefined) throw s3Error('NoSuchBucketPolicy', { extra: [['BucketName', b]] });
        return { status: 200, headers: { 'content-type': 'application/json' }, body: policy };
      case 'DeleteBucketPolicy':
        this.store.setBucketPolicy(b, undefined);
        return { status: 204, headers: {} };
      case 'DeleteObjects':
        return this.deleteObjects(req, caller, b, policy);
      case 'PutObject':
        return this.putObject(req, caller, b, key!);
      case 'CopyObject':
        return this.copyObject(req, caller, b, key!);
      case 'GetObject':
      case 'HeadObject':
        return this.getObject(op, req, caller, b, key!, policy);
      case 'DeleteObject':
        this.store.deleteObject(b, key!);
        return { status: 204, headers: {} };
      case 'CreateMultipartUpload':
        return this.multipart.create(req, caller.chunkSigning, caller.arn, b, key!, objectHeaders(req.headers));
      case 'UploadPart':
        return this.multipart.uploadPart(req, caller.chunkSigning, b, key!);
      case 'CompleteMultipartUpload':
        return this.multipart.complete(req, caller.chunkSigning, b, key!);
      case 'AbortMultipartUpload':
        return this.multipart.abort(req, b, key!);
      case 'ListParts':
        return this.multipart.listParts(req, b, key!, ownerOf(caller.accountId));
      case 'ListMultipartUploads':
        return this.multipart.listUploads(req, b, ownerOf(caller.accountId));
    }
  }

  private async putBucketPolicy(req: S3Request, caller: RequestCaller, b: string): Promise<S3Response> {
    const body = await readSmallBody(req.headers, req.body, { chunkSigning: caller.chunkSigning, maxBytes: 20 * 1024 });
    const text = body.toString('utf8');
    if (!text.trimStart().startsWith('{')) throw s3Error('MalformedPolicy');
    const validation = validatePolicy(text, { kind: 'resource', skipSizeCheck: true });
    if (!validation.valid) throw s3Error('MalformedPolicy', { message: validation.error?.message ?? 'Invalid policy document' });
    this.store.setBucketPolicy(b, text);
    return { status: 204, headers: {} };
  }

  private listBuckets(req: S3Request, caller: RequestCaller): S3Response {
    const prefix = req.query.get('prefix') ?? undefined;
    const region = req.query.get('bucket-region') ?? undefined;
    const plain = prefix === undefined && region === undefined;
    const generation = this.store.bucketGeneration;
    if (plain) {
      const hit = this.listBucketsCache.get(caller.accountId);
      if (hit !== undefined && hit.generation === generation) return xmlResponse(hit.xml);
    }
    const buckets = this.store
      .listBuckets()
      .filter((b) => b.ownerAccount === caller.accountId && (prefix === undefined || b.name.startsWith(prefix)) && (region === undefined || b.region === region))
      .map((b) => ({ name: b.name, createdAt: b.createdAt, region: b.region }));
    const xml = listBucketsXml(ownerOf(caller.accountId), buckets, prefix === undefined ? {} : { prefix });
    if (plain && this.listBucketsCache.size < 1024) this.listBucketsCache.set(caller.accountId, { generation, xml });
    return xmlResponse(xml);
  }

  private async createBucket(req: S3Request, caller: RequestCaller, name: string): Promise<S3Response> {
    const body = await readSmallBody(req.headers, req.body, { chunkSigning: caller.chunkSigning, maxBytes: 64 * 1024 });
    if (!isValidBucketName(name)) throw s3Error('InvalidBucketName', { extra: [['BucketName', name]] });
    const constraint = parseCreateBucketConfiguration(body);
    const endpointRegion = caller.region;
    let region: string;
    if (constraint === undefined) {
      if (endpointRegion !== 'us-east-1') throw s3Error('IllegalLocationConstraintException');
      region = 'us-east-1';
    } else {
      if (constraint === 'us-east-1' || !/^(EU|[a-z]{2}(-[a-z]+)+-\d+)$/.test(constraint)) {
        throw s3Error('InvalidLocationConstraint', { extra: [['LocationConstraint', constraint]] });
      }
      region = constraint === 'EU' ? 'eu-west-1' : constraint;
      if (endpointRegion !== 'us-east-1' && region !== endpointRegion) {
        throw s3Error('IllegalLocationConstraintException', { message: `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.` });
      }
    }
    if (!this.store.createBucket(name, region, caller.accountId, this.now())) {
      const existing = this.store.getBucket(name)!;
      if (existing.ownerAccount !== caller.accountId) throw s3Error('BucketAlreadyExists', { extra: [['BucketName', name]] });
      // S3's legacy us-east-1 behaviour: creating your own bucket again there succeeds
      if (!(existing.region === 'us-east-1' && region === 'us-east-1')) throw s3Error('BucketAlreadyOwnedByYou', { extra: [['BucketName', name]] });
    }
    return { status: 200, headers: { location: `/${name}` } };
  }

  private listObjects(op: 'ListObjectsV2' | 'ListObjects', req: S3Request, caller: RequestCaller, bucket: string): S3Response {
    const q = req.query;
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? undefined;
    const encodingType = q.get('encoding-type') ?? undefined;
    if (encodingType !== undefined && encodingType !== 'url') {
      throw s3Error('InvalidArgument', { message: 'Invalid Encoding Method specified in Request', extra: [['ArgumentName', 'encoding-type'], ['ArgumentValue', encodingType]] });
    }
    const maxKeysText = q.get('max-keys');
    let maxKeys = 1000;
    if (maxKeysText !== null) {
      if (!/^\d+$/.test(maxKeysText) || Number(maxKeysText) > 2147483647) {
        throw s3Error('InvalidArgument', { message: 'Provided max-keys not an integer or within integer range', extra: [['ArgumentName', 'max-keys'], ['ArgumentValue', maxKeysText]] });
      }
      maxKeys = Math.min(1000, Number(maxKeysText));
    }
    const v2 = op === 'ListObjectsV2';
    const token = v2 ? (q.get('continuation-token') ?? undefined) : undefined;
    if (token === '') throw s3Error('InvalidArgument', { message: 'The continuation token provided is incorrect', extra: [['ArgumentName', 'continuation-token']] });
    const startAfter = v2 ? (q.get('start-after') ?? undefined) : (q.get('marker') ?? undefined);
    let mark: ContinuationMark | undefined = token !== undefined ? decodeToken(token) : startAfter ? { kind: 'key', value: startAfter } : undefined;

    const contents: ListedObject[] = [];
    const commonPrefixes: string[] = [];
    let isTruncated = false;
    let last: ContinuationMark | undefined;
    // start at the later of the prefix and the mark; keys sort by UTF-8 bytes (SQLite BINARY on UTF-8 text)
    const from = mark !== undefined && Buffer.compare(Buffer.from(mark.value), Buffer.from(prefix)) >= 0 ? mark.value : prefix;
    const inclusive = from === prefix && !(mark !== undefined && mark.value === prefix);
    if (maxKeys > 0) {
      for (const obj of this.store.iterate(bucket, from, inclusive)) {
        // iteration starts at or after the prefix in byte order, so the first key outside it ends the range
        if (!obj.key.startsWith(prefix)) break;
        if (mark?.kind === 'prefix' && obj.key.startsWith(mark.value)) continue;
        let entry: ContinuationMark = { kind: 'key', value: obj.key };
        if (delimiter !== undefined && delimiter !== '') {
          const at = obj.key.indexOf(delimiter, prefix.length);
          if (at >= 0) entry = { kind: 'prefix', value: obj.key.slice(0, at + delimiter.length) };
        }
        if (entry.kind === 'prefix' && last?.kind === 'prefix' && last.value === entry.value) continue;
        if (contents.length + commonPrefixes.length >= maxKeys) {
          isTruncated = true;
          break;
        }
        if (entry.kind === 'prefix') {
          commonPrefixes.push(entry.value);
          mark = entry;
        } else {
          contents.push({ key: obj.key, lastModified: obj.lastModified, etag: obj.etag, size: obj.size, checksumAlgorithm: obj.checksumAlgorithm });
        }
        last = entry;
      }
    }
    const owner = !v2 || q.get('fetch-owner') === 'true' ? ownerOf(caller.accountId) : undefined;
    if (v2) {
      return xmlResponse(
        listObjectsV2Xml({
          bucket,
          prefix,
          delimiter,
          maxKeys,
          encodingType: encodingType as 'url' | undefined,
          isTruncated,
          contents,
          commonPrefixes,
          continuationToken: token,
          nextContinuationToken: isTruncated && last !== undefined ? encodeToken(last) : undefined,
          startAfter,
          owner,
        }),
      );
    }
    return xmlResponse(listObjectsV1Xml(bucket, prefix, startAfter ?? '', delimiter, maxKeys, encodingType, isTruncated, contents, commonPrefixes, last, owner));
  }

  private async deleteObjects(req: S3Request, caller: RequestCaller, bucket: string, policy: string | undefined): Promise<S3Response> {
    if (headerValue(req.headers, 'content-md5') === undefined && !Object.keys(req.headers).some((h) => h.startsWith('x-amz-checksum-') || h === 'x-amz-trailer')) {
      throw s3Error('InvalidRequest', { message: 'Missing required header for this request: Content-MD5 OR x-amz-checksum-*' });
    }
    const body = await readSmallBody(req.headers, req.body, { chunkSigning: caller.chunkSigning, maxBytes: 2 * 1024 * 1024 });
    const { keys, quiet } = parseDeleteRequest(body);
    const outcome: DeleteOutcome = { deleted: [], errors: [] };
    for (const key of keys) {
      if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
        outcome.errors.push({ key, code: 'KeyTooLongError', message: 'Your key is too long' });
        continue;
      }
      if (!this.allowed(caller, { action: 's3:DeleteObject', resource: s3Arn(bucket, key), context: {} }, policy)) {
        outcome.errors.push({ key, code: 'AccessDenied', message: 'Access Denied' });
        continue;
      }
      this.store.deleteObject(bucket, key);
      outcome.deleted.push(key);
    }
    return xmlResponse(deleteResultXml(outcome, quiet));
  }

  private async storeUpload(bucket: string, key: string, pending: PendingObject, meta: Parameters<ObjectStore['commit']>[3]): Promise<ObjectRecord> {
    const record = await this.store.commit(bucket, key, pending, meta, this.now());
    if (record === undefined) throw s3Error('NoSuchBucket', { extra: [['BucketName', bucket]] });
    return record;
  }

  private async putObject(req: S3Request, caller: RequestCaller, bucket: string, key: string): Promise<S3Response> {
    checkDeclaredSize(req.headers, this.maxObjectBytes);
    const headers = objectHeaders(req.headers);
    const pending = await this.store.begin();
    let record: ObjectRecord;
    let payload;
    try {
      payload = await readPayload(req.headers, req.body, (c) => pending.append(c), {
        maxBytes: this.maxObjectBytes,
        chunkSigning: caller.chunkSigning,
        idleTimeoutMs: this.idleTimeoutMs,
        defaultChecksum: 'CRC64NVME',
      });
      await pending.finish();
      record = await this.storeUpload(bucket, key, pending, {
        size: payload.size,
        etag: `"${payload.md5Hex}"`,
        headers,
        checksumAlgorithm: payload.checksum?.algorithm,
        checksumValue: payload.checksum?.value,
      });
    } catch (err) {
      await pending.abort();
      throw err;
    }
    const out: Record<string, string> = { etag: record.etag };
    if (payload.checksum !== undefined) {
      out[checksumHeaderName(payload.checksum.algorithm)] = payload.checksum.value;
      out['x-amz-checksum-type'] = 'FULL_OBJECT';
    }
    return { status: 200, headers: out };
  }

  private async copyObject(req: S3Request, caller: RequestCaller, bucket: string, key: string): Promise<S3Response> {
    const rawSource = headerValue(req.headers, 'x-amz-copy-source')!;
    let source: string;
    try {
      source = decodeURIComponent(rawSource.split('?')[0]!);
    } catch {
      throw s3Error('InvalidArgument', { message: 'Invalid copy source encoding', extra: [['ArgumentName', 'x-amz-copy-source'], ['ArgumentValue', rawSource.slice(0, 256)]] });
    }
    const trimmed = source.startsWith('/') ? source.slice(1) : source;
    const slash = trimmed.indexOf('/');
    if (slash <= 0 || slash === trimmed.length - 1) {
      throw s3Error('InvalidArgument', { message: 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', extra: [['ArgumentName', 'x-amz-copy-source'], ['ArgumentValue', rawSource.slice(0, 256)]] });
    }
    const srcBucketName = trimmed.slice(0, slash);
    const srcKey = trimmed.slice(slash + 1);
    checkKey(srcKey);
    const srcBucket = this.requireBucket(srcBucketName);
    this.authorize(caller, { action: 's3:GetObject', resource: s3Arn(srcBucketName, srcKey), context: {} }, srcBucket.policy);
    const src = this.store.getObject(srcBucketName, srcKey);
    if (src === undefined) throw s3Error('NoSuchKey', { extra: [['Key', srcKey]] });
    const directive = (headerValue(req.headers, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
    if (directive !== 'COPY' && directive !== 'REPLACE') {
      throw s3Error('InvalidArgument', { message: 'Unknown metadata directive.', extra: [['ArgumentName', 'x-amz-metadata-directive'], ['ArgumentValue', directive]] });
    }
    if (srcBucketName === bucket && srcKey === key && directive === 'COPY') {
      throw s3Error('InvalidRequest', {
        message: "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      });
    }
    const body = await readSmallBody(req.headers, req.body, { chunkSigning: caller.chunkSigning, maxBytes: 0 });
    void body;
    const headers = directive === 'REPLACE' ? objectHeaders(req.headers) : src.headers;
    const pending = await this.store.beginCopy(src);
    let record: ObjectRecord;
    try {
      record = await this.storeUpload(bucket, key, pending, {
        size: src.size,
        etag: src.etag,
        headers,
        checksumAlgorithm: src.checksumAlgorithm,
        checksumValue: src.checksumValue,
      });
    } catch (err) {
      await pending.abort();
      throw err;
    }
    const checksum = record.checksumAlgorithm !== undefined && record.checksumValue !== undefined ? { algorithm: record.checksumAlgorithm.toUpperCase(), value: record.checksumValue } : undefined;
    return xmlResponse(copyObjectResultXml(record.etag, record.lastModified, checksum));
  }

  private async getObject(op: 'GetObject' | 'HeadObject', req: S3Request, caller: RequestCaller, bucket: string, key: string, policy: string | undefined): Promise<S3Response> {
    for (let attempt = 0; ; attempt++) {
      const obj = this.store.getObject(bucket, key);
      if (obj === undefined) {
        // S3 says NoSuchKey only to callers who may list the bucket; others learn nothing about which keys exist
        if (!this.allowed(caller, { action: 's3:ListBucket', resource: s3Arn(bucket), context: {} }, policy)) throw s3Error('AccessDenied');
        throw s3Error('NoSuchKey', { extra: [['Key', key]] });
      }
      const conditional = evaluateConditions(req.headers, obj);
      if (conditional !== undefined) return conditional;
      const headers: Record<string, string> = {
        'last-modified': httpDate(obj.lastModified),
        etag: obj.etag,
        'accept-ranges': 'bytes',
        'content-type': obj.headers['content-type'] ?? 'binary/octet-stream',
      };
      for (const [name, value] of Object.entries(obj.headers)) if (name !== 'content-type') headers[name] = value;
      for (const [param, name] of RESPONSE_OVERRIDES) {
        const v = req.query.get(param);
        if (v !== null) headers[name] = v;
      }
      const rangeHeader = headerValue(req.headers, 'range');
      const range = rangeHeader === undefined ? undefined : parseRange(rangeHeader, obj.size);
      if (range === 'unsatisfiable') {
        throw s3Error('InvalidRange', {
          extra: [['RangeRequested', rangeHeader!], ['ActualObjectSize', String(obj.size)]],
        });
      }
      if (range === undefined && (headerValue(req.headers, 'x-amz-checksum-mode') ?? '').toUpperCase() === 'ENABLED' && obj.checksumAlgorithm !== undefined && obj.checksumValue !== undefined) {
        headers[checksumHeaderName(obj.checksumAlgorithm as ChecksumAlgorithm)] = obj.checksumValue;
        headers['x-amz-checksum-type'] = 'FULL_OBJECT';
      }
      const start = range?.start ?? 0;
      const end = range?.end ?? obj.size - 1;
      headers['content-length'] = String(Math.max(0, end - start + 1));
      if (range !== undefined) headers['content-range'] = `bytes ${start}-${end}/${obj.size}`;
      const status = range === undefined ? 200 : 206;
      if (op === 'HeadObject') return { status, headers };
      let handle;
      try {
        handle = await open(obj.path, 'r');
      } catch (err) {
        // replaced or deleted between the lookup and the open: look again once
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && attempt === 0) continue;
        throw err;
      }
      const body = obj.size === 0 ? Readable.from([]) : handle.createReadStream({ start, end, autoClose: true });
      if (obj.size === 0) await handle.close();
      return { status, headers, body };
    }
  }
}

const RESPONSE_OVERRIDES: ReadonlyArray<readonly [string, string]> = [
  ['response-content-type', 'content-type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
];

/** If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since, in S3's precedence. */
function evaluateConditions(headers: IncomingHttpHeaders, obj: ObjectRecord): S3Response | undefined {
  const ifMatch = headerValue(headers, 'if-match');
  const ifNoneMatch = headerValue(headers, 'if-none-match');
  const ifModifiedSince = headerValue(headers, 'if-modified-since');
  const ifUnmodifiedSince = headerValue(headers, 'if-unmodified-since');
  const matches = (list: string) => list.split(',').some((t) => t.trim() === '*' || t.trim().replace(/^W\//, '') === obj.etag || `"${t.trim()}"` === obj.etag);
  const seconds = Math.floor(obj.lastModified / 1000) * 1000;
  const notModified = { status: 304, headers: { etag: obj.etag, 'last-modified': httpDate(obj.lastModified) } };
  if (ifMatch !== undefined && !matches(ifMatch)) throw s3Error('PreconditionFailed', { extra: [['Condition', 'If-Match']] });
  if (ifMatch === undefined && ifUnmodifiedSince !== undefined) {
    const t = Date.parse(ifUnmodifiedSince);
    if (!Number.isNaN(t) && seconds > t) throw s3Error('PreconditionFailed', { extra: [['Condition', 'If-Unmodified-Since']] });
  }
  if (ifNoneMatch !== undefined && matches(ifNoneMatch)) return notModified;
  if (ifNoneMatch === undefined && ifModifiedSince !== undefined) {
    const t = Date.parse(ifModifiedSince);
    if (!Number.isNaN(t) && seconds <= t) return notModified;
  }
  return undefined;
}

/**
 * S3's error response: the `<Error>` document (none for HEAD), with the headers S3 adds for some codes
 * (`Content-Range` on InvalidRange, `Allow` on MethodNotAllowed).
 */
export function renderS3Error(err: WireError, method: string, requestId: string, hostId: string): S3Response {
  const headers: Record<string, string> = { 'x-amz-request-id': requestId, 'x-amz-id-2': hostId };
  const extra = new Map(err.extra ?? []);
  if (err.code === 'InvalidRange' && extra.has('ActualObjectSize')) headers['content-range'] = `bytes */${extra.get('ActualObjectSize')}`;
  if (err.code === 'MethodNotAllowed') headers['allow'] = 'GET, HEAD, PUT, DELETE, POST';
  if (method === 'HEAD') return { status: err.httpStatus, headers };
  headers['content-type'] = 'application/xml';
  return { status: err.httpStatus, headers, body: errorXml(err, requestId, hostId) };
}

/** The `Owner`/`Initiator` S3 shows for an account's resources. */
function ownerOf(accountId: string): { id: string; displayName: string } {
  return { id: canonicalUserId(accountId), displayName: accountId };
}

function xmlResponse(body: string): S3Response {
  return { status: 200, headers: { 'content-type': 'application/xml' }, body };
}

function listObjectsV1Xml(
  bucket: string,
  prefix: string,
  marker: string,
  delimiter: string | undefined,
  maxKeys: number,
  encodingType: string | undefined,
  isTruncated: boolean,
  contents: readonly ListedObject[],
  commonPrefixes: readonly string[],
  last: ContinuationMark | undefined,
  owner: { id: string; displayName: string } | undefined,
): string {
  const enc = encodingType === 'url' ? urlEncodeKey : (s: string) => s;
  const e = (n: string, v: string | number | boolean) => `<${n}>${escape(String(v))}</${n}>`;
  let inner = e('Name', bucket) + e('Prefix', enc(prefix)) + e('Marker', enc(marker)) + e('MaxKeys', maxKeys);
  if (delimiter !== undefined) inner += e('Delimiter', enc(delimiter));
  if (encodingType !== undefined) inner += e('EncodingType', encodingType);
  inner += e('IsTruncated', isTruncated);
  if (isTruncated && delimiter !== undefined && last !== undefined) inner += e('NextMarker', enc(last.value));
  for (const o of contents) {
    inner += `<Contents>${e('Key', enc(o.key))}${e('LastModified', xmlDate(o.lastModified))}${e('ETag', o.etag)}${e('Size', o.size)}`;
    if (owner !== undefined) inner += `<Owner>${e('ID', owner.id)}${e('DisplayName', owner.displayName)}</Owner>`;
    inner += `${e('StorageClass', 'STANDARD')}</Contents>`;
  }
  for (const p of commonPrefixes) inner += `<CommonPrefixes>${e('Prefix', enc(p))}</CommonPrefixes>`;
  return xmlDocument('ListBucketResult', inner);
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Which operation a method, address and query name; S3's `MethodNotAllowed` / `NotImplemented` otherwise. */
export function routeOperation(req: Pick<S3Request, 'method' | 'query' | 'headers'>, bucket: string | undefined, key: string | undefined): S3Operation {
  // the headers are read only by the routes that depend on one (a request's header record is made on first use)
  const { method, query } = req;
  const notAllowed = () => s3Error('MethodNotAllowed', { extra: [['Method', method], ['ResourceType', key !== undefined ? 'OBJECT' : bucket !== undefined ? 'BUCKET' : 'SERVICE']] });
  if (bucket === undefined) {
    if (method === 'GET') return 'ListBuckets';
    throw notAllowed();
  }
  if (key === undefined) {
    if (query.has('uploads') && method === 'GET') return 'ListMultipartUploads';
    const unsupported = ['acl', 'cors', 'lifecycle', 'logging', 'notification', 'tagging', 'versioning', 'website', 'encryption', 'replication', 'uploads', 'versions', 'object-lock', 'ownershipControls', 'publicAccessBlock', 'accelerate', 'requestPayment', 'analytics', 'inventory', 'metrics', 'intelligent-tiering', 'policyStatus'].find((s) => query.has(s));
    if (unsupported !== undefined) throw s3Error('NotImplemented', { message: `The ?${unsupported} bucket subresource is not implemented by this local S3.` });
    switch (method) {
      case 'PUT':
        return query.has('policy') ? 'PutBucketPolicy' : 'CreateBucket';
      case 'HEAD':
        return 'HeadBucket';
      case 'DELETE':
        return query.has('policy') ? 'DeleteBucketPolicy' : 'DeleteBucket';
      case 'POST':
        if (query.has('delete')) return 'DeleteObjects';
        throw notAllowed();
      case 'GET':
        if (query.has('location')) return 'GetBucketLocation';
        if (query.has('policy')) return 'GetBucketPolicy';
        return query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
      default:
        throw notAllowed();
    }
  }
  const unsupported = ['acl', 'tagging', 'retention', 'legal-hold', 'torrent', 'restore', 'select', 'attributes'].find((s) => query.has(s));
  if (unsupported !== undefined) throw s3Error('NotImplemented', { message: `The ?${unsupported} object subresource is not implemented by this local S3.` });
  if (query.has('uploadId')) return multipartOperation(method, req.headers, notAllowed);
  if (query.has('uploads')) {
    if (method === 'POST') return 'CreateMultipartUpload';
    throw notAllowed();
  }
  switch (method) {
    case 'PUT':
      if (query.has('partNumber')) throw s3Error('InvalidArgument', { message: 'partNumber needs an uploadId', extra: [['ArgumentName', 'uploadId'], ['ArgumentValue', '']] });
      return req.headers['x-amz-copy-source'] !== undefined ? 'CopyObject' : 'PutObject';
    case 'GET':
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'DELETE':
      return 'DeleteObject';
    default:
      throw notAllowed();
  }
}

/** The operation of a request on an object with `?uploadId=`. */
function multipartOperation(method: string, headers: IncomingHttpHeaders, notAllowed: () => Error): S3Operation {
  switch (method) {
    case 'PUT':
      if (headers['x-amz-copy-source'] !== undefined) throw s3Error('NotImplemented', { message: 'UploadPartCopy is not implemented by this local S3; upload the part\'s bytes with UploadPart.' });
      return 'UploadPart';
    case 'POST':
      return 'CompleteMultipartUpload';
    case 'DELETE':
      return 'AbortMultipartUpload';
    case 'GET':
      return 'ListParts';
    default:
      throw notAllowed();
  }
}
