/**
 * S3's REST-XML: response documents written as S3 writes them (the 2006-03-01 namespace, quoted ETags, ISO dates
 * with milliseconds), the `<Error>` document, and the few request bodies S3 reads (CreateBucketConfiguration,
 * Delete, CompleteMultipartUpload), parsed with fast-xml-parser.
 * @module
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { s3Error } from './errors.js';
import type { WireError } from '../errors.js';
import { S3_XML_NAMESPACE } from '../protocol/constants.js';

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** Escapes text for element content; control characters become numeric references. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\x00-\x08\x0b\x0c\x0e-\x1f\r]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`;
    }
  });
}

/** `2025-01-01T12:00:00.000Z`, as S3 writes dates inside XML. */
export function xmlDate(ms: number): string {
  return new Date(ms).toISOString();
}

/** `Wed, 01 Jan 2025 12:00:00 GMT`, as S3 writes `Last-Modified`. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

const el = (name: string, value: string | number | boolean): string => `<${name}>${escapeXml(String(value))}</${name}>`;

/** A whole S3 response document with the declaration and, when asked, S3's namespace on the root. */
export function xmlDocument(root: string, inner: string, namespaced = true): string {
  return `${DECLARATION}<${root}${namespaced ? ` xmlns="${S3_XML_NAMESPACE}"` : ''}>${inner}</${root}>`;
}

/** The `<Error>` document (no namespace), extra elements in order, then `RequestId` and `HostId`. */
export function errorXml(err: WireError, requestId: string, hostId: string): string {
  let inner = el('Code', err.code) + el('Message', err.message);
  for (const [name, value] of err.extra ?? []) inner += el(name, value);
  inner += el('RequestId', requestId) + el('HostId', hostId);
  return xmlDocument('Error', inner, false);
}

export interface BucketEntry {
  name: string;
  createdAt: number;
  region: string;
}

export function listBucketsXml(owner: { id: string; displayName: string }, buckets: readonly BucketEntry[], extra: { prefix?: string; continuationToken?: string } = {}): string {
  let inner = `<Owner>${el('ID', owner.id)}${el('DisplayName', owner.displayName)}</Owner><Buckets>`;
  for (const b of buckets) inner += `<Bucket>${el('Name', b.name)}${el('CreationDate', xmlDate(b.createdAt))}${el('BucketRegion', b.region)}</Bucket>`;
  inner += '</Buckets>';
  if (extra.continuationToken !== undefined) inner += el('ContinuationToken', extra.continuationToken);
  if (extra.prefix !== undefined) inner += el('Prefix', extra.prefix);
  return xmlDocument('ListAllMyBucketsResult', inner);
}

export interface ListedObject {
  key: string;
  lastModified: number;
  etag: string;
  size: number;
  checksumAlgorithm?: string | undefined;
}

export interface ListObjectsV2Result {
  bucket: string;
  prefix: string;
  delimiter?: string | undefined;
  maxKeys: number;
  encodingType?: 'url' | undefined;
  isTruncated: boolean;
  contents: readonly ListedObject[];
  commonPrefixes: readonly string[];
  continuationToken?: string | undefined;
  nextContinuationToken?: string | undefined;
  startAfter?: string | undefined;
  owner?: { id: string; displayName: string } | undefined;
}

