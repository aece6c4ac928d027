/** AWS managed policies as data, the compile cache, and the error classes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AWS_MANAGED_POLICIES,
  compilePolicy,
  createPolicyCache,
  evaluatePolicies,
  getManagedPolicy,
  parsePolicy,
  MalformedPolicyDocumentError,
  PolicyError,
  PolicySizeLimitError,
  POLICY_ERROR_CODES,
} from '../../src/policy/index.js';
import { IrsaError } from '../../src/lib/errors.js';

test('managed policies: real ARNs, valid documents, expected grants', () => {
  assert.deepEqual(AWS_MANAGED_POLICIES.map((p) => p.name).sort(), ['AdministratorAccess', 'AmazonS3FullAccess', 'AmazonS3ReadOnlyAccess', 'IAMReadOnlyAccess', 'ReadOnlyAccess']);
  for (const p of AWS_MANAGED_POLICIES) {
    assert.equal(p.arn, `arn:aws:iam::aws:policy/${p.name}`);
    assert.equal(p.path, '/');
    assert.match(p.defaultVersionId, /^v\d+$/);
    parsePolicy(p.document, { kind: 'managed' });
  }
  const allows = (name: string, action: string, resource = '*') =>
    evaluatePolicies({ identity: [compilePolicy(getManagedPolicy(name)!.document, { kind: 'managed', name })] }, { action, resource }).decision === 'Allow';
  const table: Array<[string, string, boolean]> = [
    ['ReadOnlyAccess', 's3:GetObject', true],
    ['ReadOnlyAccess', 's3:ListAllMyBuckets', true],
    ['ReadOnlyAccess', 's3:ListBucket', true],
    ['ReadOnlyAccess', 's3:PutObject', false],
    ['ReadOnlyAccess', 'iam:GetRole', true],
    ['ReadOnlyAccess', 'iam:ListRoles', true],
    ['ReadOnlyAccess', 'iam:CreateRole', false],
    ['ReadOnlyAccess', 'sts:GetCallerIdentity', true],
    ['ReadOnlyAccess', 'sts:AssumeRole', false],
    ['AmazonS3ReadOnlyAccess', 's3:GetObject', true],
    ['AmazonS3ReadOnlyAccess', 's3:DescribeJob', true],
    ['AmazonS3ReadOnlyAccess', 's3:DeleteObject', false],
    ['AmazonS3ReadOnlyAccess', 'iam:GetRole', false],
    ['AmazonS3FullAccess', 's3:DeleteBucket', true],
    ['AmazonS3FullAccess', 's3-object-lambda:WriteGetObjectResponse', true],
    ['AmazonS3FullAccess', 'iam:GetRole', false],
    ['AdministratorAccess', 'iam:CreateRole', true],
    ['AdministratorAccess', 'anything:AtAll', true],
    ['IAMReadOnlyAccess', 'iam:GetRole', true],
    ['IAMReadOnlyAccess', 'iam:SimulatePrincipalPolicy', true],
    ['IAMReadOnlyAccess', 'iam:PassRole', false],
  ];
  for (const [name, action, want] of table) assert.equal(allows(name, action, 'arn:aws:s3:::b/k'), want, `${name} ${action}`);
  assert.equal(getManagedPolicy('arn:aws:iam::aws:policy/ReadOnlyAccess')?.subset, true);
  assert.equal(getManagedPolicy('readonlyaccess'), undefined, 'names are case-sensitive');
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
