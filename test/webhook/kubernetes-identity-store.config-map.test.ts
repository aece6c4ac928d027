/**
 * The Kubernetes store and the `pod-identity-webhook` ConfigMap at lookup time: a ServiceAccount the ConfigMap
 * resolves (exact `ns/name`, `prefix*\/name`, `*\/name`) is found in the cache as upstream's `Get` (spec 4.3) finds it,
 * so the admission does not wait out `--service-account-lookup-grace-period` for a watch event or a GET that may never
 * come — and the webhook mutates the pod from the ConfigMap entry.
 *
 * The API stand-in holds every single-ServiceAccount GET unanswered and the grace period is ten minutes, so a store
 * that waited could only resolve by the test timing out; no assertion is on speed.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiServer } from '../kube/fake-api-server.js';
import { setTimeout as delay } from 'node:timers/promises';
import { eventually } from '../kube/watch-helpers.js';
import {
  createAdmissionHandler,
  createKubernetesIdentityStore,
  decodeAdmissionReview,
  defaultMutationSettings,
  type IdentityStoreEvents,
  type ManagedIdentityStore,
} from '../../src/webhook/index.js';

const ARN = 'arn:aws:iam::111122223333:role/from-config-map';
const PREFIX_ARN = 'arn:aws:iam::111122223333:role/from-prefix';
const WILD_ARN = 'arn:aws:iam::111122223333:role/from-wildcard';
const GRACE_MS = 600_000;
const SA_GET = /^\/api\/v1\/namespaces\/[^/]+\/serviceaccounts\/[^/]+$/;

function review(namespace: string, serviceAccountName: string): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${namespace}-${serviceAccountName}`,
      namespace,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      operation: 'CREATE',
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { serviceAccountName, containers: [{ name: 'app', image: 'amazonlinux' }] } },
    },
  });
}

/**
 * Resolves with `pending`, or fails as soon as the store is seen waiting on the API (a GET held by the stand-in)
 * while `pending` is still open: that is the behaviour under test, not how fast it happens.
 */
async function answeredWithoutWaiting<T>(api: FakeApiServer, pending: Promise<T>, what: string): Promise<T> {
  let settled = false;
  const result = pending.finally(() => (settled = true));
  const waiting = (async (): Promise<never> => {
    while (!settled) {
      if (api.heldGets > 0) {
        throw new assert.AssertionError({ message: `${what}: waits on a ServiceAccount GET the API never answers, although the ConfigMap resolves the key` });
      }
      await delay(5);
    }
    return await new Promise<never>(() => {}); // the lookup won: leave the race to it
  })();
  return await Promise.race([result, waiting]);
}

describe('Kubernetes identity store: a ServiceAccount known from the ConfigMap does not wait out the grace period', () => {
  let api: FakeApiServer;
  let store: ManagedIdentityStore;
  const lookups: string[] = [];
  const events: IdentityStoreEvents = { lookup: (source) => lookups.push(source) };

  before(async () => {
    api = new FakeApiServer();
    await api.start();
    api.holdGets = SA_GET;
    api.upsertConfigMap('eks', 'pod-identity-webhook', {
      config: JSON.stringify({
        'default/cm-only': { RoleARN: ARN, Audience: 'sts.amazonaws.com', UseRegionalSTS: true, TokenExpiration: 0 },
        'test-*/batch': { RoleARN: PREFIX_ARN, Audience: 'sts.amazonaws.com' },
        '*/shared': { RoleARN: WILD_ARN, Audience: 'sts.amazonaws.com' },
      }),
    });
    store = createKubernetesIdentityStore({
      kubeApi: api.url,
      namespace: 'eks',
      watchConfigMap: true,
      lookupGracePeriodMs: GRACE_MS,
      listWatch: { backoff: { initialMs: 5, maxMs: 50 } },
      events,
    });
    await store.ready();
  });
  after(async () => {
    await store.close();
    api.releaseHeldGets();
    await api.stop();
  });

  test('the stand-in really holds a GET for a ServiceAccount nobody knows (the lookup waits)', async () => {
    const lookup = store.lookupServiceAccount('default', 'unknown');
    await eventually(() => api.heldGets === 1, 'the grace-period GET to be held');
    let settled = false;
    void lookup.then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, false, 'a key neither the watch nor the ConfigMap knows waits for the API');
    api.releaseHeldGets();
    assert.deepEqual(await lookup, { serviceAccount: undefined, source: 'miss' }, 'the released GET says 404');
    api.holdGets = SA_GET;
  });

  const cases = [
    { name: 'exact ns/name', namespace: 'default', sa: 'cm-only', arn: ARN },
    { name: 'prefix test-*/name', namespace: 'test-nightly', sa: 'batch', arn: PREFIX_ARN },
    { name: 'wildcard */name', namespace: 'anywhere', sa: 'shared', arn: WILD_ARN },
  ];
  for (const c of cases) {
    test(`${c.name}: found in the cache at once, with no ServiceAccount GET`, async () => {
      const getsBefore = api.count('GET', `/api/v1/namespaces/${c.namespace}/serviceaccounts/${c.sa}`);
      const before = lookups.length;
      const result = await answeredWithoutWaiting(api, store.lookupServiceAccount(c.namespace, c.sa), c.name);
      assert.deepEqual(result, { serviceAccount: undefined, source: 'cache' });
      assert.deepEqual(lookups.slice(before), ['cache'], 'counted as a cache hit, not a miss');
      assert.equal(api.count('GET', `/api/v1/namespaces/${c.namespace}/serviceaccounts/${c.sa}`), getsBefore, 'no background GET');
    });
  }

  test('the webhook mutates the pod from the ConfigMap entry while the API never answers for its ServiceAccount', async () => {
    const handler = createAdmissionHandler({ store, settings: { ...defaultMutationSettings(), awsDefaultRegion: 'us-west-2' }, lookupGracePeriodMs: GRACE_MS });
    for (const c of cases) {
      const outcome = await answeredWithoutWaiting(api, handler.admit(decodeAdmissionReview(review(c.namespace, c.sa))), c.name);
      assert.equal(outcome.lookup, 'cache', c.name);
      assert.equal(outcome.missedServiceAccount, false, c.name);
      assert.equal(outcome.identity?.roleArn, c.arn, c.name);
      assert.equal(outcome.response.allowed, true);
      assert.equal(outcome.response.warnings, undefined, c.name);
      const patch = JSON.stringify(outcome.response.patch);
      assert.ok(patch.includes(`"AWS_ROLE_ARN","value":"${c.arn}"`), `${c.name}: the patch sets AWS_ROLE_ARN: ${patch}`);
      assert.ok(patch.includes('/var/run/secrets/eks.amazonaws.com/serviceaccount/token'), `${c.name}: the patch mounts the token`);
    }
  });

  // The timeout only turns a store that would wait out the 10-minute grace period into a failure instead of a hang.
  test('a lookup already waiting is answered when a ConfigMap update starts resolving its key', { timeout: 30_000 }, async () => {
    const lookup = store.lookupServiceAccount('late', 'app');
    await eventually(() => api.heldGets >= 1, 'the lookup to wait on the API');
    api.upsertConfigMap('eks', 'pod-identity-webhook', {
      config: JSON.stringify({ 'late/app': { RoleARN: ARN } }),
    });
    assert.deepEqual(await lookup, { serviceAccount: undefined, source: 'cache' });
  });
});
