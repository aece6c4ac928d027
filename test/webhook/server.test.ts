import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { defaultMutationSettings } from '../../src/webhook/constants.js';
import { isJsonContentType, MAX_REVIEW_BYTES, startWebhookServer, type WebhookServer } from '../../src/webhook/server.js';
import { MemoryIdentityStore } from '../../src/webhook/memory-identity-store.js';
import { decodePatch, exampleReview, makePki, memoryLogger, request1, request2, ROLE_ARN, serviceAccount, tempDir, type TestPki } from './server-helpers.js';

function get(url: string): Promise<{ status: number; body: string; type: string | undefined }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] }));
    })
      .on('error', reject)
      .end();
  });
}

const JSON_HEADERS = { 'content-type': 'application/json' };

test('isJsonContentType: application/json with only charset=utf-8 parameters; empty, malformed, other or conflicting parameters refused', () => {
  const accepted = [
    'application/json', ' Application/JSON ', 'application/json\t', 'application/json; charset=utf-8', 'application/json;charset=UTF-8',
    'application/json ; charset=utf-8', 'application/json; Charset="utf-8"', 'application/json; charset =utf-8', 'application/json; charset= utf-8',
    'application/json; charset=utf-8 ', 'application/json; charset=utf-8; charset=utf-8',
  ];
  const refused = [
    undefined, '', 'application/jsonx', 'application/ json', 'application/json, text/plain', 'application/xml', 'text/json',
    'application/json;', 'application/json;;', 'application/json;charset=utf-8;', 'application/json; x', 'application/json; =x',
    'application/json; foo=bar', 'application/json; charset=latin1', 'application/json; charset=utf8', 'application/json; charset =latin1',
    'application/json; charset=utf-8; charset=latin1', 'application/json; charset="utf;8"',
  ];
  for (const type of accepted) assert.equal(isJsonContentType(type), true, JSON.stringify(type));
  for (const type of refused) assert.equal(isJsonContentType(type), false, JSON.stringify(type));
});

