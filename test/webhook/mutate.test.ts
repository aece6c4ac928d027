import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyJsonPatch,
  defaultMutationSettings,
  escapeJsonPointer,
  JsonPatchError,
  mutatePod,
  parseJsonPointer,
  resolveIdentity,
  type ResolvedIdentity,
} from '../../src/webhook/index.js';

const ROLE = 'arn:aws:iam::111122223333:role/s3-reader';
const settings = { ...defaultMutationSettings(), awsDefaultRegion: 'us-west-2' };
const wi = resolveIdentity({ namespace: 'default', serviceAccountName: 'app', serviceAccount: { namespace: 'default', name: 'app', annotations: { 'eks.amazonaws.com/role-arn': ROLE } }, options: settings })!;
const cc: ResolvedIdentity = { ...wi, mode: 'container-credentials', source: 'container-credentials', roleArn: '', fullUri: 'http://169.254.170.23/v1/credentials', volumeName: 'eks-pod-identity-token', mountPath: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount', tokenPath: 'eks-pod-identity-token', audience: 'pods.eks.amazonaws.com' };

function pod(containers: unknown[], extra: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ...metadata }, spec: { serviceAccountName: 'app', containers, ...extra } };
}

test('the worked example of spec 6.6, exactly', () => {
  const { patch, warnings } = mutatePod(pod([{ name: 'app', image: 'nginx' }]), wi, settings);
  assert.deepEqual(warnings, []);
  assert.equal(JSON.stringify(patch), '[{"op":"add","path":"/spec/volumes","value":[{"name":"aws-iam-token","projected":{"sources":[{"serviceAccountToken":{"audience":"sts.amazonaws.com","expirationSeconds":86400,"path":"token"}}]}}]},{"op":"add","path":"/spec/containers","value":[{"name":"app","image":"nginx","env":[{"name":"AWS_DEFAULT_REGION","value":"us-west-2"},{"name":"AWS_REGION","value":"us-west-2"},{"name":"AWS_ROLE_ARN","value":"arn:aws:iam::111122223333:role/s3-reader"},{"name":"AWS_WEB_IDENTITY_TOKEN_FILE","value":"/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}],"volumeMounts":[{"name":"aws-iam-token","readOnly":true,"mountPath":"/var/run/secrets/eks.amazonaws.com/serviceaccount"}]}]}]');
});

test('no identity, or not an object: no patch', () => {
  assert.deepEqual(mutatePod(pod([{ name: 'a' }]), undefined, settings), { patch: [], warnings: [] });
  for (const bad of [null, 42, 'pod', [], true]) {
    const r = mutatePod(bad, wi, settings);
    assert.deepEqual(r.patch, []);
    assert.equal(r.warnings.length, 1);
  }
});

test('keeps every field of the user containers, newer ones included, in their order', () => {
  const container = {
    name: 'app', image: 'nginx', restartPolicy: 'Always', restartPolicyRules: [{ action: 'Restart', exitCodes: { operator: 'In', values: [42] } }],
    startupProbe: { grpc: { port: 5000 } }, resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }], futureField: { x: [1, { y: null }] },
    env: [{ name: 'A', value: '1' }, { name: 'B', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
  };
  const input = pod([container]);
  const before = JSON.stringify(input);
  const { patch } = mutatePod(input, wi, settings);
  assert.equal(JSON.stringify(input), before, 'input not modified');
  const out = (patch[1]!.value as Array<Record<string, unknown>>)[0]!;
  assert.deepEqual(Object.keys(out), [...Object.keys(container), 'volumeMounts']);
  for (const key of Object.keys(container)) if (key !== 'env') assert.deepEqual(out[key], container[key as keyof typeof container]);
  assert.deepEqual((out.env as unknown[]).slice(0, 2), container.env);
  // Deep copies by default: changing the patch does not change the input.
  ((out.futureField as { x: unknown[] }).x as unknown[]).push('changed');
  assert.equal(JSON.stringify(input), before);
});

test('structuralSharing gives the same patch and shares unchanged sub-objects', () => {
  const input = pod([{ name: 'a', image: 'i', resources: { limits: { cpu: '1' } }, env: [{ name: 'X', value: 'y' }] }], { initContainers: [{ name: 'init', image: 'i' }] });
  const deep = mutatePod(input, wi, settings);
  const shared = mutatePod(input, wi, { ...settings, structuralSharing: true });
  assert.deepEqual(shared, deep);
  const c = (shared.patch[1]!.value as Array<Record<string, unknown>>)[0]!;
  const original = ((input.spec as Record<string, unknown>).containers as Array<Record<string, unknown>>)[0]!;
  assert.equal(c.resources, original.resources);
  assert.notEqual(c.env, original.env);
  assert.equal((original.env as unknown[]).length, 1, 'input env not extended');
});

