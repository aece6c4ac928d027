/**
 * Attacks on the webhook server from a security review (issue 8, items 1-3), each reproduced against a real
 * server on 127.0.0.1: deeply nested pods, an engine failure, a client that never reads, idle and slow
 * connections, a TCP connection without a TLS handshake, and a 413 sent while the client is still writing.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { connect as http2Connect, constants as h2 } from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { defaultMutationSettings } from '../../src/webhook/constants.js';
import { parseContainerCredentialsConfig } from '../../src/webhook/identity.js';
import { MAX_JSON_DEPTH } from '../../src/webhook/json-depth.js';
import { startWebhookServer, type WebhookServer, type WebhookServerConfig } from '../../src/webhook/server.js';
import { MemoryIdentityStore } from '../../src/webhook/memory-identity-store.js';
import { decodePatch, exampleReview, makePki, memoryLogger, request1, request2, ROLE_ARN, serviceAccount, tempDir, type TestPki } from './server-helpers.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

/** The example review with `depth` nested arrays as a container's args (the attack's 10 KB body at 5,000). */
function deepReview(depth: number): string {
  const review = exampleReview({ apiVersion: 'admission.k8s.io/v1' }) as { request: { object: { spec: { containers: Array<Record<string, unknown>> } } } };
  review.request.object.spec.containers[0]!.args = 'DEEP';
  return JSON.stringify(review).replace('"DEEP"', `${'['.repeat(depth)}${']'.repeat(depth)}`);
}

interface Harness {
  server: WebhookServer;
  pki: TestPki;
  log: ReturnType<typeof memoryLogger>;
  close(): Promise<void>;
}

async function startServer(extra: Partial<WebhookServerConfig> = {}, deps: { random?: () => number; store?: MemoryIdentityStore } = {}): Promise<Harness> {
  const tmp = tempDir();
  const pki = makePki(tmp.dir);
  writeFileSync(join(tmp.dir, 'tls.crt'), pki.cert);
  writeFileSync(join(tmp.dir, 'tls.key'), pki.key);
  const store = deps.store ?? new MemoryIdentityStore().set(serviceAccount('default', 'default', { 'eks.amazonaws.com/role-arn': ROLE_ARN }));
  const log = memoryLogger('debug');
  const server = await startWebhookServer(
    {
      host: '127.0.0.1', port: 0, metricsPort: -1, tlsCertFile: join(tmp.dir, 'tls.crt'), tlsKeyFile: join(tmp.dir, 'tls.key'),
      settings: defaultMutationSettings(), lookupGracePeriodMs: 0, processMetrics: false, ...extra,
    },
    { store, logger: log.logger, random: deps.random ?? (() => 0) },
  );
  return {
    server, pki, log,
    close: async () => {
      await server.shutdown(2000);
      tmp.cleanup();
    },
  };
}

async function metricValue(server: WebhookServer, name: string, labels: string): Promise<number> {
  const text = await server.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

/** Resolves when `socket` closes, with everything it received. */
function received(socket: Socket | TLSSocket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(text));
  });
}

async function normalReviewIsMutated(h: Harness): Promise<void> {
  const res = await request1(h.server.url, { path: '/mutate', body: JSON.stringify(exampleReview({ apiVersion: 'admission.k8s.io/v1' })), headers: JSON_HEADERS, ca: h.pki.caCert });
  assert.equal(res.status, 200);
  assert.ok(decodePatch(res.body)?.length, 'the normal review after the attack is still mutated');
}

describe('deeply nested pods (issue 8 item 1)', () => {
  let h: Harness;
  before(async () => {
    h = await startServer();
  });
  after(() => h.close());

  for (const depth of [5_000, 50_000]) {
    test(`${depth}-deep pod over HTTP/1.1 and HTTP/2: 400 naming the limit; the server lives on and mutates the next review`, async () => {
      const body = deepReview(depth);
      const r1 = await request1(h.server.url, { path: '/mutate', body, headers: JSON_HEADERS, ca: h.pki.caCert });
      assert.equal(r1.status, 400);
      assert.match(r1.body, new RegExp(`deeper than ${MAX_JSON_DEPTH} levels`));
      const r2 = await request2(h.server.url, { path: '/mutate', body, headers: JSON_HEADERS, ca: h.pki.caCert });
      assert.equal(r2.status, 400);
      assert.match(r2.body, new RegExp(`deeper than ${MAX_JSON_DEPTH} levels`));
      await normalReviewIsMutated(h);
      const again = await request2(h.server.url, { path: '/mutate', body: JSON.stringify(exampleReview()), headers: JSON_HEADERS, ca: h.pki.caCert });
      assert.ok(decodePatch(again.body)?.length);
    });
  }

  test(`a pod nested exactly ${MAX_JSON_DEPTH} levels deep is still admitted and mutated`, async () => {
    // The review itself takes 3 levels and the container's args 5 (object, spec, containers, container): fill up to the limit.
    const res = await request1(h.server.url, { path: '/mutate', body: deepReview(MAX_JSON_DEPTH - 6), headers: JSON_HEADERS, ca: h.pki.caCert });
    assert.equal(res.status, 200, res.body);
    assert.ok(decodePatch(res.body)?.length);
  });
});

