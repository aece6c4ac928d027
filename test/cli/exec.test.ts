import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants as osConstants } from 'node:os';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import type { CliContext } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { cleanEnv, runCli } from '../oidc/cli-helpers.js';
import { segment, tempDir } from '../oidc/helpers.js';

const dir = tempDir();
const root = join(import.meta.dirname, '..', '..');
const ISSUER = 'https://oidc.example.com/c1';
const ROLE = 'arn:aws:iam::123456789012:role/web';
let jwks: JSONWebKeySet;

/** A Node child that prints what the container would see as one JSON line. */
const REPORT = `
const fs = require('node:fs');
const file = process.env.AWS_WEB_IDENTITY_TOKEN_FILE;
const out = { env: {}, token: file ? fs.readFileSync(file, 'utf8') : null, dirMode: file ? (fs.statSync(require('node:path').dirname(require('node:path').dirname(file))).mode & 0o777) : null };
for (const k of Object.keys(process.env).sort()) if (/^(AWS_|POD_|GREETING|CONFIG|TOKEN_)/.test(k)) out.env[k] = process.env[k];
console.log(JSON.stringify(out));
`;

interface Report {
  env: Record<string, string>;
  token: string | null;
  dirMode: number | null;
}

function report(stdout: string): Report {
  return JSON.parse(stdout.trim().split('\n').pop()!) as Report;
}

before(async () => {
  assert.equal((await runCli(['keys', 'create', '--out', 'k'], dir)).code, 0);
  assert.equal((await runCli(['oidc', 'discovery', '--issuer', ISSUER, '--public-key', 'k/sa-signer.pub', '--out', 'site'], dir)).code, 0);
  jwks = JSON.parse(readFileSync(join(dir, 'site', 'keys.json'), 'utf8')) as JSONWebKeySet;
  writeFileSync(join(dir, 'app.yaml'), `apiVersion: v1
kind: Pod
metadata:
  name: web-0
  namespace: shop
  uid: 0a0b0c0d-0000-4000-8000-000000000001
spec:
  serviceAccountName: web
  nodeName: ip-10-0-0-1.ec2.internal
  containers:
  - name: app
    image: app
    env:
    - name: POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: GREETING
      value: hello $(POD_NAME)
  - name: broken
    image: app
    env:
    - name: PASSWORD
      valueFrom: {secretKeyRef: {name: db, key: password}}
`);
  writeFileSync(join(dir, 'sa.yaml'), `apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
  namespace: shop
  uid: 5a5a5a5a-0000-4000-8000-000000000002
  annotations:
    eks.amazonaws.com/role-arn: ${ROLE}
`);
  // an OpenShift operator pod: already has its bound token volume and AWS config env, no webhook involved
  writeFileSync(join(dir, 'operator.yaml'), `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ingress-operator
  namespace: openshift-ingress-operator
spec:
  template:
    metadata:
      labels: {name: ingress-operator}
    spec:
      serviceAccountName: ingress-operator
      containers:
      - name: ingress-operator
        image: op
        env:
        - name: AWS_WEB_IDENTITY_TOKEN_FILE
          value: /var/run/secrets/openshift/serviceaccount/token
        - name: AWS_ROLE_ARN
          value: arn:aws:iam::123456789012:role/ingress
        volumeMounts:
        - name: bound-sa-token
          mountPath: /var/run/secrets/openshift/serviceaccount
          readOnly: true
      volumes:
      - name: bound-sa-token
        projected:
          sources:
          - serviceAccountToken:
              audience: openshift
              expirationSeconds: 3600
              path: token
`);
});

