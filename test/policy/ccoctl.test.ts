import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCcoctlPermissionPolicy, buildCcoctlTrustPolicy, parsePolicy, renderCcoctlTrustPolicy } from '../../src/policy/index.js';

const PROVIDER = 'arn:aws:iam::123456789012:oidc-provider/oidc.example.com/c1';

test('ccoctl trust policy: a document pinning sub to every service account, no aud; IAM accepts it', () => {
  const doc = buildCcoctlTrustPolicy({ providerArn: PROVIDER, issuerHostPath: 'oidc.example.com/c1', namespace: 'ns', serviceAccounts: ['a', 'b'] });
  assert.deepEqual(doc, {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: PROVIDER },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { 'oidc.example.com/c1:sub': ['system:serviceaccount:ns:a', 'system:serviceaccount:ns:b'] } },
      },
    ],
  });
  const text = renderCcoctlTrustPolicy(doc);
  assert.deepEqual(JSON.parse(text), doc, 'the rendering is the same document');
  parsePolicy(text, { kind: 'trust' });
});

test('ccoctl trust policy rendering: ccoctl\'s own spacing, one and several subjects', () => {
  const one = renderCcoctlTrustPolicy(buildCcoctlTrustPolicy({ providerArn: PROVIDER, issuerHostPath: 'h', namespace: 'ns', serviceAccounts: ['only'] }));
  assert.equal(
    one,
    `{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", "Principal": { "Federated": "${PROVIDER}" }, "Action": "sts:AssumeRoleWithWebIdentity", "Condition":  { "StringEquals": { "h:sub": [ "system:serviceaccount:ns:only"  ] } } } ] }`,
  );
  const three = renderCcoctlTrustPolicy(buildCcoctlTrustPolicy({ providerArn: PROVIDER, issuerHostPath: 'h', namespace: 'ns', serviceAccounts: ['a', 'b', 'c'] }));
  assert.match(three, /"h:sub": \[ "system:serviceaccount:ns:a"  , "system:serviceaccount:ns:b" , "system:serviceaccount:ns:c" \] \}/);
});

test('ccoctl permission policy: one statement per entry, Condition keys sorted, no Condition when empty', () => {
  const doc = buildCcoctlPermissionPolicy([
    { effect: 'Allow', action: ['s3:GetObject'], resource: '*', policyCondition: {} },
    { effect: 'Deny', action: ['s3:PutObject', 's3:DeleteObject'], resource: 'arn:aws:s3:::b/*', policyCondition: { StringEquals: { 'z:k': 'v', 'a:k': 'w' } } },
  ]);
  assert.deepEqual(doc, {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' },
      { Effect: 'Deny', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: 'arn:aws:s3:::b/*', Condition: { StringEquals: { 'a:k': 'w', 'z:k': 'v' } } },
    ],
  });
  assert.deepEqual(Object.keys((doc.Statement[1]!.Condition as { StringEquals: object }).StringEquals), ['a:k', 'z:k']);
  parsePolicy(JSON.stringify(doc), { kind: 'identity' });
});
