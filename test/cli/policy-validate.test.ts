/**
 * `irsa policy validate` with the service-reference lint: warnings with the closest real name, exit codes (warnings
 * keep 0; an invalid document is 1), --json, and AWS managed policies named by ARN in `irsa policy eval`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliRun } from './capture.js';

const dir = mkdtempSync(join(tmpdir(), 'irsa-policy-validate-'));
const run = (args: string[]): Promise<CliRun> => runCli(['policy', ...args], { cwd: dir });
const file = (name: string, content: unknown): string => {
  writeFileSync(join(dir, name), JSON.stringify(content, null, 2));
  return name;
};

file('typos.json', {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'Read', Effect: 'Allow', Action: ['s3:GetObjekt', 's3:Foo*', 's3:List*'], Resource: 'arn:aws:s3:::data/*', Condition: { StringLike: { 's3:prefx': 'home/*' } } },
    { Sid: 'Ok', Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } },
  ],
});
file('clean.json', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:Get*', 's3:ListBucket'], Resource: ['arn:aws:s3:::data', 'arn:aws:s3:::data/*'] }] });
file('trust.json', {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Federated: 'arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC' },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { 'oidc.eks.us-east-1.amazonaws.com/id/ABC:sub': 'system:serviceaccount:default:app', 'oidc.eks.us-east-1.amazonaws.com/id/ABC:aud': 'sts.amazonaws.com' } },
    },
  ],
});
file('broken.json', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'GetObject', Resource: '*' }] });

test('validate: service-reference warnings with suggestions, exit 0', async () => {
  const r = await run(['validate', 'typos.json', 'clean.json', 'trust.json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    [
      /^typos\.json: valid managed policy \(\d+\/6144 characters\)$/,
      '  warning W_UNKNOWN_ACTION (statement #0): s3:GetObjekt is not an action of s3; did you mean s3:GetObject?',
      '  warning W_ACTION_MATCHES_NOTHING (statement #0): Action "s3:Foo*" matches no action of s3.',
      '  warning W_UNKNOWN_CONDITION_KEY (statement #0): s3:prefx is not a condition key of s3; did you mean s3:prefix?',
      /^clean\.json: valid managed policy \(\d+\/6144 characters\)$/,
      /^trust\.json: valid trust policy \(\d+\/2048 characters\)$/,
      '',
    ]
      .map((want, i) => {
        const got = r.stdout.split('\n')[i] ?? '';
        if (typeof want === 'string') return want;
        assert.match(got, want);
        return got;
      })
      .join('\n'),
  );
});

test('validate: an invalid document is exit 1 and gets no service-reference lint; --json carries the warnings', async () => {
  const bad = await run(['validate', 'broken.json', 'typos.json']);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /^broken\.json: MalformedPolicyDocument: Actions\/Conditions must be prefaced by a vendor/m);
  assert.doesNotMatch(bad.stdout.split('\n').slice(0, 2).join('\n'), /W_UNKNOWN/);
  const json = await run(['validate', 'typos.json', '--json']);
  assert.equal(json.code, 0);
  const [result] = JSON.parse(json.stdout) as Array<{ valid: boolean; warnings: Array<{ code: string; statement: number; message: string }> }>;
  assert.equal(result?.valid, true);
  assert.deepEqual(
    result?.warnings.filter((w) => w.code.startsWith('W_UNKNOWN') || w.code === 'W_ACTION_MATCHES_NOTHING').map((w) => [w.code, w.statement]),
    [['W_UNKNOWN_ACTION', 0], ['W_ACTION_MATCHES_NOTHING', 0], ['W_UNKNOWN_CONDITION_KEY', 0]],
  );
});

test('eval: AWS managed policies by ARN are the complete documents', async () => {
  const ec2 = await run(['eval', '--policy', 'arn:aws:iam::aws:policy/ReadOnlyAccess', '--action', 'ec2:DescribeInstances', '--resource', '*']);
  assert.equal(ec2.code, 0, ec2.stdout + ec2.stderr);
  assert.match(ec2.stdout, /^Allow/);
  const put = await run(['eval', '--policy', 'arn:aws:iam::aws:policy/ReadOnlyAccess', '--action', 's3:PutObject', '--resource', 'arn:aws:s3:::b/k']);
  assert.equal(put.code, 1);
  const missing = await run(['eval', '--policy', 'arn:aws:iam::aws:policy/NoSuchPolicy', '--action', 's3:GetObject', '--resource', '*']);
  assert.equal(missing.code, 2);
});