describe('irsa exec', () => {
  test('direct identity: env and a verifiable token file in a private directory, removed afterwards', async () => {
    // outside credentials would shadow the web identity; the key and issuer come from irsa up's env variables
    const env = cleanEnv({ AWS_ACCESS_KEY_ID: 'AKIAOUTSIDE', AWS_SECRET_ACCESS_KEY: 'x', AWS_PROFILE: 'admin', IRSA_SIGNING_KEY: 'k/sa-signer.key', IRSA_ISSUER: ISSUER });
    const run = await runCli(['exec', '--namespace', 'team-a', '--service-account', 'app', '--role-arn', ROLE,
      '--aws-endpoint', 'http://127.0.0.1:4566', '--aws-default-region', 'eu-west-1', '--', process.execPath, '-e', REPORT], dir, env);
    assert.equal(run.code, 0, run.stderr);
    const r = report(run.stdout);
    assert.equal(r.env.AWS_ROLE_ARN, ROLE);
    assert.equal(r.env.AWS_ENDPOINT_URL, 'http://127.0.0.1:4566');
    assert.equal(r.env.AWS_REGION, 'eu-west-1');
    assert.equal(r.env.AWS_ACCESS_KEY_ID, undefined, 'outside credentials would shadow the web identity');
    assert.equal(r.env.AWS_PROFILE, undefined);
    assert.match(r.env.AWS_WEB_IDENTITY_TOKEN_FILE!, /irsa-exec-[^/]+\/aws-iam-token\/token$/);
    assert.equal(r.dirMode, 0o700);
    const { payload } = await jwtVerify(r.token!, createLocalJWKSet(jwks), { issuer: ISSUER, audience: 'sts.amazonaws.com' });
    assert.equal(payload.sub, 'system:serviceaccount:team-a:app');
    assert.equal(payload.exp! - payload.iat!, 86400); // the webhook's default token expiration
    assert.ok(!existsSync(r.env.AWS_WEB_IDENTITY_TOKEN_FILE!), 'token file removed');
    assert.ok(!existsSync(join(r.env.AWS_WEB_IDENTITY_TOKEN_FILE!, '..', '..')), 'temporary directory removed');
  });

  test('after `source .irsa/env`: the endpoint and CA bundle are kept, the admin key, session token and profile are not', async () => {
    const env = cleanEnv({
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      AWS_CA_BUNDLE: '/state/tls/ca.crt',
      AWS_ACCESS_KEY_ID: 'AKIAADMIN',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
      AWS_PROFILE: 'admin',
      IRSA_SIGNING_KEY: 'k/sa-signer.key',
      IRSA_ISSUER: ISSUER,
    });
    const run = await runCli(['exec', '--namespace', 'team-a', '--service-account', 'app', '--role-arn', ROLE, '--', process.execPath, '-e', REPORT], dir, env);
    assert.equal(run.code, 0, run.stderr);
    const r = report(run.stdout);
    assert.equal(r.env.AWS_ENDPOINT_URL, 'http://127.0.0.1:4566');
    assert.equal(r.env.AWS_CA_BUNDLE, '/state/tls/ca.crt');
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) assert.equal(r.env[name], undefined, name);
    assert.equal(r.env.AWS_ROLE_ARN, ROLE);
  });

  test('--pod: mutated like irsa inject, fieldRef and $(VAR) env, Pod-bound token with node and ServiceAccount uid', async () => {
    const run = await runCli(['exec', '--pod', 'app.yaml', '--service-accounts', 'sa.yaml', '--container', 'app', '--signing-key', 'k/sa-signer.key', '--issuer', ISSUER, '--', process.execPath, '-e', REPORT], dir);
    assert.equal(run.code, 0, run.stderr);
    const r = report(run.stdout);
    assert.equal(r.env.AWS_ROLE_ARN, ROLE);
    assert.equal(r.env.POD_NAME, 'web-0');
    assert.equal(r.env.GREETING, 'hello web-0');
    const claims = JSON.parse(segment(r.token!, 1)) as Record<string, any>;
    assert.deepEqual(claims.aud, ['sts.amazonaws.com']);
    assert.deepEqual(claims['kubernetes.io'], {
      namespace: 'shop',
      node: { name: 'ip-10-0-0-1.ec2.internal' },
      pod: { name: 'web-0', uid: '0a0b0c0d-0000-4000-8000-000000000001' },
      serviceaccount: { name: 'web', uid: '5a5a5a5a-0000-4000-8000-000000000002' },
    });
    await jwtVerify(r.token!, createLocalJWKSet(jwks), { issuer: ISSUER });
  });

  test('already-mutated workload (OpenShift operator bound token): not re-mutated, audience and path from its volume', async () => {
    const run = await runCli(['exec', '--pod', 'operator.yaml', '--signing-key', 'k/sa-signer.key', '--issuer', ISSUER, '--', process.execPath, '-e', REPORT], dir);
    assert.equal(run.code, 0, run.stderr);
    const r = report(run.stdout);
    assert.match(r.env.AWS_WEB_IDENTITY_TOKEN_FILE!, /\/bound-sa-token\/token$/);
    assert.equal(r.env.AWS_ROLE_ARN, 'arn:aws:iam::123456789012:role/ingress');
    const claims = JSON.parse(segment(r.token!, 1)) as { aud: string[]; exp: number; iat: number; sub: string };
    assert.deepEqual(claims.aud, ['openshift']);
    assert.equal(claims.exp - claims.iat, 3600);
    assert.equal(claims.sub, 'system:serviceaccount:openshift-ingress-operator:ingress-operator');
  });

  test('the command\'s exit code is returned; bad input exits 2 with one line', async () => {
    const base = ['exec', '--service-account', 'app', '--role-arn', ROLE, '--signing-key', 'k/sa-signer.key', '--issuer', ISSUER, '--'];
    assert.equal((await runCli([...base, process.execPath, '-e', 'process.exit(3)'], dir)).code, 3);
    const cases: Array<[string[], RegExp]> = [
      [[...base, 'no-such-command-irsa'], /no-such-command-irsa: command not found/],
      [['exec', '--pod', 'app.yaml', '--service-accounts', 'sa.yaml', '--container', 'broken', '--', 'true'], /container broken: env PASSWORD \(secretKeyRef db\) cannot be resolved outside the cluster/],
      [['exec', '--pod', 'app.yaml', '--container', 'db', '--', 'true'], /web-0 has no container "db" \(containers: app, broken\)/],
      [['exec', '--', 'true'], /pass --pod FILE, or --service-account NAME with --role-arn ARN/],
      [['exec', '--service-account', 'app', '--role-arn', ROLE, '--signing-key', 'k/sa-signer.key', '--', 'true'], /--signing-key needs --issuer/],
      [['exec', '--service-account', 'app', '--role-arn', ROLE, '--signing-key', 'k/sa-signer.pub', '--issuer', ISSUER, '--', 'true'], /holds a public key/],
      [['exec', '--pod', 'missing.yaml', '--', 'true'], /--pod missing\.yaml: cannot be read/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args, dir);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    }
  });

  test('output of the command is passed on intact when a UTF-8 character is split across writes', async () => {
    const base = ['exec', '--service-account', 'app', '--role-arn', ROLE, '--signing-key', 'k/sa-signer.key', '--issuer', ISSUER, '--'];
    const split = "const b = Buffer.from('é€'); for (const s of [process.stdout, process.stderr]) { s.write(b.subarray(0, 1)); setTimeout(() => s.write(b.subarray(1, 3)), 30); setTimeout(() => s.write(b.subarray(3)), 60); }";
    const run = await runCli([...base, process.execPath, '-e', split], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'é€');
    assert.equal(run.stderr, 'é€');
  });

  test('a signal that arrives before the command starts: the command never runs, exit 128+signal, directory removed', async () => {
    let out = '';
    let err = '';
    let signalled = false;
    const ctx: CliContext = {
      stdout: { write: (s: string) => (out += s) },
      stderr: {
        write: (s: string) => {
          err += s;
          // the token file is written, the command not started yet: the moment a supervisor's signal can land
          if (!signalled && s.startsWith('irsa: exec: wrote ')) {
            signalled = true;
            process.emit('SIGUSR2');
          }
        },
      },
      stdin: Readable.from([]),
      env: cleanEnv(),
      cwd: dir,
    };
    const args = ['exec', '-v', '--service-account', 'app', '--role-arn', ROLE, '--signing-key', 'k/sa-signer.key', '--issuer', ISSUER,
      '--', process.execPath, '-e', "console.log('the command ran')"];
    const code = await main(args, ctx);
    assert.equal(signalled, true, err);
    assert.equal(code, 128 + osConstants.signals.SIGUSR2, err);
    assert.equal(out, '', 'the command did not run');
    const tokenPath = /irsa: exec: wrote (\S+)/.exec(err)![1]!;
    assert.ok(!existsSync(join(tokenPath, '..', '..')), 'temporary directory removed');
    assert.equal(process.listenerCount('SIGUSR2'), 0, 'handlers removed');
  });

  test('without --signing-key an ephemeral key is used and said so on stderr', async () => {
    const run = await runCli(['exec', '--service-account', 'app', '--role-arn', ROLE, '--', process.execPath, '-e', REPORT], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /ephemeral key \(kid [A-Za-z0-9_-]{43}, iss https:\/\/irsa-exec\.invalid\)/);
    assert.equal(JSON.parse(segment(report(run.stdout).token!, 1)).iss, 'https://irsa-exec.invalid');
  });

  test('refreshes the token file like the kubelet (hidden --unsafe-token-lifetime 2: rewritten after 1.6 s)', async () => {
    const child = `
const fs = require('node:fs');
const file = process.env.AWS_WEB_IDENTITY_TOKEN_FILE;
const first = fs.readFileSync(file, 'utf8');
const start = Date.now();
const timer = setInterval(() => {
  const now = fs.readFileSync(file, 'utf8');
  if (now !== first || Date.now() - start > 6000) {
    clearInterval(timer);
    console.log(JSON.stringify({ first, second: now, ms: Date.now() - start }));
  }
}, 50);
`;
    const run = await runCli(['exec', '--service-account', 'app', '--role-arn', ROLE, '--signing-key', 'k/sa-signer.key', '--issuer', ISSUER, '--unsafe-token-lifetime', '2', '--', process.execPath, '-e', child], dir);
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout.trim()) as { first: string; second: string; ms: number };
    assert.notEqual(out.second, out.first, 'token file rewritten');
    const a = JSON.parse(segment(out.first, 1)) as { exp: number; iat: number; jti: string };
    const b = JSON.parse(segment(out.second, 1)) as { exp: number; iat: number; jti: string };
    assert.equal(a.exp - a.iat, 2);
    assert.notEqual(a.jti, b.jti);
    await jwtVerify(out.second, createLocalJWKSet(jwks), { issuer: ISSUER, currentDate: new Date(b.iat * 1000) });
  });
});

