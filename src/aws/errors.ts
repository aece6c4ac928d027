/**
 * Errors of the local AWS plane. Every one carries the wire code a client reads (AWS's own spelling), the HTTP
 * status, the fault (`Sender` for 4xx, `Receiver` for 5xx) and, for S3, the extra elements its `<Error>` document
 * carries. The protocol layer renders them as AWS's XML unchanged. `MalformedPolicyDocument` and `LimitExceeded`
 * are the policy area's codes: handlers rethrow {@link PolicyError} as it is (it has the same wire fields).
 * @module
 */
import { IrsaError } from '../lib/errors.js';

/** Codes shared by the protocol layer and SigV4 authentication (query services and S3). */
export const AWS_PROTOCOL_ERROR_CODES = [
  'MissingAuthenticationToken',
  'IncompleteSignature',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'AccessDenied',
  'InvalidAction',
  'MissingAction',
  'ValidationError',
  'RequestEntityTooLarge',
  'ServiceFailure',
] as const;

/** Codes of IAM (spec 5.5). */
export const IAM_ERROR_CODES = ['NoSuchEntity', 'EntityAlreadyExists', 'DeleteConflict', 'InvalidInput', 'UnmodifiableEntity'] as const;

/** Codes of STS (spec 2.9); `ValidationError` and `AccessDenied` are the protocol's, `MalformedPolicyDocument` the policy area's. */
export const STS_ERROR_CODES = ['InvalidIdentityToken', 'ExpiredTokenException', 'IDPCommunicationError', 'PackedPolicyTooLarge'] as const;

/**
 * Codes of S3 (spec 7.6) besides the protocol's (`AccessDenied`, `SignatureDoesNotMatch`, …); statuses and texts are
 * in src/aws/s3/errors.ts.
 */
export const S3_ERROR_CODES = [
  'AuthorizationHeaderMalformed',
  'AuthorizationQueryParametersError',
  'BadDigest',
  'BucketAlreadyExists',
  'BucketAlreadyOwnedByYou',
  'BucketNotEmpty',
  'EntityTooLarge',
  'EntityTooSmall',
  'IllegalLocationConstraintException',
  'IncompleteBody',
  'InternalError',
  'InvalidAccessKeyId',
  'InvalidArgument',
  'InvalidBucketName',
  'InvalidDigest',
  'InvalidLocationConstraint',
  'InvalidPart',
  'InvalidPartOrder',
  'InvalidRange',
  'InvalidRequest',
  'InvalidToken',
  'InvalidURI',
  'KeyTooLongError',
  'MalformedPolicy',
  'MalformedXML',
  'MetadataTooLarge',
  'MethodNotAllowed',
  'MissingContentLength',
  'NoSuchBucket',
  'NoSuchBucketPolicy',
  'NoSuchKey',
  'NoSuchUpload',
  'NotImplemented',
  'PreconditionFailed',
  'RequestTimeTooSkewed',
  'RequestTimeout',
  'XAmzContentSHA256Mismatch',
] as const;

/** Every code an {@link AwsError} can carry (the area's registry; docs/errors.md lists each). */
export const AWS_ERROR_CODES = [...AWS_PROTOCOL_ERROR_CODES, ...IAM_ERROR_CODES, ...STS_ERROR_CODES, ...S3_ERROR_CODES] as const;

/** Every code an {@link AwsError} can carry. */
export type AwsErrorCode = (typeof AWS_ERROR_CODES)[number];

/** What the protocol layer needs to render any error as AWS's XML (an AwsError, or a PolicyError). */
export interface WireError {
  code: string;
  message: string;
  httpStatus: number;
  fault: 'Sender' | 'Receiver';
  /** Extra child elements of S3's `<Error>` (e.g. `BucketName`, `StringToSign`), in order. */
  extra?: ReadonlyArray<readonly [string, string]>;
}

/** Options of {@link AwsError}. */
export interface AwsErrorOptions {
  cause?: unknown;
  /** Extra elements S3 puts in its `<Error>` document. */
  extra?: ReadonlyArray<readonly [string, string]>;
  /** The request field the error concerns (`roleArn`), for logs and explanations. */
  field?: string;
}

/**
 * An error answered to an AWS client: wire code, message (AWS's text), HTTP status and fault.
 * @example
 * throw new AwsError('NoSuchEntity', 'The role with name x cannot be found.', 404)
 */
export class AwsError extends IrsaError implements WireError {
  declare readonly code: AwsErrorCode;
  readonly httpStatus: number;
  readonly fault: 'Sender' | 'Receiver';
  readonly extra: ReadonlyArray<readonly [string, string]>;

  constructor(code: AwsErrorCode, message: string, httpStatus: number, options: AwsErrorOptions = {}) {
    super(code, message, { cause: options.cause, exitCode: 1, ...(options.field === undefined ? {} : { field: options.field }) });
    this.httpStatus = httpStatus;
    this.fault = httpStatus >= 500 ? 'Receiver' : 'Sender';
    this.extra = options.extra ?? [];
  }
}

/** True for anything the protocol layer can render as an AWS error (AwsError, PolicyError). */
export function isWireError(err: unknown): err is WireError {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as Partial<WireError>;
  return typeof e.code === 'string' && typeof e.httpStatus === 'number' && (e.fault === 'Sender' || e.fault === 'Receiver') && typeof e.message === 'string';
}
