/**
 * OpenShift operator credentials without the webhook: the per-operator Secret ccoctl writes (key `credentials`, an
 * AWS shared-config profile with `role_arn` and `web_identity_token_file`), and, from a CredentialsRequest, the IAM
 * role `ccoctl aws create-iam-roles --dry-run` would produce (its name, tags and CreateRole input; the trust and
 * permission policies are built by `policy/ccoctl.ts`). Errors about an option carry its field (`roleArn`, `name`, …).
 * @module
 */
import { formatRoleArn, parseOidcProviderArn, parseRoleArn } from '../lib/aws-arn.js';
import { FieldError } from '../lib/errors.js';
import { goJsonStringify } from '../lib/go-json.js';
import { isDns1123Subdomain, isNamespaceName } from '../lib/k8s-names.js';
import { isRecord } from '../lib/is-record.js';
import { buildCcoctlPermissionPolicy, buildCcoctlTrustPolicy, renderCcoctlTrustPolicy, type StatementEntry } from '../policy/ccoctl.js';
import type { PolicyDocument } from '../policy/types.js';
import { ManifestError } from './errors.js';
import { readManifestObjects } from './manifests.js';

export type { StatementEntry };

/** Where OpenShift operators mount their `openshift`-audience token (and ccoctl's default). */
export const OPENSHIFT_TOKEN_PATH = '/var/run/secrets/openshift/serviceaccount/token';
/** The Secret data key ccoctl and CCO use. */
export const CREDENTIALS_SECRET_KEY = 'credentials';

export interface CredentialsConfigOptions {
  roleArn: string;
  /** Default {@link OPENSHIFT_TOKEN_PATH}. */
  tokenPath?: string;
  /** Write `sts_regional_endpoints = regional` (default true). */
  stsRegionalEndpoints?: boolean;
}

/**
 * The `credentials` INI body exactly as ccoctl writes it: `[default]`, `sts_regional_endpoints = regional`,
 * `role_arn = …`, `web_identity_token_file = …`, no trailing newline.
 * @example
 * buildCredentialsConfig({ roleArn: 'arn:aws:iam::123456789012:role/r' }).split('\n').length // 4
 */
export function buildCredentialsConfig(options: CredentialsConfigOptions): string {
  if (parseRoleArn(options.roleArn) === undefined) {
    throw new FieldError('roleArn', `${JSON.stringify(options.roleArn)}: not an IAM role ARN; use arn:aws:iam::ACCOUNT:role/NAME`);
  }
  const tokenPath = options.tokenPath ?? OPENSHIFT_TOKEN_PATH;
  if (!tokenPath.startsWith('/') || /[\s]/.test(tokenPath)) {
    throw new FieldError('tokenPath', `${JSON.stringify(tokenPath)}: must be an absolute path without spaces, e.g. ${OPENSHIFT_TOKEN_PATH}`);
  }
  const lines = ['[default]'];
  if (options.stsRegionalEndpoints !== false) lines.push('sts_regional_endpoints = regional');
  lines.push(`role_arn = ${options.roleArn}`, `web_identity_token_file = ${tokenPath}`);
  return lines.join('\n');
}

export interface CredentialsSecretOptions extends CredentialsConfigOptions {
  name: string;
  namespace: string;
}

/** The Secret manifest, in ccoctl's field order. */
export interface CredentialsSecret {
  apiVersion: 'v1';
  stringData: { credentials: string };
  kind: 'Secret';
  metadata: { name: string; namespace: string };
  type: 'Opaque';
}

/**
 * The per-operator credentials Secret as ccoctl writes it.
 * @example
 * const secret = buildCredentialsSecret({ name: 'cloud-credentials', namespace: 'openshift-ingress-operator', roleArn });
 */
export function buildCredentialsSecret(options: CredentialsSecretOptions): CredentialsSecret {
  if (!isDns1123Subdomain(options.name)) throw new FieldError('name', `${JSON.stringify(options.name)}: a Secret name is a lowercase DNS name (a-z, 0-9, '-', '.')`);
  if (!isNamespaceName(options.namespace)) throw new FieldError('namespace', `${JSON.stringify(options.namespace)}: a namespace is a lowercase DNS label (a-z, 0-9, '-')`);
  return {
    apiVersion: 'v1',
    stringData: { credentials: buildCredentialsConfig(options) },
    kind: 'Secret',
    metadata: { name: options.name, namespace: options.namespace },
    type: 'Opaque',
  };
}