describe('engine failures reach logs and metrics (issue 8 item 2)', () => {
  test('a mutation that throws: pod admitted unchanged with a warning, logged with the pod, counted', async () => {
    const store = new MemoryIdentityStore().set(serviceAccount('default', 'default', {}));
    store.setContainerCredentials(parseContainerCredentialsConfig(JSON.stringify({ identities: [{ namespace: 'default', serviceAccount: 'default' }] })));
    // The container-credentials jitter calls random(): a throwing source stands in for any bug in the engine.
    const h = await startServer({}, { store, random: () => { throw new Error('entropy source failed'); } });
    try {
      const res = await request1(h.server.url, { path: '/mutate', body: JSON.stringify(exampleReview({ apiVersion: 'admission.k8s.io/v1' })), headers: JSON_HEADERS, ca: h.pki.caCert });
      assert.equal(res.status, 200);
      const review = JSON.parse(res.body) as { response: { allowed: boolean; patch?: string; warnings?: string[] } };
      assert.equal(review.response.allowed, true);
      assert.equal(review.response.patch, undefined);
      assert.match(review.response.warnings?.[0] ?? '', /could not mutate this pod \(entropy source failed\)/);
      const line = h.log.lines().find((l) => l.msg === 'mutation failed; pod admitted unchanged');
      assert.ok(line, 'the failure is logged');
      assert.equal(line.stage, 'mutate');
      assert.equal(typeof line.pod, 'string');
      assert.equal(line.namespace, 'default');
      assert.equal(await metricValue(h.server, 'irsa_webhook_mutation_errors_total', 'stage="mutate"'), 1);
    } finally {
      await h.close();
    }
  });
});