/** S3's `encoding-type=url`: the path-segment encoding of JavaScript, keeping `/` (as S3 does). */
export function urlEncodeKey(value: string): string {
  return encodeURIComponent(value).replace(/%2F/g, '/').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function listObjectsV2Xml(r: ListObjectsV2Result): string {
  const enc = r.encodingType === 'url' ? urlEncodeKey : (s: string) => s;
  let inner = el('Name', r.bucket) + el('Prefix', enc(r.prefix));
  if (r.continuationToken !== undefined) inner += el('ContinuationToken', r.continuationToken);
  if (r.startAfter !== undefined) inner += el('StartAfter', enc(r.startAfter));
  inner += el('KeyCount', r.contents.length + r.commonPrefixes.length) + el('MaxKeys', r.maxKeys);
  if (r.delimiter !== undefined) inner += el('Delimiter', enc(r.delimiter));
  if (r.encodingType !== undefined) inner += el('EncodingType', r.encodingType);
  inner += el('IsTruncated', r.isTruncated);
  for (const o of r.contents) {
    inner += `<Contents>${el('Key', enc(o.key))}${el('LastModified', xmlDate(o.lastModified))}${el('ETag', o.etag)}`;
    if (o.checksumAlgorithm !== undefined) inner += `${el('ChecksumAlgorithm', o.checksumAlgorithm)}${el('ChecksumType', 'FULL_OBJECT')}`;
    inner += el('Size', o.size);
    if (r.owner !== undefined) inner += `<Owner>${el('ID', r.owner.id)}${el('DisplayName', r.owner.displayName)}</Owner>`;
    inner += `${el('StorageClass', 'STANDARD')}</Contents>`;
  }
  for (const p of r.commonPrefixes) inner += `<CommonPrefixes>${el('Prefix', enc(p))}</CommonPrefixes>`;
  if (r.nextContinuationToken !== undefined) inner += el('NextContinuationToken', r.nextContinuationToken);
  return xmlDocument('ListBucketResult', inner);
}

export function copyObjectResultXml(etag: string, lastModified: number, checksum?: { algorithm: string; value: string }): string {
  let inner = el('ETag', etag) + el('LastModified', xmlDate(lastModified));
  if (checksum !== undefined) inner += el(`Checksum${checksum.algorithm}`, checksum.value);
  return xmlDocument('CopyObjectResult', inner);
}

export function locationConstraintXml(region: string): string {
  // us-east-1 buckets answer an empty LocationConstraint, as S3 does
  return `${DECLARATION}<LocationConstraint xmlns="${S3_XML_NAMESPACE}">${region === 'us-east-1' ? '' : escapeXml(region)}</LocationConstraint>`;
}

export function initiateMultipartUploadXml(bucket: string, key: string, uploadId: string): string {
  return xmlDocument('InitiateMultipartUploadResult', el('Bucket', bucket) + el('Key', key) + el('UploadId', uploadId));
}

export function completeMultipartUploadXml(r: { location: string; bucket: string; key: string; etag: string; checksum?: { algorithm: string; value: string } | undefined }): string {
  let inner = el('Location', r.location) + el('Bucket', r.bucket) + el('Key', r.key) + el('ETag', r.etag);
  if (r.checksum !== undefined) inner += el(`Checksum${r.checksum.algorithm}`, r.checksum.value) + el('ChecksumType', 'FULL_OBJECT');
  return xmlDocument('CompleteMultipartUploadResult', inner);
}

export interface ListPartsResult {
  bucket: string;
  key: string;
  uploadId: string;
  initiator: string;
  owner: { id: string; displayName: string };
  checksumAlgorithm: string | undefined;
  partNumberMarker: number;
  nextPartNumberMarker: number;
  maxParts: number;
  isTruncated: boolean;
  parts: ReadonlyArray<{ partNumber: number; lastModified: number; etag: string; size: number; checksumValue: string | undefined }>;
}

export function listPartsXml(r: ListPartsResult): string {
  let inner = el('Bucket', r.bucket) + el('Key', r.key) + el('UploadId', r.uploadId);
  inner += `<Initiator>${el('ID', r.initiator)}${el('DisplayName', r.initiator)}</Initiator>`;
  inner += `<Owner>${el('ID', r.owner.id)}${el('DisplayName', r.owner.displayName)}</Owner>`;
  inner += el('StorageClass', 'STANDARD') + el('PartNumberMarker', r.partNumberMarker) + el('NextPartNumberMarker', r.nextPartNumberMarker);
  inner += el('MaxParts', r.maxParts) + el('IsTruncated', r.isTruncated);
  if (r.checksumAlgorithm !== undefined) inner += el('ChecksumAlgorithm', r.checksumAlgorithm);
  for (const p of r.parts) {
    inner += `<Part>${el('PartNumber', p.partNumber)}${el('LastModified', xmlDate(p.lastModified))}${el('ETag', p.etag)}${el('Size', p.size)}`;
    if (r.checksumAlgorithm !== undefined && p.checksumValue !== undefined) inner += el(`Checksum${r.checksumAlgorithm}`, p.checksumValue);
    inner += '</Part>';
  }
  return xmlDocument('ListPartsResult', inner);
}

export interface ListUploadsResult {
  bucket: string;
  prefix: string;
  keyMarker: string;
  uploadIdMarker: string;
  nextKeyMarker: string;
  nextUploadIdMarker: string;
  maxUploads: number;
  isTruncated: boolean;
  encodingType?: 'url' | undefined;
  owner: { id: string; displayName: string };
  uploads: ReadonlyArray<{ key: string; uploadId: string; initiator: string; initiated: number; checksumAlgorithm: string | undefined }>;
}

export function listMultipartUploadsXml(r: ListUploadsResult): string {
  const enc = r.encodingType === 'url' ? urlEncodeKey : (s: string) => s;
  let inner = el('Bucket', r.bucket) + el('KeyMarker', enc(r.keyMarker)) + el('UploadIdMarker', r.uploadIdMarker);
  inner += el('NextKeyMarker', enc(r.nextKeyMarker)) + el('NextUploadIdMarker', r.nextUploadIdMarker) + el('Prefix', enc(r.prefix));
  if (r.encodingType !== undefined) inner += el('EncodingType', r.encodingType);
  inner += el('MaxUploads', r.maxUploads) + el('IsTruncated', r.isTruncated);
  for (const u of r.uploads) {
    inner += `<Upload>${el('Key', enc(u.key))}${el('UploadId', u.uploadId)}<Initiator>${el('ID', u.initiator)}${el('DisplayName', u.initiator)}</Initiator>`;
    inner += `<Owner>${el('ID', r.owner.id)}${el('DisplayName', r.owner.displayName)}</Owner>${el('StorageClass', 'STANDARD')}${el('Initiated', xmlDate(u.initiated))}`;
    if (u.checksumAlgorithm !== undefined) inner += el('ChecksumAlgorithm', u.checksumAlgorithm);
    inner += '</Upload>';
  }
  return xmlDocument('ListMultipartUploadsResult', inner);
}

export interface DeleteOutcome {
  deleted: string[];
  errors: Array<{ key: string; code: string; message: string }>;
}

export function deleteResultXml(outcome: DeleteOutcome, quiet: boolean): string {
  let inner = '';
  if (!quiet) for (const key of outcome.deleted) inner += `<Deleted>${el('Key', key)}</Deleted>`;
  for (const e of outcome.errors) inner += `<Error>${el('Key', e.key)}${el('Code', e.code)}${el('Message', e.message)}</Error>`;
  return xmlDocument('DeleteResult', inner);
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  isArray: (name) => name === 'Object' || name === 'Part',
  processEntities: true,
  htmlEntities: false,
});