/**
 * The Secret as YAML, byte for byte ccoctl's `manifests/<ns>-<name>-credentials.yaml` (no trailing newline).
 * @example
 * writeFileSync(path, renderCredentialsSecretYaml(secret), { mode: 0o600 });
 */
export function renderCredentialsSecretYaml(secret: CredentialsSecret): string {
  const body = secret.stringData.credentials.split('\n').map((line) => `    ${line}`).join('\n');
  return `apiVersion: v1\nstringData:\n  credentials: |-\n${body}\nkind: Secret\nmetadata:\n  name: ${secret.metadata.name}\n  namespace: ${secret.metadata.namespace}\ntype: Opaque`;
}

/** The parts of a `cloudcredential.openshift.io/v1` CredentialsRequest ccoctl reads. */
export interface CredentialsRequest {
  metadata: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec: {
    secretRef: { name: string; namespace: string };
    serviceAccountNames?: string[];
    providerSpec: { apiVersion?: string; kind?: string; statementEntries?: StatementEntry[] };
    cloudTokenPath?: string;
  };
}


/**
 * Parses every CredentialsRequest in a YAML or JSON file (multi-document and `List`s allowed); other kinds are
 * ignored. Throws {@link ManifestError} naming the file and the document.
 * @example
 * const requests = parseCredentialsRequests(readFileSync('cr.yaml', 'utf8'), 'cr.yaml');
 */
export function parseCredentialsRequests(text: string, source: string): CredentialsRequest[] {
  const out: CredentialsRequest[] = [];
  for (const { value: item, index } of readManifestObjects(text, source)) {
    if (!isRecord(item) || item.kind !== 'CredentialsRequest') continue;
    const name = isRecord(item.metadata) && typeof item.metadata.name === 'string' ? item.metadata.name : `document ${index + 1}`;
    const spec = item.spec;
    if (!isRecord(spec) || !isRecord(spec.secretRef) || typeof spec.secretRef.name !== 'string' || typeof spec.secretRef.namespace !== 'string') {
      throw new ManifestError(source, index, `CredentialsRequest ${name} lacks spec.secretRef.name/namespace; add the target Secret`);
    }
    if (!isRecord(spec.providerSpec)) throw new ManifestError(source, index, `CredentialsRequest ${name} lacks spec.providerSpec; add an AWSProviderSpec`);
    out.push(item as unknown as CredentialsRequest);
  }
  if (out.length === 0) throw new ManifestError(source, undefined, 'no CredentialsRequest found; pass a cloudcredential.openshift.io/v1 CredentialsRequest manifest');
  return out;
}

export interface CredentialsRequestFilterOptions {
  /** Process `TechPreviewNoUpgrade` requests too (ccoctl's `--enable-tech-preview`). */
  enableTechPreview?: boolean;
}

/** Why ccoctl would skip a CredentialsRequest: the annotation that says so and its value. */
export interface SkipReason {
  annotation: 'release.openshift.io/delete' | 'release.openshift.io/feature-set';
  value: string;
}

/**
 * Why ccoctl would skip a CredentialsRequest, or undefined when it processes it. A `feature-set` request is processed
 * only when it is `TechPreviewNoUpgrade` and `enableTechPreview` is set.
 * @example
 * skipReason(cr, {}) // { annotation: 'release.openshift.io/delete', value: 'true' }
 */
export function skipReason(request: CredentialsRequest, options: CredentialsRequestFilterOptions = {}): SkipReason | undefined {
  const annotations = request.metadata?.annotations ?? {};
  if (annotations['release.openshift.io/delete'] === 'true') return { annotation: 'release.openshift.io/delete', value: 'true' };
  const featureSet = annotations['release.openshift.io/feature-set'];
  if (featureSet !== undefined && !(options.enableTechPreview && featureSet === 'TechPreviewNoUpgrade')) {
    return { annotation: 'release.openshift.io/feature-set', value: featureSet };
  }
  return undefined;
}

export interface IdentityProviderRef {
  /** `arn:<partition>:iam::<account>:oidc-provider/<issuerHostPath>`. */
  providerArn: string;
  /** Issuer without scheme, as IAM's GetOpenIDConnectProvider.Url returns it. */
  issuerHostPath: string;
  partition: string;
  accountId: string;
}

/**
 * Splits an IAM OIDC provider ARN.
 * @example
 * parseProviderArn('arn:aws:iam::123456789012:oidc-provider/oidc.example.com').issuerHostPath // 'oidc.example.com'
 */
