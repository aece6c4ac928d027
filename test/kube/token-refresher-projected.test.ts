import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  expandEnvReferences,
  findContainerTokenFiles,
  resolveContainerEnv,
  tokenPathRewriter,
  type PodSpecLike,
} from '../../src/kube/index.js';
import { FieldError } from '../../src/lib/errors.js';
import { ManifestError } from '../../src/kube/errors.js';

const pod: PodSpecLike = {
  metadata: { name: 'web', namespace: 'shop', uid: 'pod-uid', labels: { app: 'web' }, annotations: { team: 'a' } },
  spec: {
    serviceAccountName: 'web',
    nodeName: 'node-1',
    containers: [
      {
        name: 'app',
        env: [
          { name: 'AWS_ROLE_ARN', value: 'arn:aws:iam::123456789012:role/web' },
          { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token' },
          { name: 'TOKEN_DIR', value: '/var/run/secrets/eks.amazonaws.com/serviceaccount' },
          { name: 'COPY', value: '$(AWS_WEB_IDENTITY_TOKEN_FILE)' },
          { name: 'ESCAPED', value: '$$(AWS_ROLE_ARN) $(UNKNOWN)' },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'OTHER', value: '/var/run/secrets/eks.amazonaws.com/serviceaccount-not' },
        ],
        volumeMounts: [
          { name: 'aws-iam-token', mountPath: '/var/run/secrets/eks.amazonaws.com/serviceaccount', readOnly: true },
          { name: 'bound', mountPath: '/etc/openshift-token', subPath: 'dir/token' },
          { name: 'data', mountPath: '/data' },
        ],
      },
      { name: 'side', env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }], envFrom: [{ configMapRef: { name: 'cfg' } }] },
    ],
    volumes: [
      { name: 'aws-iam-token', projected: { sources: [{ serviceAccountToken: { audience: 'sts.amazonaws.com', expirationSeconds: 86400, path: 'token' } }] } },
      { name: 'bound', projected: { sources: [{ serviceAccountToken: { audience: 'openshift', path: 'dir/token' } }, { serviceAccountToken: { path: 'elsewhere/token' } }] } },
      { name: 'data' },
    ],
  },
};

describe('findContainerTokenFiles', () => {
  test('lists every projected token the container sees, subPath aware', () => {
    const { container, files, mounts } = findContainerTokenFiles(pod, 'app');
    assert.equal(container.name, 'app');
    assert.deepEqual(files, [
      { volumeName: 'aws-iam-token', path: 'token', containerPath: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token', audience: 'sts.amazonaws.com', expirationSeconds: 86400 },
      { volumeName: 'bound', path: 'dir/token', containerPath: '/etc/openshift-token', audience: 'openshift' },
    ]);
    assert.deepEqual(mounts.map((m) => [m.volumeName, m.subPath]), [['aws-iam-token', ''], ['bound', 'dir/token']]);
    assert.equal(findContainerTokenFiles(pod).container.name, 'app');
    assert.deepEqual(findContainerTokenFiles(pod, 'side').files, []);
  });

  test('a missing container names the containers there are', () => {
    assert.throws(() => findContainerTokenFiles(pod, 'db'), (err: unknown) => err instanceof FieldError && err.field === 'containerName' && /^containerName "db": web has no container "db" \(containers: app, side\); name one of them$/.test(err.message));
    const annotated = { ...pod, metadata: { ...pod.metadata, annotations: { 'kubectl.kubernetes.io/default-container': 'gone' } } };
    assert.throws(() => findContainerTokenFiles(annotated), (err: unknown) => err instanceof ManifestError && /default-container\]: web has no container "gone"/.test(err.message));
  });
});

describe('resolveContainerEnv', () => {
  test('literal env, $(VAR) expansion, fieldRefs from the manifest, paths into token mounts rewritten', () => {
    const { container, mounts } = findContainerTokenFiles(pod, 'app');
    const env = resolveContainerEnv(pod, container, tokenPathRewriter(mounts, '/tmp/x'));
    assert.deepEqual(env, {
      AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/web',
      AWS_WEB_IDENTITY_TOKEN_FILE: '/tmp/x/aws-iam-token/token',
      TOKEN_DIR: '/tmp/x/aws-iam-token',
      COPY: '/tmp/x/aws-iam-token/token',
      ESCAPED: '$(AWS_ROLE_ARN) $(UNKNOWN)',
      POD: 'web',
      APP: 'web',
      OTHER: '/var/run/secrets/eks.amazonaws.com/serviceaccount-not',
    });
    assert.equal(tokenPathRewriter(mounts, '/tmp/x')('/etc/openshift-token'), '/tmp/x/bound/dir/token');
  });

  test('refuses envFrom and valueFrom it cannot resolve, naming them', () => {
    const side = findContainerTokenFiles(pod, 'side').container;
    assert.throws(() => resolveContainerEnv(pod, side), /container side: envFrom \(configMapRef cfg\) cannot be resolved/);
    assert.throws(() => resolveContainerEnv(pod, { ...side, envFrom: [] }), /container side: env S \(secretKeyRef creds\) cannot be resolved outside the cluster/);
    assert.throws(() => resolveContainerEnv(pod, { name: 'c', env: [{ name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] }), /env IP \(fieldRef status\.podIP\)/);
  });

  test('expandEnvReferences', () => {
    const vars = new Map([['A', 'x']]);
    assert.equal(expandEnvReferences('$(A)-$(B)-$$(A)-$$$(A)', vars), 'x-$(B)-$(A)-$x');
  });
});
