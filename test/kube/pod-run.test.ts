import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isPodMutated, placePodRun, planPodRun, SHADOWING_ENV, type PodSpecLike } from '../../src/kube/index.js';
import { ManifestError } from '../../src/kube/errors.js';
import { FieldError } from '../../src/lib/errors.js';

const TOKEN_DIR = '/var/run/secrets/eks.amazonaws.com/serviceaccount';

/** A pod as the webhook leaves it: role, token file and region in the env, the projected token mounted. */
function mutatedPod(overrides: { expirationSeconds?: number; metadata?: PodSpecLike['metadata'] } = {}): PodSpecLike {
  return {
    metadata: overrides.metadata ?? { name: 'web-0', namespace: 'shop', uid: 'pod-uid' },
    spec: {
      serviceAccountName: 'web',
      nodeName: 'node-1',
      containers: [
        {
          name: 'app',
          env: [
            { name: 'AWS_ROLE_ARN', value: 'arn:aws:iam::123456789012:role/web' },
            { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: `${TOKEN_DIR}/token` },
            { name: 'AWS_REGION', value: 'us-east-1' },
          ],
          volumeMounts: [{ name: 'aws-iam-token', mountPath: TOKEN_DIR, readOnly: true }],
        },
        { name: 'side' },
      ],
      volumes: [
        {
          name: 'aws-iam-token',
          projected: { sources: [{ serviceAccountToken: { audience: 'sts.amazonaws.com', path: 'token', ...(overrides.expirationSeconds !== undefined ? { expirationSeconds: overrides.expirationSeconds } : {}) } }] },
        },
      ],
    },
  };
}

const INHERITED = {
  PATH: '/usr/bin',
  HOME: '/home/u',
  AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_SESSION_TOKEN: 'tok',
  AWS_PROFILE: 'admin',
  AWS_ROLE_ARN: 'arn:aws:iam::111111111111:role/mine',
  AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
  AWS_CA_BUNDLE: '/etc/irsa/ca.pem',
  UNSET: undefined,
};

describe('planPodRun', () => {
  test('the token to mint, the identity it is bound to, and the env the command gets', () => {
    const plan = planPodRun(mutatedPod({ expirationSeconds: 86400 }), { env: INHERITED, serviceAccounts: [{ namespace: 'shop', name: 'web', uid: 'sa-uid', annotations: {} }] });
    assert.equal(plan.container.name, 'app');
    assert.deepEqual([plan.namespace, plan.serviceAccountName, plan.serviceAccountUid, plan.podName, plan.podUid, plan.nodeName], ['shop', 'web', 'sa-uid', 'web-0', 'pod-uid', 'node-1']);
    assert.deepEqual(plan.tokens.map((t) => [t.file.containerPath, t.audience, t.expirationSeconds]), [[`${TOKEN_DIR}/token`, 'sts.amazonaws.com', 86400]]);
    // credentials that would win over the web identity are not passed; the rest is, the container's env on top
    assert.deepEqual(plan.dropped, ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_ROLE_ARN', 'AWS_CONTAINER_CREDENTIALS_FULL_URI']);
    assert.deepEqual(plan.env, {
      PATH: '/usr/bin',
      HOME: '/home/u',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      AWS_CA_BUNDLE: '/etc/irsa/ca.pem',
      AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/web',
      AWS_WEB_IDENTITY_TOKEN_FILE: `${TOKEN_DIR}/token`,
      AWS_REGION: 'us-east-1',
    });
    const inherited: Record<string, string | undefined> = INHERITED;
    const env: Record<string, string> = plan.env;
    for (const name of SHADOWING_ENV) assert.ok(env[name] === undefined || env[name] !== inherited[name], `${name} passed on from the caller`);
  });

  test('defaults: 3600 s tokens, the default namespace and ServiceAccount, no uid, no env inherited unless given', () => {
    const pod = mutatedPod({ metadata: { name: 'p' } });
    delete pod.spec!.serviceAccountName;
    const plan = planPodRun(pod, { defaultNamespace: 'dev' });
    assert.deepEqual([plan.namespace, plan.serviceAccountName, plan.serviceAccountUid, plan.podUid, plan.tokens[0]!.expirationSeconds], ['dev', 'default', undefined, undefined, 3600]);
    assert.deepEqual(plan.dropped, []);
    assert.equal(plan.env.PATH, undefined);
  });

  test('awsEndpoint overrides the inherited and the container\'s AWS_ENDPOINT_URL; a non-URL is a FieldError', () => {
    const pod = mutatedPod();
    pod.spec!.containers![0]!.env!.push({ name: 'AWS_ENDPOINT_URL', value: 'https://s3.example.com' });
    assert.equal(planPodRun(pod, { env: INHERITED }).env.AWS_ENDPOINT_URL, 'https://s3.example.com');
    const plan = planPodRun(pod, { env: INHERITED, awsEndpoint: 'http://127.0.0.1:9999' });
    assert.equal(plan.env.AWS_ENDPOINT_URL, 'http://127.0.0.1:9999');
    assert.equal(placePodRun(plan, '/tmp/run').env.AWS_ENDPOINT_URL, 'http://127.0.0.1:9999');
    assert.throws(() => planPodRun(pod, { awsEndpoint: 'localhost:4566' }), (err: unknown) => err instanceof FieldError && err.field === 'awsEndpoint' && /^awsEndpoint "localhost:4566": use an http\(s\) URL/.test(err.message));
  });

  test('lifetimes: under 600 s is refused as the API server refuses it, unless a test lifetime is forced', () => {
    assert.throws(() => planPodRun(mutatedPod({ expirationSeconds: 599 })), (err: unknown) => err instanceof ManifestError && /^volume aws-iam-token: serviceAccountToken\.expirationSeconds 599 is below the 600 s minimum/.test(err.message));
    assert.equal(planPodRun(mutatedPod({ expirationSeconds: 600 })).tokens[0]!.expirationSeconds, 600);
    assert.equal(planPodRun(mutatedPod({ expirationSeconds: 599 }), { lifetimeSeconds: 5 }).tokens[0]!.expirationSeconds, 5);
  });

  test('the container: by name, a missing one is a FieldError on containerName naming those there are', () => {
    assert.equal(planPodRun(mutatedPod(), { containerName: 'side' }).tokens.length, 0);
    assert.throws(() => planPodRun(mutatedPod(), { containerName: 'db' }), (err: unknown) => err instanceof FieldError && err.field === 'containerName' && /web-0 has no container "db" \(containers: app, side\)/.test(err.message));
  });

  test('env the cluster would resolve (secretKeyRef, envFrom) is refused before anything is minted', () => {
    const pod = mutatedPod();
    pod.spec!.containers![0]!.env!.push({ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'pw' } } });
    assert.throws(() => planPodRun(pod), (err: unknown) => err instanceof ManifestError && /^container app: env PASSWORD \(secretKeyRef db\) cannot be resolved/.test(err.message));
  });
});

