import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { planWebhook, workerPlan } from '../../src/cli/webhook.js';
import { SERVER_LIMIT_DEFAULTS } from '../../src/webhook/server.js';
import { parseWebhookFlags } from '../../src/cli/webhook-flags.js';
import { decodePatch, exampleReview, makePki, request1, ROLE_ARN, tempDir } from '../webhook/server-helpers.js';

const IRSA = fileURLToPath(new URL('../../bin/irsa', import.meta.url));
const HEADERS = { 'content-type': 'application/json' };
const OTHER_ROLE = 'arn:aws:iam::111122223333:role/other';

function saYaml(name: string, role: string): string {
  return `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n  namespace: default\n  annotations:\n    eks.amazonaws.com/role-arn: ${role}\n`;
}

function roleOf(body: string): string | undefined {
  const patch = decodePatch(body) ?? [];
  const text = JSON.stringify(patch);
  return /"name":"AWS_ROLE_ARN","value":"([^"]+)"/.exec(text)?.[1];
}

describe('planWebhook --workers', () => {
  test('negative counts are refused naming the flag; the default is 0 (the CPU limit); debug handlers go with workers', () => {
    const flags = (argv: string[]) => parseWebhookFlags(['--in-cluster=false', '--service-accounts=sa', ...argv]).flags;
    assert.throws(() => planWebhook(flags(['--workers=-1']), '/'), /--workers -1: use a positive number/);
    assert.doesNotThrow(() => planWebhook(flags(['--workers=2', '--enable-debugging-handlers']), '/'));
    assert.equal(flags([]).workers, 0);
  });
});

