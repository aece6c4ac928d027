/**
 * Wire names of the AWS plane, defined once: API versions, XML namespaces, header names, SigV4 literals.
 * @module
 */

/** Query-protocol API versions. */
export const IAM_API_VERSION = '2010-05-08';
export const STS_API_VERSION = '2011-06-15';

/** XML namespaces of the query services' envelopes (spec 1.2). */
export const IAM_XML_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';
export const STS_XML_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
/** S3's namespace (ListAllMyBucketsResult, ListBucketResult, …); S3's `<Error>` has none. */
export const S3_XML_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** Response headers. */
export const HEADER_QUERY_REQUEST_ID = 'x-amzn-RequestId';
export const HEADER_S3_REQUEST_ID = 'x-amz-request-id';
export const HEADER_S3_ID_2 = 'x-amz-id-2';
/** Our one-line explanation of the authorization decision; clients ignore unknown headers. */
export const HEADER_IRSA_EXPLAIN = 'x-irsa-explain';

/** SigV4. */
export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
export const SIGV4_TERMINATOR = 'aws4_request';
export const HEADER_AUTHORIZATION = 'authorization';
export const HEADER_AMZ_DATE = 'x-amz-date';
export const HEADER_SECURITY_TOKEN = 'x-amz-security-token';
export const HEADER_CONTENT_SHA256 = 'x-amz-content-sha256';
export const QUERY_ALGORITHM = 'X-Amz-Algorithm';
export const QUERY_CREDENTIAL = 'X-Amz-Credential';
export const QUERY_DATE = 'X-Amz-Date';
export const QUERY_EXPIRES = 'X-Amz-Expires';
export const QUERY_SIGNED_HEADERS = 'X-Amz-SignedHeaders';
export const QUERY_SIGNATURE = 'X-Amz-Signature';
export const QUERY_SECURITY_TOKEN = 'X-Amz-Security-Token';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** Allowed clock skew for signed requests (±15 minutes, spec 7.7 step 4). */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** Longest presigned URL lifetime (7 days). */
export const MAX_PRESIGN_EXPIRES_S = 604800;
