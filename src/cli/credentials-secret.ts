/**
 * `irsa credentials-secret`: the per-operator credentials Secret ccoctl writes, and with `--credentials-request` the
 * IAM role, trust policy and permission policy `ccoctl aws create-iam-roles --dry-run` would produce.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { stringify } from 'yaml';
import { ACCOUNT_ID_PATTERN, formatOidcProviderArn } from '../lib/aws-arn.js';
import { UsageError } from '../lib/errors.js';
import {
  buildCredentialsSecret,
  OPENSHIFT_TOKEN_PATH,
  parseCredentialsRequests,
  parseProviderArn,
  planCredentialsRequestRole,
  renderCredentialsSecretYaml,
  skipReason,
  type CredentialsSecret,
  type IdentityProviderRef,
  type SkipReason,
} from '../kube/credentials-secret.js';
import { validateIssuerUrl } from '../oidc/index.js';
import type { RegisterCommand } from './commands.js';
import { flagAction } from './field-flags.js';

/** The flag that fills each field of the credentials-Secret library. */
const FIELD_FLAGS = {
  name: '--name',
  namespace: '--namespace',
  roleArn: '--role-arn',
  tokenPath: '--token-path',
  infraName: '--infra-name',
  providerArn: '--provider-arn',
  issuer: '--issuer',
} as const;

interface CredentialsSecretCliOptions {
  name?: string;
  namespace?: string;
  roleArn?: string;
  tokenPath?: string;
  stsRegionalEndpoints: string;
  credentialsRequest?: string;
  infraName?: string;
  providerArn?: string;
  issuer?: string;
  accountId?: string;
  partition: string;
  permissionsBoundaryArn?: string;
  enableTechPreview?: boolean;
  output: string;
}

type RolePlan = ReturnType<typeof planCredentialsRequestRole>;

/** The role plan as printed: the policies as documents rather than the JSON strings ccoctl passes to IAM. */
function rolePlanView(role: RolePlan): Record<string, unknown> {
  return {
    roleName: role.roleName,
    roleArn: role.roleArn,
    description: role.description,
    trustPolicy: role.trustPolicyDocument,
    permissionPolicy: role.permissionPolicyDocument,
    createRoleInput: role.createRoleInput,
    putRolePolicyInput: role.putRolePolicyInput,
  };
}

function describeSkip(skip: SkipReason): string {
  const text = `annotation ${skip.annotation} is ${JSON.stringify(skip.value)}`;
  return skip.annotation === 'release.openshift.io/feature-set' ? `${text} (pass --enable-tech-preview for TechPreviewNoUpgrade)` : text;
}

function parseBool(value: string, flag: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new UsageError(`${flag}=${value}: use true or false`);
}

function resolveProvider(opts: CredentialsSecretCliOptions): IdentityProviderRef {
  if (opts.providerArn !== undefined) {
    const provider = parseProviderArn(opts.providerArn);
    if (opts.issuer !== undefined && validateIssuerUrl(opts.issuer).hostPath !== provider.issuerHostPath) {
      throw new UsageError(`--issuer ${opts.issuer} does not match --provider-arn (${provider.issuerHostPath}); drop one of them`);
    }
    return provider;
  }
  if (opts.issuer === undefined || opts.accountId === undefined) {
    throw new UsageError('--credentials-request needs the IAM OIDC provider: pass --provider-arn ARN, or --issuer URL with --account-id ID');
  }
  if (!ACCOUNT_ID_PATTERN.test(opts.accountId)) throw new UsageError(`--account-id ${JSON.stringify(opts.accountId)}: use the 12-digit AWS account ID`);
  const { hostPath } = validateIssuerUrl(opts.issuer);
  return parseProviderArn(formatOidcProviderArn(opts.accountId, hostPath, opts.partition));
}

