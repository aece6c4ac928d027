/**
 * S3 multipart uploads: CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload, ListParts
 * and ListMultipartUploads, with S3's limits (parts 1..10000, every part but the last at least 5 MiB) and its ETag
 * of a multipart object (`"md5(the parts' binary md5s)-N"`). Parts are read through the same payload checks as a
 * PutObject and stored the same way (durable before acknowledged). Authorization happens before these run.
 * @module
 */
import type { Readable } from 'node:stream';
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ChunkSigningContext } from './chunked.js';
import { checksumHeaderName, createChecksum, parseChecksumAlgorithm, type ChecksumAlgorithm } from './checksum.js';
import { invalidChecksumHeader, s3Error } from './errors.js';
import { checkDeclaredSize, readPayload, readSmallBody, type PayloadResult } from './payload.js';
import type { ObjectStore, PartRecord, PendingObject, UploadRecord } from './store.js';
import {
  completeMultipartUploadXml,
  initiateMultipartUploadXml,
  listMultipartUploadsXml,
  listPartsXml,
  parseCompleteMultipartUpload,
} from './xml.js';

/** S3's part numbers. */
const MAX_PART_NUMBER = 10_000;
/** S3's minimum size of every part but the last. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** The checksum a completed object gets when its upload named none (S3's default for new objects). */
const DEFAULT_CHECKSUM: ChecksumAlgorithm = 'CRC64NVME';

/** What a multipart handler answers (the service adds the request id headers). */
interface MultipartResponse {
  status: number;
  headers: Record<string, string>;
  body?: string;
}

/** The request parts the handlers read. */
interface MultipartRequest {
  host: string;
  rawPath: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Readable;
}

export interface MultipartOptions {
  store: ObjectStore;
  now: () => number;
  /** The largest part (S3: 5 GiB). */
  maxPartBytes: number;
  idleTimeoutMs: number;
}

function xmlOk(body: string, headers: Record<string, string> = {}): MultipartResponse {
  return { status: 200, headers: { 'content-type': 'application/xml', ...headers }, body };
}

function noSuchUpload(uploadId: string) {
  return s3Error('NoSuchUpload', { extra: [['UploadId', uploadId]] });
}