describe('placePodRun', () => {
  test('token files under the root by volume, and every env path into the mount pointing at the local copy', () => {
    const pod = mutatedPod();
    pod.spec!.containers![0]!.env!.push({ name: 'TOKEN_DIR', value: TOKEN_DIR }, { name: 'ELSEWHERE', value: `${TOKEN_DIR}-not/token` });
    const plan = planPodRun(pod, { env: { PATH: '/usr/bin' } });
    const local = placePodRun(plan, '/tmp/irsa-exec-x');
    assert.deepEqual(local.tokens.map((t) => t.localPath), ['/tmp/irsa-exec-x/aws-iam-token/token']);
    assert.equal(local.env.AWS_WEB_IDENTITY_TOKEN_FILE, '/tmp/irsa-exec-x/aws-iam-token/token');
    assert.equal(local.env.TOKEN_DIR, '/tmp/irsa-exec-x/aws-iam-token');
    assert.equal(local.env.ELSEWHERE, `${TOKEN_DIR}-not/token`);
    assert.equal(local.env.PATH, '/usr/bin');
    // the plan itself keeps the container's view
    assert.equal(plan.env.AWS_WEB_IDENTITY_TOKEN_FILE, `${TOKEN_DIR}/token`);
  });
});

test('isPodMutated: the token env var or a token volume means the webhook already ran', () => {
  const volumes = ['aws-iam-token', 'eks-pod-identity-token'];
  assert.equal(isPodMutated(mutatedPod(), undefined, volumes), true);
  const bare: PodSpecLike = { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', env: [{ name: 'AWS_REGION', value: 'us-east-1' }] }] } };
  assert.equal(isPodMutated(bare, undefined, volumes), false);
  const podIdentity: PodSpecLike = { ...bare, spec: { ...bare.spec, volumes: [{ name: 'eks-pod-identity-token' }] } };
  assert.equal(isPodMutated(podIdentity, 'app', volumes), true);
  const envOnly: PodSpecLike = { spec: { containers: [{ name: 'app', env: [{ name: 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE', value: '/x' }] }] } };
  assert.equal(isPodMutated(envOnly, undefined, volumes), true);
});
