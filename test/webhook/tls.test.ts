import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { DEFAULT_CIPHERS, connect as tlsConnect, type SecureVersion } from 'node:tls';
import { execFile, execFileSync } from 'node:child_process';
import { defaultMutationSettings } from '../../src/webhook/constants.js';
import { startWebhookServer, type WebhookServerConfig, type WebhookServer } from '../../src/webhook/server.js';
import { TlsConfigError } from '../../src/webhook/errors.js';
import { CertificateReloader, DEFAULT_TLS12_CIPHERS, loadCertificatePair, parseTlsCipherSuites, parseTlsMinVersion } from '../../src/webhook/tls.js';
import { MemoryIdentityStore } from '../../src/webhook/memory-identity-store.js';
import { clientUnavailable, skipOrFail } from '../outside-client.js';
import { exampleReview, makePki, memoryLogger, request1, request2, ROLE_ARN, serviceAccount, tempDir, type TestPki } from './server-helpers.js';

test('--tls-min-version accepts exactly upstream spellings; 1.0 and 1.1 are refused with the reason', () => {
  const ok: Array<[string, string | undefined]> = [
    ['', undefined], ['1.2', 'TLSv1.2'], ['1.3', 'TLSv1.3'], ['VersionTLS12', 'TLSv1.2'], ['VersionTLS13', 'TLSv1.3'],
  ];
  for (const [input, want] of ok) assert.equal(parseTlsMinVersion(input), want, input);
  for (const old of ['1.0', '1.1', 'VersionTLS10', 'VersionTLS11']) {
    assert.throws(() => parseTlsMinVersion(old), (err: unknown) => err instanceof TlsConfigError && err.code === 'ERR_TLS_MIN_VERSION' && /TLS 1\.0 and 1\.1 cannot be served: OpenSSL .* use 1\.2/.test(err.message), old);
  }
  for (const bad of ['1.4', 'TLS1.2', 'tls1.2', ' 1.2', 'TLSv1.2', 'toString']) {
    assert.throws(() => parseTlsMinVersion(bad), (err: unknown) => err instanceof TlsConfigError && err.code === 'ERR_TLS_MIN_VERSION' && err.message.includes(bad), bad);
  }
});

test('--tls-cipher-suites maps Go names to OpenSSL, trims, skips empty items, keeps TLS 1.3 on', () => {
  assert.equal(parseTlsCipherSuites(''), undefined);
  assert.equal(parseTlsCipherSuites(' , ,'), undefined);
  assert.equal(parseTlsCipherSuites('TLS_AES_128_GCM_SHA256'), undefined, 'TLS 1.3 names are accepted and change nothing (as in Go)');
  const ciphers = parseTlsCipherSuites(' TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 ,,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,TLS_RSA_WITH_AES_128_CBC_SHA');
  assert.equal(ciphers, 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:AES128-SHA:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256');
  for (const bad of ['TLS_FOO', 'ECDHE-RSA-AES128-GCM-SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,bogus']) {
    assert.throws(() => parseTlsCipherSuites(bad), (err: unknown) => err instanceof TlsConfigError && err.code === 'ERR_TLS_CIPHER_SUITE' && /unknown cipher suite/.test(err.message), bad);
  }
});

function handshake(port: number, ca: string, opts: { minVersion?: SecureVersion; maxVersion?: SecureVersion; ciphers?: string }): Promise<{ protocol: string | null; cipher: string }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost', ...opts }, () => {
      const result = { protocol: socket.getProtocol(), cipher: socket.getCipher().name };
      socket.end();
      resolve(result);
    });
    socket.on('error', reject);
  });
}

async function startServer(dir: string, extra: Partial<WebhookServerConfig> = {}, certDir = dir): Promise<WebhookServer> {
  const store = new MemoryIdentityStore().set(serviceAccount('default', 'default', { 'eks.amazonaws.com/role-arn': ROLE_ARN }));
  return startWebhookServer(
    {
      host: '127.0.0.1',
      port: 0,
      metricsPort: -1,
      tlsCertFile: join(certDir, 'tls.crt'),
      tlsKeyFile: join(certDir, 'tls.key'),
      settings: defaultMutationSettings(),
      lookupGracePeriodMs: 0,
      processMetrics: false,
      certificatePollIntervalMs: 0,
      ...extra,
    },
    { store, logger: memoryLogger().logger },
  );
}