/** The `partNumber` query parameter: an integer 1..10000 (S3's `InvalidArgument` otherwise). */
export function parsePartNumber(value: string | null): number {
  const n = value !== null && /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_PART_NUMBER)) {
    throw s3Error('InvalidArgument', { message: `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, extra: [['ArgumentName', 'partNumber'], ['ArgumentValue', (value ?? '').slice(0, 64)]] });
  }
  return n;
}

/** A bounded integer query parameter (`max-parts`, `max-uploads`, `part-number-marker`), S3's `InvalidArgument` otherwise. */
function intParam(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const v = query.get(name);
  if (v === null) return fallback;
  if (!/^\d{1,10}$/.test(v)) throw s3Error('InvalidArgument', { message: `Provided ${name} not an integer or within integer range`, extra: [['ArgumentName', name], ['ArgumentValue', v.slice(0, 64)]] });
  return Math.min(Number(v), max);
}

/** ETags compare without their quotes (clients send them either way). */
function bareEtag(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}

/** S3's ETag of a multipart object: md5 of the parts' binary md5s, then `-` and the number of parts. */
export function multipartEtag(parts: readonly { etag: string }[]): string {
  const md5 = createHash('md5');
  for (const p of parts) md5.update(Buffer.from(bareEtag(p.etag), 'hex'));
  return `"${md5.digest('hex')}-${parts.length}"`;
}

/** The checksum algorithm a CreateMultipartUpload names (`x-amz-checksum-algorithm`), if any. */
function requestedAlgorithm(headers: IncomingHttpHeaders): ChecksumAlgorithm | undefined {
  const raw = headers['x-amz-checksum-algorithm'];
  if (raw === undefined) return undefined;
  const algorithm = parseChecksumAlgorithm(Array.isArray(raw) ? raw.join(',') : raw);
  if (algorithm === undefined) throw invalidChecksumHeader('x-amz-checksum-algorithm');
  return algorithm;
}

/** A part of an upload that named a checksum algorithm must carry that algorithm's checksum, as S3 requires. */
function checkPartChecksum(upload: UploadRecord, payload: PayloadResult): void {
  const expected = upload.checksumAlgorithm;
  if (expected === undefined || !payload.checksumFromClient || payload.checksum?.algorithm === expected) return;
  throw s3Error('InvalidRequest', { message: `Checksum Type mismatch occurred, expected checksum Type: ${expected.toLowerCase()}, actual checksum Type: ${payload.checksum?.algorithm.toLowerCase()}` });
}

/**
 * Checks a CompleteMultipartUpload's list against the uploaded parts, in S3's order of errors: ascending part numbers
 * (`InvalidPartOrder`), each part uploaded with that ETag (`InvalidPart`), every part but the last at least 5 MiB
 * (`EntityTooSmall`). Returns the parts to join.
 */
export function selectParts(uploadId: string, listed: readonly { partNumber: number; etag: string }[], uploaded: readonly PartRecord[]): PartRecord[] {
  for (let i = 1; i < listed.length; i++) {
    if (listed[i]!.partNumber <= listed[i - 1]!.partNumber) {
      throw s3Error('InvalidPartOrder', { extra: [['UploadId', uploadId], ['PartNumber', String(listed[i]!.partNumber)]] });
    }
  }
  const byNumber = new Map(uploaded.map((p) => [p.partNumber, p]));
  const chosen = listed.map((l) => {
    const part = byNumber.get(l.partNumber);
    if (part === undefined || bareEtag(part.etag) !== bareEtag(l.etag)) {
      throw s3Error('InvalidPart', { extra: [['UploadId', uploadId], ['PartNumber', String(l.partNumber)], ['ETag', l.etag]] });
    }
    return part;
  });
  chosen.forEach((part, i) => {
    if (i < chosen.length - 1 && part.size < MIN_PART_BYTES) {
      throw s3Error('EntityTooSmall', { extra: [['ProposedSize', String(part.size)], ['MinSizeAllowed', String(MIN_PART_BYTES)], ['PartNumber', String(part.partNumber)], ['ETag', part.etag]] });
    }
  });
  return chosen;
}

/** The multipart operations of one store. */
export class MultipartUploads {
  constructor(private readonly options: MultipartOptions) {}

  private get store(): ObjectStore {
    return this.options.store;
  }

  private requireUpload(bucket: string, key: string, uploadId: string): UploadRecord {
    const upload = this.store.getUpload(bucket, key, uploadId);
    if (upload === undefined) throw noSuchUpload(uploadId);
    return upload;
  }

  /** CreateMultipartUpload: `objectHeaders` are kept for the completed object. */
  async create(req: MultipartRequest, chunkSigning: ChunkSigningContext | undefined, initiator: string, bucket: string, key: string, objectHeaders: Record<string, string>): Promise<MultipartResponse> {
    const algorithm = requestedAlgorithm(req.headers);
    await readSmallBody(req.headers, req.body, { chunkSigning, maxBytes: 0 });
    const upload = this.store.createUpload({ bucket, key, initiator, initiated: this.options.now(), headers: objectHeaders, checksumAlgorithm: algorithm });
    if (upload === undefined) throw s3Error('NoSuchBucket', { extra: [['BucketName', bucket]] });
    const headers: Record<string, string> = algorithm === undefined ? {} : { 'x-amz-checksum-algorithm': algorithm, 'x-amz-checksum-type': 'FULL_OBJECT' };
    return xmlOk(initiateMultipartUploadXml(bucket, key, upload.uploadId), headers);
  }

  /** UploadPart: the part is durable before it is acknowledged; a part of the same number is replaced. */
  async uploadPart(req: MultipartRequest, chunkSigning: ChunkSigningContext | undefined, bucket: string, key: string): Promise<MultipartResponse> {
    const partNumber = parsePartNumber(req.query.get('partNumber'));
    const upload = this.requireUpload(bucket, key, req.query.get('uploadId')!);
    checkDeclaredSize(req.headers, this.options.maxPartBytes);
    const pending = await this.store.begin();
    let payload: PayloadResult;
    try {
      payload = await readPayload(req.headers, req.body, (c) => pending.append(c), {
        maxBytes: this.options.maxPartBytes,
        chunkSigning,
        idleTimeoutMs: this.options.idleTimeoutMs,
        defaultChecksum: upload.checksumAlgorithm as ChecksumAlgorithm | undefined,
      });
      checkPartChecksum(upload, payload);
      await pending.finish();
      const part = await this.store.commitPart(upload.uploadId, partNumber, pending, { size: payload.size, etag: `"${payload.md5Hex}"`, checksumValue: payload.checksum?.value }, this.options.now());
      if (part === undefined) throw noSuchUpload(upload.uploadId);
    } catch (err) {
      await pending.abort();
      throw err;
    }
    const headers: Record<string, string> = { etag: `"${payload.md5Hex}"` };
    if (payload.checksum !== undefined) headers[checksumHeaderName(payload.checksum.algorithm)] = payload.checksum.value;
    return { status: 200, headers };
  }

  /** CompleteMultipartUpload: the object becomes the listed parts joined; the upload and all its parts are gone. */
  async complete(req: MultipartRequest, chunkSigning: ChunkSigningContext | undefined, bucket: string, key: string): Promise<MultipartResponse> {
    const upload = this.requireUpload(bucket, key, req.query.get('uploadId')!);
    const listed = parseCompleteMultipartUpload(await readSmallBody(req.headers, req.body, { chunkSigning, maxBytes: 4 * 1024 * 1024 }));
    const parts = selectParts(upload.uploadId, listed, this.store.listParts(upload.uploadId));
    const algorithm = (upload.checksumAlgorithm as ChecksumAlgorithm | undefined) ?? DEFAULT_CHECKSUM;
    const pending = await this.store.begin();
    let outcome;
    try {
      const checksum = await joinParts(upload.uploadId, parts, pending, algorithm);
      await pending.finish();
      const etag = multipartEtag(parts);
      const size = parts.reduce((n, p) => n + p.size, 0);
      outcome = await this.store.completeUpload(upload, parts, pending, { size, etag, headers: upload.headers, checksumAlgorithm: algorithm, checksumValue: checksum }, this.options.now());
    } catch (err) {
      await pending.abort();
      throw err;
    }
    if (outcome === 'no-upload') throw noSuchUpload(upload.uploadId);
    if (outcome === 'parts-changed') throw s3Error('InvalidPart', { extra: [['UploadId', upload.uploadId]] });
    const shown = upload.checksumAlgorithm === undefined ? undefined : { algorithm, value: outcome.checksumValue! };
    return xmlOk(completeMultipartUploadXml({ location: `http://${req.host}${req.rawPath}`, bucket, key, etag: outcome.etag, checksum: shown }));
  }

  /** AbortMultipartUpload: 204, parts' files removed. */
  abort(req: MultipartRequest, bucket: string, key: string): MultipartResponse {
    const upload = this.requireUpload(bucket, key, req.query.get('uploadId')!);
    if (!this.store.abortUpload(upload.uploadId)) throw noSuchUpload(upload.uploadId);
    return { status: 204, headers: {} };
  }

  /** ListParts: `max-parts` (1000 by default) parts after `part-number-marker`. */
  listParts(req: MultipartRequest, bucket: string, key: string, owner: { id: string; displayName: string }): MultipartResponse {
    const upload = this.requireUpload(bucket, key, req.query.get('uploadId')!);
    const maxParts = intParam(req.query, 'max-parts', 1000, 1000);
    const marker = intParam(req.query, 'part-number-marker', 0, MAX_PART_NUMBER);
    const after = this.store.listParts(upload.uploadId).filter((p) => p.partNumber > marker);
    const page = after.slice(0, maxParts);
    const isTruncated = after.length > page.length;
    return xmlOk(listPartsXml({
      bucket,
      key,
      uploadId: upload.uploadId,
      initiator: upload.initiator,
      owner,
      checksumAlgorithm: upload.checksumAlgorithm,
      partNumberMarker: marker,
      nextPartNumberMarker: page.length > 0 ? page[page.length - 1]!.partNumber : marker,
      maxParts,
      isTruncated,
      parts: page,
    }));
  }

  /** ListMultipartUploads: `max-uploads` (1000 by default) uploads after `key-marker`/`upload-id-marker`, under `prefix`. */
  listUploads(req: MultipartRequest, bucket: string, owner: { id: string; displayName: string }): MultipartResponse {
    const maxUploads = intParam(req.query, 'max-uploads', 1000, 1000);
    const prefix = req.query.get('prefix') ?? '';
    const keyMarker = req.query.get('key-marker') ?? '';
    const uploadIdMarker = keyMarker === '' ? '' : (req.query.get('upload-id-marker') ?? '');
    if (req.query.has('delimiter')) throw s3Error('NotImplemented', { message: 'ListMultipartUploads with a delimiter is not implemented by this local S3; list with a prefix.' });
    const encodingType = req.query.get('encoding-type');
    if (encodingType !== null && encodingType !== 'url') throw s3Error('InvalidArgument', { message: 'Invalid Encoding Method specified in Request', extra: [['ArgumentName', 'encoding-type'], ['ArgumentValue', encodingType.slice(0, 64)]] });
    const uploads = [];
    let isTruncated = false;
    let passedMarker = uploadIdMarker === '';
    for (const u of this.store.iterateUploads(bucket)) {
      if (!u.key.startsWith(prefix) || u.key < keyMarker) continue;
      if (u.key === keyMarker) {
        // without an upload-id-marker the key-marker's own uploads are skipped; with one, those up to it are
        if (uploadIdMarker === '') continue;
        if (!passedMarker) {
          passedMarker = u.uploadId === uploadIdMarker;
          continue;
        }
      }
      if (uploads.length === maxUploads) {
        isTruncated = true;
        break;
      }
      uploads.push(u);
    }
    const last = uploads[uploads.length - 1];
    return xmlOk(listMultipartUploadsXml({
      bucket,
      prefix,
      keyMarker,
      uploadIdMarker,
      nextKeyMarker: isTruncated && last !== undefined ? last.key : '',
      nextUploadIdMarker: isTruncated && last !== undefined ? last.uploadId : '',
      maxUploads,
      isTruncated,
      encodingType: encodingType === 'url' ? 'url' : undefined,
      owner,
      uploads,
    }));
  }
}

/** Appends the parts' files to `pending` in order; returns the joined bytes' checksum. A part gone meanwhile is `InvalidPart`. */
async function joinParts(uploadId: string, parts: readonly PartRecord[], pending: PendingObject, algorithm: ChecksumAlgorithm): Promise<string> {
  const checksum = createChecksum(algorithm);
  for (const part of parts) {
    try {
      for await (const chunk of createReadStream(part.path) as AsyncIterable<Buffer>) {
        checksum.update(chunk);
        await pending.append(chunk);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw s3Error('InvalidPart', { extra: [['UploadId', uploadId], ['PartNumber', String(part.partNumber)], ['ETag', part.etag]] });
      throw err;
    }
  }
  return checksum.digest().toString('base64');
}
