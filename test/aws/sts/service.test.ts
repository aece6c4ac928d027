/**
 * STS end to end: the plane on a socket, the issuer over HTTPS, and real clients — raw HTTP (AWS's bytes), the AWS
 * SDK for JavaScript v3 (AssumeRoleWithWebIdentity, then signed GetCallerIdentity and AssumeRole), the SDK's default
 * credential chain with AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, boto3 and the aws CLI with the same variables.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { AssumeRoleCommand, AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ACCOUNT, claims, mintToken, NOW, signToken } from './helpers.js';
import { trustPolicy } from './helpers.js';
import { ROLE_ARN, startLocalChain } from './plane-fixture.js';
import { clientUnavailable, skipOrFail } from '../../outside-client.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function post(url: string, form: Record<string, string>): Promise<{ status: number; headers: Headers; body: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: new URLSearchParams(form).toString() });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** Runs a client without blocking the event loop (the plane answers it from this process). */
function run(command: string, args: string[], o: { env: NodeJS.ProcessEnv; cwd?: string }): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env: o.env, cwd: o.cwd, timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

/**
 * The environment a pod gets from the webhook, pointed at the plane; no static keys, and a HOME of its own (the aws
 * CLI caches assumed credentials under ~/.aws/cli/cache and would reuse another run's session).
 */
function podEnv(endpoint: string, tokenFile: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dirname(tokenFile), PYENV_ROOT: process.env.PYENV_ROOT ?? `${process.env.HOME}/.pyenv`, AWS_ROLE_ARN: ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1', AWS_ROLE_SESSION_NAME: 'pod-session', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
  return env;
}

test('AssumeRoleWithWebIdentity over HTTP: AWS\'s XML, request id header, x-irsa-explain, the decision recorded', async (t) => {
  const chain = await startLocalChain(t);
  const token = await mintToken(chain.key, { now: Math.floor(Date.now() / 1000) });
  const r = await post(chain.server.url, { Action: 'AssumeRoleWithWebIdentity', Version: '2011-06-15', RoleArn: ROLE_ARN, RoleSessionName: 'web', WebIdentityToken: token });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.headers.get('content-type'), 'text/xml');
  const requestId = r.headers.get('x-amzn-requestid')!;
  assert.match(requestId, /^[0-9a-f-]{36}$/);
  const m = /^<AssumeRoleWithWebIdentityResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>(ASIA[A-Z2-7]{16})<\/AccessKeyId><SecretAccessKey>([A-Za-z0-9+/]{40})<\/SecretAccessKey><SessionToken>([A-Za-z0-9+/=]{100,})<\/SessionToken><Expiration>(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)<\/Expiration><\/Credentials><SubjectFromWebIdentityToken>system:serviceaccount:default:app<\/SubjectFromWebIdentityToken><AssumedRoleUser><AssumedRoleId>AROAQ3EGUXVKEXAMPLE12:web<\/AssumedRoleId><Arn>arn:aws:sts::111122223333:assumed-role\/s3-reader\/web<\/Arn><\/AssumedRoleUser><Provider>arn:aws:iam::111122223333:oidc-provider\/oidc\.irsa\.local<\/Provider><Audience>sts\.amazonaws\.com<\/Audience><\/AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>([0-9a-f-]{36})<\/RequestId><\/ResponseMetadata><\/AssumeRoleWithWebIdentityResponse>$/.exec(r.body);
  assert.ok(m, r.body);
  assert.equal(m[5], requestId);
  assert.ok(Math.abs(Date.parse(m[4]!) - Date.now() - 3600_000) < 5000, 'expires in an hour');
  assert.match(r.headers.get('x-irsa-explain') ?? '', /^Allow sts:AssumeRoleWithWebIdentity on arn:aws:iam::111122223333:role\/s3-reader/);
  chain.plane.flush();
  const recorded = chain.plane.decisions.forRequest(requestId);
  assert.deepEqual(recorded.map((d) => [d.service, d.action, d.decision, d.principal]), [['sts', 'sts:AssumeRoleWithWebIdentity', 'Allow', chain.providerArn]]);
  assert.match(recorded[0]!.explanation, /oidc\.irsa\.local:sub = "system:serviceaccount:default:app"/);
});

