import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accountOfArn, formatAssumedRoleArn, formatOidcProviderArn, formatRoleArn, issuerHostPath, parseArn,
  parseAssumedRoleArn, parseIamArn, parseOidcProviderArn, parseRoleArn,
} from '../../src/lib/aws-arn.js';

test('parseArn keeps colons in the resource and refuses non-ARNs', () => {
  assert.deepEqual(parseArn('arn:aws:logs:us-east-1:111122223333:log-group:x:*'), {
    partition: 'aws', service: 'logs', region: 'us-east-1', accountId: '111122223333', resource: 'log-group:x:*',
  });
  assert.equal(parseArn('arn:aws:s3:::bucket/key')?.resource, 'bucket/key');
  for (const bad of ['', 'arn:aws:s3', 'aws:iam::1:role/x', 'arn::iam::1:role/x']) assert.equal(parseArn(bad), undefined, bad);
});

test('accountOfArn: 12 digits or nothing', () => {
  assert.equal(accountOfArn('arn:aws:iam::111122223333:role/a'), '111122223333');
  assert.equal(accountOfArn('arn:aws:s3:::bucket'), undefined);
  assert.equal(accountOfArn('arn:aws:iam::aws:policy/ReadOnlyAccess'), undefined);
});

test('role ARNs: path, name, refusals', () => {
  assert.deepEqual(parseRoleArn('arn:aws:iam::111122223333:role/team/s3-reader'), {
    partition: 'aws', accountId: '111122223333', path: '/team/', roleName: 's3-reader',
  });
  assert.equal(parseRoleArn('arn:aws:iam::111122223333:role/app')?.path, '/');
  for (const bad of [
    'arn:aws:iam::11112222333:role/app', 'arn:aws:iam::111122223333:user/app', 'arn:aws:sts::111122223333:role/app',
    'arn:aws:iam::111122223333:role/', 'arn:aws:iam::111122223333:role/a b', `arn:aws:iam::111122223333:role/${'a'.repeat(65)}`,
  ]) assert.equal(parseRoleArn(bad), undefined, bad);
  assert.equal(formatRoleArn('111122223333', 's3-reader', '/team/'), 'arn:aws:iam::111122223333:role/team/s3-reader');
});

test('IAM root and managed policy ARNs', () => {
  assert.equal(parseIamArn('arn:aws:iam::111122223333:root')?.type, 'root');
  assert.deepEqual(parseIamArn('arn:aws:iam::aws:policy/ReadOnlyAccess'), {
    partition: 'aws', accountId: 'aws', type: 'policy', path: '/', name: 'ReadOnlyAccess',
  });
});

test('assumed-role ARNs round-trip', () => {
  const arn = formatAssumedRoleArn('111122223333', 'r', 'botocore-session-1');
  assert.equal(arn, 'arn:aws:sts::111122223333:assumed-role/r/botocore-session-1');
  assert.deepEqual(parseAssumedRoleArn(arn), { partition: 'aws', accountId: '111122223333', roleName: 'r', sessionName: 'botocore-session-1' });
  assert.equal(parseAssumedRoleArn('arn:aws:iam::111122223333:role/r'), undefined);
});

test('OIDC provider ARNs and the issuer host/path', () => {
  assert.equal(issuerHostPath('https://oidc.example.com/id/ABC/'), 'oidc.example.com/id/ABC');
  const arn = formatOidcProviderArn('111122223333', 'https://oidc.example.com/id/ABC');
  assert.equal(arn, 'arn:aws:iam::111122223333:oidc-provider/oidc.example.com/id/ABC');
  assert.deepEqual(parseOidcProviderArn(arn), { partition: 'aws', accountId: '111122223333', hostPath: 'oidc.example.com/id/ABC' });
  assert.equal(parseOidcProviderArn('arn:aws:iam::111122223333:role/x'), undefined);
});