test('env order, region both-or-neither, STS, early exit without mount', () => {
  const sts = { ...wi, useRegionalSts: true };
  const env = (p: ReturnType<typeof mutatePod>, i = 0) => ((p.patch.find((o) => o.path === '/spec/containers')!.value as Array<Record<string, unknown>>)[i]!.env as Array<{ name: string }> | undefined)?.map((e) => e.name);
  assert.deepEqual(env(mutatePod(pod([{ name: 'a' }]), sts, settings)), ['AWS_STS_REGIONAL_ENDPOINTS', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE']);
  assert.deepEqual(env(mutatePod(pod([{ name: 'a', env: [{ name: 'AWS_DEFAULT_REGION', value: 'x' }] }]), wi, settings)), ['AWS_DEFAULT_REGION', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE']);
  assert.deepEqual(env(mutatePod(pod([{ name: 'a' }]), wi, { ...settings, awsDefaultRegion: '' })), ['AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE']);
  // Early exit: WI keys + region + STS present ⇒ untouched, no mount, and a warning says so.
  const all = [{ name: 'AWS_ROLE_ARN', value: 'arn:aws:iam::111122223333:role/own' }, { name: 'AWS_REGION', value: 'x' }, { name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'legacy' }];
  const r = mutatePod(pod([{ name: 'a', env: all }]), wi, settings);
  assert.deepEqual((r.patch[1]!.value as unknown[])[0], { name: 'a', env: all });
  assert.match(r.warnings.join('\n'), /container "a": already sets AWS_ROLE_ARN, a region and AWS_STS_REGIONAL_ENDPOINTS, so it is left unchanged and does not get the "aws-iam-token" token mount/);
});

test('warnings for containers left partly unmutated, reused volumes, mount paths, odd roles', () => {
  const w = (p: Record<string, unknown>, id: ResolvedIdentity = wi) => mutatePod(p, id, settings).warnings.join('\n');
  assert.match(w(pod([{ name: 'a', env: [{ name: 'AWS_ROLE_ARN', value: 'already-defined' }] }])), /container "a": already sets AWS_ROLE_ARN, so AWS_WEB_IDENTITY_TOKEN_FILE is not injected/);
  assert.match(w(pod([{ name: 'a', env: [{ name: 'AWS_ROLE_ARN', value: 'arn:other' }, { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: '/t' }] }])), /already sets AWS_ROLE_ARN to "arn:other"; "arn:aws:iam::111122223333:role\/s3-reader" is not injected/);
  assert.match(w(pod([{ name: 'a' }], { volumes: [{ name: 'aws-iam-token', hostPath: { path: '/x' } }] })), /spec\.volumes\[0\]: a volume named "aws-iam-token" already exists and is not a projected service account token/);
  assert.match(w(pod([{ name: 'a', volumeMounts: [{ name: 'other', mountPath: '/var/run/secrets/eks.amazonaws.com/serviceaccount' }] }])), /mount path \/var\/run\/secrets\/eks\.amazonaws\.com\/serviceaccount is already used by volume "other"/);
  assert.match(w(pod([{ name: 'a', volumeMounts: [{ name: 'aws-iam-token', mountPath: '/elsewhere' }] }])), /volume "aws-iam-token" is already mounted at "\/elsewhere"/);
  assert.match(w(pod([{ name: 'a' }]), { ...wi, roleArn: 's3-reader' }), /role "s3-reader" does not look like an IAM role ARN/);
  assert.match(w(pod([{ name: 'a' }], {}, { annotations: { 'eks.amazonaws.com/skip-containers': 'nope' } })), /no container is named "nope"/);
  assert.match(w(pod([{ name: 'a' }], {}, { annotations: { 'eks.amazonaws.com/skip-containers': 'a"b' } })), /is not one CSV record/);
  assert.match(w(pod([{ name: 'a' }], {}, { annotations: { 'eks.amazonaws.com/token-expiration': '1h' } })), /token-expiration: "1h" is not an integer/);
  // A second pass over our own output is silent.
  const once = applyJsonPatch<Record<string, unknown>>(pod([{ name: 'a' }]), mutatePod(pod([{ name: 'a' }]), { ...wi, useRegionalSts: true }, settings).patch);
  assert.deepEqual(mutatePod(once, { ...wi, useRegionalSts: true }, settings).warnings, []);
});

test('annotation prefix drives the pod annotations', () => {
  const custom = { ...settings, annotationPrefix: 'irsa.example.com' };
  const p = pod([{ name: 'a' }, { name: 'b' }], {}, { annotations: { 'irsa.example.com/skip-containers': 'b', 'irsa.example.com/token-expiration': '1200', 'eks.amazonaws.com/token-expiration': '9999' } });
  const { patch } = mutatePod(p, wi, custom);
  assert.equal(((patch[0]!.value as Array<Record<string, any>>)[0]!.projected.sources[0].serviceAccountToken.expirationSeconds), 1200);
  assert.deepEqual((patch[1]!.value as unknown[])[1], { name: 'b' });
});

test('container-credentials jitter: only for exactly 86400, uniform in [79200, 86400]', () => {
  const exp = (id: ResolvedIdentity, random: () => number, annotations: Record<string, string> = {}): number | undefined => {
    const op = mutatePod(pod([{ name: 'a' }], {}, { annotations }), id, settings, random).patch.find((o) => o.path === '/spec/volumes');
    return (op?.value as Array<Record<string, any>> | undefined)?.[0]!.projected.sources[0].serviceAccountToken.expirationSeconds;
  };
  assert.equal(exp(cc, () => 0), 79200);
  assert.equal(exp(cc, () => 0.9999999), 86400);
  assert.equal(exp(cc, () => 0.5), 79200 + Math.floor(0.5 * 7201));
  assert.equal(exp(cc, () => Number.NaN), 79200);
  assert.equal(exp(cc, () => 7), 86400);
  assert.equal(exp({ ...cc, tokenExpiration: 10000 }, () => 0), 10000);
  assert.equal(exp(cc, () => 0, { 'eks.amazonaws.com/token-expiration': '3600' }), 3600);
  assert.equal(exp(cc, () => 0, { 'eks.amazonaws.com/token-expiration': '86400' }), 79200);
  assert.equal(exp(wi, () => 0), 86400, 'no jitter in web-identity mode');
  assert.throws(() => exp(cc, () => { throw new Error('boom'); }), /boom/, 'a throwing random source reaches the caller (the handler admits unchanged, logs and counts it)');
});

test('never throws on malformed JSON pods; a throwing getter (not JSON) reaches the caller', () => {
  assert.throws(() => mutatePod(Object.defineProperty({}, 'spec', { get() { throw new Error('getter'); }, enumerable: true }), wi, settings), /getter/);
  const inputs: unknown[] = [
    { spec: null }, { spec: [] }, { spec: { containers: 'x' } }, { spec: { containers: [null, 1, 'a', [], { env: 'x' }, { volumeMounts: {} }, { env: [null, 1, { name: 5 }] }] } },
    { spec: { volumes: {}, initContainers: {} } }, { metadata: { annotations: { 'eks.amazonaws.com/token-expiration': 5 } }, spec: {} },
    { metadata: { labels: 'x' }, spec: { nodeSelector: 'x' } }, { metadata: null }, JSON.parse('{"__proto__":{"x":1},"spec":{"containers":[{"__proto__":{"y":2},"name":"a"}]}}'),
  ];
  for (const input of inputs) {
    for (const id of [wi, cc]) {
      const r = mutatePod(input, id, settings);
      assert.ok(Array.isArray(r.patch) && Array.isArray(r.warnings));
    }
  }
  const proto = mutatePod(JSON.parse('{"spec":{"containers":[{"__proto__":{"y":2},"name":"a"}]}}'), wi, settings);
  const c = (proto.patch[1]!.value as Array<Record<string, unknown>>)[0]!;
  assert.ok(Object.prototype.hasOwnProperty.call(c, '__proto__'), 'an own "__proto__" member stays data');
  assert.equal(Object.getPrototypeOf(c), Object.prototype);
});

test('JSON Pointer escaping and the patch applier', () => {
  assert.equal(escapeJsonPointer('eks.amazonaws.com/pod-identity'), 'eks.amazonaws.com~1pod-identity');
  assert.equal(escapeJsonPointer('a~b/c'), 'a~0b~1c');
  assert.deepEqual(parseJsonPointer('/metadata/labels/a~0b~1c'), ['metadata', 'labels', 'a~b/c']);
  assert.deepEqual(parseJsonPointer(''), []);
  const doc = { metadata: { labels: { app: 'x' } }, spec: { volumes: [{ name: 'v' }] } };
  const out = applyJsonPatch<typeof doc & { metadata: { labels: Record<string, string> } }>(doc, [
    { op: 'add', path: '/metadata/labels/eks.amazonaws.com~1pod-identity', value: 'enabled' },
    { op: 'add', path: '/spec/volumes/0', value: { name: 'first' } },
    { op: 'add', path: '/spec/volumes/-', value: { name: 'last' } },
    { op: 'replace', path: '/metadata/labels/app', value: 'y' },
    { op: 'remove', path: '/spec/volumes/1' },
  ]);
  assert.deepEqual(out, { metadata: { labels: { app: 'y', 'eks.amazonaws.com/pod-identity': 'enabled' } }, spec: { volumes: [{ name: 'first' }, { name: 'last' }] } });
  assert.deepEqual(doc.spec.volumes, [{ name: 'v' }], 'input untouched');
  for (const bad of [
    [{ op: 'add', path: '/missing/x', value: 1 }], [{ op: 'add', path: '/spec/volumes/5', value: 1 }], [{ op: 'remove', path: '/nope' }],
    [{ op: 'add', path: 'no-slash', value: 1 }], [{ op: 'add', path: '/spec/volumes/01', value: 1 }],
  ] as const) {
    assert.throws(() => applyJsonPatch(doc, bad as never), JsonPatchError);
  }
});
