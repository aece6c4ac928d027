/**
 * AWS managed policies shipped as data, with their real ARNs, default versions and documents. Documents are those
 * AWS publishes (AWS Managed Policy Reference; cross-checked against moto 5.2's snapshot). `ReadOnlyAccess` is a
 * 2,700-action document: we ship its S3, S3 Object Lambda, IAM and STS actions only (`subset: true`).
 * @module
 */
import type { PolicyDocument } from './types.js';

/** An AWS managed policy. */
export interface ManagedPolicy {
  name: string;
  arn: string;
  path: string;
  description: string;
  defaultVersionId: string;
  /** When AWS last edited the default version. */
  updateDate: string;
  createDate: string;
  document: PolicyDocument;
  /** True when `document` is a faithful subset of AWS's document (only some services' actions). */
  subset: boolean;
}

/** The AWS managed policies irsa-kit knows, by name. */
export const AWS_MANAGED_POLICIES: readonly ManagedPolicy[] = [
  {
    name: 'AdministratorAccess',
    arn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    path: '/',
    description: 'Provides full access to AWS services and resources.',
    defaultVersionId: 'v1',
    createDate: '2015-02-06T18:39:46Z',
    updateDate: '2015-02-06T18:39:46Z',
    document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
    subset: false,
  },
  {
    name: 'AmazonS3FullAccess',
    arn: 'arn:aws:iam::aws:policy/AmazonS3FullAccess',
    path: '/',
    description: 'Provides full access to all buckets via the AWS Management Console.',
    defaultVersionId: 'v2',
    createDate: '2015-02-06T18:40:58Z',
    updateDate: '2021-09-27T20:16:37Z',
    document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*', 's3-object-lambda:*'], Resource: '*' }] },
    subset: false,
  },
  {
    name: 'AmazonS3ReadOnlyAccess',
    arn: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
    path: '/',
    description: 'Provides read only access to all buckets via the AWS Management Console.',
    defaultVersionId: 'v3',
    createDate: '2015-02-06T18:40:59Z',
    updateDate: '2023-08-10T21:31:39Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['s3:Get*', 's3:List*', 's3:Describe*', 's3-object-lambda:Get*', 's3-object-lambda:List*'],
          Resource: '*',
        },
      ],
    },
    subset: false,
  },
  {
    name: 'IAMReadOnlyAccess',
    arn: 'arn:aws:iam::aws:policy/IAMReadOnlyAccess',
    path: '/',
    description: 'Provides read only access to IAM via the AWS Management Console.',
    defaultVersionId: 'v4',
    createDate: '2015-02-06T18:40:39Z',
    updateDate: '2018-01-25T19:11:27Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'iam:GenerateCredentialReport',
            'iam:GenerateServiceLastAccessedDetails',
            'iam:Get*',
            'iam:List*',
            'iam:SimulateCustomPolicy',
            'iam:SimulatePrincipalPolicy',
          ],
          Resource: '*',
        },
      ],
    },
    subset: false,
  },
  {
    name: 'ReadOnlyAccess',
    arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
    path: '/',
    description: 'Provides read-only access to AWS services and resources.',
    defaultVersionId: 'v182',
    createDate: '2015-02-06T18:39:48Z',
    updateDate: '2026-04-03T15:27:12Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ReadOnlyActionsGroup1',
          Effect: 'Allow',
          Action: ['iam:Generate*', 'iam:Get*', 'iam:List*', 'iam:Simulate*'],
          Resource: '*',
        },
        {
          Sid: 'ReadOnlyActionsGroup2',
          Effect: 'Allow',
          Action: [
            's3-object-lambda:GetObject',
            's3-object-lambda:GetObjectAcl',
            's3-object-lambda:GetObjectLegalHold',
            's3-object-lambda:GetObjectRetention',
            's3-object-lambda:GetObjectTagging',
            's3-object-lambda:GetObjectVersion',
            's3-object-lambda:GetObjectVersionAcl',
            's3-object-lambda:GetObjectVersionTagging',
            's3-object-lambda:ListBucket',
            's3-object-lambda:ListBucketMultipartUploads',
            's3-object-lambda:ListBucketVersions',
            's3-object-lambda:ListMultipartUploadParts',
            's3:DescribeJob',
            's3:Get*',
            's3:List*',
            'sts:GetAccessKeyInfo',
            'sts:GetCallerIdentity',
            'sts:GetSessionToken',
          ],
          Resource: '*',
        },
      ],
    },
    subset: true,
  },
];

/**
 * Finds a shipped AWS managed policy by name or ARN (case-sensitive, as IAM), or undefined.
 * @example
 * getManagedPolicy('arn:aws:iam::aws:policy/ReadOnlyAccess')?.document
 */
export function getManagedPolicy(nameOrArn: string): ManagedPolicy | undefined {
  return AWS_MANAGED_POLICIES.find((p) => p.name === nameOrArn || p.arn === nameOrArn);
}
