/**
 * A small S3 for the local plane: REST-XML as S3 answers it (ListBuckets, CreateBucket, HeadBucket, DeleteBucket,
 * bucket policies, Put/Get/Head/Delete/Copy object, DeleteObjects, ListObjects and ListObjectsV2, multipart uploads),
 * aws-chunked and checksummed uploads, objects in files under the state directory with metadata in SQLite.
 * `createS3Service()` is the plane's REST service factory.
 * @module
 */
export { createS3Service, s3AuthError } from './rest.js';
export type { S3ServiceFactoryOptions } from './rest.js';
export { S3Service, renderS3Error, routeOperation, parseRange } from './service.js';
export type { S3Request, S3Response, S3Caller, S3Authorizer, S3AuthDecision, S3ServiceOptions } from './service.js';
export { ObjectStore, PendingObject } from './store.js';
export type { BucketRecord, ObjectRecord, NewObject } from './store.js';
export { checksFor, s3Arn } from './actions.js';
export type { S3AuthCheck, S3Operation } from './actions.js';
export { resolveAddress, bucketFromHost } from './addressing.js';
export { AwsChunkedDecoder, ChunkSignatureChain, STREAMING_PAYLOADS } from './chunked.js';
export type { ChunkSigningContext } from './chunked.js';
export { CHECKSUM_ALGORITHMS, createChecksum, checksumOf, checksumHeaderName } from './checksum.js';
export type { ChecksumAlgorithm, Hasher } from './checksum.js';
export { readPayload, MAX_PUT_BYTES } from './payload.js';
export { s3Error } from './errors.js';
export type { S3WireCode } from './errors.js';
export { isValidBucketName, MAX_KEY_BYTES } from './names.js';
