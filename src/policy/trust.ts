/**
 * The IRSA trust policy of the seed procedure: trust one OIDC provider for `sts:AssumeRoleWithWebIdentity`,
 * pinned to one service account (`<issuer>:sub`) and the STS audience (`<issuer>:aud`).
 * @module
 */
import { isNamespaceName, isServiceAccountName, serviceAccountSubject } from '../lib/k8s-names.js';
import { PolicyError } from './errors.js';
import { ACCOUNT_ID_PATTERN, formatOidcProviderArn } from '../lib/aws-arn.js';
import { parseOidcProviderArn, ASSUME_ROLE_WITH_WEB_IDENTITY } from './web-identity.js';
import type { PolicyDocument } from './types.js';
import { STS_AUDIENCE } from '../lib/wire-names.js';

/** Inputs of {@link buildIrsaTrustPolicy}: a provider ARN, or an issuer URL and the account that registered it. */
export interface IrsaTrustPolicyOptions {
  providerArn?: string;
  issuer?: string;
  accountId?: string;
  /** Partition of the ARN built from `issuer` (default `aws`). */
  partition?: string;
  namespace: string;
  /** A ServiceAccount name, or `*` for every ServiceAccount of the namespace (switches `sub` to StringLike). */
  serviceAccount: string;
  /** Default `sts.amazonaws.com`. */
  audience?: string;
}

/** An unusable input; `field` is the option the message starts with (the CLI names its flag instead). */
function bad(message: string, field?: string): never {
  throw new PolicyError('ERR_POLICY_INPUT', message, field === undefined ? {} : { field });
}

/**
 * The provider ARN for an issuer registered in an account.
 * @example
 * oidcProviderArn('https://oidc.example.com/id/ABC', '111122223333') // 'arn:aws:iam::111122223333:oidc-provider/oidc.example.com/id/ABC'
 */
export function oidcProviderArn(issuer: string, accountId: string, partition = 'aws'): string {
  if (!/^https:\/\//i.test(issuer)) bad(`issuer "${issuer}" must be an https:// URL (IAM registers only https issuers)`, 'issuer');
  if (!ACCOUNT_ID_PATTERN.test(accountId)) bad(`accountId "${accountId}" must be 12 digits`, 'accountId');
  return formatOidcProviderArn(accountId, issuer, partition);
}

/**
 * Builds the IRSA trust policy: StringEquals on `<issuer>:sub` and `<issuer>:aud`; with `serviceAccount: '*'`
 * the `sub` condition moves to StringLike (`system:serviceaccount:<ns>:*`), as AWS requires for wildcards.
 * @example
 * buildIrsaTrustPolicy({ providerArn, namespace: 'default', serviceAccount: 's3-reader' })
 */
export function buildIrsaTrustPolicy(o: IrsaTrustPolicyOptions): PolicyDocument {
  let providerArn: string;
  if (o.providerArn !== undefined) {
    if (o.issuer !== undefined || o.accountId !== undefined) bad('give either providerArn or issuer with accountId, not both');
    parseOidcProviderArn(o.providerArn);
    providerArn = o.providerArn;
  } else {
    if (o.issuer === undefined || o.accountId === undefined) bad('needs providerArn, or issuer and accountId');
    providerArn = oidcProviderArn(o.issuer, o.accountId, o.partition);
  }
  const hostPath = parseOidcProviderArn(providerArn).hostPath;
  if (!isNamespaceName(o.namespace)) {
    bad(`namespace "${o.namespace}" is not a valid Kubernetes namespace (lowercase letters, digits and "-", at most 63)`, 'namespace');
  }
  const wildcard = o.serviceAccount === '*';
  if (!wildcard && !isServiceAccountName(o.serviceAccount)) {
    bad(`serviceAccount "${o.serviceAccount}" is not a valid ServiceAccount name (lowercase letters, digits, "-" and ".", at most 253), or "*"`, 'serviceAccount');
  }
  const audience = o.audience ?? STS_AUDIENCE;
  if (audience === '' || /[*?]/.test(audience)) bad(`audience "${audience}" must be a literal client ID such as ${STS_AUDIENCE}`, 'audience');
  const sub = serviceAccountSubject(o.namespace, o.serviceAccount);
  const condition: Record<string, Record<string, string>> = wildcard
    ? { StringLike: { [`${hostPath}:sub`]: sub }, StringEquals: { [`${hostPath}:aud`]: audience } }
    : { StringEquals: { [`${hostPath}:sub`]: sub, [`${hostPath}:aud`]: audience } };
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: providerArn },
        Action: ASSUME_ROLE_WITH_WEB_IDENTITY,
        Condition: condition,
      },
    ],
  };
}