describe('memory under slow and idle clients (issue 8 item 3)', () => {
  test('HTTP/2 client that never reads (initial window 0): streams past the session limit are refused, bytes held stay bounded', { timeout: 20_000 }, async () => {
    const limit = 256 * 1024;
    const h = await startServer({ maxSessionBufferedBytes: limit, maxBufferedBytes: 4 * limit });
    const session = http2Connect(h.server.url, { ca: h.pki.caCert, settings: { initialWindowSize: 0 } });
    try {
      session.on('error', () => undefined);
      // A pod of ~60 KB (its patch is as large): 20 streams would hold ~2.4 MB of responses nobody reads.
      const review = exampleReview({ apiVersion: 'admission.k8s.io/v1' }) as { request: { object: { metadata: { annotations?: Record<string, string> } } } };
      review.request.object.metadata.annotations = { filler: 'x'.repeat(60_000) };
      const containers = (review.request.object as unknown as { spec: { containers: Array<Record<string, unknown>> } }).spec.containers;
      containers[0]!.args = ['y'.repeat(60_000)];
      const body = JSON.stringify(review);
      const codes = await Promise.all(Array.from({ length: 20 }, () => new Promise<number>((resolve) => {
        const stream = session.request({ ':method': 'POST', ':path': '/mutate', ...JSON_HEADERS });
        stream.on('error', () => undefined);
        stream.on('close', () => resolve(stream.rstCode ?? -1));
        stream.end(body);
        // Streams whose response is held (never read) stay open: count them as held after a while.
        setTimeout(() => resolve(stream.rstCode ?? 0), 1500).unref();
      })));
      const refused = codes.filter((c) => c === h2.NGHTTP2_REFUSED_STREAM).length;
      assert.ok(refused > 0, `some streams refused with REFUSED_STREAM (codes ${codes.join(',')})`);
      // Responses may be up to about 1.4x their requests (base64): what is held stays within that of the limit.
      assert.ok(h.server.bufferedBytes() <= limit * 1.5, `held ${h.server.bufferedBytes()} bytes, limit ${limit}`);
      assert.ok(await metricValue(h.server, 'irsa_webhook_refused_total', 'reason="session_buffer"') >= refused);
      assert.ok(h.server.bufferedBytes() > 0, 'the unread responses are still held');
      // A new stream whose body would pass the session's limit is refused while its body arrives.
      const code = await new Promise<number>((resolve) => {
        const stream = session.request({ ':method': 'POST', ':path': '/mutate', ...JSON_HEADERS });
        stream.on('error', () => undefined);
        stream.on('close', () => resolve(stream.rstCode ?? -1));
        stream.end(JSON.stringify({ ...exampleReview(), filler: 'z'.repeat(limit) }));
      });
      assert.equal(code, h2.NGHTTP2_REFUSED_STREAM);
      // Another client is still served (the per-session limit leaves room in the total).
      await normalReviewIsMutated(h);
      session.destroy();
      await waitFor(() => h.server.bufferedBytes() === 0);
    } finally {
      session.destroy();
      await h.close();
    }
  });

  test('connections past --max-connections are closed at once; idle keep-alive connections close after the idle timeout', { timeout: 20_000 }, async () => {
    const h = await startServer({ maxConnections: 3, idleTimeoutMs: 300 });
    const sockets: TLSSocket[] = [];
    try {
      const closed: Array<Promise<string>> = [];
      for (let i = 0; i < 3; i++) {
        const socket = await new Promise<TLSSocket>((resolve, reject) => {
          const s = tlsConnect({ host: '127.0.0.1', port: h.server.port, ca: h.pki.caCert, servername: 'localhost', ALPNProtocols: ['http/1.1'] }, () => resolve(s));
          s.once('error', reject);
        });
        sockets.push(socket);
        closed.push(received(socket));
      }
      // The 4th TCP connection is dropped by the server before any TLS handshake.
      const extra = netConnect({ host: '127.0.0.1', port: h.server.port });
      const extraText = await received(extra);
      assert.equal(extraText, '');
      assert.ok(await metricValue(h.server, 'irsa_webhook_refused_total', 'reason="connections"') >= 1);
      // A keep-alive connection that served a request, and ones that never sent any, are closed by the server.
      sockets[0]!.write('GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n');
      const texts = await Promise.all(closed);
      assert.match(texts[0]!, /^HTTP\/1.1 200/);
      // With the idle connections gone the server takes new ones again.
      await normalReviewIsMutated(h);
    } finally {
      for (const s of sockets) s.destroy();
      await h.close();
    }
  });

  test('an idle HTTP/2 session is closed after the idle timeout', { timeout: 20_000 }, async () => {
    const h = await startServer({ idleTimeoutMs: 300 });
    const session = http2Connect(h.server.url, { ca: h.pki.caCert });
    try {
      session.on('error', () => undefined);
      await new Promise<void>((resolve) => session.once('connect', () => resolve()));
      await new Promise<void>((resolve) => session.once('close', () => resolve()));
      assert.ok(session.closed || session.destroyed);
    } finally {
      session.destroy();
      await h.close();
    }
  });

  test('slowloris: headers trickled byte by byte get 408 at the header timeout, not later', { timeout: 20_000 }, async () => {
    const h = await startServer({ headersTimeoutMs: 300 });
    try {
      const socket = tlsConnect({ host: '127.0.0.1', port: h.server.port, ca: h.pki.caCert, servername: 'localhost', ALPNProtocols: ['http/1.1'] });
      const text = received(socket);
      const headers = `POST /mutate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\nx-slow: ${'a'.repeat(200)}\r\n\r\n`;
      let i = 0;
      // 200+ bytes at one per 25 ms would take 5 s; the server must cut the connection long before the headers end.
      const timer = setInterval(() => {
        if (socket.destroyed || i >= headers.length) return clearInterval(timer);
        socket.write(headers[i++]!);
      }, 25);
      const response = await text;
      clearInterval(timer);
      assert.match(response, /^HTTP\/1.1 408/);
      assert.ok(i < headers.length, `the connection was cut while the headers were still arriving (${i}/${headers.length} bytes sent)`);
    } finally {
      await h.close();
    }
  });

  test('a TCP connection that never starts a TLS handshake is dropped', { timeout: 20_000 }, async () => {
    const h = await startServer({ handshakeTimeoutMs: 300 });
    try {
      const socket = netConnect({ host: '127.0.0.1', port: h.server.port });
      // Without the handshake timeout this would wait for Node's default of 120 s (the test runner's timeout fails it).
      assert.equal(await received(socket), '');
    } finally {
      await h.close();
    }
  });

  test('413 for a declared oversized body reaches a client that writes the whole body before reading', { timeout: 20_000 }, async () => {
    const h = await startServer();
    try {
      const size = 5 * 1024 * 1024;
      const socket = tlsConnect({ host: '127.0.0.1', port: h.server.port, ca: h.pki.caCert, servername: 'localhost', ALPNProtocols: ['http/1.1'] });
      const text = new Promise<string>((resolve) => {
        let t = '';
        socket.on('data', (c: Buffer) => (t += c.toString('latin1')));
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(t));
      });
      socket.pause();
      socket.once('secureConnect', () => {
        socket.write(`POST /mutate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${size}\r\n\r\n`);
        // Read only once the whole body is written, as simple clients (and curl with small buffers) do.
        socket.write(Buffer.alloc(size, 0x20), () => socket.resume());
      });
      const response = await text;
      assert.match(response, /^HTTP\/1.1 413/);
      assert.match(response, /request body too large/);
    } finally {
      await h.close();
    }
  });
});

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}
