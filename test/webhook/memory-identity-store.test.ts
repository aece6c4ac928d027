/**
 * The in-memory IdentityStore that `irsa inject`/`exec`, the file store, tests and benchmarks share.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryIdentityStore, parseConfigMapConfig, parseContainerCredentialsConfig, type LookupSource } from '../../src/webhook/index.js';

const ROLE = 'eks.amazonaws.com/role-arn';
const ARN = 'arn:aws:iam::111122223333:role/s3-reader';

test('lookups answer from what it holds (cache or miss, reported to events); setters replace it, delete removes one', async () => {
  const seen: LookupSource[] = [];
  const store = new MemoryIdentityStore({ serviceAccounts: [{ namespace: 'default', name: 'app', uid: 'u1', annotations: { [ROLE]: ARN } }], events: { lookup: (s) => seen.push(s) } });
  assert.deepEqual(await store.lookupServiceAccount('default', 'app'), { serviceAccount: { namespace: 'default', name: 'app', uid: 'u1', annotations: { [ROLE]: ARN } }, source: 'cache' });
  assert.deepEqual(await store.lookupServiceAccount('default', 'nope'), { serviceAccount: undefined, source: 'miss' });
  assert.deepEqual(seen, ['cache', 'miss']);
  store.set({ namespace: 'team', name: 'b', annotations: {} });
  assert.equal(store.size(), 2);
  store.delete('default', 'app');
  store.delete('default', 'never-held');
  assert.deepEqual(await store.lookupServiceAccount('default', 'app'), { serviceAccount: undefined, source: 'miss' });
  assert.equal(store.size(), 1);
  store.replaceServiceAccounts([{ namespace: 'team', name: 'c', annotations: {} }]);
  assert.deepEqual([...store.serviceAccounts()].map((sa) => `${sa.namespace}/${sa.name}`), ['team/c']);
  assert.equal(store.get('default', 'app'), undefined);
  assert.deepEqual(seen, ['cache', 'miss', 'miss'], 'get() is not a lookup');
});

test('dump is upstream\'s cache body; clear empties ServiceAccounts and ConfigMap, keeps the Pod Identity config', () => {
  const configMap = parseConfigMapConfig(JSON.stringify({ '*/x': { RoleARN: ARN } })).entries;
  const containerCredentials = parseContainerCredentialsConfig(JSON.stringify({ identities: [{ namespace: 'default', serviceAccount: 'cc' }] }));
  const store = new MemoryIdentityStore({ configMap, containerCredentials, dumpSettings: { tokenExpiration: 3600 } })
    .set({ namespace: 'default', name: 'b', annotations: { [ROLE]: ARN } })
    .set({ namespace: 'default', name: 'a', annotations: {} });
  assert.equal(store.dump(), `{\n "default/a": {\n  "RoleARN": "",\n  "Audience": "sts.amazonaws.com",\n  "UseRegionalSTS": false,\n  "TokenExpiration": 3600\n },\n "default/b": {\n  "RoleARN": "${ARN}",\n  "Audience": "sts.amazonaws.com",\n  "UseRegionalSTS": false,\n  "TokenExpiration": 3600\n }\n}`);
  store.clear();
  assert.equal(store.size(), 0);
  assert.equal(store.dump(), '{}');
  assert.equal(store.configMapEntries(), undefined);
  assert.equal(store.containerCredentials(), containerCredentials);
});

test('ready() waits for setSynced(true); close() releases waiters', async () => {
  const store = new MemoryIdentityStore({ synced: false });
  assert.equal(store.isSynced(), false);
  let ready = false;
  const waiting = store.ready().then(() => (ready = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(ready, false);
  store.setSynced(true);
  await waiting;
  assert.equal(store.isSynced(), true);
  const other = new MemoryIdentityStore({ synced: false });
  const released = other.ready();
  await other.close();
  await released;
});
