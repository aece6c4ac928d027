/**
 * The admission fast path (review-scan.ts + patch-json.ts) against the full path (JSON.parse + mutatePod +
 * JSON.stringify): the same patch bytes and warnings for every upstream fixture and for generated pods, Go's
 * byte order for the fixtures, and a fallback (undefined) for everything that is not an ordinary valid review.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { decodeAdmissionReview, encodeAdmissionReview } from '../../src/webhook/admission.js';
import { createAdmissionHandler } from '../../src/webhook/handler.js';
import { startWebhookServer } from '../../src/webhook/server.js';
import { defaultMutationSettings, mutatePod, type ResolvedIdentity } from '../../src/webhook/index.js';
import { stringifyPatch } from '../../src/webhook/patch-json.js';
import { jsonDepthExceededAt } from '../../src/webhook/json-depth.js';
import { scanAdmissionReview } from '../../src/webhook/review-scan.js';
import { fixtureIdentity, listFixtureFiles, loadFixture } from './fixture-harness.js';
import { goEncodePatch } from './go-json.js';
import { MemoryIdentityStore } from '../../src/webhook/memory-identity-store.js';
import { decodePatch, makePki, memoryLogger, request1, ROLE_ARN, serviceAccount, tempDir } from './server-helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtureDirs = [resolve(here, '../../test/fixtures/eks-webhook'), join(here, 'testdata')];

function review(pod: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'AdmissionReview',
    apiVersion: 'admission.k8s.io/v1',
    request: {
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      namespace: 'default',
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller', groups: ['system:authenticated'] },
      object: pod,
      oldObject: null,
      dryRun: false,
      ...extra,
    },
  };
}

/** Both paths on one body: [fast patch JSON or undefined when the scanner declined, full patch JSON, warnings of each]. */
function bothPaths(body: string, identity: ResolvedIdentity, options: { annotationPrefix: string; awsDefaultRegion: string }, random = () => 0) {
  const full = decodeAdmissionReview(body);
  const slow = mutatePod(full.request.object, identity, { ...options, structuralSharing: true }, random);
  const light = scanAdmissionReview(Buffer.from(body, 'utf8'));
  if (light === undefined) return { fast: undefined, slow: JSON.stringify(slow.patch), fastWarnings: undefined, slowWarnings: slow.warnings, light };
  assert.equal(light.request.uid, full.request.uid);
  assert.equal(light.request.namespace, full.request.namespace);
  assert.equal(light.apiVersion, full.apiVersion);
  assert.equal(light.kind, full.kind);
  const fast = mutatePod(light.request.object, identity, { ...options, structuralSharing: true }, random);
  return { fast: stringifyPatch(fast.patch), slow: JSON.stringify(slow.patch), fastWarnings: fast.warnings, slowWarnings: slow.warnings, light };
}

test('every fixture: the fast path gives the full path\'s patch bytes, and Go\'s bytes once Go-encoded', () => {
  let count = 0;
  for (const dir of fixtureDirs) {
    if (!existsSync(dir)) continue;
    for (const file of listFixtureFiles(dir)) {
      const c = loadFixture(file);
      if (c.skip) continue;
      const identity = fixtureIdentity(c);
      if (identity === undefined) continue;
      const r = bothPaths(JSON.stringify(review(c.pod)), identity, c.settings);
      assert.ok(r.fast !== undefined, `${file}: the scanner declined an ordinary review`);
      assert.equal(r.fast, r.slow, file);
      assert.deepEqual(r.fastWarnings, r.slowWarnings, file);
      if (dir === fixtureDirs[0]) assert.equal(goEncodePatch(JSON.parse(r.fast)), goEncodePatch(JSON.parse(r.slow)), file);
      count++;
    }
  }
  assert.ok(count >= 18, `only ${count} fixtures ran`);
});