/** Registers `irsa credentials-secret`. */
export const registerCredentialsSecretCommand: RegisterCommand = (program, ctx) => {
  program
    .command('credentials-secret')
    .description('the per-operator credentials Secret (AWS config with role_arn and web_identity_token_file), as ccoctl writes it')
    .option('--name <name>', 'Secret name (from spec.secretRef with --credentials-request)')
    .option('--namespace <ns>', 'Secret namespace (from spec.secretRef with --credentials-request)')
    .option('--role-arn <arn>', 'IAM role ARN (derived from the provider ARN with --credentials-request)')
    .option('--token-path <path>', 'web_identity_token_file', OPENSHIFT_TOKEN_PATH)
    .option('--sts-regional-endpoints <bool>', 'write sts_regional_endpoints = regional (true or false)', 'true')
    .option('--credentials-request <file>', 'a CredentialsRequest (AWSProviderSpec): also print the IAM role, trust and permission policy')
    .option('--infra-name <name>', 'with --credentials-request: the name ccoctl got as --name (role name prefix and tag)')
    .option('--provider-arn <arn>', 'with --credentials-request: the IAM OIDC provider ARN')
    .option('--issuer <url>', 'with --credentials-request and --account-id: the issuer URL (instead of --provider-arn)')
    .option('--account-id <id>', 'with --issuer: the AWS account of the provider and roles')
    .option('--partition <partition>', 'with --issuer: aws, aws-cn or aws-us-gov', 'aws')
    .option('--permissions-boundary-arn <arn>', 'with --credentials-request: permissions boundary of the role')
    .option('--enable-tech-preview', 'with --credentials-request: include TechPreviewNoUpgrade requests')
    .option('-o, --output <format>', 'yaml or json', 'yaml')
    .action(flagAction(FIELD_FLAGS, async (opts: CredentialsSecretCliOptions) => {
      if (opts.output !== 'yaml' && opts.output !== 'json') throw new UsageError(`--output ${JSON.stringify(opts.output)}: use yaml or json`);
      const stsRegionalEndpoints = parseBool(opts.stsRegionalEndpoints, '--sts-regional-endpoints');
      const common = { tokenPath: opts.tokenPath, stsRegionalEndpoints };
      if (opts.credentialsRequest === undefined) {
        for (const [flag, value] of [['--name', opts.name], ['--namespace', opts.namespace], ['--role-arn', opts.roleArn]] as const) {
          if (value === undefined) throw new UsageError(`${flag} is required (or pass --credentials-request FILE)`);
        }
        for (const flag of ['infraName', 'providerArn', 'accountId', 'permissionsBoundaryArn'] as const) {
          if (opts[flag] !== undefined) throw new UsageError(`--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies only with --credentials-request`);
        }
        const secret = buildCredentialsSecret({ name: opts.name!, namespace: opts.namespace!, roleArn: opts.roleArn!, ...common });
        ctx.stdout.write(opts.output === 'json' ? `${JSON.stringify(secret, null, 2)}\n` : `${renderCredentialsSecretYaml(secret)}\n`);
        return;
      }
      if (opts.infraName === undefined) throw new UsageError('--credentials-request needs --infra-name (the name ccoctl got as --name; prefix of the role name)');
      const provider = resolveProvider(opts);
      const path = resolve(ctx.cwd, opts.credentialsRequest);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch {
        throw new UsageError(`--credentials-request ${opts.credentialsRequest}: cannot be read; check the path`);
      }
      const requests = parseCredentialsRequests(text, opts.credentialsRequest);
      const results: Array<{ secret: CredentialsSecret; role: RolePlan }> = [];
      for (const request of requests) {
        const skip = skipReason(request, { enableTechPreview: opts.enableTechPreview === true });
        if (skip !== undefined) {
          ctx.stderr.write(`irsa: skipping CredentialsRequest ${request.metadata?.name ?? ''}: ${describeSkip(skip)}\n`);
          continue;
        }
        const role = planCredentialsRequestRole(request, { infraName: opts.infraName, provider, ...(opts.permissionsBoundaryArn ? { permissionsBoundaryArn: opts.permissionsBoundaryArn } : {}) });
        if (opts.name !== undefined && opts.name !== role.secretRef.name) throw new UsageError(`--name ${opts.name} differs from spec.secretRef.name ${role.secretRef.name}; drop --name`);
        if (opts.namespace !== undefined && opts.namespace !== role.secretRef.namespace) throw new UsageError(`--namespace ${opts.namespace} differs from spec.secretRef.namespace ${role.secretRef.namespace}; drop --namespace`);
        const secret = buildCredentialsSecret({ ...role.secretRef, roleArn: opts.roleArn ?? role.roleArn, ...common });
        results.push({ secret, role });
      }
      if (results.length === 0) throw new UsageError(`${opts.credentialsRequest}: every CredentialsRequest was skipped; see the notes above`);
      if (opts.output === 'json') {
        const out = results.map(({ secret, role }) => ({ secret, role: rolePlanView(role) }));
        ctx.stdout.write(`${JSON.stringify(out.length === 1 ? out[0] : out, null, 2)}\n`);
        return;
      }
      const docs: string[] = [];
      for (const { secret, role } of results) {
        docs.push(renderCredentialsSecretYaml(secret));
        docs.push(
          `# IAM role for ${role.secretRef.namespace}/${role.secretRef.name} (ccoctl aws create-iam-roles --dry-run)\n` +
            stringify(rolePlanView(role), { lineWidth: 0, version: '1.1' }).trimEnd(),
        );
      }
      ctx.stdout.write(`${docs.join('\n---\n')}\n`);
    }));
};
