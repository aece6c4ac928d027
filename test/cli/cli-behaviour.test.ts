import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../oidc/helpers.js';
import { runCli } from './capture.js';
import { REPO } from './irsa-process.js';

const dir = tempDir();
const SAS = join(REPO, 'examples', 'service-accounts');

test('bare irsa and irsa keys print help on stderr and exit 2 (a missing command is a usage error); --help exits 0', async () => {
  for (const argv of [[], ['keys'], ['oidc'], ['policy']]) {
    const run = await runCli(argv);
    assert.equal(run.code, 2, argv.join(' '));
    assert.match(run.stderr, /^Usage: irsa/);
    assert.equal(run.stdout, '');
  }
  const help = await runCli(['keys', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: irsa keys/);
});

test('unknown flags and missing required options are one line in the irsa: format, exit 2', async () => {
  const cases: Array<[string[], string]> = [
    [['inject', '--bogus'], "irsa: unknown option '--bogus'; run irsa inject --help for usage\n"],
    [['keys', 'create'], "irsa: required option '--out <dir>' not specified; run irsa keys create --help for usage\n"],
    [['nope'], "irsa: unknown command 'nope'; run irsa --help for usage\n"],
  ];
  for (const [argv, expected] of cases) {
    const run = await runCli(argv);
    assert.equal(run.code, 2, argv.join(' '));
    assert.equal(run.stderr, expected);
  }
});

test('every command\'s --help fits 80 columns (inject and exec included); --metrics-port says what it serves', async () => {
  const commands = [[], ['up'], ['inject'], ['exec'], ['keys', 'create'], ['oidc', 'discovery'], ['oidc', 'serve'], ['token'], ['credentials-secret'], ['policy', 'eval'], ['policy', 'explain-trust'], ['webhook', 'certs']];
  for (const argv of commands) {
    const run = await runCli([...argv, '--help']);
    assert.equal(run.code, 0, argv.join(' '));
    const long = run.stdout.split('\n').filter((l) => l.length > 80);
    assert.deepEqual(long, [], `irsa ${argv.join(' ')} --help`);
  }
  assert.match((await runCli(['up', '--help'])).stdout, /--metrics-port <port>\s+HTTP port serving the webhook's\s+Prometheus\s+metrics\s+at\s+\/metrics/);
});

test('irsa inject -f DIR reads its manifests as kubectl does; -R also reads subdirectories', async () => {
  const manifests = join(dir, 'manifests');
  mkdirSync(join(manifests, 'nested'), { recursive: true });
  cpSync(join(REPO, 'examples', 'workloads', 'pod.yaml'), join(manifests, 'a-pod.yaml'));
  cpSync(join(REPO, 'examples', 'workloads', 'deployment.yaml'), join(manifests, 'nested', 'deployment.yaml'));
  writeFileSync(join(manifests, 'README.txt'), 'not a manifest');
  const flat = await runCli(['inject', '-f', manifests, '--service-accounts', SAS]);
  assert.equal(flat.code, 0, flat.stderr);
  assert.equal((flat.stdout.match(/AWS_ROLE_ARN/g) ?? []).length, 1);
  assert.doesNotMatch(flat.stdout, /kind: Deployment/);
  const deep = await runCli(['inject', '-R', '-f', manifests, '--service-accounts', SAS]);
  assert.equal(deep.code, 0, deep.stderr);
  assert.match(deep.stdout, /kind: Pod[\s\S]*kind: Deployment/);
  assert.equal((deep.stdout.match(/AWS_ROLE_ARN/g) ?? []).length, 2);
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  const none = await runCli(['inject', '-f', empty]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^irsa: -f .*empty: no \.json, \.yaml or \.yml file in the directory \(-R reads subdirectories\)\n$/);
});

test('irsa inject passes a non-workload object through unchanged with a note on stderr', async () => {
  const file = join(dir, 'mixed.yaml');
  writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: "1"\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\n');
  const run = await runCli(['inject', '-f', file]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: "1"\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\n');
  assert.equal(run.stderr, `irsa: note: ${file}, document 1: ConfigMap has no pod template; passed through unchanged\n`);
});

test('irsa exec --pod whose ServiceAccount is not found: exit 2 naming it, unless --allow-no-identity', async () => {
  const pod = join(REPO, 'examples', 'workloads', 'pod.yaml');
  const refused = await runCli(['exec', '--pod', pod, '--', process.execPath, '-e', 'console.log("ran")']);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /^irsa: --pod .*pod\.yaml: ServiceAccount default\/s3-reader not found \(0 known\); pass its manifest with --service-accounts, or --allow-no-identity/);
  assert.equal(refused.stdout, '');
  const allowed = await runCli(['exec', '--pod', pod, '--allow-no-identity', '--', process.execPath, '-e', 'console.log(process.env.AWS_ROLE_ARN ?? "no identity")']);
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.equal(allowed.stdout, 'no identity\n');
});
