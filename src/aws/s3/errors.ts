/**
 * S3's wire errors: each code with the HTTP status and message text real S3 answers, and the extra elements its
 * `<Error>` document carries (`BucketName`, `Key`, …). Handlers throw the {@link AwsError} that {@link s3Error}
 * builds; the service renders it once, at the edge, with the request id. The codes are registered in
 * src/aws/errors.ts (`S3_ERROR_CODES`, plus the protocol's `AccessDenied` and `SignatureDoesNotMatch`).
 * @module
 */
import { AwsError, type S3_ERROR_CODES } from '../errors.js';

/** The codes S3 answers with. */
export type S3WireCode = (typeof S3_ERROR_CODES)[number] | 'AccessDenied' | 'SignatureDoesNotMatch' | 'ExpiredToken';

/** Status and default message of each code, as S3 answers them. */
const DEFAULTS: Record<S3WireCode, [number, string]> = {
  AccessDenied: [403, 'Access Denied'],
  AuthorizationHeaderMalformed: [400, 'The authorization header is malformed'],
  AuthorizationQueryParametersError: [400, 'Error parsing the X-Amz-Credential parameter'],
  BadDigest: [400, 'The Content-MD5 you specified did not match what we received.'],
  BucketAlreadyExists: [409, 'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.'],
  BucketAlreadyOwnedByYou: [409, 'Your previous request to create the named bucket succeeded and you already own it.'],
  BucketNotEmpty: [409, 'The bucket you tried to delete is not empty'],
  ExpiredToken: [400, 'The provided token has expired.'],
  EntityTooLarge: [400, 'Your proposed upload exceeds the maximum allowed size'],
  EntityTooSmall: [400, 'Your proposed upload is smaller than the minimum allowed object size.'],
  IllegalLocationConstraintException: [400, 'The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.'],
  IncompleteBody: [400, 'You did not provide the number of bytes specified by the Content-Length HTTP header'],
  InternalError: [500, 'We encountered an internal error. Please try again.'],
  InvalidAccessKeyId: [403, 'The AWS Access Key Id you provided does not exist in our records.'],
  InvalidArgument: [400, 'Invalid Argument'],
  InvalidBucketName: [400, 'The specified bucket is not valid.'],
  InvalidDigest: [400, 'The Content-MD5 you specified was invalid.'],
  InvalidLocationConstraint: [400, 'The specified location-constraint is not valid'],
  InvalidPart: [400, "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."],
  InvalidPartOrder: [400, 'The list of parts was not in ascending order. Parts must be ordered by part number.'],
  InvalidRange: [416, 'The requested range is not satisfiable'],
  InvalidRequest: [400, 'Invalid Request'],
  InvalidToken: [400, 'The provided token is malformed or otherwise invalid.'],
  InvalidURI: [400, "Couldn't parse the specified URI."],
  KeyTooLongError: [400, 'Your key is too long'],
  MalformedPolicy: [400, "Policies must be valid JSON and the first byte must be '{'"],
  MalformedXML: [400, 'The XML you provided was not well-formed or did not validate against our published schema'],
  MetadataTooLarge: [400, 'Your metadata headers exceed the maximum allowed metadata size.'],
  MethodNotAllowed: [405, 'The specified method is not allowed against this resource.'],
  MissingContentLength: [411, 'You must provide the Content-Length HTTP header.'],
  NoSuchBucket: [404, 'The specified bucket does not exist'],
  NoSuchKey: [404, 'The specified key does not exist.'],
  NoSuchBucketPolicy: [404, 'The bucket policy does not exist'],
  NoSuchUpload: [404, 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.'],
  NotImplemented: [501, 'A header you provided implies functionality that is not implemented'],
  PreconditionFailed: [412, 'At least one of the pre-conditions you specified did not hold'],
  RequestTimeTooSkewed: [403, 'The difference between the request time and the current time is too large.'],
  RequestTimeout: [400, 'Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.'],
  SignatureDoesNotMatch: [403, 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'],
  XAmzContentSHA256Mismatch: [400, "The provided 'x-amz-content-sha256' header does not match what was computed."],
};

/**
 * An S3 error with S3's status and (unless given) message; `extra` are the elements after `<Message>`, in S3's order.
 * @example
 * throw s3Error('NoSuchBucket', { extra: [['BucketName', 'demo']] })
 */
export function s3Error(code: S3WireCode, options: { message?: string; extra?: ReadonlyArray<readonly [string, string]>; cause?: unknown } = {}): AwsError {
  const [status, text] = DEFAULTS[code];
  return new AwsError(code, options.message ?? text, status, { extra: options.extra ?? [], cause: options.cause });
}

/** `InvalidRequest` with S3's text for a bad or conflicting checksum header. */
export function invalidChecksumHeader(header: string): AwsError {
  return s3Error('InvalidRequest', { message: `Value for ${header} header is invalid.` });
}

/** `BadDigest` with S3's text for a flexible checksum that does not match the body. */
export function checksumMismatch(algorithm: string): AwsError {
  return s3Error('BadDigest', { message: `The ${algorithm} you specified did not match the calculated checksum.` });
}
