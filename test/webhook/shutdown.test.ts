import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { defaultMutationSettings } from '../../src/webhook/constants.js';
import { startWebhookServer } from '../../src/webhook/server.js';
import { MemoryIdentityStore } from '../../src/webhook/memory-identity-store.js';
import { exampleReview, makePki, memoryLogger, request1, request2, ROLE_ARN, serviceAccount, tempDir, type TestPki } from './server-helpers.js';

const BODY = JSON.stringify(exampleReview({ apiVersion: 'admission.k8s.io/v1' }));
const HEADERS = { 'content-type': 'application/json' };

class SlowStore extends MemoryIdentityStore {
  constructor(readonly delayMs: number) {
    super();
  }
  override async lookupServiceAccount(namespace: string, name: string) {
    await new Promise((r) => setTimeout(r, this.delayMs));
    return super.lookupServiceAccount(namespace, name);
  }
}

async function startSlow(delayMs: number) {
  const tmp = tempDir();
  const pki = makePki(tmp.dir);
  writeFileSync(join(tmp.dir, 'tls.crt'), pki.cert);
  writeFileSync(join(tmp.dir, 'tls.key'), pki.key);
  // Each lookup takes delayMs (as one waiting out the grace period would), so requests stay in flight.
  const store = new SlowStore(delayMs).set(serviceAccount('default', 'default', { 'eks.amazonaws.com/role-arn': ROLE_ARN }));
  const server = await startWebhookServer(
    { host: '127.0.0.1', port: 0, metricsPort: 0, tlsCertFile: join(tmp.dir, 'tls.crt'), tlsKeyFile: join(tmp.dir, 'tls.key'), settings: defaultMutationSettings(), lookupGracePeriodMs: 0, processMetrics: false },
    { store, logger: memoryLogger().logger },
  );
  return { server, pki, tmp };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('graceful shutdown (in-process)', () => {
  test('in-flight HTTP/1.1 and HTTP/2 requests finish; new connections are refused; not forced', async () => {
    const { server, pki, tmp } = await startSlow(300);
    try {
      const inflight = [
        request1(server.url, { path: '/mutate', body: BODY, headers: HEADERS, ca: pki.caCert }),
        request1(server.url, { path: '/mutate', body: BODY, headers: HEADERS, ca: pki.caCert }),
        request2(server.url, { path: '/mutate', body: BODY, headers: HEADERS, ca: pki.caCert }),
      ];
      await until(() => server.inFlight() === 3, 'three requests in flight');
      const shutdown = server.shutdown();
      await assert.rejects(request1(server.url, { path: '/healthz', method: 'GET', ca: pki.caCert }), /ECONNREFUSED/);
      const results = await Promise.all(inflight);
      for (const res of results) {
        assert.equal(res.status, 200);
        assert.match(res.body, /"patchType":"JSONPatch"/);
      }
      assert.deepEqual(await shutdown, { forced: false });
      assert.equal(server.inFlight(), 0);
      assert.strictEqual(server.shutdown(), server.shutdown(), 'idempotent');
    } finally {
      tmp.cleanup();
    }
  });

  test('requests outliving the timeout are cut and shutdown reports forced', async () => {
    const { server, pki, tmp } = await startSlow(5000);
    try {
      const slow = request1(server.url, { path: '/mutate', body: BODY, headers: HEADERS, ca: pki.caCert }).then(
        () => 'answered',
        () => 'cut',
      );
      await until(() => server.inFlight() === 1, 'a request in flight');
      const started = Date.now();
      assert.deepEqual(await server.shutdown(100), { forced: true });
      assert.ok(Date.now() - started < 2000);
      assert.equal(await slow, 'cut');
    } finally {
      tmp.cleanup();
    }
  });

  test('idle keep-alive connections do not hold shutdown up', async () => {
    const { server, pki, tmp } = await startSlow(0);
    try {
      const { Agent } = await import('node:https');
      const agent = new Agent({ keepAlive: true, ca: pki.caCert });
      const res = await request1(server.url, { path: '/mutate', body: BODY, headers: HEADERS, ca: pki.caCert, agent });
      assert.equal(res.status, 200);
      const h2 = await request2(server.url, { path: '/healthz', method: 'GET', ca: pki.caCert });
      assert.equal(h2.status, 200);
      const started = Date.now();
      assert.deepEqual(await server.shutdown(), { forced: false });
      assert.ok(Date.now() - started < 1000, 'shutdown waited on an idle connection');
      agent.destroy();
    } finally {
      tmp.cleanup();
    }
  });
});

const IRSA = fileURLToPath(new URL('../../bin/irsa', import.meta.url));

interface Spawned {
  child: ChildProcess;
  port: number;
  exit: Promise<number | null>;
}

async function spawnWebhook(dir: string, workers: number): Promise<Spawned> {
  const child = spawn(process.execPath, [IRSA, 'webhook', `--workers=${workers}`, '--in-cluster=false', '--port=0', '--metrics-port=0', '--tls-cert=tls.crt', '--tls-key=tls.key', '--service-accounts=sa.yaml', '--log-format=json'], {
    cwd: dir,
    env: { ...process.env, IRSA_FROM_SOURCE: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let stderr = '';
  const port = await new Promise<number>((resolvePort, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      const m = /"port":(\d+).*"msg":"webhook listening"/.exec(stderr);
      if (m) resolvePort(Number(m[1]));
    });
    void exit.then((code) => reject(new Error(`irsa webhook exited ${code}: ${stderr}`)));
  });
  return { child, port, exit };
}

/** Opens a TLS connection and sends a request whose body is incomplete; `finish()` sends the rest and reads the response. */
async function partialRequest(port: number, pki: TestPki): Promise<{ finish(): Promise<string>; socket: TLSSocket }> {
  const socket = await new Promise<TLSSocket>((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca: pki.caCert, servername: 'localhost', ALPNProtocols: ['http/1.1'] }, () => resolve(s));
    s.on('error', reject);
  });
  const body = Buffer.from(BODY);
  socket.write(`POST /mutate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`);
  socket.write(body.subarray(0, 10));
  let response = '';
  socket.on('data', (c: Buffer) => (response += c.toString()));
  return {
    socket,
    finish: () =>
      new Promise((resolve) => {
        socket.on('end', () => resolve(response));
        socket.on('close', () => resolve(response));
        socket.write(body.subarray(10));
      }),
  };
}

