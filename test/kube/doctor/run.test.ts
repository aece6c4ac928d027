/**
 * runDoctor end to end in-process: real tokens minted by src/oidc, the issuer served by src/oidc's issuer server,
 * the AWS SDK's STS client against the stand-in STS (HTTP and HTTPS), and each way the chain breaks.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CompactSign } from 'jose';
import {
  createFetchText,
  createSdkStsClient,
  DOCTOR_CHECK_IDS,
  runDoctor,
  type CheckResult,
  type DoctorDeps,
  type DoctorInput,
  type DoctorReport,
  type DoctorStsClient,
} from '../../../src/kube/doctor/index.js';
import {
  buildIssuerDocuments,
  createIssuerServer,
  createIssuerSite,
  createSigningKey,
  generateSigningKeyPair,
  mintServiceAccountToken,
} from '../../../src/oidc/index.js';
import { createWebhookCertificates } from '../../../src/webhook/index.js';
import { startStandInSts } from './stand-in-sts.js';
import { ISSUER, ROLE_ARN, SUBJECT, startWorld, type World } from './world.js';

const deps: DoctorDeps = { now: () => new Date(), readFile: (p) => readFile(p), fetchText: createFetchText({ timeoutMs: 5000 }), sts: createSdkStsClient(), uid: 1000 };

// Created at the top level, so the servers and files they register with `after` live until the file ends.
const world: World = await startWorld();
const good = world.tokenFile(await world.mint(), 'good-token');
const certs = createWebhookCertificates({ localhost: true });
const tlsSts = await startStandInSts({ providers: [{ issuer: ISSUER, accountId: '111122223333', clientIds: ['sts.amazonaws.com'] }], roles: [{ arn: ROLE_ARN, subjects: [SUBJECT] }], tls: { cert: certs.cert, key: certs.key } });
after(() => tlsSts.close());

function input(env: Record<string, string>, extra: Partial<DoctorInput> = {}): DoctorInput {
  return { env, issuerLocation: { forIssuer: ISSUER, url: world.issuerUrl }, ...extra };
}

function byId(report: DoctorReport, id: string): CheckResult {
  const found = report.checks.find((c) => c.id === id);
  assert.ok(found, `no check ${id}`);
  return found;
}

function statuses(report: DoctorReport, ids: readonly string[]): Record<string, string> {
  return Object.fromEntries(ids.map((id) => [id, byId(report, id).status]));
}

test('a working chain: every check passes, in the documented order, and the STS call is unsigned', async () => {
  const calls = world.sts.calls.length;
  const report = await runDoctor(input(world.env(good)), deps);
  assert.deepEqual(report.checks.filter((c) => c.status !== 'ok'), []);
  assert.equal(report.ok, true);
  assert.deepEqual(report.checks.map((c) => c.id), DOCTOR_CHECK_IDS.filter((id) => id !== 'pod.mutation'));
  assert.match(byId(report, 'sts.assume-role').message, /assumed-role\/s3-reader\/irsa-doctor-\d+ \(key ASIA[A-Z0-9]{16}, expires /);
  assert.match(byId(report, 'sts.caller-identity').message, /^GetCallerIdentity: arn:aws:sts::111122223333:assumed-role\/s3-reader\/irsa-doctor-\d+ \(account 111122223333\)$/);
  const [assume, identity] = world.sts.calls.slice(calls);
  assert.equal(assume?.action, 'AssumeRoleWithWebIdentity');
  assert.equal(assume?.authorization, undefined);
  assert.equal(assume?.params.RoleArn, ROLE_ARN);
  assert.equal(identity?.action, 'GetCallerIdentity');
  assert.match(identity?.authorization ?? '', /^AWS4-HMAC-SHA256 Credential=ASIA/);
});

test('the operator path: role_arn and web_identity_token_file from the profile of AWS_CONFIG_FILE', async () => {
  const config = join(world.dir, 'operator-config');
  writeFileSync(config, `[default]\nsts_regional_endpoints = regional\nrole_arn = ${ROLE_ARN}\nweb_identity_token_file = ${good}\n`);
  const { AWS_ROLE_ARN: _r, AWS_WEB_IDENTITY_TOKEN_FILE: _f, ...env } = world.env(good);
  const report = await runDoctor(input({ ...env, AWS_CONFIG_FILE: config }), deps);
  assert.deepEqual(report.checks.filter((c) => c.status !== 'ok'), []);
  assert.match(byId(report, 'env.role-arn').message, /^role_arn=arn:aws:iam::111122223333:role\/s3-reader \(profile default in .*operator-config; AWS_ROLE_ARN not set\)$/);
  assert.match(byId(report, 'env.profile').message, /web identity/);
});

test('a profile with static keys shadows the web identity: env.profile fails', async () => {
  const credentials = join(world.dir, 'static-credentials');
  writeFileSync(credentials, '[default]\naws_access_key_id = AKIAEXAMPLEEXAMPLE12\naws_secret_access_key = x\n');
  const report = await runDoctor(input(world.env(good, { AWS_SHARED_CREDENTIALS_FILE: credentials })), deps);
  assert.equal(byId(report, 'env.profile').status, 'fail');
  assert.equal(report.ok, false);
});

test('AWS_ROLE_SESSION_NAME is the session name sent', async () => {
  const report = await runDoctor(input(world.env(good, { AWS_ROLE_SESSION_NAME: 'doctor-check' })), deps);
  assert.match(byId(report, 'sts.caller-identity').message, /assumed-role\/s3-reader\/doctor-check /);
});

describe('token.file', () => {
  test('a missing file fails and skips what needs the token', async () => {
    const report = await runDoctor(input(world.env(join(world.dir, 'nope'))), deps);
    assert.equal(byId(report, 'token.file').status, 'fail');
    assert.match(byId(report, 'token.file').fix!, /projected token volume/);
    for (const id of ['token.jwt', 'token.expiry', 'issuer.discovery', 'issuer.signature', 'sts.assume-role', 'sts.caller-identity']) assert.equal(byId(report, id).status, 'skip', id);
    assert.equal(byId(report, 'role.arn').status, 'ok', 'independent checks still run');
    assert.equal(report.ok, false);
  });
  test('an unreadable file names the uid and fsGroup', async () => {
    const denied: DoctorDeps = { ...deps, readFile: async (p) => (p === good ? Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })) : readFile(p)) };
    const r = byId(await runDoctor(input(world.env(good)), denied), 'token.file');
    assert.equal(r.status, 'fail');
    assert.match(r.message, /not readable by uid 1000/);
    assert.match(r.fix!, /fsGroup/);
  });
  test('a directory and an empty file fail', async () => {
    mkdirSync(join(world.dir, 'serviceaccount'), { recursive: true });
    assert.match(byId(await runDoctor(input(world.env(join(world.dir, 'serviceaccount'))), deps), 'token.file').message, /is a directory/);
    const empty = world.tokenFile('');
    assert.match(byId(await runDoctor(input(world.env(empty)), deps), 'token.file').message, /is empty/);
  });
});

describe('issuer', () => {
  test('documents not where iss says: discovery fails with STS\'s words, the rest is skipped', async () => {
    const report = await runDoctor(input(world.env(good), { issuerLocation: { url: `${world.issuerUrl}/elsewhere` } }), deps);
    assert.deepEqual(statuses(report, ['issuer.discovery', 'issuer.jwks', 'issuer.signature']), { 'issuer.discovery': 'fail', 'issuer.jwks': 'skip', 'issuer.signature': 'skip' });
    assert.match(byId(report, 'issuer.discovery').message, /HTTP 404/);
  });
  test('unreachable issuer', async () => {
    const report = await runDoctor(input(world.env(good), { issuerLocation: { url: 'http://127.0.0.1:1' } }), deps);
    assert.match(byId(report, 'issuer.discovery').message, /ECONNREFUSED.*Couldn't retrieve verification key/);
  });
  test('a discovery document of another issuer fails', async () => {
    const other = buildIssuerDocuments({ issuer: 'https://oidc.doctor.test/cluster-2', publicKeys: [world.key.publicKey] });
    const server = await createIssuerServer({ site: createIssuerSite(ISSUER, other.files) });
    try {
      const report = await runDoctor(input(world.env(good), { issuerLocation: { url: `${server.url}/cluster-1` } }), deps);
      const r = byId(report, 'issuer.discovery');
      assert.equal(r.status, 'fail');
      assert.match(r.message, /issuer is "https:\/\/oidc.doctor.test\/cluster-2", the token's iss is "https:\/\/oidc.doctor.test\/cluster-1"/);
      assert.match(r.fix!, /byte for byte/);
    } finally {
      await server.close();
    }
  });
  test('a token signed by a key the JWKS lacks: issuer.jwks fails naming the kids', async () => {
    const rotated = createSigningKey(generateSigningKeyPair({ type: 'ec' }).privateKey);
    const file = world.tokenFile(await world.mint({ signingKey: rotated }));
    const report = await runDoctor(input(world.env(file)), deps);
    const r = byId(report, 'issuer.jwks');
    assert.equal(r.status, 'fail');
    assert.match(r.message, new RegExp(`no key with kid ${rotated.kid} \\(kids: ${world.key.kid}\\)`));
    assert.equal(byId(report, 'issuer.signature').status, 'skip');
  });
  test('a token whose kid is published but signed by another key: issuer.signature fails', async () => {
    const forger = createSigningKey(generateSigningKeyPair({ type: 'ec' }).privateKey);
    const valid = await world.mint();
    const payload = Buffer.from(valid.split('.')[1]!, 'base64url');
    const forged = await new CompactSign(payload).setProtectedHeader({ alg: 'ES256', kid: world.key.kid }).sign(forger.privateKey);
    const report = await runDoctor(input(world.env(world.tokenFile(forged))), deps);
    assert.equal(byId(report, 'issuer.jwks').status, 'ok');
    assert.equal(byId(report, 'issuer.signature').status, 'fail');
    assert.match(byId(report, 'issuer.signature').message, /does not verify/);
  });
});

describe('role.arn', () => {
  test('a malformed role ARN fails and STS is not called', async () => {
    const calls = world.sts.calls.length;
    const report = await runDoctor(input(world.env(good, { AWS_ROLE_ARN: 'arn:aws:iam::1111:role/s3-reader' })), deps);
    assert.equal(byId(report, 'role.arn').status, 'fail');
    assert.match(byId(report, 'role.arn').fix!, /eks\.amazonaws\.com\/role-arn/);
    assert.equal(byId(report, 'sts.assume-role').status, 'skip');
    assert.equal(world.sts.calls.length, calls);
  });
});

describe('sts.assume-role: AWS\'s errors, printed and explained', () => {
  test('AccessDenied (a pod of another ServiceAccount): the fix names the sub and aud conditions and values', async () => {
    const file = world.tokenFile(await world.mint({ serviceAccountName: 'other-service-account' }));
    const report = await runDoctor(input(world.env(file)), deps);
    const r = byId(report, 'sts.assume-role');
    assert.equal(r.status, 'fail');
    assert.deepEqual(r.aws, { code: 'AccessDenied', message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity', httpStatus: 403 });
    assert.match(r.message, /AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity/);
    assert.match(r.fix!, /"oidc\.doctor\.test\/cluster-1:sub" = "system:serviceaccount:my-project:other-service-account"/);
    assert.match(r.fix!, /"oidc\.doctor\.test\/cluster-1:aud" = "sts\.amazonaws\.com"/);
    assert.equal(byId(report, 'sts.caller-identity').status, 'skip');
    assert.equal(byId(report, 'token.subject').status, 'ok', 'the local checks cannot see the trust policy');
  });
  test('Incorrect token audience', async () => {
    const report = await runDoctor(input(world.env(world.tokenFile(await world.mint({ audiences: ['openshift'] })))), deps);
    assert.equal(byId(report, 'token.audience').status, 'fail');
    assert.deepEqual(byId(report, 'sts.assume-role').aws, { code: 'InvalidIdentityToken', message: 'Incorrect token audience', httpStatus: 400 });
    assert.match(byId(report, 'sts.assume-role').fix!, /add openshift to the client IDs/);
  });
  test('No OpenIDConnect provider found', async () => {
    const report = await runDoctor(input(world.env(good, { AWS_ROLE_ARN: 'arn:aws:iam::444455556666:role/s3-reader' })), deps);
    const r = byId(report, 'sts.assume-role');
    assert.equal(r.aws?.code, 'InvalidIdentityToken');
    assert.equal(r.aws?.message, `No OpenIDConnect provider found in your account for ${ISSUER}`);
    assert.match(r.fix!, /create the IAM OIDC provider for https:\/\/oidc\.doctor\.test\/cluster-1 in account 444455556666/);
  });
  test('ExpiredTokenException', async () => {
    const file = world.tokenFile(await world.mint({ now: () => new Date(Date.now() - 2 * 86400_000) }));
    const report = await runDoctor(input(world.env(file)), deps);
    assert.equal(byId(report, 'token.expiry').status, 'fail');
    const r = byId(report, 'sts.assume-role');
    assert.equal(r.aws?.code, 'ExpiredTokenException');
    assert.match(r.aws!.message, /^Token expired: current date\/time \d+ must be before the expiration date\/time\d+$/);
    assert.match(r.fix!, /read the token file anew/);
  });
  test('nothing listening: a network failure, no AWS code', async () => {
    const report = await runDoctor(input(world.env(good, { AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:1' })), deps);
    const r = byId(report, 'sts.assume-role');
    assert.equal(r.status, 'fail');
    assert.equal(r.aws, undefined);
    assert.match(r.message, /no answer: connect ECONNREFUSED 127\.0\.0\.1:1$/);
    assert.match(r.fix!, /nothing answers at http:\/\/127\.0\.0\.1:1/);
  });
  // without a bound the call waits forever: the runner's timeout then fails this test
  test('an endpoint that accepts and never answers: the call gives up in bounded time, no AWS code', { timeout: 30_000 }, async (t) => {
    const silent = createServer(() => undefined); // reads each request, answers none
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      silent.closeAllConnections();
      silent.close();
    });
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const report = await runDoctor(input(world.env(good, { AWS_ENDPOINT_URL_STS: endpoint })), { ...deps, sts: createSdkStsClient({ requestTimeoutMs: 500 }) });
    const r = byId(report, 'sts.assume-role');
    assert.equal(r.status, 'fail');
    assert.equal(r.aws, undefined);
    assert.match(r.message, /: no answer: ETIMEDOUT: .*500 ms requestTimeout/);
    assert.match(r.fix!, new RegExp(`nothing answers at ${endpoint.replace(/\./g, '\\.')}`));
  });
  test('an endpoint that is not STS (the issuer server): no AWS code, the fix names the endpoint variables', async () => {
    const r = byId(await runDoctor(input(world.env(good, { AWS_ENDPOINT_URL_STS: world.issuerUrl })), deps), 'sts.assume-role');
    assert.equal(r.status, 'fail');
    assert.equal(r.aws, undefined);
    assert.match(r.message, /not STS: answered HTTP 405 without an AWS XML document$/);
    assert.match(r.fix!, /is not STS \(HTTP 405, no AWS answer\): point AWS_ENDPOINT_URL_STS/);
  });
  test('--no-sts style skip', async () => {
    const report = await runDoctor(input(world.env(good), { skipSts: 'offline' }), deps);
    assert.deepEqual(statuses(report, ['sts.assume-role', 'sts.caller-identity']), { 'sts.assume-role': 'skip', 'sts.caller-identity': 'skip' });
    assert.equal(report.ok, true);
  });
});

describe('sts over HTTPS with AWS_CA_BUNDLE', () => {
  const url = tlsSts.url.replace('127.0.0.1', 'localhost');
  const caFile = join(world.dir, 'sts-ca.pem');
  writeFileSync(caFile, certs.caCert);
  test('trusted through the bundle: passes', async () => {
    const report = await runDoctor(input(world.env(good, { AWS_ENDPOINT_URL_STS: url, AWS_CA_BUNDLE: caFile })), deps);
    assert.deepEqual(statuses(report, ['sts.ca-bundle', 'sts.assume-role', 'sts.caller-identity']), { 'sts.ca-bundle': 'ok', 'sts.assume-role': 'ok', 'sts.caller-identity': 'ok' });
  });
  test('without the bundle: a TLS failure whose fix is AWS_CA_BUNDLE', async () => {
    const r = byId(await runDoctor(input(world.env(good, { AWS_ENDPOINT_URL_STS: url })), deps), 'sts.assume-role');
    assert.equal(r.status, 'fail');
    assert.match(r.fix!, /set AWS_CA_BUNDLE/);
  });
  test('an unusable bundle fails sts.ca-bundle and skips the calls', async () => {
    const report = await runDoctor(input(world.env(good, { AWS_ENDPOINT_URL_STS: url, AWS_CA_BUNDLE: join(world.dir, 'good-token') })), deps);
    assert.deepEqual(statuses(report, ['sts.ca-bundle', 'sts.assume-role']), { 'sts.ca-bundle': 'fail', 'sts.assume-role': 'skip' });
  });
});

describe('sts.caller-identity', () => {
  const fake = (arn: string): DoctorStsClient => ({
    assumeRoleWithWebIdentity: async () => ({ ok: true, value: { credentials: { accessKeyId: 'ASIAFAKE', secretAccessKey: 's', sessionToken: 't' }, assumedRoleArn: 'arn:aws:sts::111122223333:assumed-role/s3-reader/x' } }),
    getCallerIdentity: async () => ({ ok: true, value: { arn, account: '111122223333' } }),
  });
  test('an identity that is not the role\'s session fails', async () => {
    const r = byId(await runDoctor(input(world.env(good)), { ...deps, sts: fake('arn:aws:iam::111122223333:user/admin') }), 'sts.caller-identity');
    assert.equal(r.status, 'fail');
    assert.match(r.message, /GetCallerIdentity says arn:aws:iam::111122223333:user\/admin, not a session of arn:aws:iam::111122223333:role\/s3-reader/);
  });
  test('a refused GetCallerIdentity prints AWS\'s code', async () => {
    const client: DoctorStsClient = { ...fake(''), getCallerIdentity: async () => ({ ok: false, failure: { code: 'InvalidClientTokenId', message: 'The security token included in the request is invalid.', httpStatus: 403 } }) };
    const r = byId(await runDoctor(input(world.env(good)), { ...deps, sts: client }), 'sts.caller-identity');
    assert.equal(r.aws?.code, 'InvalidClientTokenId');
    assert.match(r.fix!, /AWS_ENDPOINT_URL_STS/);
  });
});

test('a token given directly (pod mode) with an expected subject', async () => {
  const minted = await mintServiceAccountToken({ signingKey: world.key, issuer: ISSUER, namespace: 'my-project', serviceAccountName: 'test-service-account', audiences: ['sts.amazonaws.com'] });
  const env = world.env('/var/run/secrets/eks.amazonaws.com/serviceaccount/token');
  const report = await runDoctor(input(env, { token: { text: minted.token, source: 'minted' }, expectedSubject: 'system:serviceaccount:my-project:other' }), deps);
  assert.equal(byId(report, 'token.file').status, 'ok');
  assert.equal(byId(report, 'token.subject').status, 'fail');
  const skipped = await runDoctor(input(env, { tokenUnavailable: 'no signing key' }), deps);
  assert.equal(byId(skipped, 'token.file').status, 'skip');
  assert.equal(byId(skipped, 'token.file').message, 'no signing key');
});
