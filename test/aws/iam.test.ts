/**
 * IAM through the real AWS SDK for JavaScript (@aws-sdk/client-iam) against the plane on a port: shapes, AWS's
 * error codes, statuses and texts, validation through the policy engine, quotas, and idempotency rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AddClientIDToOpenIDConnectProviderCommand,
  AttachRolePolicyCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  CreateAccessKeyCommand,
  DeleteOpenIDConnectProviderCommand,
  DeletePolicyCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetOpenIDConnectProviderCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListOpenIDConnectProvidersCommand,
  ListPoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  PutRolePolicyCommand,
  RemoveClientIDFromOpenIDConnectProviderCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateOpenIDConnectProviderThumbprintCommand,
  UpdateRoleCommand,
} from '@aws-sdk/client-iam';
import { startTestPlane, keys } from './helpers.js';

const PROVIDER = 'arn:aws:iam::111122223333:oidc-provider/oidc.example.com/id/ABC';
const trust = (provider = PROVIDER) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: provider },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { 'oidc.example.com/id/ABC:sub': 'system:serviceaccount:default:app' } },
      },
    ],
  });
const readS3 = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] });

async function rejects(p: Promise<unknown>, name: string, status: number, message?: string | RegExp): Promise<any> {
  try {
    await p;
  } catch (err: any) {
    assert.equal(err.name, name, err.message);
    assert.equal(err.$metadata.httpStatusCode, status);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected ${name}`);
}

test('roles: create, get, list, update, tag, delete with AWS shapes and errors', async (t) => {
  const { server, admin } = await startTestPlane(t);
  const iam = new IAMClient({ endpoint: server.url, region: 'us-east-1', credentials: keys(admin.accessKeyId, admin.secretAccessKey) });
  const created = await iam.send(
    new CreateRoleCommand({ RoleName: 'App', Path: '/team/', AssumeRolePolicyDocument: trust(), Description: 'd', MaxSessionDuration: 7200, Tags: [{ Key: 'team', Value: 'a' }] }),
  );
  assert.equal(created.Role!.Arn, 'arn:aws:iam::111122223333:role/team/App');
  assert.match(created.Role!.RoleId!, /^AROA[A-Z2-7]{17}$/);
  assert.equal(decodeURIComponent(created.Role!.AssumeRolePolicyDocument!), trust());
  await rejects(iam.send(new CreateRoleCommand({ RoleName: 'app', AssumeRolePolicyDocument: trust() })), 'EntityAlreadyExistsException', 409, 'Role with name app already exists.');
  const got = (await iam.send(new GetRoleCommand({ RoleName: 'app' }))).Role!;
  assert.equal(got.RoleName, 'App');
  assert.equal(got.MaxSessionDuration, 7200);
  assert.deepEqual(got.Tags, [{ Key: 'team', Value: 'a' }]);
  assert.deepEqual(got.RoleLastUsed, {});
  await rejects(iam.send(new GetRoleCommand({ RoleName: 'nope' })), 'NoSuchEntityException', 404, 'The role with name nope cannot be found.');

  await iam.send(new CreateRoleCommand({ RoleName: 'other', AssumeRolePolicyDocument: trust() }));
  const page1 = await iam.send(new ListRolesCommand({ MaxItems: 1 }));
  assert.equal(page1.Roles!.length, 1);
  assert.equal(page1.IsTruncated, true);
  const page2 = await iam.send(new ListRolesCommand({ Marker: page1.Marker }));
  assert.deepEqual([...page1.Roles!, ...page2.Roles!].map((r) => r.RoleName), ['App', 'other']);
  assert.equal(page2.Roles![0]!.Tags, undefined, 'ListRoles does not return tags');
  assert.deepEqual((await iam.send(new ListRolesCommand({ PathPrefix: '/team/' }))).Roles!.map((r) => r.RoleName), ['App']);

  await iam.send(new UpdateRoleCommand({ RoleName: 'App', MaxSessionDuration: 3600, Description: 'new' }));
  await iam.send(new TagRoleCommand({ RoleName: 'App', Tags: [{ Key: 'TEAM', Value: 'b' }, { Key: 'env', Value: 'dev' }] }));
  assert.deepEqual((await iam.send(new ListRoleTagsCommand({ RoleName: 'App' }))).Tags, [{ Key: 'TEAM', Value: 'b' }, { Key: 'env', Value: 'dev' }]);
  await iam.send(new UntagRoleCommand({ RoleName: 'App', TagKeys: ['team'] }));
  const updated = (await iam.send(new GetRoleCommand({ RoleName: 'App' }))).Role!;
  assert.deepEqual([updated.MaxSessionDuration, updated.Description, updated.Tags], [3600, 'new', [{ Key: 'env', Value: 'dev' }]]);

  await rejects(
    iam.send(new UpdateRoleCommand({ RoleName: 'App', MaxSessionDuration: 60 })),
    'ValidationError',
    400,
    "1 validation error detected: Value '60' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600",
  );
  await rejects(
    iam.send(new CreateRoleCommand({ RoleName: 'bad name!', AssumeRolePolicyDocument: trust(), MaxSessionDuration: 50000 })),
    'ValidationError',
    400,
    /^2 validation errors detected: Value 'bad name!' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: \[\\w\+=,\.@-\]\+; Value '50000' at 'maxSessionDuration'/,
  );
  await iam.send(new PutRolePolicyCommand({ RoleName: 'App', PolicyName: 'read', PolicyDocument: readS3 }));
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'App', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }));
  await rejects(iam.send(new DeleteRoleCommand({ RoleName: 'App' })), 'DeleteConflictException', 409, 'Cannot delete entity, must detach all policies first.');
  await iam.send(new DetachRolePolicyCommand({ RoleName: 'App', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }));
  await rejects(iam.send(new DeleteRoleCommand({ RoleName: 'App' })), 'DeleteConflictException', 409, 'Cannot delete entity, must delete policies first.');
  await iam.send(new DeleteRolePolicyCommand({ RoleName: 'App', PolicyName: 'read' }));
  await iam.send(new DeleteRoleCommand({ RoleName: 'App' }));
  await rejects(iam.send(new DeleteRoleCommand({ RoleName: 'App' })), 'NoSuchEntityException', 404);
});

test('trust and permission documents are validated by the policy engine with IAM\'s messages and quotas', async (t) => {
  const { server, admin } = await startTestPlane(t);
  const iam = new IAMClient({ endpoint: server.url, region: 'us-east-1', credentials: keys(admin.accessKeyId, admin.secretAccessKey) });
  await rejects(iam.send(new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: '{not json' })), 'MalformedPolicyDocumentException', 400, 'Syntax errors in policy.');
  const withResource = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole', Resource: '*' }] });
  await rejects(iam.send(new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: withResource })), 'MalformedPolicyDocumentException', 400, 'Has prohibited field Resource.');
  const ghost = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:role/ghost' }, Action: 'sts:AssumeRole' }] });
  await rejects(iam.send(new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: ghost })), 'MalformedPolicyDocumentException', 400, 'Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:role/ghost"');
  const big = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: PROVIDER }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringLike: { 'oidc.example.com/id/ABC:sub': 'x'.repeat(2100) } } }] });
  await rejects(iam.send(new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: big })), 'LimitExceededException', 409, 'Cannot exceed quota for ACLSizePerRole: 2048');
  await iam.send(new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: trust() }));
  await rejects(iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'r', PolicyDocument: readS3 })), 'MalformedPolicyDocumentException', 400, 'Missing required field Principal');
  const withPrincipal = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*' }] });
  await rejects(iam.send(new PutRolePolicyCommand({ RoleName: 'r', PolicyName: 'p', PolicyDocument: withPrincipal })), 'MalformedPolicyDocumentException', 400, 'Policy document should not specify a principal.');
  // inline policies: 10240 characters per role in total
  const chunk = (n: number) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'x'.repeat(n), Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });
  await iam.send(new PutRolePolicyCommand({ RoleName: 'r', PolicyName: 'one', PolicyDocument: chunk(5000) }));
  await rejects(iam.send(new PutRolePolicyCommand({ RoleName: 'r', PolicyName: 'two', PolicyDocument: chunk(5200) })), 'LimitExceededException', 409, 'Maximum policy size of 10240 bytes exceeded for role r');
  await iam.send(new PutRolePolicyCommand({ RoleName: 'r', PolicyName: 'one', PolicyDocument: chunk(9000) })); // overwriting counts once
  assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: 'r' }))).PolicyNames, ['one']);
  const inline = await iam.send(new GetRolePolicyCommand({ RoleName: 'r', PolicyName: 'one' }));
  assert.equal(decodeURIComponent(inline.PolicyDocument!), chunk(9000));
  await rejects(iam.send(new GetRolePolicyCommand({ RoleName: 'r', PolicyName: 'none' })), 'NoSuchEntityException', 404, 'The role policy with name none cannot be found.');
  await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'r', PolicyDocument: trust('arn:aws:iam::111122223333:oidc-provider/other.example.com') }));
});

test('managed policies: AWS managed by ARN, customer policies with versions, attachment quota', async (t) => {
  const { server, admin } = await startTestPlane(t);
  const iam = new IAMClient({ endpoint: server.url, region: 'us-east-1', credentials: keys(admin.accessKeyId, admin.secretAccessKey) });
  const ro = (await iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }))).Policy!;
  assert.equal(ro.PolicyName, 'ReadOnlyAccess');
  assert.equal(ro.IsAttachable, true);
  const roDoc = await iam.send(new GetPolicyVersionCommand({ PolicyArn: ro.Arn, VersionId: ro.DefaultVersionId }));
  assert.ok(JSON.parse(decodeURIComponent(roDoc.PolicyVersion!.Document!)).Statement.length > 0);
  await rejects(iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/NoSuchThing' })), 'NoSuchEntityException', 404, 'Policy arn:aws:iam::aws:policy/NoSuchThing does not exist or is not attachable.');

  const p = (await iam.send(new CreatePolicyCommand({ PolicyName: 'reader', Path: '/app/', PolicyDocument: readS3, Description: 'reads' }))).Policy!;
  assert.equal(p.Arn, 'arn:aws:iam::111122223333:policy/app/reader');
  assert.match(p.PolicyId!, /^ANPA/);
  assert.deepEqual([p.DefaultVersionId, p.AttachmentCount, p.IsAttachable], ['v1', 0, true]);
  await rejects(iam.send(new CreatePolicyCommand({ PolicyName: 'READER', PolicyDocument: readS3 })), 'EntityAlreadyExistsException', 409, 'A policy called READER already exists. Duplicate names are not allowed.');
  const v2 = await iam.send(new CreatePolicyVersionCommand({ PolicyArn: p.Arn, PolicyDocument: readS3.replace('GetObject', 'ListBucket'), SetAsDefault: true }));
  assert.equal(v2.PolicyVersion!.VersionId, 'v2');
  assert.equal((await iam.send(new GetPolicyCommand({ PolicyArn: p.Arn }))).Policy!.DefaultVersionId, 'v2');
  const v1 = await iam.send(new GetPolicyVersionCommand({ PolicyArn: p.Arn, VersionId: 'v1' }));
  assert.deepEqual([decodeURIComponent(v1.PolicyVersion!.Document!), v1.PolicyVersion!.IsDefaultVersion], [readS3, false]);
  for (let i = 3; i <= 5; i++) await iam.send(new CreatePolicyVersionCommand({ PolicyArn: p.Arn, PolicyDocument: readS3 }));
  await rejects(iam.send(new CreatePolicyVersionCommand({ PolicyArn: p.Arn, PolicyDocument: readS3 })), 'LimitExceededException', 409);

  await iam.send(new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: trust() }));
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'r', PolicyArn: p.Arn }));
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'r', PolicyArn: p.Arn })); // idempotent
  await rejects(iam.send(new AttachRolePolicyCommand({ RoleName: 'r', PolicyArn: 'arn:aws:iam::111122223333:policy/ghost' })), 'NoSuchEntityException', 404, 'Policy arn:aws:iam::111122223333:policy/ghost does not exist or is not attachable.');
  assert.deepEqual((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'r' }))).AttachedPolicies, [{ PolicyName: 'reader', PolicyArn: p.Arn }]);
  assert.equal((await iam.send(new GetPolicyCommand({ PolicyArn: p.Arn }))).Policy!.AttachmentCount, 1);
  await rejects(iam.send(new DeletePolicyCommand({ PolicyArn: p.Arn })), 'DeleteConflictException', 409);
  const local = await iam.send(new ListPoliciesCommand({ Scope: 'Local' }));
  assert.deepEqual(local.Policies!.map((x) => x.PolicyName), ['reader']);
  const aws = await iam.send(new ListPoliciesCommand({ Scope: 'AWS', MaxItems: 1000 }));
  assert.ok(aws.Policies!.some((x) => x.Arn === 'arn:aws:iam::aws:policy/ReadOnlyAccess'));
  for (let i = 0; i < 9; i++) {
    const extra = await iam.send(new CreatePolicyCommand({ PolicyName: `p${i}`, PolicyDocument: readS3 }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'r', PolicyArn: extra.Policy!.Arn }));
  }
  await rejects(iam.send(new AttachRolePolicyCommand({ RoleName: 'r', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' })), 'LimitExceededException', 409, 'Cannot exceed quota for PoliciesPerRole: 10');
  await iam.send(new DetachRolePolicyCommand({ RoleName: 'r', PolicyArn: p.Arn }));
  await rejects(iam.send(new DetachRolePolicyCommand({ RoleName: 'r', PolicyArn: p.Arn })), 'NoSuchEntityException', 404, `Policy ${p.Arn} was not found.`);
  await iam.send(new DeletePolicyCommand({ PolicyArn: p.Arn }));
  await rejects(iam.send(new GetPolicyCommand({ PolicyArn: p.Arn })), 'NoSuchEntityException', 404);
});

test('OIDC providers: create, get (URL without scheme), client ids, thumbprints, idempotent delete', async (t) => {
  const { server, admin } = await startTestPlane(t);
  const iam = new IAMClient({ endpoint: server.url, region: 'us-east-1', credentials: keys(admin.accessKeyId, admin.secretAccessKey) });
  const url = 'https://oidc.example.com/id/ABC';
  const created = await iam.send(new CreateOpenIDConnectProviderCommand({ Url: url, ClientIDList: ['sts.amazonaws.com'], ThumbprintList: ['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'] }));
  assert.equal(created.OpenIDConnectProviderArn, PROVIDER);
  await rejects(iam.send(new CreateOpenIDConnectProviderCommand({ Url: url, ClientIDList: ['x'] })), 'EntityAlreadyExistsException', 409, `Provider with url ${url} already exists.`);
  for (const bad of ['http://oidc.example.com', 'https://oidc.example.com:8443', 'https://oidc.example.com/?x=1']) {
    await rejects(iam.send(new CreateOpenIDConnectProviderCommand({ Url: bad })), 'InvalidInputException', 400, 'Invalid Open ID Connect Provider URL');
  }
  await rejects(
    iam.send(new CreateOpenIDConnectProviderCommand({ Url: 'https://a.example.com', ThumbprintList: Array(6).fill('9e99a48a9960b14926bb7f3b02e22da2b0ab7280') })),
    'InvalidInputException',
    400,
    'Thumbprint list must contain fewer than 5 entries.',
  );
  await iam.send(new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: PROVIDER, ClientID: 'openshift' }));
  await iam.send(new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: PROVIDER, ClientID: 'openshift' }));
  await iam.send(new RemoveClientIDFromOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: PROVIDER, ClientID: 'sts.amazonaws.com' }));
  await iam.send(new UpdateOpenIDConnectProviderThumbprintCommand({ OpenIDConnectProviderArn: PROVIDER, ThumbprintList: ['0000000000000000000000000000000000000000'] }));
  const got = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: PROVIDER }));
  assert.deepEqual([got.Url, got.ClientIDList, got.ThumbprintList], ['oidc.example.com/id/ABC', ['openshift'], ['0000000000000000000000000000000000000000']]);
  assert.ok(got.CreateDate instanceof Date);
  assert.deepEqual((await iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList, [{ Arn: PROVIDER }]);
  await rejects(iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: 'arn:aws:iam::111122223333:oidc-provider/ghost.example.com' })), 'NoSuchEntityException', 404);
  await rejects(iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: 'arn:aws:iam::111122223333:role/not-a-provider' })), 'InvalidInputException', 400);
  await iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: PROVIDER }));
  await iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: PROVIDER })); // AWS documents it as idempotent
  assert.deepEqual((await iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList, []);
});

test('users and access keys: a new user signs with its key, and is denied until a policy allows it', async (t) => {
  const { server, admin } = await startTestPlane(t);
  const iam = new IAMClient({ endpoint: server.url, region: 'us-east-1', credentials: keys(admin.accessKeyId, admin.secretAccessKey) });
  const user = (await iam.send(new CreateUserCommand({ UserName: 'dev' }))).User!;
  assert.equal(user.Arn, 'arn:aws:iam::111122223333:user/dev');
  assert.match(user.UserId!, /^AIDA/);
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'dev' }))).AccessKey!;
  assert.match(key.AccessKeyId!, /^AKIA[A-Z2-7]{16}$/);
  assert.equal(key.SecretAccessKey!.length, 40);
  assert.deepEqual((await iam.send(new ListAccessKeysCommand({ UserName: 'dev' }))).AccessKeyMetadata!.map((k) => [k.AccessKeyId, k.Status]), [[key.AccessKeyId, 'Active']]);
  const dev = new IAMClient({ endpoint: server.url, region: 'us-east-1', credentials: keys(key.AccessKeyId!, key.SecretAccessKey!) });
  const denied = await rejects(dev.send(new ListRolesCommand({})), 'AccessDenied', 403,
    'User: arn:aws:iam::111122223333:user/dev is not authorized to perform: iam:ListRoles on resource: * because no identity-based policy allows the iam:ListRoles action');
  assert.ok(denied.$metadata.requestId);
  await rejects(iam.send(new CreateUserCommand({ UserName: 'DEV' })), 'EntityAlreadyExistsException', 409, 'User with name DEV already exists.');
});