describe('TLS settings on the server', () => {
  const tmp = tempDir();
  let pki: TestPki;
  before(() => {
    pki = makePki(tmp.dir);
    writeFileSync(join(tmp.dir, 'tls.crt'), pki.cert);
    writeFileSync(join(tmp.dir, 'tls.key'), pki.key);
  });
  after(() => tmp.cleanup());

  test('cipher suites restrict TLS 1.2 and leave TLS 1.3 available', async () => {
    const server = await startServer(tmp.dir, { tlsCipherSuites: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384' });
    try {
      const allowed = await handshake(server.port, pki.caCert, { maxVersion: 'TLSv1.2' });
      assert.deepEqual(allowed, { protocol: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES256-GCM-SHA384' });
      await assert.rejects(handshake(server.port, pki.caCert, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }));
      const tls13 = await handshake(server.port, pki.caCert, {});
      assert.equal(tls13.protocol, 'TLSv1.3');
    } finally {
      await server.shutdown();
    }
  });

  test('min version 1.3 refuses TLS 1.2 clients', async () => {
    const server = await startServer(tmp.dir, { tlsMinVersion: 'VersionTLS13' });
    try {
      await assert.rejects(handshake(server.port, pki.caCert, { maxVersion: 'TLSv1.2' }));
      assert.equal((await handshake(server.port, pki.caCert, {})).protocol, 'TLSv1.3');
    } finally {
      await server.shutdown();
    }
  });

  test('bad flags and unusable certificate files fail at start with a clear error', async () => {
    await assert.rejects(startServer(tmp.dir, { tlsCipherSuites: 'TLS_NOPE' }), /unknown cipher suite "TLS_NOPE"/);
    await assert.rejects(startServer(tmp.dir, { tlsMinVersion: '1.4' }), (err: unknown) => err instanceof TlsConfigError && err.field === 'tlsMinVersion' && /^tlsMinVersion: unsupported TLS version "1\.4"/.test(err.message));
    await assert.rejects(startServer(tmp.dir, { tlsCertFile: join(tmp.dir, 'missing.crt') }), (err: unknown) => err instanceof TlsConfigError && err.field === 'tlsCertFile' && /^tlsCertFile: cannot read the serving certificate: .*missing\.crt/.test(err.message));
    await assert.rejects(startServer(tmp.dir, { tlsKeyFile: join(tmp.dir, 'missing.key') }), (err: unknown) => err instanceof TlsConfigError && err.field === 'tlsKeyFile' && /^tlsKeyFile: cannot read the serving key: .*missing\.key/.test(err.message));
    const other = makePki(tmp.dir, 'other');
    writeFileSync(join(tmp.dir, 'mismatch.key'), other.key);
    await assert.rejects(startServer(tmp.dir, { tlsKeyFile: join(tmp.dir, 'mismatch.key') }), /key does not match/);
  });
});

/** Fires requests continuously (new connections and one keep-alive agent, HTTP/1.1 and HTTP/2) until stopped. */
function load(url: string, ca: string): { count(): number; seen(fingerprint: string): boolean; stop(): Promise<{ ok: number; failures: string[]; fingerprints: Set<string> }> } {
  let running = true;
  let ok = 0;
  const failures: string[] = [];
  const fingerprints = new Set<string>();
  const agent = new Agent({ keepAlive: true, maxSockets: 2, ca });
  const body = JSON.stringify(exampleReview({ apiVersion: 'admission.k8s.io/v1' }));
  const headers = { 'content-type': 'application/json' };
  const worker = async (kind: number): Promise<void> => {
    while (running) {
      try {
        const res = kind === 0
          ? await request1(url, { path: '/mutate', body, headers, ca })
          : kind === 1
            ? await request1(url, { path: '/mutate', body, headers, ca, agent })
            : await request2(url, { path: '/mutate', body, headers, ca });
        if (res.status !== 200 || !res.body.includes('"patchType":"JSONPatch"')) failures.push(`status ${res.status}`);
        else ok++;
        if (res.fingerprint256) fingerprints.add(res.fingerprint256);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  };
  const workers = [0, 0, 1, 1, 2, 2].map((k) => worker(k));
  return {
    count: () => ok,
    seen: (fingerprint: string) => fingerprints.has(fingerprint),
    async stop() {
      running = false;
      await Promise.all(workers);
      agent.destroy();
      return { ok, failures, fingerprints };
    },
  };
}

/** Waits for the traffic's progress, not for time: a rotation then has requests in flight however slow the machine. */
async function untilProgress(traffic: { count(): number }, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`traffic stalled at ${traffic.count()} requests`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function waitForFingerprint(url: string, ca: string, fingerprint: string): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const res = await request1(url, { path: '/healthz', method: 'GET', ca });
    if (res.fingerprint256 === fingerprint) return;
    if (Date.now() > deadline) assert.fail(`server still presents ${res.fingerprint256}, expected ${fingerprint}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('certificate rotation under load', () => {
  test('in-place rewrite of tls.crt/tls.key: no request fails, new connections get the new certificate', async () => {
    const tmp = tempDir();
    const first = makePki(tmp.dir, 'first');
    writeFileSync(join(tmp.dir, 'tls.crt'), first.cert);
    writeFileSync(join(tmp.dir, 'tls.key'), first.key);
    const server = await startServer(tmp.dir);
    try {
      const traffic = load(server.url, first.caCert);
      await untilProgress(traffic, () => traffic.count() >= 10);
      const second = makePki(tmp.dir, 'second');
      writeFileSync(join(tmp.dir, 'tls.crt'), second.cert);
      writeFileSync(join(tmp.dir, 'tls.key'), second.key);
      await waitForFingerprint(server.url, first.caCert, second.fingerprint256);
      const atRotation = traffic.count();
      await untilProgress(traffic, () => traffic.count() >= atRotation + 10 && traffic.seen(second.fingerprint256));
      const result = await traffic.stop();
      assert.deepEqual(result.failures, []);
      assert.ok(result.fingerprints.has(first.fingerprint256) && result.fingerprints.has(second.fingerprint256));
      assert.equal(server.certificate().fingerprint256, second.fingerprint256);
      // An invalid pair (cert without matching key) is rejected and the current one kept.
      const third = makePki(tmp.dir, 'third');
      writeFileSync(join(tmp.dir, 'tls.crt'), third.cert);
      await server.reloadCertificate();
      assert.equal(server.certificate().fingerprint256, second.fingerprint256);
      const res = await request1(server.url, { path: '/healthz', method: 'GET', ca: first.caCert });
      assert.equal(res.fingerprint256, second.fingerprint256);
      const reloads = await server.metrics.certificateReloads.get();
      assert.ok(reloads.values.some((v) => v.labels.result === 'ok' && v.value >= 1));
      assert.ok(reloads.values.some((v) => v.labels.result === 'error' && v.value >= 1));
    } finally {
      await server.shutdown();
      tmp.cleanup();
    }
  });

  test('Kubernetes atomic ..data symlink swap: no request fails, new connections get the new certificate', async () => {
    const tmp = tempDir();
    const secret = join(tmp.dir, 'secret');
    mkdirSync(secret);
    const first = makePki(tmp.dir, 'first');
    const writeVersion = (name: string, pki: TestPki) => {
      mkdirSync(join(secret, name));
      writeFileSync(join(secret, name, 'tls.crt'), pki.cert);
      writeFileSync(join(secret, name, 'tls.key'), pki.key);
      symlinkSync(name, join(secret, '..data_tmp'));
      renameSync(join(secret, '..data_tmp'), join(secret, '..data'));
    };
    writeVersion('..2026_11_28_15_00_00.000000001', first);
    symlinkSync('..data/tls.crt', join(secret, 'tls.crt'));
    symlinkSync('..data/tls.key', join(secret, 'tls.key'));
    const server = await startServer(tmp.dir, {}, secret);
    try {
      const traffic = load(server.url, first.caCert);
      await untilProgress(traffic, () => traffic.count() >= 10);
      const second = makePki(tmp.dir, 'second');
      writeVersion('..2026_11_28_16_00_00.000000002', second);
      await waitForFingerprint(server.url, first.caCert, second.fingerprint256);
      const atRotation = traffic.count();
      await untilProgress(traffic, () => traffic.count() >= atRotation + 10 && traffic.seen(second.fingerprint256));
      const result = await traffic.stop();
      assert.deepEqual(result.failures, []);
      assert.ok(result.fingerprints.has(first.fingerprint256) && result.fingerprints.has(second.fingerprint256));
    } finally {
      await server.shutdown();
      tmp.cleanup();
    }
  });
});

/** A self-signed RSA certificate for localhost/127.0.0.1 (the test PKI is EC: RSA suites need an RSA key). */
function makeRsaPair(dir: string): { cert: string; key: string } {
  const key = join(dir, 'rsa.key');
  const cert = join(dir, 'rsa.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

/** Node's default TLS 1.2 suites, as OpenSSL expands DEFAULT_CIPHERS (the 21 the review found accepted). */
function nodeDefaultTls12Suites(): string[] {
  return execFileSync('openssl', ['ciphers', '-s', '-tls1_2', DEFAULT_CIPHERS], { encoding: 'utf8' }).trim().split(':').filter((c) => !c.startsWith('TLS_'));
}

describe('default TLS suites are Go\'s (issue 8 item 4)', () => {
  const tmp = tempDir();
  let pki: TestPki;
  let rsa: { cert: string; key: string };
  let opensslMissing: string | null = null;
  before(() => {
    pki = makePki(tmp.dir);
    writeFileSync(join(tmp.dir, 'tls.crt'), pki.cert);
    writeFileSync(join(tmp.dir, 'tls.key'), pki.key);
    opensslMissing = clientUnavailable('openssl', ['version']);
    if (opensslMissing !== null) return;
    rsa = makeRsaPair(tmp.dir);
    mkdirSync(join(tmp.dir, 'rsa'));
    writeFileSync(join(tmp.dir, 'rsa', 'tls.crt'), rsa.cert);
    writeFileSync(join(tmp.dir, 'rsa', 'tls.key'), rsa.key);
  });
  after(() => tmp.cleanup());

  test('node:tls client offering each of Node\'s default TLS 1.2 suites alone: only ECDHE with AES-GCM or ChaCha20 is accepted', async (t) => {
    if (skipOrFail(t, opensslMissing)) return;
    const suites = nodeDefaultTls12Suites();
    assert.ok(suites.length >= 15, `OpenSSL expanded ${suites.length} suites`);
    for (const [dir, ca, kind] of [[tmp.dir, pki.caCert, 'ECDSA'], [join(tmp.dir, 'rsa'), rsa.cert, 'RSA']] as const) {
      const server = await startServer(tmp.dir, {}, dir);
      try {
        const accepted: string[] = [];
        for (const suite of suites) {
          const r = await handshake(server.port, ca, { maxVersion: 'TLSv1.2', ciphers: suite }).catch(() => undefined);
          if (r !== undefined) accepted.push(r.cipher);
        }
        assert.deepEqual(accepted.sort(), DEFAULT_TLS12_CIPHERS.filter((c) => c.includes(`-${kind}-`)).sort(), `${kind} certificate`);
        for (const version of ['TLSv1.3'] as const) {
          const ciphers13 = new Set<string>();
          for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']) {
            ciphers13.add((await handshakeTls13(server.port, ca, suite)).cipher);
          }
          assert.equal(ciphers13.size, 3, `all three ${version} suites`);
        }
      } finally {
        await server.shutdown();
      }
    }
  });

  test('openssl s_client: static RSA and CBC refused, ECDHE-GCM and TLS 1.3 accepted, TLS 1.0 refused', async (t) => {
    if (skipOrFail(t, opensslMissing)) return;
    const server = await startServer(tmp.dir, {}, join(tmp.dir, 'rsa'));
    try {
      const sClient = (args: string[]) => new Promise<{ ok: boolean; out: string }>((resolve) => {
        const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost', ...args], { timeout: 10_000 }, (err, stdout, stderr) => resolve({ ok: err === null, out: `${stdout}${stderr}` }));
        child.stdin?.end();
      });
      const gcm = await sClient(['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256']);
      assert.ok(gcm.ok, gcm.out);
      assert.match(gcm.out, /Cipher is ECDHE-RSA-AES128-GCM-SHA256/);
      for (const cipher of ['AES128-SHA', 'AES256-GCM-SHA384', 'ECDHE-RSA-AES128-SHA', 'ECDHE-RSA-AES256-SHA384']) {
        const r = await sClient(['-tls1_2', '-cipher', cipher]);
        assert.ok(!r.ok || !/Cipher is /.test(r.out) || /Cipher is \(NONE\)/.test(r.out), `${cipher} must be refused: ${r.out}`);
      }
      const tls13 = await sClient(['-tls1_3']);
      assert.match(tls13.out, /TLSv1\.3/);
      const tls10 = await sClient(['-tls1', '-cipher', 'DEFAULT@SECLEVEL=0']);
      assert.ok(!/Cipher is ECDHE/.test(tls10.out), tls10.out);
    } finally {
      await server.shutdown();
    }
  });

  test('--tls-min-version=1.0 is refused at start with the reason', async () => {
    await assert.rejects(startServer(tmp.dir, { tlsMinVersion: '1.0' }), /TLS 1\.0 and 1\.1 cannot be served/);
  });
});

function handshakeTls13(port: number, ca: string, suite: string): Promise<{ protocol: string | null; cipher: string }> {
  return new Promise((resolve, reject) => {
    // Node takes TLS 1.3 suite names in `ciphers` too.
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost', minVersion: 'TLSv1.3', ciphers: suite }, () => {
      const result = { protocol: socket.getProtocol(), cipher: socket.getCipher().name };
      socket.end();
      resolve(result);
    });
    socket.on('error', reject);
  });
}

describe('certificate reload refuses a pair outside its validity window (issue 8 item 4)', () => {
  test('expired and not-yet-valid pairs: warning, counted as error, the old pair kept; a valid one is installed', async () => {
    const tmp = tempDir();
    try {
      const first = makePki(tmp.dir, 'first');
      writeFileSync(join(tmp.dir, 'tls.crt'), first.cert);
      writeFileSync(join(tmp.dir, 'tls.key'), first.key);
      const initial = await loadCertificatePair(join(tmp.dir, 'tls.crt'), join(tmp.dir, 'tls.key'), {});
      const second = makePki(tmp.dir, 'second');
      writeFileSync(join(tmp.dir, 'tls.crt'), second.cert);
      writeFileSync(join(tmp.dir, 'tls.key'), second.key);
      const installed: string[] = [];
      const outcomes: string[] = [];
      const log = memoryLogger();
      let now = Date.now() + 10 * 86_400_000; // the test certificates are valid for 2 days
      const reloader = new CertificateReloader(initial, {
        certFile: join(tmp.dir, 'tls.crt'), keyFile: join(tmp.dir, 'tls.key'), settings: {}, logger: log.logger, pollIntervalMs: 0,
        onReload: (o) => outcomes.push(o), now: () => now,
      });
      reloader.start({ setSecureContext: (o) => installed.push(String(o.cert)) });
      try {
        await reloader.reload();
        assert.equal(reloader.current.fingerprint256, first.fingerprint256, 'expired pair not installed');
        assert.deepEqual(outcomes, ['error']);
        assert.match(String(log.lines().at(-1)?.err), /expired at/);
        now = 0; // 1970: not yet valid
        writeFileSync(join(tmp.dir, 'tls.crt'), `${second.cert}\n`);
        await reloader.reload();
        assert.equal(reloader.current.fingerprint256, first.fingerprint256, 'not-yet-valid pair not installed');
        assert.match(String(log.lines().at(-1)?.err), /not valid before/);
        assert.equal(installed.length, 0);
        now = Date.now();
        await reloader.reload();
        assert.equal(reloader.current.fingerprint256, second.fingerprint256);
        assert.equal(installed.length, 1);
        assert.deepEqual(outcomes, ['error', 'error', 'ok']);
      } finally {
        reloader.stop();
      }
    } finally {
      tmp.cleanup();
    }
  });
});