test('calls decided alike share one stored text; each keeps its own request line, and another outcome gets its own', async (t) => {
  const chain = await startLocalChain(t);
  const now = Math.floor(Date.now() / 1000);
  const call = async (token: string) => {
    const r = await post(chain.server.url, { Action: 'AssumeRoleWithWebIdentity', Version: '2011-06-15', RoleArn: ROLE_ARN, RoleSessionName: 'web', WebIdentityToken: token });
    return r.headers.get('x-amzn-requestid')!;
  };
  chain.plane.flush();
  const textsBefore = chain.plane.decisions.textCount();
  // three new tokens of one ServiceAccount in a burst: one allow text (per second), three decisions
  const allows = [];
  for (let i = 0; i < 3; i++) allows.push(await call(await mintToken(chain.key, { now })));
  const denied = await call(signToken(chain.key, claims({ sub: 'system:serviceaccount:other:app', iat: now, nbf: now, exp: now + 600 })));
  chain.plane.flush();
  const records = [...allows, denied].map((id) => chain.plane.decisions.forRequest(id)[0]!);
  for (const [i, r] of records.entries()) {
    assert.match(r.explanation, new RegExp(`^request ${[...allows, denied][i]} at `));
    assert.match(r.summary, new RegExp(`\\(irsa why ${[...allows, denied][i]}\\)$`));
  }
  assert.deepEqual(records.map((r) => r.decision), ['Allow', 'Allow', 'Allow', 'ImplicitDeny']);
  assert.match(records[3]!.explanation, /oidc\.irsa\.local:sub = "system:serviceaccount:other:app"/);
  // the allows' texts are one (two if the burst crossed a second), the denial's its own
  const added = chain.plane.decisions.textCount() - textsBefore;
  assert.ok(added === 2 || added === 3, `texts added: ${added}`);
});

