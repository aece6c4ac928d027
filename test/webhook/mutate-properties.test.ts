/**
 * Property tests (fast-check): for generated pods the mutation never throws, never removes or reorders a field the
 * user wrote, and is idempotent (the API server's reinvocation changes nothing more).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { applyJsonPatch, defaultMutationSettings, mutatePod, type ResolvedIdentity } from '../../src/webhook/index.js';

const P = 'eks.amazonaws.com';
const settingsArb = fc.record({
  annotationPrefix: fc.constant(P),
  awsDefaultRegion: fc.constantFrom('', 'us-west-2'),
  structuralSharing: fc.boolean(),
});
const wi: ResolvedIdentity = {
  mode: 'web-identity', source: 'service-account', roleArn: 'arn:aws:iam::111122223333:role/r', fullUri: '', audience: 'sts.amazonaws.com',
  useRegionalSts: false, tokenExpiration: 86400, volumeName: 'aws-iam-token', mountPath: defaultMutationSettings().tokenMountPath, tokenPath: 'token',
};
const cc: ResolvedIdentity = {
  ...wi, mode: 'container-credentials', source: 'container-credentials', roleArn: '', fullUri: 'http://169.254.170.23/v1/credentials',
  audience: 'pods.eks.amazonaws.com', volumeName: 'eks-pod-identity-token', mountPath: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount', tokenPath: 'eks-pod-identity-token',
};
const identityArb = fc.record({
  base: fc.constantFrom(wi, cc),
  useRegionalSts: fc.boolean(),
  tokenExpiration: fc.constantFrom(86400, 3600, 600),
  audience: fc.constantFrom('sts.amazonaws.com', ''),
}).map(({ base, ...rest }) => ({ ...base, ...rest }));

const names = fc.constantFrom('app', 'sidecar', 'init', 'log', 'side,car', '');
const envNames = fc.constantFrom('AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_STS_REGIONAL_ENDPOINTS',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE', 'FOO', 'BAR');
const extra = fc.dictionary(fc.constantFrom('futureField', 'resources', 'startupProbe', 'restartPolicy', 'x-y', '__proto__'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3, noNullPrototype: true });
const envArb = fc.oneof(
  fc.array(fc.oneof({ weight: 5, arbitrary: fc.record({ name: envNames, value: fc.string({ maxLength: 5 }) }) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) }), { maxLength: 5 }),
  fc.constant(null),
);
const mountsArb = fc.oneof(
  fc.array(fc.record({ name: fc.constantFrom('aws-iam-token', 'eks-pod-identity-token', 'data'), mountPath: fc.constantFrom('/data', '/var/run/secrets/eks.amazonaws.com/serviceaccount') }), { maxLength: 3 }),
  fc.constant(null),
);
const containerArb = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(names, extra, fc.option(envArb, { nil: undefined }), fc.option(mountsArb, { nil: undefined })).map(([name, rest, env, volumeMounts]) => {
    const c: Record<string, unknown> = { ...rest, name };
    if (env !== undefined) c.env = env;
    if (volumeMounts !== undefined) c.volumeMounts = volumeMounts;
    return c;
  }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
);
const annotationsArb = fc.dictionary(
  fc.constantFrom(`${P}/skip-containers`, `${P}/token-expiration`, 'other'),
  fc.oneof(fc.constantFrom('app', 'sidecar,log', '"side,car",init', 'a"b', '3600', '0', '+900', 'x', ''), fc.string({ maxLength: 6 })),
  { maxKeys: 3 },
);
const podArb = fc.record({
  labels: fc.option(fc.dictionary(fc.constantFrom('app', `${P}/pod-identity`, 'tier'), fc.string({ maxLength: 4 }), { maxKeys: 2, noNullPrototype: true }), { nil: undefined }),
  annotations: fc.option(annotationsArb, { nil: undefined }),
  containers: fc.option(fc.array(containerArb, { maxLength: 3 }), { nil: undefined }),
  initContainers: fc.option(fc.array(containerArb, { maxLength: 2 }), { nil: undefined }),
  volumes: fc.option(fc.oneof(fc.constant(null), fc.array(fc.record({ name: fc.constantFrom('aws-iam-token', 'data', 'eks-pod-identity-token'), emptyDir: fc.constant({}) }), { maxLength: 2 })), { nil: undefined }),
  nodeSelector: fc.option(fc.dictionary(fc.constantFrom('kubernetes.io/os', 'beta.kubernetes.io/os', 'zone'), fc.constantFrom('windows', 'linux', 'Windows'), { maxKeys: 2, noNullPrototype: true }), { nil: undefined }),
  specExtra: fc.dictionary(fc.constantFrom('hostNetwork', 'priority', 'newSpecField'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2, noNullPrototype: true }),
}).map((g) => {
  const metadata: Record<string, unknown> = { name: 'p' };
  if (g.labels !== undefined) metadata.labels = g.labels;
  if (g.annotations !== undefined) metadata.annotations = g.annotations;
  const spec: Record<string, unknown> = { ...g.specExtra, serviceAccountName: 'app' };
  for (const key of ['containers', 'initContainers', 'volumes', 'nodeSelector'] as const) if (g[key] !== undefined) spec[key] = g[key];
  // Through JSON, as pods reach the webhook (plain prototypes; an own "__proto__" member stays data).
  return JSON.parse(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata, spec })) as Record<string, unknown>;
});

const random = (): number => 0.25;

test('never throws for any JSON value (what reaches it through JSON.parse or YAML)', () => {
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), identityArb, settingsArb, (input, identity, options) => {
    const r = mutatePod(input, identity, options, random);
    assert.ok(Array.isArray(r.patch) && Array.isArray(r.warnings));
  }), { numRuns: 500 });
  fc.assert(fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), identityArb, settingsArb, (input, identity, options) => {
    const r = mutatePod(input, identity, options, random);
    assert.ok(Array.isArray(r.patch) && Array.isArray(r.warnings));
  }), { numRuns: 500 });
  fc.assert(fc.property(podArb, identityArb, settingsArb, (pod, identity, options) => {
    mutatePod(pod, identity, options, random);
  }), { numRuns: 500 });
});

test('the property above can fail: a failure inside the engine reaches the caller (no catch-all in mutatePod)', () => {
  const pod = JSON.parse(JSON.stringify({ metadata: { name: 'p' }, spec: { serviceAccountName: 'app', containers: [{ name: 'app' }] } })) as Record<string, unknown>;
  Object.defineProperty(pod, 'spec', { get() { throw new Error('getter failed'); }, enumerable: true });
  assert.throws(() => mutatePod(pod, wi, { annotationPrefix: P, awsDefaultRegion: '' }, random), /getter failed/);
  assert.throws(() => mutatePod({ spec: { containers: [{ name: 'app' }] } }, cc, { annotationPrefix: P, awsDefaultRegion: '' }, () => { throw new Error('random failed'); }), /random failed/);
});

test('never removes or reorders a field the user wrote, and never modifies the input', () => {
  fc.assert(fc.property(podArb, identityArb, settingsArb, (pod, identity, options) => {
    const before = structuredClone(pod);
    const { patch } = mutatePod(pod, identity, options, random);
    assert.deepEqual(pod, before, 'input unchanged');
    const out = applyJsonPatch<Record<string, any>>(pod, patch);
    const inSpec = before.spec as Record<string, any>;
    // Everything outside the patched places is identical.
    assert.deepEqual(Object.keys(out.spec).slice(0, Object.keys(inSpec).length), Object.keys(inSpec));
    for (const key of Object.keys(inSpec)) {
      if (!['containers', 'initContainers', 'volumes'].includes(key)) assert.deepEqual(out.spec[key], inSpec[key], `spec.${key}`);
    }
    assert.deepEqual(out.metadata.annotations, (before.metadata as any).annotations);
    for (const [k, v] of Object.entries(((before.metadata as any).labels ?? {}) as Record<string, string>)) {
      if (k !== 'eks.amazonaws.com/pod-identity') assert.equal(out.metadata.labels[k], v);
    }
    // Volumes: ours first, then the user's, in order.
    if (Array.isArray(inSpec.volumes)) assert.deepEqual(out.spec.volumes.slice(out.spec.volumes.length - inSpec.volumes.length), inSpec.volumes);
    for (const list of ['containers', 'initContainers'] as const) {
      const src = inSpec[list];
      if (!Array.isArray(src)) continue;
      assert.equal(out.spec[list].length, src.length);
      src.forEach((c: unknown, i: number) => {
        const o = out.spec[list][i];
        if (typeof c !== 'object' || c === null || Array.isArray(c)) return assert.deepEqual(o, c);
        const keys = Object.keys(c);
        assert.deepEqual(Object.keys(o).slice(0, keys.length), keys, `${list}[${i}] key order`);
        for (const key of keys) {
          const value: unknown = (c as Record<string, unknown>)[key];
          if ((key === 'env' || key === 'volumeMounts') && Array.isArray(value)) assert.deepEqual(o[key].slice(0, value.length), value, `${list}[${i}].${key} prefix`);
          else if (!((key === 'env' || key === 'volumeMounts') && value === null)) assert.deepEqual(o[key], value, `${list}[${i}].${key}`);
        }
      });
    }
  }), { numRuns: 400 });
});

test('idempotent: mutating the mutated pod again changes nothing', () => {
  fc.assert(fc.property(podArb, identityArb, settingsArb, (pod, identity, options) => {
    const once = applyJsonPatch<Record<string, unknown>>(pod, mutatePod(pod, identity, options, random).patch);
    const twice = applyJsonPatch<Record<string, unknown>>(once, mutatePod(once, identity, options, random).patch);
    assert.deepEqual(twice, once);
  }), { numRuns: 400 });
});
