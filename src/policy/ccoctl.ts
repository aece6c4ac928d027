/**
 * The two IAM policies `ccoctl aws create-iam-roles` writes for an OpenShift CredentialsRequest, built as documents:
 * the trust policy (the OIDC provider, `sts:AssumeRoleWithWebIdentity`, a `sub`-only StringEquals on the request's
 * service accounts) and the inline permission policy from the request's `statementEntries`; and the bytes ccoctl
 * sends for each (its hand-spaced trust JSON, Go's `encoding/json` for the permissions), so a dry run can be
 * compared with ccoctl's files byte for byte.
 * @module
 */
import { sortKeysDeep } from '../lib/go-json.js';
import { isRecord } from '../lib/is-record.js';
import { serviceAccountSubject } from '../lib/k8s-names.js';
import { ASSUME_ROLE_WITH_WEB_IDENTITY } from './web-identity.js';
import type { PolicyDocument, PolicyStatement } from './types.js';

/** One `spec.providerSpec.statementEntries` item of an AWSProviderSpec. */
export interface StatementEntry {
  effect: string;
  action: string[];
  resource: string;
  policyCondition?: Record<string, Record<string, unknown>>;
}

/** Inputs of {@link buildCcoctlTrustPolicy}. */
export interface CcoctlTrustPolicyOptions {
  /** `arn:<partition>:iam::<account>:oidc-provider/<issuerHostPath>`. */
  providerArn: string;
  /** The issuer without scheme: the prefix of the `:sub` condition key. */
  issuerHostPath: string;
  /** Namespace of the credentials Secret (ccoctl binds the service accounts there). */
  namespace: string;
  serviceAccounts: readonly string[];
}

/**
 * The trust policy ccoctl gives an operator's role: only `sub` is pinned (StringEquals on every service account of
 * the request, as a list even for one), no `aud` condition.
 * @example
 * buildCcoctlTrustPolicy({ providerArn, issuerHostPath: 'oidc.example.com', namespace: 'ns', serviceAccounts: ['a'] }).Statement
 */
export function buildCcoctlTrustPolicy(options: CcoctlTrustPolicyOptions): PolicyDocument & { Statement: PolicyStatement[] } {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: options.providerArn },
        Action: ASSUME_ROLE_WITH_WEB_IDENTITY,
        Condition: { StringEquals: { [`${options.issuerHostPath}:sub`]: options.serviceAccounts.map((sa) => serviceAccountSubject(options.namespace, sa)) } },
      },
    ],
  };
}

/**
 * A trust policy as ccoctl's template prints it: `{ "key": value, … }` with spaces inside braces, `"Condition":` followed
 * by two spaces, and its list of subjects spaced `[ "a"  , "b" ]`. IAM parses it as the same document.
 * @example
 * renderCcoctlTrustPolicy(buildCcoctlTrustPolicy(options)).startsWith('{ "Version": "2012-10-17", "Statement": [ { ') // true
 */
export function renderCcoctlTrustPolicy(document: PolicyDocument): string {
  return ccoctlJson(document, '');
}

function ccoctlJson(value: unknown, key: string): string {
  if (Array.isArray(value)) {
    if (key === 'Statement') return `[ ${value.map((v) => ccoctlJson(v, '')).join(', ')} ]`;
    // ccoctl's list of subjects: `[ "first" `, then ` , "next"` for each further one, then ` ]`
    return `[ ${value.map((v, i) => (i === 0 ? `${ccoctlJson(v, '')} ` : ` , ${ccoctlJson(v, '')}`)).join('')} ]`;
  }
  if (isRecord(value)) {
    const members = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${k === 'Condition' ? ' ' : ''}${ccoctlJson(v, k)}`);
    return `{ ${members.join(', ')} }`;
  }
  return JSON.stringify(value);
}

/**
 * The inline permission policy ccoctl puts on the role: one statement per entry (`Effect`, `Action`, `Resource`, and
 * `Condition` with its keys sorted when the entry has one), in Go's field order.
 * @example
 * buildCcoctlPermissionPolicy([{ effect: 'Allow', action: ['s3:GetObject'], resource: '*' }]).Statement.length // 1
 */
export function buildCcoctlPermissionPolicy(entries: readonly StatementEntry[]): PolicyDocument & { Statement: PolicyStatement[] } {
  const statements = entries.map((entry) => {
    // an entry without `action` is a nil slice in Go: `"Action":null`, which IAM then rejects as ccoctl's would be
    const statement = { Effect: entry.effect, Action: entry.action ?? null, Resource: entry.resource } as PolicyStatement;
    if (entry.policyCondition && Object.keys(entry.policyCondition).length > 0) statement.Condition = sortKeysDeep(entry.policyCondition) as PolicyStatement['Condition'];
    return statement;
  });
  return { Version: '2012-10-17', Statement: statements };
}