test('rejections on the wire: code, status, message in AWS\'s ErrorResponse; the check named out of band', async (t) => {
  const chain = await startLocalChain(t);
  const now = Math.floor(Date.now() / 1000);
  const call = (token: string, extra: Record<string, string> = {}) =>
    post(chain.server.url, { Action: 'AssumeRoleWithWebIdentity', Version: '2011-06-15', RoleArn: ROLE_ARN, RoleSessionName: 'web', WebIdentityToken: token, ...extra });
  const expired = await call(await mintToken(chain.key, { now: now - 4000 }));
  assert.equal(expired.status, 400);
  assert.match(expired.body, /^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>ExpiredTokenException<\/Code><Message>Token expired: current date\/time \d+ must be before the expiration date\/time\d+<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/);
  assert.match(expired.headers.get('x-irsa-explain') ?? '', /ExpiredTokenException at time/);
  const mismatch = await call(signToken(chain.key, claims({ sub: 'system:serviceaccount:other:app', iat: now, nbf: now, exp: now + 600 })));
  assert.equal(mismatch.status, 403);
  assert.match(mismatch.body, /<Code>AccessDenied<\/Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity<\/Message>/);
  assert.match(mismatch.headers.get('x-irsa-explain') ?? '', /trust-policy/);
  chain.plane.flush();
  const denial = chain.plane.decisions.lastDenial()!;
  assert.equal(denial.decision, 'ImplicitDeny');
  assert.match(denial.explanation, /oidc\.irsa\.local:sub = "system:serviceaccount:other:app"/);
  const tooLong = await call(await mintToken(chain.key, { now }), { DurationSeconds: '7200' });
  assert.equal(tooLong.status, 400);
  assert.match(tooLong.body, /<Code>ValidationError<\/Code><Message>The requested DurationSeconds exceeds the MaxSessionDuration set for this role\.<\/Message>/);
  const fresh = await startLocalChain(t);
  await fresh.stopIssuer();
  const down = await post(fresh.server.url, { Action: 'AssumeRoleWithWebIdentity', Version: '2011-06-15', RoleArn: ROLE_ARN, RoleSessionName: 'web', WebIdentityToken: await mintToken(fresh.key, { now }) });
  assert.equal(down.status, 400);
  assert.match(down.body, /<Code>IDPCommunicationError<\/Code><Message>Couldn(&apos;|')t connect to the identity provider at oidc\.irsa\.local; try again later<\/Message>/);
});

test('AWS SDK for JavaScript v3: AssumeRoleWithWebIdentity, then GetCallerIdentity and AssumeRole signed with the results', async (t) => {
  const chain = await startLocalChain(t);
  const sts = new STSClient({ endpoint: chain.server.url, region: 'us-east-1', credentials: { accessKeyId: chain.admin.accessKeyId, secretAccessKey: chain.admin.secretAccessKey } });
  t.after(() => sts.destroy());
  const out = await sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'js', WebIdentityToken: await mintToken(chain.key, { now: Math.floor(Date.now() / 1000) }) }));
  assert.equal(out.SubjectFromWebIdentityToken, 'system:serviceaccount:default:app');
  assert.equal(out.Provider, chain.providerArn);
  assert.equal(out.Audience, 'sts.amazonaws.com');
  assert.equal(out.AssumedRoleUser?.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/s3-reader/js`);
  const session = new STSClient({ endpoint: chain.server.url, region: 'us-east-1', credentials: { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! } });
  t.after(() => session.destroy());
  const who = await session.send(new GetCallerIdentityCommand({}));
  assert.deepEqual([who.Account, who.Arn, who.UserId], [ACCOUNT, `arn:aws:sts::${ACCOUNT}:assumed-role/s3-reader/js`, 'AROAQ3EGUXVKEXAMPLE12:js']);
  const admin = await sts.send(new GetCallerIdentityCommand({}));
  assert.equal(admin.Arn, chain.admin.userArn);
  // the admin may AssumeRole only if the trust policy lets it: this one trusts the OIDC provider alone
  await assert.rejects(sts.send(new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'admin' })), (err: Error & { name: string; $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(err.name, 'AccessDenied');
    assert.equal(err.message, `User: ${chain.admin.userArn} is not authorized to perform: sts:AssumeRole on resource: ${ROLE_ARN}`);
    assert.equal(err.$metadata?.httpStatusCode, 403);
    return true;
  });
  chain.plane.iam.setTrustPolicy('s3-reader', JSON.stringify({ Version: '2012-10-17', Statement: [JSON.parse(trustPolicy(chain.providerArn)).Statement[0], { Effect: 'Allow', Principal: { AWS: chain.admin.userArn }, Action: 'sts:AssumeRole' }] }));
  const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'admin' }));
  assert.match(assumed.Credentials?.AccessKeyId ?? '', /^ASIA/);
  await assert.rejects(
    session.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'xx', WebIdentityToken: await mintToken(chain.key, { now: NOW }) })),
    (err: Error & { name: string }) => err.name === 'ExpiredTokenException',
  );
});

test('the SDK\'s default chain in a process with AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ENDPOINT_URL', async (t) => {
  const chain = await startLocalChain(t);
  const tokenFile = chain.tokenFile(await mintToken(chain.key, { now: Math.floor(Date.now() / 1000) }));
  const script = "import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts'; const c = new STSClient({}); const r = await c.send(new GetCallerIdentityCommand({})); console.log(r.Arn);";
  const r = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: podEnv(chain.server.url, tokenFile) });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), `arn:aws:sts::${ACCOUNT}:assumed-role/s3-reader/pod-session`);
});

test('boto3 with AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ENDPOINT_URL; an expired token raises ExpiredTokenException', async (t) => {
  if (skipOrFail(t, clientUnavailable('python3', ['-c', 'import boto3']))) return;
  const chain = await startLocalChain(t);
  const good = chain.tokenFile(await mintToken(chain.key, { now: Math.floor(Date.now() / 1000) }));
  const script = 'import boto3\nprint(boto3.client("sts").get_caller_identity()["Arn"])';
  const r = await run('python3', ['-c', script], { env: podEnv(chain.server.url, good) });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), `arn:aws:sts::${ACCOUNT}:assumed-role/s3-reader/pod-session`);
  const expired = chain.tokenFile(await mintToken(chain.key, { now: Math.floor(Date.now() / 1000) - 4000 }));
  const e = await run('python3', ['-c', script], { env: { ...podEnv(chain.server.url, expired), AWS_MAX_ATTEMPTS: '1' } });
  assert.notEqual(e.status, 0);
  assert.match(e.stderr, /ExpiredTokenException.*Token expired: current date\/time \d+ must be before the expiration date\/time\d+/);
});

test('the aws CLI: aws sts get-caller-identity under the web identity', async (t) => {
  if (skipOrFail(t, clientUnavailable('aws', ['--version']))) return;
  const chain = await startLocalChain(t);
  const tokenFile = chain.tokenFile(await mintToken(chain.key, { now: Math.floor(Date.now() / 1000) }));
  const r = await run('aws', ['sts', 'get-caller-identity', '--output', 'json'], { env: podEnv(chain.server.url, tokenFile) });
  assert.equal(r.status, 0, r.stderr);
  const who = JSON.parse(r.stdout) as { Arn: string; Account: string };
  assert.deepEqual([who.Account, who.Arn], [ACCOUNT, `arn:aws:sts::${ACCOUNT}:assumed-role/s3-reader/pod-session`]);
});
