/**
 * End to end through the real binary: `irsa webhook certs` makes the TLS pair, `irsa webhook --kube-api` syncs from
 * the local API stand-in, `/readyz` turns ready after the list, a pod whose ServiceAccount the watch has not
 * delivered yet is still mutated (the grace-period GET), and removing the annotation stops the mutation.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:https';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeApiServer } from '../kube/fake-api-server.js';
import { eventually } from '../kube/watch-helpers.js';

const IRSA = fileURLToPath(new URL('../../bin/irsa', import.meta.url));
const ROLE = 'eks.amazonaws.com/role-arn';
const ARN = 'arn:aws:iam::111122223333:role/s3-reader';

let api: FakeApiServer;
let dir: string;
let child: ChildProcess;
let port = 0;
let ca = '';

function run(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [IRSA, ...args], { cwd, env: { ...process.env, IRSA_FROM_SOURCE: '1' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port, method, path, ca, servername: 'localhost', headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

function review(namespace: string, serviceAccountName: string): unknown {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${serviceAccountName}`,
      namespace,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      operation: 'CREATE',
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { serviceAccountName, containers: [{ name: 'app', image: 'amazonlinux' }] } },
    },
  };
}

async function patchOf(namespace: string, sa: string): Promise<string> {
  const res = await call('POST', '/mutate', review(namespace, sa));
  assert.equal(res.status, 200, res.body);
  const response = (JSON.parse(res.body) as { response: { allowed: boolean; patch?: string } }).response;
  assert.equal(response.allowed, true);
  return response.patch ? Buffer.from(response.patch, 'base64').toString() : '';
}

before(async () => {
  api = new FakeApiServer();
  await api.start();
  api.upsertServiceAccount('default', 'existing', { [ROLE]: ARN });
  dir = await mkdtemp(join(tmpdir(), 'irsa-e2e-sources-'));
  const certs = await run(['webhook', 'certs', '--out', 'certs', '--localhost'], dir);
  assert.equal(certs.code, 0, certs.stderr);
  ca = await readFile(join(dir, 'certs', 'ca.crt'), 'utf8');
  assert.equal(Buffer.from(certs.stdout.trim(), 'base64').toString(), ca, 'stdout is the caBundle');
  child = spawn(
    process.execPath,
    [IRSA, 'webhook', '--in-cluster=false', '--port=0', '--metrics-port=0', '--tls-cert=certs/tls.crt', '--tls-key=certs/tls.key', `--kube-api=${api.url}`, '--log-format=json'],
    { cwd: dir, env: { ...process.env, IRSA_FROM_SOURCE: '1' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  port = await new Promise<number>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      const m = /"port":(\d+).*"msg":"webhook listening"/.exec(stderr);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`irsa webhook exited ${code}: ${stderr}`)));
  });
});

after(async () => {
  child?.kill('SIGTERM');
  await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  await api.stop();
  await rm(dir, { recursive: true, force: true });
});

test('ready after the first list; a synced ServiceAccount mutates', async () => {
  await eventually(async () => (await call('GET', '/readyz')).status === 200, '/readyz', 15_000);
  assert.match(await patchOf('default', 'existing'), new RegExp(ARN.replace(/[/]/g, '\\/')));
});

test('a pod arriving before its ServiceAccount reaches the watch is mutated through the direct GET', async () => {
  api.holdWatchEvents = true;
  try {
    api.upsertServiceAccount('default', 'brand-new', { [ROLE]: ARN });
    const before = api.count('GET', '/api/v1/namespaces/default/serviceaccounts/brand-new');
    const patch = await patchOf('default', 'brand-new');
    assert.match(patch, /AWS_ROLE_ARN/);
    assert.match(patch, /aws-iam-token/);
    assert.equal(api.count('GET', '/api/v1/namespaces/default/serviceaccounts/brand-new') - before, 1);
  } finally {
    api.releaseWatchEvents();
  }
});

test('removing the annotation stops the mutation; a ServiceAccount that does not exist is not mutated', async () => {
  api.upsertServiceAccount('default', 'brand-new', {});
  await eventually(async () => (await patchOf('default', 'brand-new')) === '', 'the annotation removal to reach the webhook');
  assert.equal(await patchOf('default', 'never-created'), '');
});