describe('irsa webhook --workers 2 (spawned)', () => {
  const tmp = tempDir();
  const saDir = join(tmp.dir, 'sa');
  mkdirSync(saDir);
  const pki = makePki(tmp.dir);
  writeFileSync(join(tmp.dir, 'tls.crt'), pki.cert);
  writeFileSync(join(tmp.dir, 'tls.key'), pki.key);
  writeFileSync(join(saDir, 'sa.yaml'), saYaml('default', ROLE_ARN));
  const child = spawn(process.execPath, [IRSA, 'webhook', '--workers', '2', '--port=0', '--metrics-port=0', '--tls-cert=tls.crt', '--tls-key=tls.key', `--service-accounts=${saDir}`, '--log-format=json', '--enable-debugging-handlers'], {
    cwd: tmp.dir,
    env: { ...process.env, IRSA_WEBHOOK_TEST_WORKER_HEADER: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let stderr = '';
  const ports = new Promise<{ port: number; metricsPort: number }>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      const line = stderr.split('\n').find((l) => l.includes('"msg":"webhook listening"'));
      const port = line && /"port":(\d+)/.exec(line);
      const metrics = line && /"metricsPort":(\d+)/.exec(line);
      if (port && metrics) resolve({ port: Number(port[1]), metricsPort: Number(metrics[1]) });
    });
    void exit.then((code) => reject(new Error(`irsa webhook exited ${code}: ${stderr}`)));
  });
  after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await exit;
    }
    tmp.cleanup();
  });

  async function review(port: number, serviceAccountName: string, uid: string) {
    const body = JSON.stringify(exampleReview({ apiVersion: 'admission.k8s.io/v1', serviceAccountName, uid }));
    return request1(`https://localhost:${port}`, { path: '/mutate', body, headers: HEADERS, ca: pki.caCert });
  }

  test('every review over a fresh connection is mutated, by more than one worker process', async () => {
    const { port } = await ports;
    const pids = new Set<string>();
    for (let round = 0; round < 4; round++) {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => review(port, 'default', `uid-${round}-${i}`)));
      results.forEach((res, i) => {
        assert.equal(res.status, 200);
        assert.match(res.body, new RegExp(`"uid":"uid-${round}-${i}"`));
        assert.equal(roleOf(res.body), ROLE_ARN);
        pids.add(String(res.headers['x-irsa-worker']));
      });
    }
    assert.ok(pids.size > 1, `only worker(s) ${[...pids].join(', ')} answered`);
    assert.ok(!pids.has(String(child.pid)), 'the primary does not serve admissions');
  });

  test('debug routes: the primary dumps its whole cache and a clear empties every worker; every worker serves /debug/alpha/deny', async () => {
    const { port, metricsPort } = await ports;
    const dump = JSON.parse(await (await fetch(`http://127.0.0.1:${metricsPort}/debug/alpha/cache`)).text()) as Record<string, { RoleARN: string }>;
    assert.deepEqual(Object.keys(dump), ['default/default']);
    assert.equal(dump['default/default']!.RoleARN, ROLE_ARN);
    const denies = await Promise.all(Array.from({ length: 10 }, () => request1(`https://localhost:${port}`, { path: '/debug/alpha/deny', body: '{}', headers: HEADERS, ca: pki.caCert })));
    for (const res of denies) assert.match(res.body, /"allowed":false/);
    assert.ok(new Set(denies.map((r) => String(r.headers['x-irsa-worker']))).size > 1, 'answered by more than one worker');

    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/debug/alpha/cache/clear`)).status, 200);
    assert.equal(await (await fetch(`http://127.0.0.1:${metricsPort}/debug/alpha/cache`)).text(), '{}');
    const deadline = Date.now() + 10_000;
    let seen = new Map<string, string | undefined>();
    while (Date.now() < deadline) {
      seen = new Map();
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => review(port, 'default', `cleared-${i}`)));
      for (const res of results) seen.set(String(res.headers['x-irsa-worker']), roleOf(res.body));
      if (seen.size > 1 && [...seen.values()].every((r) => r === undefined)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(seen.size > 1, 'answers from more than one worker');
    for (const [pid, role] of seen) assert.equal(role, undefined, `worker ${pid} still had the cleared ServiceAccount`);
  });

  test('a changed ServiceAccount file reaches every worker', async () => {
    const { port } = await ports;
    writeFileSync(join(saDir, 'sa.yaml'), saYaml('default', ROLE_ARN) + '---\n' + saYaml('added', OTHER_ROLE));
    const deadline = Date.now() + 10_000;
    const seen = new Map<string, string | undefined>();
    while (Date.now() < deadline) {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => review(port, 'added', `added-${i}`)));
      for (const res of results) seen.set(String(res.headers['x-irsa-worker']), roleOf(res.body));
      if (seen.size > 1 && [...seen.values()].every((r) => r === OTHER_ROLE)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(seen.size > 1, 'answers from more than one worker');
    for (const [pid, role] of seen) assert.equal(role, OTHER_ROLE, `worker ${pid} did not see the new ServiceAccount`);
  });

  test('/metrics on the one metrics port aggregates the workers', async () => {
    const { port, metricsPort } = await ports;
    const before = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const count = (text: string): number => Number(/^http_request_count\{verb="POST",path="\/mutate",code="200"\} (\d+)/m.exec(text)?.[1] ?? 0);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => review(port, 'default', `m-${i}`)));
    const pids = new Set(results.map((r) => String(r.headers['x-irsa-worker'])));
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.equal(count(text) - count(before), 10, `counted by ${pids.size} worker(s)`);
    // The cache size comes from the primary alone (workers count 0), so the sum is the real count: 2 after the change above.
    assert.match(text, /^irsa_webhook_serviceaccount_cache_size 2$/m);
    assert.match(text, /^process_resident_memory_bytes \d+/m);
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/nope`)).status, 404);
  });

  test('a rotated certificate is read once by the primary and served by every worker', async () => {
    const { port, metricsPort } = await ports;
    const rotated = makePki(tmp.dir, 'rotated');
    writeFileSync(join(tmp.dir, 'tls.key'), rotated.key);
    writeFileSync(join(tmp.dir, 'tls.crt'), rotated.cert);
    const deadline = Date.now() + 15_000;
    let served = new Map<string, string | undefined>();
    while (Date.now() < deadline) {
      served = new Map();
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => review(port, 'default', `cert-${i}`)));
      for (const res of results) served.set(String(res.headers['x-irsa-worker']), res.fingerprint256);
      if (served.size > 1 && [...served.values()].every((f) => f === rotated.fingerprint256)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(served.size > 1, 'answers from more than one worker');
    for (const [pid, fingerprint] of served) assert.equal(fingerprint, rotated.fingerprint256, `worker ${pid} serves the old certificate`);
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(text, /^irsa_webhook_certificate_reloads_total\{result="ok"\} 1$/m, 'counted once, by the primary');
  });

  test('SIGTERM: requests in flight on every worker are answered, then the whole tree exits 0', async () => {
    const { port } = await ports;
    // Requests whose body is half sent are in flight in whichever worker took the connection.
    const inflight = await Promise.all(Array.from({ length: 8 }, (_, i) => partialRequest(port, pki.caCert, `term-${i}`)));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(child.exitCode, null, 'exited while requests were in flight');
    const responses = await Promise.all(inflight.map((p) => p.finish()));
    const pids = new Set<string>();
    responses.forEach((response, i) => {
      assert.match(response, /^HTTP\/1.1 200/);
      assert.match(response, new RegExp(`"uid":"term-${i}"`));
      assert.equal(roleOf(response.slice(response.indexOf('\r\n\r\n') + 4)), ROLE_ARN);
      pids.add(/x-irsa-worker: (\d+)/i.exec(response)?.[1] ?? '');
    });
    assert.ok(pids.size > 1, 'in flight on more than one worker');
    assert.equal(await exit, 0, stderr.split('\n').slice(-5).join('\n'));
  });
});

/** Opens a TLS connection and sends a review whose body is incomplete; `finish()` sends the rest and reads the response. */
async function partialRequest(port: number, ca: string, uid: string): Promise<{ finish(): Promise<string> }> {
  const socket = await new Promise<TLSSocket>((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost', ALPNProtocols: ['http/1.1'] }, () => resolve(s));
    s.on('error', reject);
  });
  const body = Buffer.from(JSON.stringify(exampleReview({ apiVersion: 'admission.k8s.io/v1', serviceAccountName: 'default', uid })));
  socket.write(`POST /mutate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`);
  socket.write(body.subarray(0, 10));
  let response = '';
  socket.on('data', (c: Buffer) => (response += c.toString()));
  return {
    finish: () =>
      new Promise((resolve) => {
        socket.on('end', () => resolve(response));
        socket.on('close', () => resolve(response));
        socket.write(body.subarray(10));
      }),
  };
}

describe('workerPlan', () => {
  test('the connection and buffered-bytes limits are shared out between the workers, never below one HTTP/2 session', () => {
    const plan = planWebhook(parseWebhookFlags(['--in-cluster=false', '--service-accounts=sa', '--max-connections=1000']).flags, '/');
    const two = workerPlan(plan, 2);
    assert.equal(two.server.maxConnections, 500);
    assert.equal(two.server.maxBufferedBytes, SERVER_LIMIT_DEFAULTS.maxBufferedBytes / 2);
    assert.deepEqual(two.settings, plan.settings);
    const many = workerPlan(plan, 16);
    assert.equal(many.server.maxConnections, 63);
    assert.equal(many.server.maxBufferedBytes, SERVER_LIMIT_DEFAULTS.maxSessionBufferedBytes);
  });
});