function parseXmlBody(body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8');
  if (XMLValidator.validate(text) !== true) throw s3Error('MalformedXML');
  return parser.parse(text) as Record<string, unknown>;
}

/** The LocationConstraint of a CreateBucket body; `undefined` for an empty body or an empty constraint. */
export function parseCreateBucketConfiguration(body: Buffer): string | undefined {
  if (body.toString('utf8').trim() === '') return undefined;
  const doc = parseXmlBody(body);
  const config = doc['CreateBucketConfiguration'];
  if (config === undefined) throw s3Error('MalformedXML');
  if (config === '' || typeof config !== 'object' || config === null) return undefined;
  const value = (config as Record<string, unknown>)['LocationConstraint'];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw s3Error('MalformedXML');
  return value.trim();
}

/** The keys and Quiet flag of a DeleteObjects body (`<Delete><Object><Key>…</Key></Object>…<Quiet>true</Quiet></Delete>`). */
export function parseDeleteRequest(body: Buffer): { keys: string[]; quiet: boolean } {
  const doc = parseXmlBody(body);
  const del = doc['Delete'];
  if (typeof del !== 'object' || del === null) throw s3Error('MalformedXML');
  const objects = ((del as Record<string, unknown>)['Object'] ?? []) as unknown[];
  const keys: string[] = [];
  for (const o of objects) {
    const key = typeof o === 'object' && o !== null ? (o as Record<string, unknown>)['Key'] : undefined;
    if (typeof key !== 'string') throw s3Error('MalformedXML');
    keys.push(key);
  }
  if (keys.length === 0 || keys.length > 1000) throw s3Error('MalformedXML');
  const quiet = String((del as Record<string, unknown>)['Quiet'] ?? 'false').trim().toLowerCase() === 'true';
  return { keys, quiet };
}

/** The parts of a CompleteMultipartUpload body, as listed: part number and ETag (quotes as sent). */
export function parseCompleteMultipartUpload(body: Buffer): Array<{ partNumber: number; etag: string }> {
  const doc = parseXmlBody(body);
  const complete = doc['CompleteMultipartUpload'];
  if (typeof complete !== 'object' || complete === null) throw s3Error('MalformedXML');
  const listed = ((complete as Record<string, unknown>)['Part'] ?? []) as unknown[];
  const parts: Array<{ partNumber: number; etag: string }> = [];
  for (const p of listed) {
    const fields = typeof p === 'object' && p !== null ? (p as Record<string, unknown>) : {};
    const number = fields['PartNumber'];
    const etag = fields['ETag'];
    if (typeof number !== 'string' || !/^\d{1,5}$/.test(number.trim()) || typeof etag !== 'string') throw s3Error('MalformedXML');
    parts.push({ partNumber: Number(number.trim()), etag: etag.trim() });
  }
  if (parts.length === 0 || parts.length > 10_000) throw s3Error('MalformedXML');
  return parts;
}
