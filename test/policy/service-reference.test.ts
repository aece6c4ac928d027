/** Service-reference lint: names no AWS service defines, with the closest real name; no noise on valid ones. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintServiceReference, parsePolicy, SERVICE_REFERENCE_WARNING_CODES, type PolicyWarning } from '../../src/policy/index.js';

const lint = (statement: Record<string, unknown>): Promise<PolicyWarning[]> =>
  lintServiceReference(parsePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Resource: '*', ...statement }] }, { kind: 'managed' }));

const messages = (ws: PolicyWarning[]): string[] => ws.map((w) => `${w.code} ${w.message}`);

test('actions: a misspelled action names the closest real one', async () => {
  assert.deepEqual(messages(await lint({ Action: 's3:GetObjekt' })), ['W_UNKNOWN_ACTION s3:GetObjekt is not an action of s3; did you mean s3:GetObject?']);
  assert.deepEqual(messages(await lint({ Action: 'iam:PasRole' })), ['W_UNKNOWN_ACTION iam:PasRole is not an action of iam; did you mean iam:PassRole?']);
  assert.deepEqual(messages(await lint({ NotAction: 'sts:AssumeRoleWithWebIdentiy' })), [
    'W_UNKNOWN_ACTION sts:AssumeRoleWithWebIdentiy is not an action of sts; did you mean sts:AssumeRoleWithWebIdentity?',
  ]);
  assert.deepEqual(messages(await lint({ Action: 's4:GetObject' })), [
    'W_UNKNOWN_SERVICE Action "s4:GetObject": s4 is not the prefix of an AWS service; did you mean s3:GetObject?',
  ]);
  const [w] = await lint({ Action: 'xyzzy:Frobnicate' });
  assert.equal(w?.code, 'W_UNKNOWN_SERVICE');
  assert.doesNotMatch(w!.message, /did you mean/, 'nothing near: no suggestion');
});

test('actions: a wildcard that matches nothing is reported; valid wildcards and case are not', async () => {
  assert.deepEqual(messages(await lint({ Action: 's3:Foo*' })), ['W_ACTION_MATCHES_NOTHING Action "s3:Foo*" matches no action of s3.']);
  assert.deepEqual(await lint({ Action: ['*', 's3:*', 's3:Get*', 's3:*Object', 's3:?etObject', 'S3:getobject', 'ec2:Describe*', 'sts:AssumeRoleWithWebIdentity', 'iam:List*'] }), []);
});

test('resources: ARN formats no resource type has, and valid ARNs with wildcards and variables', async () => {
  assert.deepEqual(messages(await lint({ Action: 'lambda:InvokeFunction', Resource: 'arn:aws:lambda:us-east-1:111122223333:functon:my-fn' })), [
    'W_UNKNOWN_RESOURCE_TYPE Resource "arn:aws:lambda:us-east-1:111122223333:functon:my-fn" matches no resource type of lambda; did you mean arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}?',
  ]);
  assert.deepEqual(messages(await lint({ Action: 's3:GetObject', Resource: 'arn:aws:s3z:::bucket/key' })), [
    'W_UNKNOWN_SERVICE Resource "arn:aws:s3z:::bucket/key": s3z is not the service of any AWS resource ARN; did you mean s3?',
  ]);
  const valid = [
    'arn:aws:s3:::data',
    'arn:aws:s3:::data/*',
    'arn:aws:s3:::*',
    'arn:aws:s3:::home/${aws:username}/*',
    'arn:aws:iam::*:role/*',
    'arn:aws:iam::111122223333:*',
    'arn:aws:lambda:*:111122223333:function:*',
    'arn:aws:sqs:us-east-1:111122223333:queue',
    'arn:aws:ec2:us-east-1:111122223333:instance/i-0123',
    'arn:aws:execute-api:us-east-1:111122223333:api/stage/GET/*',
    'arn:aws-cn:s3:::data/*',
  ];
  assert.deepEqual(await lint({ Action: '*', Resource: valid }), []);
});

test('condition keys: misspellings are named; global, service, tag and identity-provider keys are not', async () => {
  assert.deepEqual(messages(await lint({ Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefx': 'home/*' } } })), [
    'W_UNKNOWN_CONDITION_KEY s3:prefx is not a condition key of s3; did you mean s3:prefix?',
  ]);
  assert.deepEqual(messages(await lint({ Action: 's3:*', Condition: { IpAddress: { 'aws:SourceIpp': '10.0.0.0/8' } } })), [
    'W_UNKNOWN_CONDITION_KEY aws:SourceIpp is not one of the global condition keys; did you mean aws:SourceIp?',
  ]);
  const valid = {
    StringEquals: {
      'aws:SourceIp': 'x',
      'aws:sourceip': 'x',
      'aws:PrincipalOrgID': 'o-1',
      'aws:PrincipalTag/team': 'a',
      'aws:RequestTag/env': 'b',
      'aws:ResourceTag/env': 'b',
      'aws:TagKeys': 'env',
      'aws:SecureTransport': 'true',
      'aws:userid': 'x',
      'aws:PrincipalType': 'AssumedRole',
      's3:prefix': 'p',
      's3:ExistingObjectTag/class': 'v',
      'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::data',
      'iam:PassedToService': 'ec2.amazonaws.com',
      'sts:RoleSessionName': 'x',
      'ec2:SourceInstanceArn': 'x',
      'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub': 'system:serviceaccount:default:app',
      'oidc.irsa.local:aud': 'sts.amazonaws.com',
      'accounts.google.com:aud': 'x',
      'cognito-identity.amazonaws.com:amr': 'x',
      'saml:aud': 'x',
    },
  };
  assert.deepEqual(await lint({ Action: '*', Condition: valid }), []);
});

test('every warning code is listed, and each statement is reported with its index', async () => {
  const p = parsePolicy(
    {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
        { Effect: 'Allow', Action: ['s3:GetObjekt', 's3:GetObjekt'], Resource: '*' },
      ],
    },
    { kind: 'managed' },
  );
  const ws = await lintServiceReference(p);
  assert.deepEqual(ws.map((w) => [w.statement, w.code]), [[1, 'W_UNKNOWN_ACTION']], 'reported once per statement');
  for (const w of ws) assert.ok((SERVICE_REFERENCE_WARNING_CODES as readonly string[]).includes(w.code));
});