export function parseProviderArn(arn: string): IdentityProviderRef {
  const provider = parseOidcProviderArn(arn);
  if (!provider) throw new FieldError('providerArn', `${JSON.stringify(arn)}: use arn:aws:iam::ACCOUNT:oidc-provider/ISSUER-HOST[/PATH]`);
  return { providerArn: arn, partition: provider.partition, accountId: provider.accountId, issuerHostPath: provider.hostPath };
}

export interface PlanRoleOptions {
  /** The cluster's infrastructure name ccoctl was given: prefix of role names and value of the tags. */
  infraName: string;
  provider: IdentityProviderRef;
  permissionsBoundaryArn?: string;
}

/** What ccoctl's dry run would create for one CredentialsRequest. */
export interface CredentialsRequestRolePlan {
  roleName: string;
  roleArn: string;
  description: string;
  /** The trust policy (`policy/ccoctl.ts`). */
  trustPolicyDocument: PolicyDocument;
  /** The trust policy exactly as ccoctl formats it ({@link renderCcoctlTrustPolicy}). */
  trustPolicy: string;
  /** The inline permission policy. */
  permissionPolicyDocument: PolicyDocument;
  /** The inline permission policy exactly as ccoctl formats it (Go's encoding/json). */
  permissionPolicy: string;
  /** The `05-…-role.json` CreateRole input. */
  createRoleInput: string;
  /** The `06-…-policy.json` PutRolePolicy input. */
  putRolePolicyInput: string;
  serviceAccounts: string[];
  secretRef: { name: string; namespace: string };
}

/**
 * The IAM role ccoctl `aws create-iam-roles` makes for a CredentialsRequest: name `<infra>-<ns>-<secret>` cut at 64
 * characters, a `sub`-only trust policy for the Secret's namespace and the request's service accounts, and an inline
 * permission policy from `statementEntries`.
 * @example
 * const plan = planCredentialsRequestRole(cr, { infraName: 'mycluster', provider: parseProviderArn(arn) });
 */
export function planCredentialsRequestRole(request: CredentialsRequest, options: PlanRoleOptions): CredentialsRequestRolePlan {
  const label = `CredentialsRequest ${request.metadata?.namespace ?? ''}/${request.metadata?.name ?? ''}`;
  const provider = request.spec.providerSpec;
  if (provider.kind !== 'AWSProviderSpec') throw new ManifestError(label, undefined, `spec.providerSpec.kind ${JSON.stringify(provider.kind ?? '')} is not of type AWS; pass an AWSProviderSpec request`);
  const { name: secretName, namespace } = request.spec.secretRef;
  const serviceAccounts = request.spec.serviceAccountNames ?? [];
  if (serviceAccounts.length === 0) throw new ManifestError(label, undefined, `spec.serviceAccountNames is empty; CredentialsRequest must provide ServiceAccounts to bind the Role policy to`);
  if (options.infraName === '') throw new FieldError('infraName', "is empty; pass the cluster's infrastructure name (the prefix ccoctl gives role names)");
  const fullName = `${options.infraName}-${namespace}-${secretName}`;
  const roleName = fullName.slice(0, 64);
  const trustPolicyDocument = buildCcoctlTrustPolicy({ providerArn: options.provider.providerArn, issuerHostPath: options.provider.issuerHostPath, namespace, serviceAccounts });
  const trustPolicy = renderCcoctlTrustPolicy(trustPolicyDocument);
  const permissionPolicyDocument = buildCcoctlPermissionPolicy(provider.statementEntries ?? []);
  const permissionPolicy = goJsonStringify(permissionPolicyDocument);
  const description = `OpenShift role for ${namespace}/${secretName}`;
  const createRole: Record<string, unknown> = { AssumeRolePolicyDocument: trustPolicy, Description: description };
  if (options.permissionsBoundaryArn) createRole.PermissionsBoundary = options.permissionsBoundaryArn;
  createRole.RoleName = roleName;
  createRole.Tags = [
    { Key: `openshift.io/cloud-credential-operator/${options.infraName}`, Value: 'owned' },
    { Key: 'Name', Value: options.infraName },
  ];
  return {
    roleName,
    roleArn: formatRoleArn(options.provider.accountId, roleName, '/', options.provider.partition),
    description,
    trustPolicyDocument,
    trustPolicy,
    permissionPolicyDocument,
    permissionPolicy,
    createRoleInput: goJsonStringify(createRole),
    putRolePolicyInput: goJsonStringify({ PolicyDocument: permissionPolicy, PolicyName: roleName, RoleName: roleName }),
    serviceAccounts: [...serviceAccounts],
    secretRef: { name: secretName, namespace },
  };
}
