import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPolicyCache } from '../../../src/policy/index.js';
import { assumeRoleWithWebIdentity, JwksCache, MemoryStsBackend, type StsEnvironment, type StsOutcome } from '../../../src/aws/sts/index.js';
import { ACCOUNT, claims, FakeIssuer, ISSUER, mintToken, newSigningKey, NOW, provider, PROVIDER_ARN, signToken, trustPolicy } from './helpers.js';

const key = newSigningKey('rsa');
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/s3-reader`;

function env(o: { trust?: string; maxSessionDuration?: number; issuer?: FakeIssuer } = {}): StsEnvironment & { backend: MemoryStsBackend } {
  let counter = 0;
  const backend = new MemoryStsBackend({ now: () => new Date(NOW * 1000), random: (n) => Buffer.alloc(n, counter++ % 251) })
    .addProvider(ACCOUNT, provider())
    .addRole({
      arn: ROLE_ARN,
      roleId: 'AROAQ3EGUXVKEXAMPLE12',
      roleName: 's3-reader',
      path: '/',
      accountId: ACCOUNT,
      assumeRolePolicyDocument: o.trust ?? trustPolicy(),
      maxSessionDuration: o.maxSessionDuration ?? 3600,
    });
  const cache = createPolicyCache();
  return {
    backend,
    keys: new JwksCache({ fetcher: o.issuer ?? new FakeIssuer([key]), now: () => NOW * 1000 }),
    now: () => new Date(NOW * 1000),
    compile: (doc, options) => cache.compile(doc, options),
  };
}

function params(token: string, extra: Record<string, string> = {}): Map<string, string> {
  return new Map(Object.entries({ Action: 'AssumeRoleWithWebIdentity', Version: '2011-06-15', RoleArn: ROLE_ARN, RoleSessionName: 'botocore-session-1735732800', WebIdentityToken: token, ...extra }));
}

function fault<T>(r: StsOutcome<T>): { code: string; status: number; message: string; step: string } {
  assert.equal(r.ok, false, 'expected a fault');
  if (r.ok) throw new Error('unreachable');
  return { code: r.fault.code, status: r.fault.httpStatus, message: r.fault.message, step: r.explanation.step };
}

test('success: AWS\'s result members, the session stored, the XML in the model\'s order', async () => {
  const e = env();
  const r = await assumeRoleWithWebIdentity(params(await mintToken(key)), e);
  assert.ok(r.ok, r.ok ? '' : `${r.fault.code}: ${r.explanation.summary}`);
  const o = r.output;
  assert.match(o.credentials.accessKeyId, /^ASIA[A-Z0-9]{16}$/);
  assert.match(o.credentials.secretAccessKey, /^[A-Za-z0-9/+]{40}$/);
  assert.ok(o.credentials.sessionToken.length >= 100);
  assert.equal(o.credentials.expiration.getTime(), (NOW + 3600) * 1000);
  assert.equal(o.subjectFromWebIdentityToken, 'system:serviceaccount:default:app');
  assert.deepEqual(o.assumedRoleUser, {
    assumedRoleId: 'AROAQ3EGUXVKEXAMPLE12:botocore-session-1735732800',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/s3-reader/botocore-session-1735732800`,
  });
  assert.equal(o.provider, PROVIDER_ARN);
  assert.equal(o.audience, 'sts.amazonaws.com');
  assert.equal(o.packedPolicySize, undefined, 'omitted without session policies or tags');
  const stored = e.backend.sessions.getSession(o.credentials.accessKeyId);
  assert.equal(stored?.roleArn, ROLE_ARN);
  assert.equal(stored?.federatedProvider, PROVIDER_ARN);
  assert.equal(stored?.secretAccessKey, o.credentials.secretAccessKey);
});

