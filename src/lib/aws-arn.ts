/**
 * The one home of AWS ARN rules: parse and build ARNs, role ARNs, assumed-role ARNs, OIDC provider ARNs and the
 * issuer host/path an OIDC provider ARN carries. Every area imports these instead of writing its own regex.
 * Pure functions; a value that is not what was asked for returns `undefined` (callers choose their own error).
 * @module
 */

/** The six parts of `arn:partition:service:region:account:resource`. */
export interface Arn {
  partition: string;
  service: string;
  region: string;
  accountId: string;
  resource: string;
}

/** A 12-digit AWS account id. */
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;
/** AWS partitions (`aws`, `aws-cn`, `aws-us-gov`, `aws-iso`, …). */
const PARTITION_PATTERN = /^aws(-[a-z]+)*$/;
/**
 * The partition of a region, as upstream's webhook derives it for `composeRoleArn` (from the region's prefix).
 * @example
 * partitionOfRegion('cn-north-1') // 'aws-cn'
 */
export function partitionOfRegion(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('eusc-')) return 'aws-eusc';
  return 'aws';
}
/** IAM's path and name characters for roles, users and policies (`[\w+=,.@-]`), as IAM's API documents them. */
const IAM_NAME_CHARS = /^[\w+=,.@-]+$/;

/**
 * Splits an ARN into its parts; `undefined` when it has fewer than six colon-separated fields or no `arn:` prefix.
 * The resource keeps any further colons (`arn:aws:logs:us-east-1:1:log-group:x:*`).
 * @example
 * parseArn('arn:aws:s3:::bucket/key')?.resource // 'bucket/key'
 */
export function parseArn(value: string): Arn | undefined {
  if (!value.startsWith('arn:')) return undefined;
  const parts = value.split(':');
  if (parts.length < 6) return undefined;
  const [, partition, service, region, accountId] = parts as [string, string, string, string, string];
  if (partition === '' || service === '') return undefined;
  return { partition, service, region, accountId, resource: parts.slice(5).join(':') };
}

/**
 * Joins the parts back into an ARN string.
 * @public for the AWS plane (src/aws), which builds these ARNs.
 */
export function formatArn(arn: Arn): string {
  return `arn:${arn.partition}:${arn.service}:${arn.region}:${arn.accountId}:${arn.resource}`;
}

/** The account an ARN names, or `undefined` when it names none (S3 buckets, managed policies' `aws`). */
export function accountOfArn(value: string): string | undefined {
  const arn = parseArn(value);
  return arn !== undefined && ACCOUNT_ID_PATTERN.test(arn.accountId) ? arn.accountId : undefined;
}

/** An IAM entity ARN (`role`, `user`, `policy`, `oidc-provider`, …) split further. */
export interface IamResourceArn {
  partition: string;
  accountId: string;
  /** `role`, `user`, `policy`, `oidc-provider`, `saml-provider`, `root`, … */
  type: string;
  /** IAM path (`/` or `/a/b/`); for providers, the empty string. */
  path: string;
  /** The entity's name; for providers, the issuer host/path. */
  name: string;
}

/**
 * Splits an IAM ARN `arn:PART:iam::ACCOUNT:TYPE/PATH/NAME`; `undefined` for anything else.
 * `arn:aws:iam::111122223333:root` has type `root` and an empty name.
 */
export function parseIamArn(value: string): IamResourceArn | undefined {
  const arn = parseArn(value);
  if (arn === undefined || arn.service !== 'iam' || arn.region !== '' || !PARTITION_PATTERN.test(arn.partition)) return undefined;
  if (!ACCOUNT_ID_PATTERN.test(arn.accountId) && arn.accountId !== 'aws') return undefined;
  if (arn.resource === 'root') return { partition: arn.partition, accountId: arn.accountId, type: 'root', path: '', name: '' };
  const slash = arn.resource.indexOf('/');
  if (slash <= 0) return undefined;
  const type = arn.resource.slice(0, slash);
  const rest = arn.resource.slice(slash + 1);
  if (rest === '') return undefined;
  if (type === 'oidc-provider' || type === 'saml-provider') {
    return { partition: arn.partition, accountId: arn.accountId, type, path: '', name: rest };
  }
  const last = rest.lastIndexOf('/');
  return {
    partition: arn.partition,
    accountId: arn.accountId,
    type,
    path: last < 0 ? '/' : `/${rest.slice(0, last + 1)}`,
    name: last < 0 ? rest : rest.slice(last + 1),
  };
}

/** The parts of an IAM role ARN. */
export interface RoleArn {
  partition: string;
  accountId: string;
  path: string;
  roleName: string;
}

