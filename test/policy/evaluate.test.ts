/**
 * Evaluation: actions, resources (ARN wildcards across : and /), NotAction/NotResource/NotPrincipal, policy
 * variables, principals, and AWS's algorithm across identity policies, boundaries, session and resource policies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accessDeniedMessage,
  compilePolicy,
  evaluatePolicies,
  referenceEvaluate,
  type PolicyDocument,
  type RequestContext,
} from '../../src/policy/index.js';
import { decide, doc } from './helpers.js';

test('action matching: case-insensitive, * and ?, service prefix', () => {
  const cases: Array<[string | string[], string, boolean]> = [
    ['s3:GetObject', 's3:GetObject', true],
    ['s3:GetObject', 'S3:getobject', true],
    ['S3:GETOBJECT', 's3:GetObject', true],
    ['s3:Get*', 's3:GetObjectAcl', true],
    ['s3:Get*', 's3:PutObject', false],
    ['s3:*Object', 's3:PutObject', true],
    ['s3:*Object', 's3:PutObjectAcl', false],
    ['s3:Get?bject', 's3:GetObject', true],
    ['s3:Get?bject', 's3:GetOObject', false],
    ['s3:*', 's3:AnyThing', true],
    ['s3:*', 's3-object-lambda:GetObject', false],
    ['*', 'iam:CreateRole', true],
    ['iam:*Role*', 'iam:PassRole', true],
    ['iam:*Role*', 'iam:ListRoleTags', true],
    ['iam:*Role*', 'iam:ListUsers', false],
    [['iam:Get*', 's3:List*'], 's3:ListBucket', true],
    [['iam:Get*', 's3:List*'], 'sts:GetCallerIdentity', false],
    ['sts:AssumeRole*', 'sts:AssumeRoleWithWebIdentity', true],
    ['sts:AssumeRole', 'sts:AssumeRoleWithWebIdentity', false],
    ['s3:GetObject', 's3:GetObjectVersion', false],
  ];
  for (const [action, request, want] of cases) {
    const got = decide([doc({ Effect: 'Allow', Action: action, Resource: '*' })], { action: request });
    assert.equal(got === 'Allow', want, `${JSON.stringify(action)} vs ${request}`);
  }
});

test('NotAction: applies to every action not listed', () => {
  const d = doc({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' });
  assert.equal(decide([d], { action: 's3:GetObject' }), 'Allow');
  assert.equal(decide([d], { action: 'iam:CreateUser' }), 'ImplicitDeny');
  assert.equal(decide([d], { action: 'IAM:createuser' }), 'ImplicitDeny');
  // AWS example: deny everything except IAM self-service actions unless MFA
  const deny = doc(
    { Effect: 'Allow', Action: '*', Resource: '*' },
    { Effect: 'Deny', NotAction: ['iam:ChangePassword', 'iam:GetUser'], Resource: '*', Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } },
  );
  assert.equal(decide([deny], { action: 's3:GetObject' }), 'ExplicitDeny');
  assert.equal(decide([deny], { action: 's3:GetObject', keys: { 'aws:MultiFactorAuthPresent': 'true' } }), 'Allow');
  assert.equal(decide([deny], { action: 'iam:ChangePassword' }), 'Allow');
});

test('resource matching: segments, * across / in the resource part and across : at the end', () => {
  const cases: Array<[string, string, boolean]> = [
    ['*', 'arn:aws:s3:::b/k', true],
    ['*', '*', true],
    ['arn:aws:s3:::b/*', 'arn:aws:s3:::b/k', true],
    ['arn:aws:s3:::b/*', 'arn:aws:s3:::b/a/b/c', true],
    ['arn:aws:s3:::b/*', 'arn:aws:s3:::b/a:b:c', true],
    ['arn:aws:s3:::b/*', 'arn:aws:s3:::b', false],
    ['arn:aws:s3:::b/*', 'arn:aws:s3:::bb/k', false],
    ['arn:aws:s3:::b*', 'arn:aws:s3:::bucket', true],
    ['arn:aws:s3:::b*', 'arn:aws:s3:::bucket/k', true],
    ['arn:aws:s3:::b', 'arn:aws:s3:::b', true],
    ['arn:aws:s3:::b', 'arn:aws:s3:::B', false],
    ['arn:aws:s3:::b/?', 'arn:aws:s3:::b/k', true],
    ['arn:aws:s3:::b/?', 'arn:aws:s3:::b/kk', false],
    ['arn:aws:iam::123456789012:role/*', 'arn:aws:iam::123456789012:role/path/to/r', true],
    ['arn:aws:iam::123456789012:role/*', 'arn:aws:iam::210987654321:role/r', false],
    ['arn:aws:iam::*:role/r', 'arn:aws:iam::210987654321:role/r', true],
    ['arn:aws:iam::*:role/r', 'arn:aws:iam::2:1:role/r', false],
    ['arn:aws:iam::*', 'arn:aws:iam::123456789012:role/r', true],
    ['arn:aws:ec2:*:*:instance/*', 'arn:aws:ec2:us-east-1:123456789012:instance/i-1', true],
    ['arn:aws:ec2:us-*:*:instance/*', 'arn:aws:ec2:eu-west-1:123456789012:instance/i-1', false],
    ['arn:aws:dynamodb:us-east-1:1:table/T*', 'arn:aws:dynamodb:us-east-1:1:table/Table/index/I', true],
    ['arn:aws:logs:*:*:log-group:/aws/lambda/*:*', 'arn:aws:logs:us-east-1:1:log-group:/aws/lambda/f:log-stream:x', true],
    ['arn:aws:logs:*:*:log-group:/aws/lambda/*:*', 'arn:aws:logs:us-east-1:1:log-group:/aws/other/f:log-stream:x', false],
    ['arn:aws:s3:::*/public/*', 'arn:aws:s3:::b/x/public/y', true],
    ['arn:aws:s3:::b/*', '*', false],
  ];
  for (const [pattern, resource, want] of cases) {
    const got = decide([doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: pattern })], { action: 's3:GetObject', resource });
    assert.equal(got === 'Allow', want, `${pattern} vs ${resource}`);
  }
});

test('NotResource: applies to every resource not listed', () => {
  const d = doc({ Effect: 'Deny', Action: 's3:*', NotResource: ['arn:aws:s3:::ok', 'arn:aws:s3:::ok/*'] }, { Effect: 'Allow', Action: 's3:*', Resource: '*' });
  assert.equal(decide([d], { action: 's3:GetObject', resource: 'arn:aws:s3:::ok/k' }), 'Allow');
  assert.equal(decide([d], { action: 's3:GetObject', resource: 'arn:aws:s3:::other/k' }), 'ExplicitDeny');
});

test('policy variables in Resource and conditions (IAM guide examples)', () => {
  // "Allow users to manage their own folder": arn:aws:s3:::bucket/home/${aws:username}/*
  const home = doc({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::bucket/home/${aws:username}/*' });
  const alice: RequestContext = { action: 's3:PutObject', resource: 'arn:aws:s3:::bucket/home/alice/f', keys: { 'aws:username': 'alice' } };
  assert.equal(decide([home], alice), 'Allow');
  assert.equal(decide([home], { ...alice, keys: { 'aws:username': 'bob' } }), 'ImplicitDeny');
  assert.equal(decide([home], { ...alice, keys: {} }), 'ImplicitDeny', 'absent variable: the resource matches nothing');
  assert.equal(decide([home], { ...alice, keys: { 'AWS:UserName': 'alice' } }), 'Allow', 'variable keys case-insensitive');
  const upper = doc({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::bucket/home/${AWS:USERNAME}/*' });
  assert.equal(decide([upper], alice), 'Allow');
  // a * in the variable's value is literal, not a wildcard
  const star: RequestContext = { action: 's3:PutObject', resource: 'arn:aws:s3:::bucket/home/alice/f', keys: { 'aws:username': '*' } };
  assert.equal(decide([home], star), 'ImplicitDeny');
  // defaults
  const def = doc({ Effect: 'Allow', Action: 's3:*', Resource: "arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'company-wide'}/*" });
  assert.equal(decide([def], { action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/company-wide/x' }), 'Allow');
  assert.equal(decide([def], { action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/red/x', keys: { 'aws:PrincipalTag/team': 'red' } }), 'Allow');
  assert.equal(decide([def], { action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/company-wide/x', keys: { 'aws:PrincipalTag/team': 'red' } }), 'ImplicitDeny');
  // in a condition: s3:prefix StringLike home/${aws:username}/*
  const list = doc({ Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::bucket', Condition: { StringLike: { 's3:prefix': ['home/${aws:username}/*', ''] } } });
  const l: RequestContext = { action: 's3:ListBucket', resource: 'arn:aws:s3:::bucket', keys: { 'aws:username': 'alice', 's3:prefix': 'home/alice/docs' } };
  assert.equal(decide([list], l), 'Allow');
  assert.equal(decide([list], { ...l, keys: { 'aws:username': 'alice', 's3:prefix': 'home/bob/docs' } }), 'ImplicitDeny');
  assert.equal(decide([list], { ...l, keys: { 'aws:username': 'alice', 's3:prefix': '' } }), 'Allow');
  // negated operator with an absent variable: the value does not match, so the negation holds
  const neg = doc({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringNotEquals: { 's3:prefix': '${aws:username}' } } });
  assert.equal(decide([neg], { action: 's3:GetObject', keys: { 's3:prefix': 'x' } }), 'Allow');
  // multi-valued keys are not substituted
  const multi = doc({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/${aws:TagKeys}' });
  assert.equal(decide([multi], { action: 's3:GetObject', resource: 'arn:aws:s3:::b/a', keys: { 'aws:TagKeys': ['a'] } }), 'ImplicitDeny');
  // Version 2008-10-17: variables are literal text (trust/resource policies only accept it)
  const old = compilePolicy({ Version: '2008-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/${aws:username}' }] }, { kind: 'resource' });
  const anyone = { type: 'AWS' as const, id: 'arn:aws:iam::123456789012:user/alice' };
  assert.equal(evaluatePolicies({ resource: [old] }, { action: 's3:GetObject', resource: 'arn:aws:s3:::b/${aws:username}', principal: anyone }).decision, 'Allow');
  assert.equal(evaluatePolicies({ resource: [old] }, { action: 's3:GetObject', resource: 'arn:aws:s3:::b/alice', principal: anyone, keys: { 'aws:username': 'alice' } }).decision, 'ImplicitDeny');
  // variables are not substituted in Action
  // (a variable's own colon makes IAM reject the action outright)
  assert.throws(() => compilePolicy(doc({ Effect: 'Allow', Action: 's3:Get${aws:username}', Resource: '*' }), { kind: 'managed' }), {
    code: 'MalformedPolicyDocument',
    message: 'Actions/Condition can contain only one colon.',
  });
});

test('explicit deny beats any allow, across policies', () => {
  const allow = doc({ Effect: 'Allow', Action: '*', Resource: '*' });
  const deny = doc({ Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' });
  assert.equal(decide([allow, deny], { action: 's3:DeleteBucket', resource: 'arn:aws:s3:::b' }), 'ExplicitDeny');
  assert.equal(decide([allow, deny], { action: 's3:DeleteObject', resource: 'arn:aws:s3:::b/k' }), 'Allow');
  assert.equal(decide([deny], { action: 's3:GetObject' }), 'ImplicitDeny');
  assert.equal(decide([], { action: 's3:GetObject' }), 'ImplicitDeny');
  const condDeny = doc({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
  assert.equal(decide([allow, condDeny], { action: 's3:GetObject', keys: { 'aws:SecureTransport': 'false' } }), 'ExplicitDeny');
  assert.equal(decide([allow, condDeny], { action: 's3:GetObject', keys: { 'aws:SecureTransport': 'true' } }), 'Allow');
  assert.equal(decide([allow, condDeny], { action: 's3:GetObject' }), 'Allow', 'Bool on a missing key: the deny does not apply');
  // negated operator in a Deny with a missing key still denies
  const negDeny = doc({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringNotEqualsIfExists: { 'aws:RequestedRegion': 'eu-west-1' } } });
  assert.equal(decide([allow, negDeny], { action: 's3:GetObject', keys: { 'aws:RequestedRegion': 'us-east-1' } }), 'ExplicitDeny');
  assert.equal(decide([allow, negDeny], { action: 's3:GetObject' }), 'ExplicitDeny', 'IfExists: a missing key makes the Deny apply');
  assert.equal(decide([allow, negDeny], { action: 's3:GetObject', keys: { 'aws:RequestedRegion': 'eu-west-1' } }), 'Allow');
  const negDeny2 = doc({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringNotEquals: { 'aws:RequestedRegion': 'eu-west-1' } } });
  assert.equal(decide([allow, negDeny2], { action: 's3:GetObject' }), 'ExplicitDeny');
});

function compiled(d: PolicyDocument, kind: 'managed' | 'boundary' | 'session' | 'trust' | 'resource', name: string) {
  return compilePolicy(d, { kind, name });
}

test('permissions boundary and session policies intersect with identity policies', () => {
  const identity = compiled(doc({ Effect: 'Allow', Action: ['s3:*', 'iam:*'], Resource: '*' }), 'managed', 'id');
  const boundary = compiled(doc({ Effect: 'Allow', Action: ['s3:*', 'sts:*'], Resource: '*' }), 'boundary', 'pb');
  const session = compiled(doc({ Effect: 'Allow', Action: ['s3:Get*', 'iam:Get*'], Resource: '*' }), 'session', 'sp');
  const ev = (action: string, set: Parameters<typeof evaluatePolicies>[0]) => evaluatePolicies(set, { action, resource: '*' });
  const refDocs = { identity: [identity.parsed.document], boundary: boundary.parsed.document, session: [session.parsed.document] };
  const table: Array<[string, boolean, boolean, string]> = [
    // action, with boundary, with session, expected
    ['s3:GetObject', true, true, 'Allow'],
    ['s3:PutObject', true, true, 'ImplicitDeny'],
    ['s3:PutObject', true, false, 'Allow'],
    ['iam:GetRole', true, true, 'ImplicitDeny'],
    ['iam:GetRole', false, true, 'Allow'],
    ['iam:CreateRole', false, false, 'Allow'],
    ['iam:CreateRole', true, false, 'ImplicitDeny'],
    ['sts:GetCallerIdentity', true, false, 'ImplicitDeny'],
  ];
  for (const [action, b, s, want] of table) {
    const r = ev(action, { identity: [identity], boundary: b ? boundary : null, session: s ? [session] : null });
    assert.equal(r.decision, want, `${action} boundary=${b} session=${s}`);
    assert.equal(referenceEvaluate({ identity: refDocs.identity, boundary: b ? refDocs.boundary : null, session: s ? refDocs.session : null }, { action }), want);
  }
  assert.deepEqual(ev('iam:CreateRole', { identity: [identity], boundary }).reasons, ['because no permissions boundary allows the iam:CreateRole action']);
  assert.deepEqual(ev('s3:PutObject', { identity: [identity], session: [session] }).reasons, ['because no session policy allows the s3:PutObject action']);
  assert.deepEqual(ev('ec2:RunInstances', { identity: [identity] }).reasons, ['because no identity-based policy allows the ec2:RunInstances action']);
  // a deny in the boundary or the session policy is an explicit deny
  const denyB = compiled(doc({ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' }), 'boundary', 'pb2');
  const r = ev('s3:DeleteObject', { identity: [identity], boundary: denyB });
  assert.equal(r.decision, 'ExplicitDeny');
  assert.deepEqual(r.reasons, ['with an explicit deny in a permissions boundary']);
  // a boundary alone grants nothing
  assert.equal(ev('s3:GetObject', { identity: [], boundary }).decision, 'ImplicitDeny');
});

test('resource-based policies: principals, same-account grants, session ARN bypasses boundary', () => {
  const sessionArn = 'arn:aws:sts::123456789012:assumed-role/app/sess';
  const roleArn = 'arn:aws:iam::123456789012:role/app';
  const principal = { type: 'AWS' as const, id: sessionArn, roleArn };
  const bucket = (p: unknown) => compiled({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: p as '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] }, 'resource', 'bucket');
  const ctx = { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', principal };
  assert.equal(evaluatePolicies({ resource: [bucket({ AWS: roleArn })] }, ctx).decision, 'Allow', 'role ARN matches its sessions');
  assert.equal(evaluatePolicies({ resource: [bucket({ AWS: sessionArn })] }, ctx).decision, 'Allow');
  assert.equal(evaluatePolicies({ resource: [bucket({ AWS: '123456789012' })] }, ctx).decision, 'Allow', 'account id');
  assert.equal(evaluatePolicies({ resource: [bucket({ AWS: 'arn:aws:iam::123456789012:root' })] }, ctx).decision, 'Allow', 'account root');
  assert.equal(evaluatePolicies({ resource: [bucket({ AWS: '210987654321' })] }, ctx).decision, 'ImplicitDeny');
  assert.equal(evaluatePolicies({ resource: [bucket({ AWS: '*' })] }, ctx).decision, 'Allow');
  assert.equal(evaluatePolicies({ resource: [bucket('*')] }, ctx).decision, 'Allow');
  assert.equal(evaluatePolicies({ resource: [bucket({ Service: 's3.amazonaws.com' })] }, ctx).decision, 'ImplicitDeny');
  assert.equal(evaluatePolicies({ resource: [bucket({ AWS: roleArn })] }, { ...ctx, principal: undefined }).decision, 'ImplicitDeny', 'no principal');
  const boundary = compiled(doc({ Effect: 'Allow', Action: 'sts:*', Resource: '*' }), 'boundary', 'pb');
  assert.equal(evaluatePolicies({ resource: [bucket({ AWS: roleArn })], boundary }, ctx).decision, 'ImplicitDeny', 'role ARN grant limited by boundary');
  assert.equal(evaluatePolicies({ resource: [bucket({ AWS: sessionArn })], boundary }, ctx).decision, 'Allow', 'session ARN grant is not');
  // NotPrincipal with Deny: deny everyone except the listed principal
  const notP = compiled({ Version: '2012-10-17', Statement: [
    { Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*' },
    { Effect: 'Deny', NotPrincipal: { AWS: [roleArn, sessionArn] }, Action: 's3:*', Resource: '*' },
  ] }, 'resource', 'np');
  assert.equal(evaluatePolicies({ resource: [notP] }, ctx).decision, 'Allow');
  assert.equal(evaluatePolicies({ resource: [notP] }, { ...ctx, principal: { type: 'AWS', id: 'arn:aws:iam::123456789012:user/eve' } }).decision, 'ExplicitDeny');
});

test('trust policies: Federated principal exact, {"AWS":"*"} does not admit OIDC callers, NotPrincipal never allows', () => {
  const provider = 'arn:aws:iam::111122223333:oidc-provider/oidc.example.com/id/ABC';
  const principal = { type: 'Federated' as const, id: provider };
  const trust = (p: unknown, extra: object = {}) => compiled({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: p as '*', Action: 'sts:AssumeRoleWithWebIdentity', ...extra }] }, 'trust', 'trust');
  const ctx = { action: 'sts:AssumeRoleWithWebIdentity', principal };
  assert.equal(evaluatePolicies({ resource: [trust({ Federated: provider })] }, ctx).decision, 'Allow');
  assert.equal(evaluatePolicies({ resource: [trust({ Federated: [provider.toUpperCase()] })] }, ctx).decision, 'ImplicitDeny');
  assert.equal(evaluatePolicies({ resource: [trust({ AWS: '*' })] }, ctx).decision, 'ImplicitDeny');
  assert.equal(evaluatePolicies({ resource: [trust('*')] }, ctx).decision, 'Allow');
  const np = compiled({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', NotPrincipal: { AWS: 'arn:aws:iam::1:root' }, Action: 'sts:AssumeRoleWithWebIdentity' }] }, 'trust', 'np');
  const r = evaluatePolicies({ resource: [np] }, ctx, { explain: true });
  assert.equal(r.decision, 'ImplicitDeny');
  assert.match(r.trace![0]!.reason!.message, /NotPrincipal/);
  assert.deepEqual(r.reasons, ['because no resource-based policy allows the sts:AssumeRoleWithWebIdentity action']);
});

test('explain: first reason per statement that did not apply, with expected and actual values', () => {
  const p = compilePolicy(doc(
    { Sid: 'A', Effect: 'Allow', Action: 'iam:*', Resource: '*' },
    { Sid: 'R', Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::other/*' },
    { Sid: 'C', Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/team': ['red', 'blue'] }, IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } },
    { Sid: 'M', Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringEquals: { 's3:prefix': 'home/' } } },
    { Sid: 'V', Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringEquals: { 's3:prefix': 'home/${aws:username}' } } },
  ), { kind: 'managed', name: 'p.json' });
  const r = evaluatePolicies({ identity: [p] }, { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', keys: { 'aws:PrincipalTag/team': 'green', 'aws:SourceIp': '10.0.0.1', 'aws:username': 'al' } }, { explain: true });
  assert.equal(r.decision, 'ImplicitDeny');
  const reasons = r.trace!.map((t) => t.reason);
  assert.equal(reasons[0]!.kind, 'action');
  assert.match(reasons[0]!.message, /action s3:GetObject not matched by Action "iam:\*"/);
  assert.equal(reasons[1]!.kind, 'resource');
  assert.match(reasons[1]!.message, /arn:aws:s3:::b\/k not matched by Resource "arn:aws:s3:::other\/\*"/);
  assert.deepEqual(reasons[2], {
    kind: 'condition', operator: 'StringEquals', key: 'aws:PrincipalTag/team', expected: ['red', 'blue'], actual: ['green'],
    message: 'StringEquals on "aws:PrincipalTag/team": expected ["red", "blue"], request has "green"',
  });
  assert.equal(reasons[3]!.kind, 'key-missing');
  assert.match(reasons[3]!.message, /"s3:prefix": the key is not in the request context/);
  assert.equal(reasons[4]!.kind, 'key-missing');
  assert.deepEqual((reasons[4] as { expected: string[] }).expected, ['home/${aws:username} = home/al']);
  assert.deepEqual(r.matchedStatements, []);
  // without explain: no trace
  assert.equal(evaluatePolicies({ identity: [p] }, { action: 's3:GetObject' }).trace, null);
});

test('accessDeniedMessage uses AWS wording', () => {
  const p = compilePolicy(doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' }), { kind: 'managed' });
  const r = evaluatePolicies({ identity: [p] }, { action: 'iam:CreateRole', resource: 'arn:aws:iam::111122223333:role/x' });
  assert.equal(
    accessDeniedMessage(r, { principalArn: 'arn:aws:sts::111122223333:assumed-role/s3-reader/sess', action: 'iam:CreateRole', resource: 'arn:aws:iam::111122223333:role/x' }),
    'User: arn:aws:sts::111122223333:assumed-role/s3-reader/sess is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::111122223333:role/x because no identity-based policy allows the iam:CreateRole action',
  );
});

test('attack: a policy variable holding U+E000/U+E001 stays literal (no wildcard injection)', () => {
  const home = doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::corp/home/${aws:username}/*' });
  const like = doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { StringLike: { 's3:prefix': 'home/${aws:username}/*' } } });
  const arn = doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:sns:us-east-1:111122223333:${aws:username}' } } });
  for (const name of ['\uE000', '\uE001\uE001\uE001\uE001\uE001', 'a\uE002\uE000']) {
    const keys = { 'aws:username': name };
    assert.equal(decide([home], { action: 's3:GetObject', resource: 'arn:aws:s3:::corp/home/alice/secret', keys }), 'ImplicitDeny', `Resource, username ${JSON.stringify(name)}`);
    assert.equal(decide([like], { action: 's3:GetObject', keys: { ...keys, 's3:prefix': 'home/alice/x' } }), 'ImplicitDeny', `StringLike, username ${JSON.stringify(name)}`);
    assert.equal(decide([arn], { action: 's3:GetObject', keys: { ...keys, 'aws:SourceArn': 'arn:aws:sns:us-east-1:111122223333:alice' } }), 'ImplicitDeny', `ArnLike, username ${JSON.stringify(name)}`);
    // the same characters still match themselves literally
    assert.equal(decide([home], { action: 's3:GetObject', resource: `arn:aws:s3:::corp/home/${name}/k`, keys }), 'Allow');
    assert.equal(decide([like], { action: 's3:GetObject', keys: { ...keys, 's3:prefix': `home/${name}/x` } }), 'Allow');
  }
  // a sentinel character written in the policy itself is literal too
  const written = doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::corp/\uE000' });
  assert.equal(decide([written], { action: 's3:GetObject', resource: 'arn:aws:s3:::corp/anything' }), 'ImplicitDeny');
  assert.equal(decide([written], { action: 's3:GetObject', resource: 'arn:aws:s3:::corp/\uE000' }), 'Allow');
});

test('attack: "1e999" is not a number in a Numeric condition (AWS reads integers and decimals)', () => {
  const cap = (v: string) => doc({ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*', Condition: { NumericGreaterThanEquals: { 's3:max-keys': v } } });
  const req = (mk: string) => ({ action: 's3:ListBucket', keys: { 's3:max-keys': mk } });
  assert.equal(decide([cap('1e999')], req('5')), 'ImplicitDeny', 'policy value 1e999 must not be Infinity');
  const lessThan = doc({ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*', Condition: { NumericLessThan: { 's3:max-keys': '100' } } });
  assert.equal(decide([lessThan], req('-1e999')), 'ImplicitDeny', 'request value -1e999 must not be -Infinity');
  assert.equal(decide([lessThan], req('1e1')), 'ImplicitDeny', 'no exponent');
  assert.equal(decide([lessThan], req('99.5')), 'Allow', 'decimals');
  assert.equal(decide([lessThan], req('-7')), 'Allow', 'signed integers');
});

test('attack: cross-account access needs both the identity side and the resource side', () => {
  const role = 'arn:aws:iam::111122223333:role/target';
  const foreign = { type: 'AWS' as const, id: 'arn:aws:iam::999999999999:user/mallory' };
  const trust = compiled({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:root' }, Action: 'sts:AssumeRole' }] }, 'trust', 'trust');
  const assume = { action: 'sts:AssumeRole', resource: role, principal: foreign };
  const r = evaluatePolicies({ resource: [trust] }, assume, { explain: true });
  assert.equal(r.decision, 'ImplicitDeny', 'the trust policy alone does not let another account in');
  assert.deepEqual(r.crossAccount, { principalAccount: '999999999999', resourceAccount: '111122223333', identityAllows: false, resourceAllows: true });
  assert.match(r.reasons[0]!, /no identity-based policy allows the sts:AssumeRole action \(cross-account request/);
  assert.equal(referenceEvaluate({ resource: [trust.parsed.document], trust: true }, assume), 'ImplicitDeny', 'the oracle agrees');
  const mayAssume = compiled(doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: role }), 'managed', 'may-assume');
  const both = evaluatePolicies({ identity: [mayAssume], resource: [trust] }, assume);
  assert.equal(both.decision, 'Allow', 'both sides allow');
  assert.equal(both.crossAccount?.identityAllows, true);
  const idOnly = evaluatePolicies({ identity: [mayAssume] }, assume);
  assert.equal(idOnly.decision, 'ImplicitDeny', 'the identity side alone does not reach into another account');
  assert.match(idOnly.reasons[0]!, /no resource-based policy allows/);
  // S3 ARNs carry no account: the caller names it
  const bucket = compiled({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '999999999999' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] }, 'resource', 'bucket');
  const get = { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', principal: foreign };
  assert.equal(evaluatePolicies({ resource: [bucket] }, { ...get, resourceAccount: '111122223333' }).decision, 'ImplicitDeny');
  assert.equal(evaluatePolicies({ resource: [bucket] }, { ...get, resourceAccount: '999999999999' }).decision, 'Allow', 'same account: either side');
  assert.equal(evaluatePolicies({ resource: [bucket] }, get).crossAccount, null, 'account unknown: evaluated as same-account');
  // same account: the resource side alone is enough, as before
  const own = { type: 'AWS' as const, id: 'arn:aws:iam::111122223333:user/alice' };
  const ownTrust = compiled({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: own.id }, Action: 'sts:AssumeRole' }] }, 'trust', 'own');
  assert.equal(evaluatePolicies({ resource: [ownTrust] }, { ...assume, principal: own }).decision, 'Allow');
  // an explicit deny on either side still wins
  const deny = compiled(doc({ Effect: 'Deny', Action: 'sts:*', Resource: '*' }), 'managed', 'deny');
  assert.equal(evaluatePolicies({ identity: [mayAssume, deny], resource: [trust] }, assume).decision, 'ExplicitDeny');
});