describe('irsa exec as a process (./bin/irsa)', () => {
  const spawned: Array<ReturnType<typeof spawn>> = [];
  after(() => {
    for (const c of spawned) c.kill('SIGKILL'); // a no-op for those that exited
  });
  function start(script: string): { child: ReturnType<typeof spawn>; lines: AsyncIterableIterator<string> } {
    const child = spawn(process.execPath, [join(root, 'bin', 'irsa'), 'exec', '--service-account', 'app', '--role-arn', ROLE, '--signing-key', join(dir, 'k', 'sa-signer.key'), '--issuer', ISSUER, '--', process.execPath, '-e', script],
      { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv({ IRSA_FROM_SOURCE: '1' }) });
    spawned.push(child);
    return { child, lines: createInterface({ input: child.stdout! })[Symbol.asyncIterator]() };
  }

  test('forwards SIGTERM to the command, returns its exit code or 128+signal, and cleans up', async () => {
    const trapping = start(`process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(42); }); console.log(process.env.AWS_WEB_IDENTITY_TOKEN_FILE); setInterval(() => {}, 1000);`);
    const plain = start(`console.log(process.env.AWS_WEB_IDENTITY_TOKEN_FILE); setInterval(() => {}, 1000);`);
    const exited = (c: ReturnType<typeof spawn>) => new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
    const [trapExit, plainExit] = [exited(trapping.child), exited(plain.child)];
    const trapFile = (await trapping.lines.next()).value as string;
    const plainFile = (await plain.lines.next()).value as string;
    assert.ok(existsSync(trapFile));
    trapping.child.kill('SIGTERM');
    plain.child.kill('SIGTERM');
    assert.equal((await trapping.lines.next()).value, 'got SIGTERM');
    assert.equal(await trapExit, 42);
    assert.equal(await plainExit, 128 + 15);
    assert.ok(!existsSync(trapFile) && !existsSync(plainFile), 'temporary directories removed');
  });
});