const wi: ResolvedIdentity = {
  mode: 'web-identity', source: 'service-account', roleArn: 'arn:aws:iam::111122223333:role/r', fullUri: '', audience: 'sts.amazonaws.com',
  useRegionalSts: true, tokenExpiration: 86400, volumeName: 'aws-iam-token', mountPath: defaultMutationSettings().tokenMountPath, tokenPath: 'token',
};
const cc: ResolvedIdentity = {
  ...wi, mode: 'container-credentials', source: 'container-credentials', roleArn: '', fullUri: 'http://169.254.170.23/v1/credentials',
  audience: 'pods.eks.amazonaws.com', volumeName: 'eks-pod-identity-token', mountPath: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount', tokenPath: 'eks-pod-identity-token',
};
const P = 'eks.amazonaws.com';
const envNames = fc.constantFrom('AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_STS_REGIONAL_ENDPOINTS', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE', 'FOO');
const envArb = fc.oneof(fc.array(fc.oneof({ weight: 5, arbitrary: fc.record({ name: envNames, value: fc.string({ maxLength: 4 }) }) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) }), { maxLength: 4 }), fc.constant(null), fc.jsonValue({ maxDepth: 1 }));
const mountsArb = fc.oneof(fc.array(fc.record({ name: fc.constantFrom('aws-iam-token', 'eks-pod-identity-token', 'data'), mountPath: fc.constantFrom('/data', '/var/run/secrets/eks.amazonaws.com/serviceaccount') }), { maxLength: 3 }), fc.constant(null), fc.jsonValue({ maxDepth: 1 }));
const extra = fc.dictionary(fc.constantFrom('image', 'resources', 'startupProbe', 'futureField', '__proto__'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3, noNullPrototype: true });
const containerArb = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(fc.constantFrom('app', 'sidecar', 'init', ''), extra, fc.option(envArb, { nil: undefined }), fc.option(mountsArb, { nil: undefined }), fc.boolean()).map(([name, rest, env, volumeMounts, envFirst]) => {
    const c: Record<string, unknown> = envFirst && env !== undefined ? { env, ...rest, name } : { ...rest, name };
    if (env !== undefined && !envFirst) c.env = env;
    if (volumeMounts !== undefined) c.volumeMounts = volumeMounts;
    return c;
  }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
);
const podArb = fc.record({
  labels: fc.option(fc.oneof(fc.constant(null), fc.dictionary(fc.constantFrom('app', `${P}/pod-identity`), fc.string({ maxLength: 3 }), { maxKeys: 2, noNullPrototype: true })), { nil: undefined }),
  annotations: fc.option(fc.dictionary(fc.constantFrom(`${P}/skip-containers`, `${P}/token-expiration`, 'other'), fc.constantFrom('app', 'sidecar,init', '3600', 'x', ''), { maxKeys: 2 }), { nil: undefined }),
  managedFields: fc.option(fc.jsonValue({ maxDepth: 4 }), { nil: undefined }),
  containers: fc.option(fc.oneof({ weight: 8, arbitrary: fc.array(containerArb, { maxLength: 3 }) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) }), { nil: undefined }),
  initContainers: fc.option(fc.array(containerArb, { maxLength: 2 }), { nil: undefined }),
  volumes: fc.option(fc.oneof(fc.constant(null), fc.array(fc.record({ name: fc.constantFrom('aws-iam-token', 'data'), emptyDir: fc.constant({}) }), { maxLength: 2 })), { nil: undefined }),
  nodeSelector: fc.option(fc.dictionary(fc.constantFrom('kubernetes.io/os', 'zone'), fc.constantFrom('windows', 'linux'), { maxKeys: 2, noNullPrototype: true }), { nil: undefined }),
  status: fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
  specFirst: fc.boolean(),
}).map((g) => {
  const metadata: Record<string, unknown> = { generateName: 'p-' };
  if (g.labels !== undefined) metadata.labels = g.labels;
  if (g.annotations !== undefined) metadata.annotations = g.annotations;
  if (g.managedFields !== undefined) metadata.managedFields = g.managedFields;
  const spec: Record<string, unknown> = { serviceAccountName: 'app', priority: 0 };
  for (const key of ['nodeSelector', 'initContainers', 'volumes', 'containers'] as const) if (g[key] !== undefined) spec[key] = g[key];
  const pod: Record<string, unknown> = g.specFirst ? { spec, metadata, kind: 'Pod' } : { kind: 'Pod', apiVersion: 'v1', metadata, spec };
  if (g.status !== undefined) pod.status = g.status;
  return pod;
});

