/**
 * Which IAM action and resource each S3 request is authorized as (spec 7.7a), with the S3 condition keys it brings.
 * Pure: the handler asks the authorizer about each {@link S3AuthCheck} this returns.
 * @module
 */
import { formatArn } from '../../lib/aws-arn.js';

/** One question for the authorizer: may the caller do `action` on `resource`, given these condition keys? */
export interface S3AuthCheck {
  action: string;
  resource: string;
  /** S3 condition keys (`s3:prefix`, `s3:x-amz-acl`, …). */
  context: Record<string, string>;
}

/** `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key` (`arn:aws:s3:::*` for ListAllMyBuckets). */
export function s3Arn(bucket: string, key?: string, partition = 'aws'): string {
  return formatArn({ partition, service: 's3', region: '', accountId: '', resource: key === undefined ? bucket : `${bucket}/${key}` });
}

/** The operations this S3 serves. */
export type S3Operation =
  | 'ListBuckets'
  | 'CreateBucket'
  | 'HeadBucket'
  | 'DeleteBucket'
  | 'GetBucketLocation'
  | 'ListObjectsV2'
  | 'ListObjects'
  | 'PutBucketPolicy'
  | 'GetBucketPolicy'
  | 'DeleteBucketPolicy'
  | 'DeleteObjects'
  | 'PutObject'
  | 'CopyObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts'
  | 'ListMultipartUploads';

const BUCKET_ACTION: Partial<Record<S3Operation, string>> = {
  CreateBucket: 's3:CreateBucket',
  HeadBucket: 's3:ListBucket',
  ListObjectsV2: 's3:ListBucket',
  ListObjects: 's3:ListBucket',
  DeleteBucket: 's3:DeleteBucket',
  GetBucketLocation: 's3:GetBucketLocation',
  PutBucketPolicy: 's3:PutBucketPolicy',
  GetBucketPolicy: 's3:GetBucketPolicy',
  DeleteBucketPolicy: 's3:DeleteBucketPolicy',
  ListMultipartUploads: 's3:ListBucketMultipartUploads',
};

/**
 * The checks an operation needs, in order. DeleteObjects and CopyObject's source are checked per key by the handler.
 * @example
 * checksFor('GetObject', 'demo', 'a.txt', { headers: {}, query: new URLSearchParams() }) // [{ action: 's3:GetObject', resource: 'arn:aws:s3:::demo/a.txt', context: {} }]
 */
export function checksFor(
  op: S3Operation,
  bucket: string | undefined,
  key: string | undefined,
  /** Read only by the operations whose checks depend on it (a request's header record is made on first use). */
  req: { readonly headers: Record<string, string | string[] | undefined>; readonly query: URLSearchParams },
): S3AuthCheck[] {
  if (op === 'ListBuckets') return [{ action: 's3:ListAllMyBuckets', resource: s3Arn('*'), context: {} }];
  const b = bucket!;
  const bucketAction = BUCKET_ACTION[op];
  if (bucketAction !== undefined) {
    const context: Record<string, string> = {};
    if (op === 'ListObjectsV2' || op === 'ListObjects') {
      for (const [q, k] of [['prefix', 's3:prefix'], ['delimiter', 's3:delimiter'], ['max-keys', 's3:max-keys']] as const) {
        const v = req.query.get(q);
        if (v !== null) context[k] = v;
      }
    }
    return [{ action: bucketAction, resource: s3Arn(b), context }];
  }
  const resource = s3Arn(b, key);
  switch (op) {
    case 'PutObject':
    case 'CopyObject':
    case 'CreateMultipartUpload': {
      const checks: S3AuthCheck[] = [];
      const headers = req.headers;
      const acl = headers['x-amz-acl'];
      const context: Record<string, string> = typeof acl === 'string' ? { 's3:x-amz-acl': acl } : {};
      checks.push({ action: 's3:PutObject', resource, context });
      if (acl !== undefined) checks.push({ action: 's3:PutObjectAcl', resource, context });
      if (headers['x-amz-tagging'] !== undefined) checks.push({ action: 's3:PutObjectTagging', resource, context: {} });
      return checks;
    }
    case 'GetObject':
    case 'HeadObject':
      return [{ action: 's3:GetObject', resource, context: {} }];
    case 'DeleteObject':
      return [{ action: 's3:DeleteObject', resource, context: {} }];
    case 'UploadPart':
    case 'CompleteMultipartUpload':
      return [{ action: 's3:PutObject', resource, context: {} }];
    case 'AbortMultipartUpload':
      return [{ action: 's3:AbortMultipartUpload', resource, context: {} }];
    case 'ListParts':
      return [{ action: 's3:ListMultipartUploadParts', resource, context: {} }];
    case 'DeleteObjects':
      return [];
    default:
      return [];
  }
}