describe('graceful shutdown (spawned irsa webhook)', () => {
  for (const workers of [1, 2]) test(`--workers ${workers}: SIGTERM: in-flight request still answered, then exit 0; a second signal exits 1`, async () => {
    const tmp = tempDir();
    try {
      const pki = makePki(tmp.dir);
      writeFileSync(join(tmp.dir, 'tls.crt'), pki.cert);
      writeFileSync(join(tmp.dir, 'tls.key'), pki.key);
      writeFileSync(join(tmp.dir, 'sa.yaml'), `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n  namespace: default\n  annotations:\n    eks.amazonaws.com/role-arn: ${ROLE_ARN}\n`);

      const first = await spawnWebhook(tmp.dir, workers);
      const pending = await partialRequest(first.port, pki);
      await new Promise((r) => setTimeout(r, 100));
      first.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(first.child.exitCode, null, 'exited while a request was in flight');
      const response = await pending.finish();
      assert.match(response, /^HTTP\/1.1 200/);
      assert.match(response, /connection: close/i);
      assert.match(response, /"uid":"918ef1dc-928f-4525-99ef-988389f263c3"/);
      assert.equal(await first.exit, 0);

      const second = await spawnWebhook(tmp.dir, workers);
      const stuck = await partialRequest(second.port, pki);
      await new Promise((r) => setTimeout(r, 100));
      second.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 100));
      second.child.kill('SIGTERM');
      assert.equal(await second.exit, 1);
      stuck.socket.destroy();
    } finally {
      tmp.cleanup();
    }
  });
});