test('generated pods: the fast path gives the full path\'s patch bytes and warnings (compact and indented bodies)', () => {
  let scanned = 0;
  fc.assert(fc.property(podArb, fc.constantFrom(wi, cc), fc.constantFrom('', 'us-west-2'), fc.constantFrom(0, 2), (pod, identity, region, indent) => {
    const body = JSON.stringify(review(pod), null, indent);
    const r = bothPaths(body, identity, { annotationPrefix: P, awsDefaultRegion: region }, () => 0.5);
    if (r.fast === undefined) {
      // the only bodies it declines here: non-ASCII text or an escaped key (fc.jsonValue makes both)
      assert.ok(/[^\x00-\x7f]|\\/.test(body), `declined an ordinary review: ${body.slice(0, 300)}`);
      return;
    }
    scanned++;
    if (indent === 0) assert.equal(r.fast, r.slow);
    else assert.deepEqual(JSON.parse(r.fast), JSON.parse(r.slow));
    assert.deepEqual(r.fastWarnings, r.slowWarnings);
  }), { numRuns: 600 });
  assert.ok(scanned > 300, `only ${scanned} of 600 took the fast path`);
});

test('the scanner declines what is not an ordinary valid review (the full decode then answers as before)', () => {
  const ok = JSON.stringify(review({ kind: 'Pod', metadata: { name: 'p' }, spec: { serviceAccountName: 'a', containers: [{ name: 'c' }] } }));
  assert.ok(scanAdmissionReview(Buffer.from(ok)) !== undefined);
  const declined: Array<[string, string]> = [
    ['trailing comma', ok.replace('"name":"c"}', '"name":"c",}')],
    ['bad escape', ok.replace('"name":"c"', '"name":"c\\x"')],
    ['leading zero', ok.replace('"dryRun":false', '"dryRun":01')],
    ['control character', ok.replace('"name":"c"', '"name":"c\u0001"')],
    ['truncated', ok.slice(0, -1)],
    ['trailing garbage', `${ok} x`],
    ['two values', `${ok}{}`],
    ['empty', ''],
    ['bare literal', 'true'],
    ['tru', ok.replace('"dryRun":false', '"dryRun":tru')],
    ['escaped key', ok.replace('"object"', '"\\u006fbject"')],
    ['escaped unread key', ok.replace('"userInfo"', '"user\\u0049nfo"')],
    ['duplicate key', ok.replace('"containers":', '"containers":[],"containers":')],
    ['non-ASCII', ok.replace('"name":"p"', '"name":"p\u00e9"')],
    ['deep nesting', ok.replace('"oldObject":null', `"oldObject":${'['.repeat(100)}${']'.repeat(100)}`)],
    ['wrong apiVersion', ok.replace('admission.k8s.io/v1', 'admission.k8s.io/v2')],
    ['wrong kind', ok.replace('"kind":"AdmissionReview"', '"kind":"Review"')],
    ['uid not a string', ok.replace('"uid":"705ab4f5-6393-11e8-b7cc-42010a800002"', '"uid":7')],
    ['object not an object', ok.replace(/"object":\{.*\},"oldObject"/, '"object":[],"oldObject"')],
    ['not a Pod', ok.replace('"kind":"Pod"}', '"kind":"Deployment"}').replace('{"kind":"Pod",', '{"kind":"Deployment",')],
  ];
  for (const [what, body] of declined) {
    assert.equal(scanAdmissionReview(Buffer.from(body, 'utf8')), undefined, what);
  }
  // within the limit (100 levels in all) is still scanned
  const deepOk = ok.replace('"oldObject":null', `"oldObject":${'['.repeat(95)}${']'.repeat(95)}`);
  assert.ok(scanAdmissionReview(Buffer.from(deepOk)) !== undefined, '95 levels inside a review of depth 4');
});