test('role missing, trust mismatch and duration too long, with AWS\'s codes and texts', async () => {
  const token = await mintToken(key);
  const missing = await assumeRoleWithWebIdentity(params(token, { RoleArn: `arn:aws:iam::${ACCOUNT}:role/nope` }), env());
  assert.deepEqual(fault(missing), { code: 'AccessDenied', status: 403, message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity', step: 'role' });
  const mismatch = await assumeRoleWithWebIdentity(params(token), env({ trust: trustPolicy(PROVIDER_ARN, 'system:serviceaccount:other:app') }));
  assert.deepEqual(fault(mismatch), { code: 'AccessDenied', status: 403, message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity', step: 'trust-policy' });
  assert.match(mismatch.ok ? '' : mismatch.explanation.summary, /ImplicitDeny/);
  const long = await assumeRoleWithWebIdentity(params(token, { DurationSeconds: '7200' }), env());
  assert.deepEqual(fault(long), { code: 'ValidationError', status: 400, message: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.', step: 'duration' });
  const allowed = await assumeRoleWithWebIdentity(params(token, { DurationSeconds: '7200' }), env({ maxSessionDuration: 7200 }));
  assert.ok(allowed.ok && allowed.output.credentials.expiration.getTime() === (NOW + 7200) * 1000);
});

test('the token rejections reach the wire unchanged (code, status, message)', async () => {
  const expired = await assumeRoleWithWebIdentity(params(await mintToken(key, { now: NOW - 4000 })), env());
  assert.deepEqual(fault(expired), { code: 'ExpiredTokenException', status: 400, message: `Token expired: current date/time ${NOW} must be before the expiration date/time${NOW - 400}`, step: 'time' });
  const issuer = new FakeIssuer([key]);
  issuer.down = true;
  assert.equal(fault(await assumeRoleWithWebIdentity(params(await mintToken(key)), env({ issuer }))).code, 'IDPCommunicationError');
  const other = await assumeRoleWithWebIdentity(params(await mintToken(key), { RoleArn: 'arn:aws:iam::999999999999:role/s3-reader' }), env());
  assert.deepEqual(fault(other), { code: 'InvalidIdentityToken', status: 400, message: `No OpenIDConnect provider found in your account for ${ISSUER}`, step: 'issuer' });
});

test('parameter validation aggregates every violation in AWS\'s words', async () => {
  const r = await assumeRoleWithWebIdentity(new Map(Object.entries({ RoleSessionName: 'a b', DurationSeconds: '100', WebIdentityToken: 'x'.repeat(20_001) })), env());
  assert.deepEqual(fault(r), {
    code: 'ValidationError',
    status: 400,
    message:
      "4 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; " +
      "Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*; " +
      "Value at 'webIdentityToken' failed to satisfy constraint: Member must have length less than or equal to 20000; " +
      "Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    step: 'parameters',
  });
  const bad = await assumeRoleWithWebIdentity(params(await mintToken(key), { RoleArn: 'arn:aws:s3:::not-a-role-arn' }), env());
  assert.deepEqual(fault(bad), { code: 'ValidationError', status: 400, message: 'arn:aws:s3:::not-a-role-arn is invalid', step: 'role-arn' });
  const pid = await assumeRoleWithWebIdentity(params(await mintToken(key), { ProviderId: 'www.amazon.com' }), env());
  assert.equal(fault(pid).code, 'InvalidIdentityToken');
});

test('session policies: Policy validated as a session policy, PolicyArns resolved, PackedPolicySize reported', async () => {
  const token = await mintToken(key);
  const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] });
  const ok = await assumeRoleWithWebIdentity(params(token, { Policy: policy, 'PolicyArns.member.1.arn': 'arn:aws:iam::aws:policy/ReadOnlyAccess' }), env());
  assert.ok(ok.ok, ok.ok ? '' : ok.explanation.summary);
  assert.ok(ok.output.packedPolicySize! >= 1 && ok.output.packedPolicySize! <= 100);
  const malformed = await assumeRoleWithWebIdentity(params(token, { Policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Alow","Action":"s3:*","Resource":"*"}]}' }), env());
  assert.deepEqual(fault(malformed), { code: 'MalformedPolicyDocument', status: 400, message: 'Syntax errors in policy.', step: 'session-policy' });
  const unknown = await assumeRoleWithWebIdentity(params(token, { 'PolicyArns.member.1.arn': `arn:aws:iam::${ACCOUNT}:policy/missing` }), env());
  assert.deepEqual(fault(unknown), { code: 'MalformedPolicyDocument', status: 400, message: `Policy arn:aws:iam::${ACCOUNT}:policy/missing does not exist or is not attachable.`, step: 'session-policy' });
});

test('session tags in the token need sts:TagSession in the trust policy', async () => {
  const tagged = signToken(key, claims({ 'https://aws.amazon.com/tags': { principal_tags: { team: ['blue'] }, transitive_tag_keys: ['team'] } }));
  assert.equal(fault(await assumeRoleWithWebIdentity(params(tagged), env())).code, 'AccessDenied');
  const trust = trustPolicy(PROVIDER_ARN, undefined, { Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'] });
  const e = env({ trust });
  const r = await assumeRoleWithWebIdentity(params(tagged), e);
  assert.ok(r.ok, r.ok ? '' : r.explanation.summary);
  const s = e.backend.sessions.getSession(r.output.credentials.accessKeyId)!;
  assert.deepEqual([s.tags, s.transitiveTagKeys], [[{ key: 'team', value: 'blue' }], ['team']]);
  assert.ok(r.output.packedPolicySize !== undefined, 'tags count toward the packed size');
});

