import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPolicyCache } from '../../../src/policy/index.js';
import { assumeRole, MemoryStsBackend, type StsCaller, type StsEnvironment } from '../../../src/aws/sts/index.js';
import { staticKeySource } from '../../../src/aws/sts/jwks-cache.js';
import { ACCOUNT, NOW } from './helpers.js';

const cache = createPolicyCache();
const compile: StsEnvironment['compile'] = (doc, options) => cache.compile(doc, options);
const USER_ARN = `arn:aws:iam::${ACCOUNT}:user/alice`;
const TARGET = `arn:aws:iam::${ACCOUNT}:role/deployer`;
const P = (o: Record<string, string>): Map<string, string> => new Map(Object.entries(o));

function trust(principal: string): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: principal }, Action: ['sts:AssumeRole', 'sts:TagSession'] }] });
}

function setup(principal: string, maxSessionDuration = 43_200): StsEnvironment & { backend: MemoryStsBackend } {
  const backend = new MemoryStsBackend({ now: () => new Date(NOW * 1000) }).addRole({
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

test('a trust policy naming the user suffices in the same account; naming only the account needs an identity Allow', async () => {
  const direct = await assumeRole(P({ RoleArn: TARGET, RoleSessionName: 'ci' }), user(), setup(USER_ARN));
  assert.ok(direct.ok, direct.ok ? '' : direct.explanation.summary);
  const accountOnly = await assumeRole(P({ RoleArn: TARGET, RoleSessionName: 'ci' }), user(), setup(`arn:aws:iam::${ACCOUNT}:root`));
  assert.equal(accountOnly.ok, false);
  if (!accountOnly.ok) {
    assert.deepEqual([accountOnly.fault.code, accountOnly.fault.httpStatus, accountOnly.fault.message], [
      'AccessDenied',
      403,
      `User: ${USER_ARN} is not authorized to perform: sts:AssumeRole on resource: ${TARGET}`,
    ]);
  }
  assert.ok((await assumeRole(P({ RoleArn: TARGET, RoleSessionName: 'ci' }), user([allowAssume]), setup(`arn:aws:iam::${ACCOUNT}:root`))).ok);
});

test('role chaining is capped at one hour; MaxSessionDuration applies too', async () => {
  const env = setup(`arn:aws:iam::${ACCOUNT}:root`);
  const first = await assumeRole(P({ RoleArn: TARGET, RoleSessionName: 'one' }), user([allowAssume]), env);
  assert.ok(first.ok);
  const session = env.backend.sessions.getSession(first.output.credentials.accessKeyId)!;
  const asSession: StsCaller = {
    arn: session.assumedRoleArn,
    accountId: ACCOUNT,
    userId: session.assumedRoleId,
    principal: { type: 'AWS', id: session.assumedRoleArn, account: ACCOUNT, roleArn: TARGET },
    policies: { identity: [cache.compile(allowAssume, { kind: 'inline', name: 'deployer-inline' })] },
    session,
  };
  const chained = await assumeRole(P({ RoleArn: TARGET, RoleSessionName: 'two', DurationSeconds: '7200' }), asSession, env);
  assert.ok(!chained.ok);
  if (!chained.ok) assert.equal(chained.fault.message, 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
  const ok = await assumeRole(P({ RoleArn: TARGET, RoleSessionName: 'two' }), asSession, env);
  assert.ok(ok.ok && env.backend.sessions.getSession(ok.output.credentials.accessKeyId)!.chained);
  const tooLong = await assumeRole(P({ RoleArn: TARGET, RoleSessionName: 'ci', DurationSeconds: '7200' }), user(), setup(USER_ARN, 3600));
  assert.ok(!tooLong.ok && tooLong.fault.message === 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
});

test('an explicit Deny in the caller\'s policies wins over a trust policy naming it', async () => {
  const deny = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'sts:*', Resource: '*' }] });
  const r = await assumeRole(P({ RoleArn: TARGET, RoleSessionName: 'ci' }), user([deny]), setup(USER_ARN));
  assert.ok(!r.ok && r.fault.code === 'AccessDenied');
});

test('tags need sts:TagSession and are kept on the session', async () => {
  const env = setup(USER_ARN);
  const r = await assumeRole(P({ RoleArn: TARGET, RoleSessionName: 'ci', 'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'blue' }), user(), env);
  assert.ok(r.ok, r.ok ? '' : r.explanation.summary);
  assert.deepEqual(env.backend.sessions.getSession(r.output.credentials.accessKeyId)!.tags, [{ key: 'team', value: 'blue' }]);
  assert.ok(r.output.packedPolicySize !== undefined);
});