test('the scanner agrees with JSON.parse on validity, for any JSON text and its corruptions', () => {
  fc.assert(fc.property(fc.json({ maxDepth: 4 }), fc.nat(), fc.constantFrom('', ',', '}', '"', '\\', '0', ' ', 'e'), (json, at, insert) => {
    for (const text of [json, `{"request":${json}}`, json.slice(0, at % (json.length + 1)) + insert + json.slice(at % (json.length + 1))]) {
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      const scanned = scanAdmissionReview(Buffer.from(text, 'utf8'));
      if (!valid) assert.equal(scanned, undefined, text);
    }
  }), { numRuns: 1000 });
});

test('through the server: pods with managedFields, status, several containers, non-ASCII text get the full path\'s patch', async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const pki = makePki(tmp.dir);
  writeFileSync(join(tmp.dir, 'tls.crt'), pki.cert);
  writeFileSync(join(tmp.dir, 'tls.key'), pki.key);
  const store = new MemoryIdentityStore().set(serviceAccount('default', 'app', { 'eks.amazonaws.com/role-arn': ROLE_ARN, 'eks.amazonaws.com/sts-regional-endpoints': 'true' }));
  const settings = { ...defaultMutationSettings(), awsDefaultRegion: 'us-west-2' };
  const server = await startWebhookServer({ host: '127.0.0.1', port: 0, metricsPort: -1, tlsCertFile: join(tmp.dir, 'tls.crt'), tlsKeyFile: join(tmp.dir, 'tls.key'), settings, lookupGracePeriodMs: 0 }, { store, logger: memoryLogger().logger, random: () => 0 });
  t.after(() => server.shutdown());
  const handler = createAdmissionHandler({ store, settings, lookupGracePeriodMs: 0, random: () => 0 });
  const container = (name: string, extra: Record<string, unknown> = {}) => ({ name, image: `registry.example.com/${name}:1`, ports: [{ containerPort: 8080, protocol: 'TCP' }], env: [{ name: 'A', value: '1' }], resources: { limits: { cpu: '1' } }, volumeMounts: [{ name: 'config', mountPath: '/etc/app' }], terminationMessagePath: '/dev/termination-log', ...extra });
  const pods = [
    { kind: 'Pod', apiVersion: 'v1', metadata: { generateName: 'app-', namespace: 'default', managedFields: [{ manager: 'kube-controller-manager', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {} } } } } }] }, spec: { volumes: [{ name: 'config', configMap: { name: 'c' } }], initContainers: [container('init', { env: undefined })], containers: [container('app'), container('envoy', { env: [{ name: 'AWS_REGION', value: 'eu-west-1' }] }), container('log', { volumeMounts: undefined })], serviceAccountName: 'app' }, status: { phase: 'Pending' } },
    { kind: 'Pod', metadata: { name: 'café', namespace: 'default', annotations: { note: 'ünïcödé <&>' } }, spec: { containers: [container('app', { args: ['--greeting=héllo'] })], serviceAccountName: 'app' } },
  ];
  for (const pod of pods) {
    const body = JSON.stringify(review(pod, { namespace: 'default' }));
    const res = await request1(server.url, { path: '/mutate', body, headers: { 'content-type': 'application/json' }, ca: pki.caCert });
    assert.equal(res.status, 200);
    const decoded = decodeAdmissionReview(body);
    const expected = encodeAdmissionReview(decoded, (await handler.admit(decoded)).response);
    assert.equal(res.body, expected, `${(pod.metadata as { name?: string }).name ?? 'managedFields pod'}: response bytes`);
    assert.ok(decodePatch(res.body)!.length > 0);
  }
});

test('the depth limit is the full decode\'s, wherever the nesting is (review, skipped member, container)', () => {
  const base = review({ kind: 'Pod', metadata: { name: 'p' }, spec: { serviceAccountName: 'a', containers: [{ name: 'c', x: '@' }] } }, { oldObject: '@' });
  for (const where of ['"oldObject":"@"', '"x":"@"']) {
    for (const levels of [90, 95, 96, 97, 98, 99, 100]) {
      const body = Buffer.from(JSON.stringify(base).replace(where, where.replace('"@"', `${'['.repeat(levels)}${']'.repeat(levels)}`)));
      const tooDeep = jsonDepthExceededAt(body) >= 0;
      assert.equal(scanAdmissionReview(body) === undefined, tooDeep, `${where} with ${levels} levels: depth check ${tooDeep}`);
    }
  }
});
