import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPolicyCache } from '../../../src/policy/index.js';
import { assumeRole, getCallerIdentity, MemoryStsBackend, renderGetCallerIdentity, type StsCaller, type StsEnvironment } from '../../../src/aws/sts/index.js';
import { staticKeySource } from '../../../src/aws/sts/jwks-cache.js';
import { ACCOUNT, NOW } from './helpers.js';

const cache = createPolicyCache();
const compile: StsEnvironment['compile'] = (doc, kind, name) => cache.compile(doc, { kind, name });
const USER_ARN = `arn:aws:iam::${ACCOUNT}:user/alice`;
const TARGET = `arn:aws:iam::${ACCOUNT}:role/deployer`;

function trust(principal: string): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: principal }, Action: ['sts:AssumeRole', 'sts:TagSession'] }] });
}

function setup(principal: string, maxSessionDuration = 43_200): StsEnvironment & { backend: MemoryStsBackend } {
  const backend = new MemoryStsBackend().addRole({
    arn: TARGET,
    roleId: 'AROAEXAMPLEDEPLOYER01',
    roleName: 'deployer',
    path: '/',
    accountId: ACCOUNT,
    assumeRolePolicyDocument: trust(principal),
    maxSessionDuration,
  });
  return { backend, keys: staticKeySource({ keys: [] }), now: () => new Date(NOW * 1000), compile };
}

function user(identity: string[] = []): StsCaller {
  return {
    arn: USER_ARN,
    accountId: ACCOUNT,
    userId: 'AIDAEXAMPLEALICE0001',
    principal: { type: 'AWS', id: USER_ARN, account: ACCOUNT },
    policies: { identity: identity.map((d, i) => cache.compile(d, { kind: 'inline', name: `p${i}` })) },
  };
}

const allowAssume = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: TARGET }] });

test('a trust policy naming the user suffices in the same account; naming only the account needs an identity Allow', () => {
  const direct = assumeRole({ RoleArn: TARGET, RoleSessionName: 'ci' }, user(), setup(USER_ARN));
  assert.ok(direct.ok, direct.ok ? '' : direct.explanation.summary);
  const accountOnly = assumeRole({ RoleArn: TARGET, RoleSessionName: 'ci' }, user(), setup(`arn:aws:iam::${ACCOUNT}:root`));
  assert.equal(accountOnly.ok, false);
  if (!accountOnly.ok) {
    assert.deepEqual([accountOnly.fault.code, accountOnly.fault.httpStatus, accountOnly.fault.message], [
      'AccessDenied',
      403,
      `User: ${USER_ARN} is not authorized to perform: sts:AssumeRole on resource: ${TARGET}`,
    ]);
  }
  assert.ok(assumeRole({ RoleArn: TARGET, RoleSessionName: 'ci' }, user([allowAssume]), setup(`arn:aws:iam::${ACCOUNT}:root`)).ok);
});

test('role chaining is capped at one hour; MaxSessionDuration applies too', () => {
  const env = setup(`arn:aws:iam::${ACCOUNT}:root`);
  const first = assumeRole({ RoleArn: TARGET, RoleSessionName: 'one' }, user([allowAssume]), env);
  assert.ok(first.ok);
  const session = env.backend.sessions.get(first.output.credentials.accessKeyId)!;
  const asSession: StsCaller = {
    arn: session.assumedRoleArn,
    accountId: ACCOUNT,
    userId: session.assumedRoleId,
    principal: { type: 'AWS', id: session.assumedRoleArn, account: ACCOUNT, roleArn: TARGET },
    policies: { identity: [cache.compile(allowAssume, { kind: 'inline', name: 'deployer-inline' })] },
    session,
  };
  const chained = assumeRole({ RoleArn: TARGET, RoleSessionName: 'two', DurationSeconds: '7200' }, asSession, env);
  assert.ok(!chained.ok);
  if (!chained.ok) assert.equal(chained.fault.message, 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
  const ok = assumeRole({ RoleArn: TARGET, RoleSessionName: 'two' }, asSession, env);
  assert.ok(ok.ok && env.backend.sessions.get(ok.output.credentials.accessKeyId)!.chained);
  const tooLong = assumeRole({ RoleArn: TARGET, RoleSessionName: 'ci', DurationSeconds: '7200' }, user(), setup(USER_ARN, 3600));
  assert.ok(!tooLong.ok && tooLong.fault.message === 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
});

test('an explicit Deny in the caller\'s policies wins over a trust policy naming it', () => {
  const deny = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'sts:*', Resource: '*' }] });
  const r = assumeRole({ RoleArn: TARGET, RoleSessionName: 'ci' }, user([deny]), setup(USER_ARN));
  assert.ok(!r.ok && r.fault.code === 'AccessDenied');
});

test('tags need sts:TagSession and are kept on the session', () => {
  const env = setup(USER_ARN);
  const r = assumeRole({ RoleArn: TARGET, RoleSessionName: 'ci', 'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'blue' }, user(), env);
  assert.ok(r.ok, r.ok ? '' : r.explanation.summary);
  assert.deepEqual(env.backend.sessions.get(r.output.credentials.accessKeyId)!.sessionTags, { team: 'blue' });
  assert.ok(r.output.packedPolicySize !== undefined);
});

test('GetCallerIdentity answers with the caller, in AWS\'s XML', () => {
  const xml = renderGetCallerIdentity(getCallerIdentity(user()), 'req-1');
  assert.match(xml, /<GetCallerIdentityResult>\n {4}<UserId>AIDAEXAMPLEALICE0001<\/UserId>\n {4}<Account>111122223333<\/Account>\n {4}<Arn>arn:aws:iam::111122223333:user\/alice<\/Arn>\n {2}<\/GetCallerIdentityResult>/);
});
