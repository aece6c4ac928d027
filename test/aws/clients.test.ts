/**
 * The machine's own AWS clients against the plane: boto3 (botocore 1.43), the AWS CLI v1 (`python3 -m awscli`) and
 * Debian's AWS CLI v2 (`/usr/bin/aws`, `--endpoint-url`): the seed's IAM calls (create-role with a trust policy
 * file, attach ReadOnlyAccess, get-role with the policy document decoded by the client), an OIDC provider, and
 * AWS's error codes as the clients print them. Outside CI a missing client skips with its reason; under CI=true
 * it fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clientUnavailable, skipOrFail } from '../outside-client.js';
import { startTestPlane, type TestPlane } from './helpers.js';

const TRUST = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Federated: 'arn:aws:iam::111122223333:oidc-provider/oidc.irsa.local' },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { 'oidc.irsa.local:sub': 'system:serviceaccount:default:s3-reader', 'oidc.irsa.local:aud': 'sts.amazonaws.com' } },
    },
  ],
};

function clientEnv(p: TestPlane): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: p.dir,
    AWS_CONFIG_FILE: join(p.dir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(p.dir, 'no-credentials'),
    AWS_ACCESS_KEY_ID: p.admin.accessKeyId,
    AWS_SECRET_ACCESS_KEY: p.admin.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: p.server.url,
    AWS_PAGER: '',
    AWS_MAX_ATTEMPTS: '1',
  };
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a client without blocking the event loop (the plane answers from this process). */
function run(p: TestPlane, cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: clientEnv(p), cwd: p.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

async function seed(p: TestPlane, aws: (args: string[]) => Promise<Run>): Promise<void> {
  writeFileSync(join(p.dir, 'trust-policy.json'), JSON.stringify(TRUST, null, 2));
  const provider = await aws(['iam', 'create-open-id-connect-provider', '--url', 'https://oidc.irsa.local', '--client-id-list', 'sts.amazonaws.com', '--thumbprint-list', '9e99a48a9960b14926bb7f3b02e22da2b0ab7280', '--output', 'json']);
  assert.equal(provider.status, 0, provider.stderr);
  assert.equal(JSON.parse(provider.stdout).OpenIDConnectProviderArn, 'arn:aws:iam::111122223333:oidc-provider/oidc.irsa.local');
  const created = await aws(['iam', 'create-role', '--role-name', 's3-reader', '--assume-role-policy-document', 'file://trust-policy.json', '--output', 'json']);
  assert.equal(created.status, 0, created.stderr);
  const role = JSON.parse(created.stdout).Role;
  assert.equal(role.Arn, 'arn:aws:iam::111122223333:role/s3-reader');
  assert.deepEqual(role.AssumeRolePolicyDocument, TRUST, 'the client decodes the URL-encoded document');
  const attached = await aws(['iam', 'attach-role-policy', '--role-name', 's3-reader', '--policy-arn', 'arn:aws:iam::aws:policy/ReadOnlyAccess']);
  assert.equal(attached.status, 0, attached.stderr);
  const list = await aws(['iam', 'list-attached-role-policies', '--role-name', 's3-reader', '--output', 'json']);
  assert.deepEqual(JSON.parse(list.stdout).AttachedPolicies, [{ PolicyName: 'ReadOnlyAccess', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }]);
  const get = await aws(['iam', 'get-role', '--role-name', 's3-reader', '--output', 'json']);
  assert.equal(JSON.parse(get.stdout).Role.MaxSessionDuration, 3600);
  const missing = await aws(['iam', 'get-role', '--role-name', 'nope']);
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /An error occurred \(NoSuchEntity\) when calling the GetRole operation( \(reached max retries: \d+\))?: The role with name nope cannot be found\./);
  const malformed = await aws(['iam', 'create-role', '--role-name', 'bad', '--assume-role-policy-document', '{"Version":"2012-10-17","Statement":[]']);
  assert.match(malformed.stderr, /\(MalformedPolicyDocument\) when calling the CreateRole operation( \(reached max retries: \d+\))?: Syntax errors in policy\./);
}

test('AWS CLI v1 (python3 -m awscli, AWS_ENDPOINT_URL): the seed\'s IAM calls', async (t) => {
  if (skipOrFail(t, clientUnavailable('python3', ['-m', 'awscli', '--version']))) return;
  const p = await startTestPlane(t);
  await seed(p, (args) => run(p, 'python3', ['-m', 'awscli', ...args]));
});

test('Debian AWS CLI v2 (/usr/bin/aws --endpoint-url): the seed\'s IAM calls', async (t) => {
  if (skipOrFail(t, existsSync('/usr/bin/aws') ? clientUnavailable('/usr/bin/aws', ['--version']) : '/usr/bin/aws is not installed (apt-get install -y awscli)')) return;
  const p = await startTestPlane(t);
  await seed(p, (args) => run(p, '/usr/bin/aws', [...args, '--endpoint-url', p.server.url]));
});

test('boto3: roles, inline policies and error codes through botocore', async (t) => {
  if (skipOrFail(t, clientUnavailable('python3', ['-c', 'import boto3']))) return;
  const p = await startTestPlane(t);
  const script = `
import json, boto3, botocore
iam = boto3.client('iam')
trust = ${JSON.stringify(JSON.stringify(TRUST))}
iam.create_role(RoleName='app', AssumeRolePolicyDocument=trust, Tags=[{'Key': 'team', 'Value': 'a'}])
iam.put_role_policy(RoleName='app', PolicyName='read', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 's3:ListBucket', 'Resource': 'arn:aws:s3:::demo'}]}))
out = {'role': iam.get_role(RoleName='app')['Role'], 'inline': iam.get_role_policy(RoleName='app', PolicyName='read')['PolicyDocument']}
try:
    iam.delete_role(RoleName='app')
except botocore.exceptions.ClientError as e:
    out['error'] = [e.response['Error']['Code'], e.response['Error']['Message'], e.response['ResponseMetadata']['HTTPStatusCode']]
print(json.dumps(out, default=str))
`;
  const r = await run(p, 'python3', ['-c', script]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.role.AssumeRolePolicyDocument, TRUST);
  assert.deepEqual(out.role.Tags, [{ Key: 'team', Value: 'a' }]);
  assert.deepEqual(out.inline.Statement[0].Resource, 'arn:aws:s3:::demo');
  assert.deepEqual(out.error, ['DeleteConflict', 'Cannot delete entity, must delete policies first.', 409]);
});
