/**
 * `irsa doctor` as a user runs it (bin/irsa in a child process): inside a pod's environment, with --pod and
 * --service-accounts, --json, and bad usage; plus the docs listing every check and the SDK loaded lazily.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DOCTOR_CHECK_IDS } from '../../src/kube/doctor/index.js';
import { runCli } from './capture.js';
import { ISSUER, ROLE_ARN, startWorld } from '../kube/doctor/world.js';

const root = join(import.meta.dirname, '..', '..');
const world = await startWorld();
const good = world.tokenFile(await world.mint(), 'token');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs bin/irsa with only the given environment (plus PATH and HOME), as a shell in the pod would. */
function irsa(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'irsa'), ...args], {
      cwd: world.dir,
      env: { PATH: process.env.PATH ?? '', HOME: world.dir, IRSA_FROM_SOURCE: '1', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function line(stdout: string, id: string): string {
  const found = stdout.split('\n').find((l) => l.split(/\s+/)[1] === id);
  assert.ok(found, `no line for ${id} in:\n${stdout}`);
  return found;
}

test('inside a working pod: every check ok, exit 0', async () => {
  const run = await irsa(['doctor', '--issuer-url', world.issuerUrl], world.env(good));
  assert.equal(run.stderr, '');
  assert.equal(run.code, 0, run.stdout);
  for (const id of DOCTOR_CHECK_IDS.filter((i) => i !== 'pod.mutation')) assert.match(line(run.stdout, id), /^ok {4}/, id);
  assert.match(line(run.stdout, 'sts.caller-identity'), /arn:aws:sts::111122223333:assumed-role\/s3-reader\/irsa-doctor-\d+/);
  assert.match(line(run.stdout, 'env.profile'), /no shared profile/);
  assert.match(run.stdout, /\nall checks passed: 22 ok, 0 warnings, 0 failed, 0 skipped\n$/);
});

test('a pod of another ServiceAccount: AWS\'s AccessDenied, the fix naming the sub condition, exit 1', async () => {
  const other = world.tokenFile(await world.mint({ serviceAccountName: 'other-sa' }));
  const run = await irsa(['doctor', '--issuer-url', world.issuerUrl], world.env(other));
  assert.equal(run.code, 1);
  const lines = run.stdout.split('\n');
  const i = lines.findIndex((l) => l.startsWith('FAIL  sts.assume-role'));
  assert.ok(i >= 0, run.stdout);
  assert.match(lines[i]!, /AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity$/);
  assert.match(lines[i + 1]!, /^ +fix: the trust policy of arn:aws:iam::111122223333:role\/s3-reader must allow .* "oidc\.doctor\.test\/cluster-1:sub" = "system:serviceaccount:my-project:other-sa"/);
  assert.match(line(run.stdout, 'sts.caller-identity'), /^skip/);
  assert.match(run.stdout, /\n1 failed: /);
});

test('--json: the same checks for machines', async () => {
  const run = await irsa(['doctor', '--json', '--issuer-url', world.issuerUrl], world.env(good, { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' }));
  assert.equal(run.code, 1);
  const report = JSON.parse(run.stdout) as { ok: boolean; counts: Record<string, number>; checks: Array<{ id: string; status: string; message: string; fix?: string }> };
  assert.equal(report.ok, false);
  const creds = report.checks.find((c) => c.id === 'env.static-credentials')!;
  assert.equal(creds.status, 'fail');
  assert.match(creds.fix!, /unset AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  assert.equal(report.counts.fail, 1);
  assert.equal(report.checks.length, DOCTOR_CHECK_IDS.length - 1);
});

describe('--pod FILE --service-accounts DIR: the webhook\'s mutation, then the checks', () => {
  writeFileSync(join(world.dir, 'sa.yaml'), `apiVersion: v1
kind: ServiceAccount
metadata:
  name: test-service-account
  namespace: my-project
  annotations:
    eks.amazonaws.com/role-arn: "${ROLE_ARN}"
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: plain
  namespace: my-project
`);
  const pod = (sa: string): string => `apiVersion: v1
kind: Pod
metadata:
  namespace: my-project
  name: awsboto3sdk
spec:
  serviceAccountName: ${sa}
  containers:
  - name: awsboto3sdk
    image: quay.io/linuxserver.io/python:latest
    command: ["/bin/bash"]
    args: ["-c", "sleep infinity"]
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {drop: ["ALL"]}
      runAsNonRoot: true
      seccompProfile: {type: RuntimeDefault}
  terminationGracePeriodSeconds: 0
`;
  writeFileSync(join(world.dir, 'pod.yaml'), pod('test-service-account'));
  writeFileSync(join(world.dir, 'plain-pod.yaml'), pod('plain'));
  const flags = ['--service-accounts', 'sa.yaml', '--signing-key', world.keyFile, '--issuer', ISSUER, '--issuer-url', world.issuerUrl, '--aws-endpoint', world.sts.url, '--aws-default-region', 'us-east-1'];

  test('the procedure\'s pod: mutated, token minted as the kubelet would, STS answers, exit 0', async () => {
    const run = await irsa(['doctor', '--pod', 'pod.yaml', ...flags], {});
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^irsa doctor: pod my-project\/awsboto3sdk, container awsboto3sdk\n/);
    assert.match(line(run.stdout, 'pod.mutation'), /^ok +pod\.mutation +the webhook mutates it with role arn:aws:iam::111122223333:role\/s3-reader/);
    assert.match(line(run.stdout, 'env.token-file'), /AWS_WEB_IDENTITY_TOKEN_FILE=\/var\/run\/secrets\/eks\.amazonaws\.com\/serviceaccount\/token/);
    assert.match(line(run.stdout, 'token.file'), /volume aws-iam-token, minted as the kubelet would/);
    assert.match(line(run.stdout, 'token.expiry'), /expires in 2[34]h/);
    assert.match(line(run.stdout, 'env.profile'), /^skip +env\.profile +the container's shared config files are not on this machine/);
    assert.match(line(run.stdout, 'sts.caller-identity'), /^ok .*assumed-role\/s3-reader\//);
  });

  test('a ServiceAccount without the role annotation: pod.mutation fails with the fix, exit 1', async () => {
    const run = await irsa(['doctor', '--pod', 'plain-pod.yaml', ...flags], {});
    assert.equal(run.code, 1);
    const lines = run.stdout.split('\n');
    const i = lines.findIndex((l) => l.startsWith('FAIL  pod.mutation'));
    assert.match(lines[i]!, /ServiceAccount my-project\/plain has no eks\.amazonaws\.com\/role-arn annotation/);
    assert.match(lines[i + 1]!, /fix: annotate the ServiceAccount with eks\.amazonaws\.com\/role-arn/);
    assert.match(line(run.stdout, 'env.role-arn'), /^FAIL/);
  });
});

test('bad usage exits 2 with the flag named', async () => {
  const noPod = await irsa(['doctor', '--container', 'app'], {});
  assert.equal(noPod.code, 2);
  assert.match(noPod.stderr, /--container describes the pod of --pod FILE/);
  const missing = await irsa(['doctor', '--pod', 'missing.yaml'], {});
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--pod missing\.yaml: cannot be read \(ENOENT\)/);
});

test('docs/doctor.md documents every check id, and only those', () => {
  const doc = readFileSync(join(root, 'docs', 'doctor.md'), 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `([a-z]+\.[a-z-]+)` \|/gm)].map((m) => m[1]!));
  assert.deepEqual([...documented].sort(), [...DOCTOR_CHECK_IDS].sort());
});

test('the AWS SDK is never imported statically by src/ (irsa starts without loading it)', () => {
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && /^import (?!type )[^;]*from '@aws-sdk\//m.test(readFileSync(path, 'utf8'))) offenders.push(path);
    }
  };
  walk(join(root, 'src'));
  assert.deepEqual(offenders, []);
});

test('under irsa exec: the doctor inside the command sees the pod\'s env and the refreshed token file', async () => {
  const doctor = `${process.execPath} ${join(root, 'bin', 'irsa')} doctor --issuer-url ${world.issuerUrl}`;
  const run = await irsa(
    ['exec', '--pod', 'pod.yaml', '--service-accounts', 'sa.yaml', '--signing-key', world.keyFile, '--issuer', ISSUER, '--aws-endpoint', world.sts.url, '--aws-default-region', 'us-east-1', '--', 'sh', '-c', doctor],
    {},
  );
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(line(run.stdout, 'token.file'), /^ok +token\.file +\/tmp\/irsa-exec-[^/]+\/aws-iam-token\/token: \d+ bytes/);
  assert.match(line(run.stdout, 'sts.caller-identity'), /^ok .*assumed-role\/s3-reader\//);
});

test('in-process: mutation flags without --pod are refused; a pre-mutated pod whose token path no volume provides fails pod.mutation', async () => {
  const refused = await runCli(['doctor', '--service-accounts', 'sa.yaml'], { cwd: world.dir, env: {} });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--service-accounts describes the pod of --pod FILE/);
  writeFileSync(join(world.dir, 'half.yaml'), `apiVersion: v1
kind: Pod
metadata: {name: half, namespace: my-project}
spec:
  serviceAccountName: test-service-account
  containers:
  - name: app
    env:
    - {name: AWS_ROLE_ARN, value: "${ROLE_ARN}"}
    - {name: AWS_WEB_IDENTITY_TOKEN_FILE, value: /var/run/secrets/elsewhere/token}
`);
  const run = await runCli(['doctor', '--pod', 'half.yaml', '--no-sts', '--json'], { cwd: world.dir, env: {} });
  assert.equal(run.code, 1);
  const report = JSON.parse(run.stdout) as { target: string; checks: Array<{ id: string; status: string; message: string }> };
  assert.equal(report.target, 'pod my-project/half, container app');
  const mutation = report.checks.filter((c) => c.id === 'pod.mutation');
  assert.equal(mutation.length, 1);
  assert.equal(mutation[0]!.status, 'fail');
  assert.match(mutation[0]!.message, /AWS_WEB_IDENTITY_TOKEN_FILE=\/var\/run\/secrets\/elsewhere\/token is not a projected token the container mounts/);
  assert.equal(report.checks.find((c) => c.id === 'token.file')?.status, 'skip');
});
