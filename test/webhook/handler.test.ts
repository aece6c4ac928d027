import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAdmissionReview } from '../../src/webhook/admission.js';
import { defaultMutationSettings } from '../../src/webhook/constants.js';
import { createAdmissionHandler } from '../../src/webhook/handler.js';
import { parseContainerCredentialsConfig, parseConfigMapConfig } from '../../src/webhook/identity.js';
import { MemoryIdentityStore } from '../../src/webhook/memory-identity-store.js';
import { exampleReview, ROLE_ARN, serviceAccount } from './server-helpers.js';

const settings = { ...defaultMutationSettings(), awsDefaultRegion: 'us-west-2' };

function review(serviceAccountName = 'default') {
  return decodeAdmissionReview(JSON.stringify(exampleReview({ serviceAccountName, apiVersion: 'admission.k8s.io/v1' })));
}

test('an annotated ServiceAccount gets the web identity patch', async () => {
  const store = new MemoryIdentityStore().set(serviceAccount('default', 'default', { 'eks.amazonaws.com/role-arn': ROLE_ARN }));
  const handler = createAdmissionHandler({ store, settings, lookupGracePeriodMs: 2000, random: () => 0 });
  const outcome = await handler.admit(review());
  assert.equal(outcome.response.uid, '918ef1dc-928f-4525-99ef-988389f263c3');
  assert.equal(outcome.response.allowed, true);
  assert.equal(outcome.lookup, 'cache');
  assert.equal(outcome.identity?.mode, 'web-identity');
  assert.equal(outcome.podName, 'balajilovesoreos');
  const patch = outcome.response.patch as Array<{ op: string; path: string; value: any }>;
  assert.deepEqual(patch.map((op) => op.path), ['/spec/volumes/0', '/spec/containers']);
  const env = patch[1]!.value[0].env as Array<{ name: string; value: string }>;
  assert.deepEqual(env.map((e) => e.name), ['AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE']);
  assert.equal(env[2]!.value, ROLE_ARN);
});

test('a ServiceAccount without role: allowed, no patch, no warning', async () => {
  const store = new MemoryIdentityStore().set(serviceAccount('default', 'default'));
  const outcome = await createAdmissionHandler({ store, settings, lookupGracePeriodMs: 2000 }).admit(review());
  assert.deepEqual(outcome.response, { uid: '918ef1dc-928f-4525-99ef-988389f263c3', allowed: true });
  assert.equal(outcome.missedServiceAccount, false);
});

test('a ServiceAccount missing after the grace period: allowed with a warning naming it', async () => {
  const store = new MemoryIdentityStore();
  const outcome = await createAdmissionHandler({ store, settings, lookupGracePeriodMs: 2000 }).admit(review('late-sa'));
  assert.equal(outcome.response.allowed, true);
  assert.equal(outcome.response.patch, undefined);
  assert.equal(outcome.missedServiceAccount, true);
  assert.equal(outcome.lookup, 'miss');
  assert.match(outcome.response.warnings?.[0] ?? '', /ServiceAccount default\/late-sa not found within 2s/);
  const noGrace = await createAdmissionHandler({ store, settings, lookupGracePeriodMs: 0 }).admit(review('late-sa'));
  assert.match(noGrace.response.warnings?.[0] ?? '', /^ServiceAccount default\/late-sa not found: pod admitted without AWS IAM credentials/);
  const subSecond = await createAdmissionHandler({ store, settings, lookupGracePeriodMs: 250 }).admit(review('late-sa'));
  assert.match(subSecond.response.warnings?.[0] ?? '', /not found within 250ms/);
});

test('a missing ServiceAccount mapped by the ConfigMap is mutated, not a miss', async () => {
  const store = new MemoryIdentityStore();
  store.setConfigMap(parseConfigMapConfig(JSON.stringify({ '*/from-cm': { RoleARN: ROLE_ARN, Audience: 'sts.amazonaws.com' } })).entries);
  const outcome = await createAdmissionHandler({ store, settings, lookupGracePeriodMs: 0 }).admit(review('from-cm'));
  assert.equal(outcome.missedServiceAccount, false);
  assert.equal(outcome.identity?.source, 'config-map-wildcard');
  assert.ok(outcome.response.patch);
});

test('container credentials mode from the Pod Identity config', async () => {
  const store = new MemoryIdentityStore().set(serviceAccount('default', 'default'));
  store.setContainerCredentials(parseContainerCredentialsConfig(JSON.stringify({ identities: [{ namespace: 'default', serviceAccount: 'default' }] })));
  const outcome = await createAdmissionHandler({ store, settings, lookupGracePeriodMs: 2000, random: () => 0 }).admit(review());
  assert.equal(outcome.identity?.mode, 'container-credentials');
  const patch = outcome.response.patch as Array<{ path: string }>;
  assert.equal(patch[0]!.path, '/metadata/labels');
});

test('a pod without serviceAccountName is not looked up', async () => {
  let lookups = 0;
  const store = new MemoryIdentityStore({ events: { lookup: () => lookups++ } });
  const r = review();
  delete (r.request.object.spec as Record<string, unknown>).serviceAccountName;
  const outcome = await createAdmissionHandler({ store, settings, lookupGracePeriodMs: 2000 }).admit(r);
  assert.equal(lookups, 0);
  assert.equal(outcome.lookup, 'skipped');
  assert.deepEqual(outcome.response, { uid: '918ef1dc-928f-4525-99ef-988389f263c3', allowed: true });
});

test('an engine failure: admitted unchanged with a warning, the error in the outcome for the shell to log and count', async () => {
  const store = new MemoryIdentityStore().set(serviceAccount('default', 'default', { 'eks.amazonaws.com/role-arn': ROLE_ARN }));
  const decoded = review();
  // A getter standing in for a bug in the engine: the handler's single catch must see it (mutatePod has none).
  Object.defineProperty(decoded.request.object.spec as object, 'containers', { get() { throw new Error('engine bug'); } });
  const outcome = await createAdmissionHandler({ store, settings, lookupGracePeriodMs: 0 }).admit(decoded);
  assert.equal(outcome.response.allowed, true);
  assert.equal(outcome.response.patch, undefined);
  assert.equal(outcome.error?.message, 'engine bug');
  assert.equal(outcome.identity, undefined);
  assert.deepEqual(outcome.response.warnings, ['pod identity webhook could not mutate this pod (engine bug); admitted without AWS IAM credentials']);
});