describe('webhook server over TLS', () => {
  const tmp = tempDir();
  let pki: TestPki;
  let server: WebhookServer;
  const store = new MemoryIdentityStore().set(serviceAccount('default', 'default', { 'eks.amazonaws.com/role-arn': ROLE_ARN }));
  const log = memoryLogger('debug');

  before(async () => {
    pki = makePki(tmp.dir);
    writeFileSync(join(tmp.dir, 'tls.crt'), pki.cert);
    writeFileSync(join(tmp.dir, 'tls.key'), pki.key);
    server = await startWebhookServer(
      {
        host: '127.0.0.1',
        port: 0,
        metricsPort: 0,
        tlsCertFile: join(tmp.dir, 'tls.crt'),
        tlsKeyFile: join(tmp.dir, 'tls.key'),
        settings: { ...defaultMutationSettings(), awsDefaultRegion: 'us-west-2' },
        lookupGracePeriodMs: 2000,
      },
      { store, logger: log.logger, random: () => 0 },
    );
  });
  after(async () => {
    await server.shutdown();
    tmp.cleanup();
  });

  test('v1 review: TypeMeta and uid echoed, allowed, base64 JSON patch', async () => {
    const res = await request1(server.url, { path: '/mutate?timeout=10s', body: JSON.stringify(exampleReview({ apiVersion: 'admission.k8s.io/v1' })), headers: JSON_HEADERS, ca: pki.caCert });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    const review = JSON.parse(res.body);
    assert.equal(review.apiVersion, 'admission.k8s.io/v1');
    assert.equal(review.kind, 'AdmissionReview');
    assert.equal(review.response.uid, '918ef1dc-928f-4525-99ef-988389f263c3');
    assert.equal(review.response.allowed, true);
    assert.equal(review.response.patchType, 'JSONPatch');
    const patch = decodePatch(res.body) as Array<{ path: string; value: any }>;
    assert.deepEqual(patch.map((op) => op.path), ['/spec/volumes/0', '/spec/containers']);
    assert.equal(patch[0]!.value.name, 'aws-iam-token');
    assert.ok(patch[1]!.value[0].env.some((e: { name: string; value: string }) => e.name === 'AWS_ROLE_ARN' && e.value === ROLE_ARN));
  });

  test('v1beta1 review echoes v1beta1; a review without apiVersion gets none back', async () => {
    const beta = await request1(server.url, { path: '/mutate', body: JSON.stringify(exampleReview({ apiVersion: 'admission.k8s.io/v1beta1' })), headers: JSON_HEADERS, ca: pki.caCert });
    assert.equal(JSON.parse(beta.body).apiVersion, 'admission.k8s.io/v1beta1');
    const bare = exampleReview();
    delete bare.kind;
    const none = await request1(server.url, { path: '/mutate', body: JSON.stringify(bare), headers: JSON_HEADERS, ca: pki.caCert });
    assert.equal(none.status, 200);
    assert.deepEqual(Object.keys(JSON.parse(none.body)), ['response']);
  });

  test('a ServiceAccount not found: allowed, no patch, warning for kubectl', async () => {
    const res = await request1(server.url, { path: '/mutate', body: JSON.stringify(exampleReview({ apiVersion: 'admission.k8s.io/v1', serviceAccountName: 'nobody', uid: 'u-miss' })), headers: JSON_HEADERS, ca: pki.caCert });
    const review = JSON.parse(res.body);
    assert.deepEqual(Object.keys(review.response), ['uid', 'allowed', 'warnings']);
    assert.equal(review.response.uid, 'u-miss');
    assert.match(review.response.warnings[0], /default\/nobody not found within 2s/);
    const warn = log.lines().find((l) => l.msg?.toString().startsWith('ServiceAccount not found'));
    assert.equal(warn?.pod, 'balajilovesoreos');
    assert.equal(warn?.serviceAccount, 'nobody');
  });

  test('content type: application/json and charset=utf-8 accepted; others 415 with upstream text', async () => {
    const body = JSON.stringify(exampleReview({ apiVersion: 'admission.k8s.io/v1' }));
    for (const type of ['application/json; charset=utf-8', 'application/json;charset=UTF-8']) {
      const ok = await request1(server.url, { path: '/mutate', body, headers: { 'content-type': type }, ca: pki.caCert });
      assert.equal(ok.status, 200, type);
    }
    for (const type of ['application/xml', 'text/plain', 'application/json; charset=latin1', undefined]) {
      const res = await request1(server.url, { path: '/mutate', body, headers: type ? { 'content-type': type } : {}, ca: pki.caCert });
      assert.equal(res.status, 415, String(type));
      assert.equal(res.body, 'Invalid Content-Type, expected `application/json`\n');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
    }
  });

  test('malformed bodies get 400 with a clear message, never allowed:false', async () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty body/],
      ['{"request":', /not valid JSON/],
      ['{}', /has no request/],
      ['{"request":{"uid":"x","object":"pod"}}', /object is a string/],
    ];
    for (const [body, message] of cases) {
      const res = await request1(server.url, { path: '/mutate', body, headers: JSON_HEADERS, ca: pki.caCert });
      assert.equal(res.status, 400, body);
      assert.match(res.body, message);
      assert.doesNotMatch(res.body, /allowed/);
    }
  });

  test('bodies over 3 MiB get 413 (declared length and streamed)', async () => {
    const big = `{"pad":"${'x'.repeat(MAX_REVIEW_BYTES)}"}`;
    const declared = await request1(server.url, { path: '/mutate', body: big, headers: JSON_HEADERS, ca: pki.caCert });
    assert.equal(declared.status, 413);
    assert.match(declared.body, /too large/);
    const streamed = await request2(server.url, { path: '/mutate', body: big, headers: JSON_HEADERS, ca: pki.caCert });
    assert.equal(streamed.status, 413);
  });

  test('HTTP/2 through ALPN gives the same answer', async () => {
    const res = await request2(server.url, { path: '/mutate', body: JSON.stringify(exampleReview({ apiVersion: 'admission.k8s.io/v1', uid: 'h2' })), headers: JSON_HEADERS, ca: pki.caCert });
    assert.equal(res.alpn, 'h2');
    assert.equal(res.status, 200);
    const review = JSON.parse(res.body);
    assert.equal(review.response.uid, 'h2');
    assert.equal(review.response.patchType, 'JSONPatch');
    const h1 = await request1(server.url, { path: '/healthz', method: 'GET', ca: pki.caCert });
    assert.equal(h1.alpn, 'http/1.1');
  });

  test('/healthz always ok; /readyz follows the store sync; unknown paths 404', async () => {
    const health = await request1(server.url, { path: '/healthz', method: 'GET', ca: pki.caCert });
    assert.deepEqual([health.status, health.body], [200, 'ok']);
    store.setSynced(false);
    const notReady = await request1(server.url, { path: '/readyz', method: 'GET', ca: pki.caCert });
    assert.equal(notReady.status, 503);
    assert.match(notReady.body, /not synced/);
    store.setSynced(true);
    const ready = await request2(server.url, { path: '/readyz', method: 'GET', ca: pki.caCert });
    assert.deepEqual([ready.status, ready.body], [200, 'ok']);
    for (const path of ['/mutate/', '/', '/debug/alpha/deny']) {
      const res = await request1(server.url, { path, method: 'GET', ca: pki.caCert });
      assert.equal(res.status, 404, path);
      assert.equal(res.body, '404 page not found\n');
    }
  });

  test('metrics: upstream names and ours, per-server registry', async () => {
    const res = await get(`${server.metricsUrl}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.type ?? '', /text\/plain/);
    for (const line of [
      'http_request_count{verb="POST",path="/mutate",code="200"}',
      'http_request_count{verb="POST",path="/mutate",code="415"}',
      'http_request_latencies_bucket{le="125000",verb="POST",path="/mutate"}',
      'http_request_duration_microseconds_count{verb="POST",path="/mutate"}',
      'pod_identity_webhook_pod_count{method="sts_web_identity"}',
      'pod_identity_webhook_missing_sa_count 1',
      'pod_identity_webhook_used 1',
      'irsa_webhook_admission_duration_seconds_bucket{le="0.005",result="mutated"}',
      'irsa_webhook_mutations_total{mode="sts_web_identity"}',
      'irsa_webhook_serviceaccount_cache_size 1',
      'irsa_webhook_serviceaccount_lookups_total{outcome="cache"}',
      'irsa_webhook_serviceaccount_lookups_total{outcome="miss"} 1',
      '# TYPE irsa_webhook_watch_restarts_total counter',
      '# TYPE irsa_webhook_certificate_reloads_total counter',
      'process_cpu_user_seconds_total',
    ]) {
      assert.ok(res.body.includes(line), `metrics lack ${line}`);
    }
    assert.doesNotMatch(res.body, /path="\/healthz"/);
    const missing = await get(`${server.metricsUrl}/debug/alpha/cache`);
    assert.equal(missing.status, 404);
  });

  test('access log: one debug line per request with status and uid', async () => {
    await request1(server.url, { path: '/mutate', body: JSON.stringify(exampleReview({ uid: 'logged' })), headers: JSON_HEADERS, ca: pki.caCert });
    const line = log.lines().find((l) => l.msg === 'request' && l.uid === 'logged');
    assert.ok(line);
    assert.equal(line.status, 200);
    assert.equal(line.path, '/mutate');
    assert.equal(typeof line.durationMs, 'number');
  });
});

describe('debugging handlers', () => {
  test('only with enableDebuggingHandlers: deny, 500, cache dump and clear', async () => {
    const tmp = tempDir();
    const pki = makePki(tmp.dir);
    writeFileSync(join(tmp.dir, 'tls.crt'), pki.cert);
    writeFileSync(join(tmp.dir, 'tls.key'), pki.key);
    const store = new MemoryIdentityStore().set(serviceAccount('default', 'b', { 'eks.amazonaws.com/role-arn': ROLE_ARN })).set(serviceAccount('default', 'a'));
    const server = await startWebhookServer(
      { host: '127.0.0.1', port: 0, metricsPort: 0, tlsCertFile: join(tmp.dir, 'tls.crt'), tlsKeyFile: join(tmp.dir, 'tls.key'), settings: defaultMutationSettings(), lookupGracePeriodMs: 0, enableDebuggingHandlers: true, processMetrics: false },
      { store, logger: memoryLogger().logger },
    );
    try {
      const deny = await request1(server.url, { path: '/debug/alpha/deny', method: 'GET', ca: pki.caCert });
      assert.equal(deny.body, '{"response":{"uid":"","allowed":false,"status":{"metadata":{},"message":"Test deny message"}}}');
      const fail = await request1(server.url, { path: '/debug/alpha/500', method: 'GET', ca: pki.caCert });
      assert.deepEqual([fail.status, fail.body], [500, 'test error\n']);
      const dump = await get(`${server.metricsUrl}/debug/alpha/cache`);
      assert.deepEqual(Object.keys(JSON.parse(dump.body)), ['default/a', 'default/b']);
      const clear = await get(`${server.metricsUrl}/debug/alpha/cache/clear`);
      assert.equal(clear.status, 200);
      assert.equal(store.size(), 0, 'the cache is empty');
      assert.equal((await get(`${server.metricsUrl}/debug/alpha/cache`)).body, '{}');
      const metrics = await get(`${server.metricsUrl}/metrics`);
      assert.ok(metrics.body.includes('http_request_count{verb="GET",path="/debug/alpha/500",code="500"} 1'));
    } finally {
      await server.shutdown();
      tmp.cleanup();
    }
  });
});

describe('as irsa up starts it', () => {
  test('certificates from createWebhookCertificates, ServiceAccounts from files, metrics wired to the store', async () => {
    const { createWebhookCertificates, writeWebhookCertificates } = await import('../../src/webhook/certs.js');
    const { createFileIdentityStore } = await import('../../src/webhook/file-identity-store.js');
    const { createWebhookMetrics } = await import('../../src/webhook/metrics.js');
    const tmp = tempDir();
    const certs = createWebhookCertificates({ localhost: true });
    const paths = await writeWebhookCertificates(join(tmp.dir, 'tls'), certs);
    writeFileSync(join(tmp.dir, 'sa.yaml'), `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n  namespace: default\n  annotations:\n    eks.amazonaws.com/role-arn: ${ROLE_ARN}\n`);
    let store: ReturnType<typeof createFileIdentityStore> | undefined;
    const metrics = createWebhookMetrics({ source: { size: () => store?.size() ?? 0 }, processMetrics: false });
    store = createFileIdentityStore({ serviceAccounts: join(tmp.dir, 'sa.yaml'), events: metrics.storeEvents });
    await store.ready();
    const server = await startWebhookServer(
      { host: '127.0.0.1', port: 0, metricsPort: 0, tlsCertFile: paths.cert, tlsKeyFile: paths.key, settings: defaultMutationSettings(), lookupGracePeriodMs: 0 },
      { store, logger: memoryLogger().logger, metrics },
    );
    try {
      const res = await request1(server.url, { path: '/mutate', body: JSON.stringify(exampleReview({ apiVersion: 'admission.k8s.io/v1' })), headers: JSON_HEADERS, ca: certs.caCert });
      assert.equal(res.status, 200);
      assert.match(res.body, /"patchType":"JSONPatch"/);
      const ready = await request1(server.url, { path: '/readyz', method: 'GET', ca: certs.caCert });
      assert.equal(ready.status, 200);
      const text = await get(`${server.metricsUrl}/metrics`);
      assert.match(text.body, /irsa_webhook_serviceaccount_cache_size 1/);
      assert.match(text.body, /irsa_webhook_config_reloads_total\{source="serviceaccounts",result="ok"\}/);
    } finally {
      await server.shutdown();
      await store.close();
      tmp.cleanup();
    }
  });
});

describe('slow clients', () => {
  test('a body not received within requestTimeoutMs gets 408 and the connection is closed', async () => {
    const { connect } = await import('node:tls');
    const tmp = tempDir();
    const pki = makePki(tmp.dir);
    writeFileSync(join(tmp.dir, 'tls.crt'), pki.cert);
    writeFileSync(join(tmp.dir, 'tls.key'), pki.key);
    const server = await startWebhookServer(
      { host: '127.0.0.1', port: 0, metricsPort: -1, tlsCertFile: join(tmp.dir, 'tls.crt'), tlsKeyFile: join(tmp.dir, 'tls.key'), settings: defaultMutationSettings(), lookupGracePeriodMs: 0, requestTimeoutMs: 200, processMetrics: false },
      { store: new MemoryIdentityStore(), logger: memoryLogger().logger },
    );
    try {
      const response = await new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: server.port, ca: pki.caCert, servername: 'localhost', ALPNProtocols: ['http/1.1'] }, () => {
          socket.write('POST /mutate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"request":');
        });
        let text = '';
        socket.on('data', (c: Buffer) => (text += c.toString()));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
      assert.match(response, /^HTTP\/1.1 408/);
      assert.match(response, /request body not received in time/);
      assert.equal(server.inFlight(), 0);
    } finally {
      await server.shutdown();
      tmp.cleanup();
    }
  });
});
