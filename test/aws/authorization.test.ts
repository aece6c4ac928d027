/**
 * Authentication and authorization of IAM calls as AWS does them: SigV4 failures with the query services' codes,
 * statuses and texts (spec 1.5), role sessions limited by role policies ∩ session policies with AWS's AccessDenied
 * text (spec 6.8), the one-line `x-irsa-explain` header (never in the body), and `irsa why`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlane } from './helpers.js';
import { query, send, signRequest, xmlText } from './sign.js';
import { runCli } from '../cli/capture.js';
import { formatAmzDate } from '../../src/aws/index.js';

const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

test('SigV4 failures answer with the query protocol\'s codes, statuses and texts', async (t) => {
  let clock = new Date();
  const { server, admin, plane } = await startTestPlane(t, { now: () => clock });
  const good = { accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey };
  const ok = await query(server.url, good, { Action: 'ListRoles' });
  assert.equal(ok.status, 200, ok.body);
  assert.match(ok.body, /^<ListRolesResponse xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/"><ListRolesResult><Roles(\/>|><\/Roles>)<IsTruncated>false<\/IsTruncated><\/ListRolesResult><ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/ListRolesResponse>$/);
  assert.equal(ok.headers.get('x-amzn-requestid'), xmlText(ok.body, 'RequestId'));
  assert.equal(ok.headers.get('content-type'), 'text/xml');

  const cases: Array<[string, () => Promise<Awaited<ReturnType<typeof query>>>, string, number, string | RegExp]> = [
    ['wrong secret', () => query(server.url, { ...good, secretAccessKey: 'x'.repeat(40) }, { Action: 'ListRoles' }), 'SignatureDoesNotMatch', 403,
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.'],
    ['unknown key', () => query(server.url, { ...good, accessKeyId: 'AKIAUNKNOWNUNKNOWN00' }, { Action: 'ListRoles' }), 'InvalidClientTokenId', 403, 'The security token included in the request is invalid.'],
    ['no signature', async () => send({ method: 'POST', url: `${server.url}/`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=ListRoles&Version=2010-05-08' }), 'MissingAuthenticationToken', 403, 'Request is missing Authentication Token'],
    ['another service in the scope', () => query(server.url, good, { Action: 'ListRoles' }, { service: 'ec2' }), 'SignatureDoesNotMatch', 403, "Credential should be scoped to correct service: 'iam'. "],
    ['unknown action', () => query(server.url, good, { Action: 'ListUnicorns' }), 'InvalidAction', 400, 'Could not find operation ListUnicorns for version 2010-05-08'],
    ['body changed after signing', async () => {
      const req = await signRequest({ url: server.url, credentials: good, service: 'iam', body: 'Action=ListRoles&Version=2010-05-08', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      return send({ ...req, body: 'Action=ListRoles&Version=2010-05-08&PathPrefix=%2Fx%2F' });
    }, 'SignatureDoesNotMatch', 403, /^The request signature we calculated/],
    ['skewed clock', () => query(server.url, good, { Action: 'ListRoles' }, { date: new Date(clock.getTime() - 20 * 60_000) }), 'SignatureDoesNotMatch', 403,
      new RegExp(`^Signature expired: ${formatAmzDate(new Date(clock.getTime() - 20 * 60_000))} is now earlier than \\d{8}T\\d{6}Z \\(${formatAmzDate(clock).slice(0, 9)}\\d{6}Z - 15 min\\.\\)$`)],
    ['malformed authorization', async () => send({ method: 'POST', url: `${server.url}/`, headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'AWS4-HMAC-SHA256 Credential=AKIA/20200101/us-east-1/iam/aws4_request' }, body: 'Action=ListRoles' }),
      'IncompleteSignature', 400, /^Authorization header requires 'SignedHeaders', 'Signature' parameters\./],
  ];
  for (const [what, call, code, status, message] of cases) {
    const res = await call();
    assert.equal(res.status, status, `${what}: ${res.body}`);
    assert.equal(xmlText(res.body, 'Code'), code, what);
    assert.equal(xmlText(res.body, 'Type'), 'Sender', what);
    const text = xmlText(res.body, 'Message')!.replace(/&apos;/g, "'");
    if (typeof message === 'string') assert.equal(text, message, what);
    else assert.match(text, message, what);
    assert.match(res.body, /^<ErrorResponse xmlns="https:\/\/(iam|sts)\.amazonaws\.com\/doc\/[0-9-]+\/"><Error><Type>Sender<\/Type><Code>/);
  }

  // temporary credentials: the session token must come along, and expiry is enforced
  const role = { roleName: 'r', roleId: 'AROAEXAMPLEEXAMPLE123', arn: 'arn:aws:iam::111122223333:role/r' };
  const session = plane.sessions.issueSessionCredentials({ accountId: '111122223333', roleArn: role.arn, roleId: role.roleId, roleName: role.roleName, sessionName: 's', expiration: new Date(clock.getTime() + 3600_000) });
  assert.match(session.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
  const noToken = await query(server.url, { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey }, { Action: 'ListRoles' });
  assert.deepEqual([noToken.status, xmlText(noToken.body, 'Code')], [403, 'InvalidClientTokenId']);
  const wrongToken = await query(server.url, { ...session, sessionToken: `${session.sessionToken}x` }, { Action: 'ListRoles' });
  assert.deepEqual([wrongToken.status, xmlText(wrongToken.body, 'Code')], [403, 'InvalidClientTokenId']);
  const withToken = await query(server.url, session, { Action: 'ListRoles' });
  assert.deepEqual([withToken.status, xmlText(withToken.body, 'Code')], [403, 'AccessDenied'], 'authenticated; the (missing) role allows nothing');
  clock = new Date(clock.getTime() + 3601_000);
  const expired = await query(server.url, session, { Action: 'ListRoles' }, { date: clock });
  assert.deepEqual([expired.status, xmlText(expired.body, 'Code'), xmlText(expired.body, 'Message')], [403, 'ExpiredToken', 'The security token included in the request is expired']);
});

test('a presigned GET (query-string SigV4) is accepted, and rejected once expired', async (t) => {
  let clock = new Date();
  const { server, admin } = await startTestPlane(t, { now: () => clock });
  const creds = { accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey };
  const req = await signRequest({ url: server.url, method: 'GET', credentials: creds, service: 'iam', query: { Action: 'ListRoles', Version: '2010-05-08' }, presign: { expiresIn: 60 } });
  assert.match(req.url, /X-Amz-Signature=/);
  const ok = await send(req);
  assert.equal(ok.status, 200, ok.body);
  const tampered = await send({ ...req, url: req.url.replace('Action=ListRoles', 'Action=ListRoles&PathPrefix=%2Fx%2F') });
  assert.deepEqual([tampered.status, xmlText(tampered.body, 'Code')], [403, 'SignatureDoesNotMatch']);
  clock = new Date(clock.getTime() + 120_000);
  const late = await send(req);
  assert.deepEqual([late.status, xmlText(late.body, 'Code')], [403, 'SignatureDoesNotMatch']);
  assert.match(xmlText(late.body, 'Message')!, /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z$/);
});

test('role sessions: role policies ∩ session policies, AWS\'s AccessDenied text, x-irsa-explain, and irsa why', async (t) => {
  const { server, admin, plane, dir } = await startTestPlane(t);
  const adminKeys = { accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey };
  assert.equal((await query(server.url, adminKeys, { Action: 'CreateRole', RoleName: 'app', AssumeRolePolicyDocument: trust })).status, 200);
  const inline = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ReadRoles', Effect: 'Allow', Action: ['iam:GetRole', 'iam:ListRoles'], Resource: '*' },
      { Sid: 'NoSecrets', Effect: 'Deny', Action: 'iam:GetRole', Resource: 'arn:aws:iam::111122223333:role/secret*' },
      { Sid: 'TaggedOnly', Effect: 'Allow', Action: 'iam:TagRole', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/team': 'platform' } } },
    ],
  });
  assert.equal((await query(server.url, adminKeys, { Action: 'PutRolePolicy', RoleName: 'app', PolicyName: 'read', PolicyDocument: inline })).status, 200);
  const role = plane.iam.getRole('app')!;
  const issue = (sessionPolicy?: string) =>
    plane.sessions.issueSessionCredentials({
      accountId: '111122223333', roleArn: role.arn, roleId: role.roleId, roleName: 'app', sessionName: 'sess', expiration: new Date(Date.now() + 3600_000),
      tags: [{ key: 'team', value: 'web' }], ...(sessionPolicy ? { sessionPolicy } : {}),
    });
  const s = issue();
  const got = await query(server.url, s, { Action: 'GetRole', RoleName: 'app' });
  assert.equal(got.status, 200, got.body);
  assert.match(got.headers.get('x-irsa-explain')!, /^Allow iam:GetRole on arn:aws:iam::111122223333:role\/app: allowed by identity-based policy "read" statement/);
  assert.doesNotMatch(got.body, /irsa/);

  const denied = await query(server.url, s, { Action: 'CreateRole', RoleName: 'x', AssumeRolePolicyDocument: trust });
  assert.equal(denied.status, 403);
  assert.equal(xmlText(denied.body, 'Code'), 'AccessDenied');
  assert.equal(
    xmlText(denied.body, 'Message'),
    'User: arn:aws:sts::111122223333:assumed-role/app/sess is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::111122223333:role/x because no identity-based policy allows the iam:CreateRole action',
  );
  const explain = denied.headers.get('x-irsa-explain')!;
  assert.match(explain, /^ImplicitDeny iam:CreateRole on arn:aws:iam::111122223333:role\/x: because no identity-based policy allows the iam:CreateRole action \(irsa why [0-9a-f-]{36}\)$/);
  assert.doesNotMatch(denied.body, /irsa why/);

  await query(server.url, adminKeys, { Action: 'CreateRole', RoleName: 'secret-db', AssumeRolePolicyDocument: trust });
  const explicit = await query(server.url, s, { Action: 'GetRole', RoleName: 'secret-db' });
  assert.equal(xmlText(explicit.body, 'Message'), 'User: arn:aws:sts::111122223333:assumed-role/app/sess is not authorized to perform: iam:GetRole on resource: arn:aws:iam::111122223333:role/secret-db with an explicit deny in an identity-based policy');

  // the session tag team=web overrides nothing the role has; the condition wants platform
  const tagDenied = await query(server.url, s, { Action: 'TagRole', RoleName: 'app', 'Tags.member.1.Key': 'k', 'Tags.member.1.Value': 'v' });
  assert.equal(tagDenied.status, 403);
  const requestId = xmlText(tagDenied.body, 'RequestId')!;

  // a session policy narrows what the role allows
  const narrow = issue(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:ListRoles', Resource: '*' }] }));
  assert.equal((await query(server.url, narrow, { Action: 'ListRoles' })).status, 200);
  const narrowDenied = await query(server.url, narrow, { Action: 'GetRole', RoleName: 'app' });
  assert.equal(xmlText(narrowDenied.body, 'Message'), 'User: arn:aws:sts::111122223333:assumed-role/app/sess is not authorized to perform: iam:GetRole on resource: arn:aws:iam::111122223333:role/app because no session policy allows the iam:GetRole action');

  plane.flush();
  // irsa why finds the plane through IRSA_STATE_DIR; the plane's database lives at STATE_DIR/aws/aws.sqlite
  const { mkdirSync, renameSync, symlinkSync } = await import('node:fs');
  const { join } = await import('node:path');
  mkdirSync(join(dir, 'state', 'aws'), { recursive: true });
  symlinkSync(join(dir, 'aws.sqlite'), join(dir, 'state', 'aws', 'aws.sqlite'));
  void renameSync;
  const why = await runCli(['why', requestId], { env: { IRSA_STATE_DIR: join(dir, 'state') } });
  assert.equal(why.code, 0, why.stderr);
  assert.match(why.stdout, /^ImplicitDeny iam iam:TagRole by arn:aws:sts::111122223333:assumed-role\/app\/sess\n/);
  assert.match(why.stdout, /StringEquals on "aws:PrincipalTag\/team": expected "platform", request has "web"/);
  const last = await runCli(['why', '--state-dir', join(dir, 'state')]);
  assert.equal(last.code, 0);
  assert.match(last.stdout, /because no session policy allows the iam:GetRole action/);
  const none = await runCli(['why', 'no-such-id', '--state-dir', join(dir, 'state')]);
  assert.equal(none.code, 1);
  const missing = await runCli(['why', '--state-dir', join(dir, 'nowhere')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no AWS plane state in .*nowhere/);
});