/**
 * Splits an IAM role ARN; `undefined` when it is not one (wrong service, account, or characters IAM refuses).
 * @example
 * parseRoleArn('arn:aws:iam::111122223333:role/team/s3-reader')?.path // '/team/'
 */
export function parseRoleArn(value: string): RoleArn | undefined {
  const iam = parseIamArn(value);
  if (iam === undefined || iam.type !== 'role' || !ACCOUNT_ID_PATTERN.test(iam.accountId)) return undefined;
  if (!IAM_NAME_CHARS.test(iam.name) || iam.name.length > 64) return undefined;
  if (!/^\/([\x21-\x7e]+\/)?$/.test(iam.path) || iam.path.length > 512) return undefined;
  return { partition: iam.partition, accountId: iam.accountId, path: iam.path, roleName: iam.name };
}

/** Builds `arn:PART:iam::ACCOUNT:role/PATH/NAME` (path `/` or `/a/b/`). */
export function formatRoleArn(accountId: string, roleName: string, path = '/', partition = 'aws'): string {
  return `arn:${partition}:iam::${accountId}:role${path}${roleName}`;
}

/**
 * Builds `arn:PART:iam::ACCOUNT:user/PATH/NAME`.
 * @public for the AWS plane (src/aws), which builds these ARNs.
 */
export function formatUserArn(accountId: string, userName: string, path = '/', partition = 'aws'): string {
  return `arn:${partition}:iam::${accountId}:user${path}${userName}`;
}

/**
 * Builds `arn:PART:iam::ACCOUNT:policy/PATH/NAME` (`ACCOUNT` is `aws` for AWS managed policies).
 * @public for the AWS plane (src/aws), which builds these ARNs.
 */
export function formatPolicyArn(accountId: string, policyName: string, path = '/', partition = 'aws'): string {
  return `arn:${partition}:iam::${accountId}:policy${path}${policyName}`;
}

/** The parts of an STS assumed-role ARN `arn:PART:sts::ACCOUNT:assumed-role/ROLE/SESSION`. */
export interface AssumedRoleArn {
  partition: string;
  accountId: string;
  roleName: string;
  sessionName: string;
}

/** Splits an STS assumed-role ARN; `undefined` for anything else. */
export function parseAssumedRoleArn(value: string): AssumedRoleArn | undefined {
  const arn = parseArn(value);
  if (arn === undefined || arn.service !== 'sts' || arn.region !== '' || !ACCOUNT_ID_PATTERN.test(arn.accountId)) return undefined;
  const m = /^assumed-role\/([^/]+)\/(.+)$/.exec(arn.resource);
  if (m === null) return undefined;
  return { partition: arn.partition, accountId: arn.accountId, roleName: m[1]!, sessionName: m[2]! };
}

/** Builds the assumed-role ARN STS returns (`AssumedRoleUser.Arn`); the role's path is not part of it. */
export function formatAssumedRoleArn(accountId: string, roleName: string, sessionName: string, partition = 'aws'): string {
  return `arn:${partition}:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
}

/** The parts of an IAM OIDC provider ARN. */
export interface OidcProviderArn {
  partition: string;
  accountId: string;
  /** The issuer URL without `https://` and without a trailing slash: the trust-policy condition-key prefix. */
  hostPath: string;
}

/**
 * Splits an IAM OIDC provider ARN; `undefined` when it is not one.
 * @example
 * parseOidcProviderArn('arn:aws:iam::111122223333:oidc-provider/oidc.example.com/id/ABC')?.hostPath // 'oidc.example.com/id/ABC'
 */
export function parseOidcProviderArn(value: string): OidcProviderArn | undefined {
  const iam = parseIamArn(value);
  if (iam === undefined || iam.type !== 'oidc-provider' || !ACCOUNT_ID_PATTERN.test(iam.accountId)) return undefined;
  return { partition: iam.partition, accountId: iam.accountId, hostPath: iam.name.replace(/\/+$/, '') };
}

/** Builds the provider ARN IAM gives an issuer (`https://host/path` or `host/path`). */
export function formatOidcProviderArn(accountId: string, issuer: string, partition = 'aws'): string {
  return `arn:${partition}:iam::${accountId}:oidc-provider/${issuerHostPath(issuer)}`;
}

/**
 * The issuer's host and path as IAM keys it (the provider ARN's resource, the condition-key prefix):
 * the URL without `https://` and without a trailing slash.
 * @example
 * issuerHostPath('https://oidc.example.com/id/ABC/') // 'oidc.example.com/id/ABC'
 */
export function issuerHostPath(issuer: string): string {
  return issuer.replace(/^https:\/\//i, '').replace(/\/+$/, '');
}
