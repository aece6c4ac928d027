/**
 * The Kubernetes-backed identity store against a local API stand-in: list (paged) + watch, the grace-period GET
 * that closes the creation race, and recovery from each fault (410 Gone, dropped watch, failing and slow API).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiServer } from '../kube/fake-api-server.js';
import { eventually } from '../kube/watch-helpers.js';
import { createKubernetesIdentityStore, type IdentityStoreEvents, type KubernetesIdentityStoreOptions, type ManagedIdentityStore } from '../../src/webhook/index.js';

const ROLE = 'eks.amazonaws.com/role-arn';
const ARN = 'arn:aws:iam::111122223333:role/s3-reader';
const fastLoop = { backoff: { initialMs: 5, maxMs: 50 }, pageSize: 2 };

function tracker(): { events: IdentityStoreEvents; log: string[]; count(s: string): number } {
  const log: string[] = [];
  return {
    log,
    count: (s) => log.filter((l) => l === s).length,
    events: {
      watchRestarted: (kind, reason) => log.push(`restart:${kind}:${reason}`),
      lookup: (source) => log.push(`lookup:${source}`),
      configReloaded: (kind, ok) => log.push(`reload:${kind}:${ok}`),
      synced: () => log.push('synced'),
    },
  };
}

describe('Kubernetes identity store', () => {
  let api: FakeApiServer;
  const stores: ManagedIdentityStore[] = [];
  const open = async (options: Partial<KubernetesIdentityStoreOptions> = {}): Promise<ManagedIdentityStore> => {
    const store = createKubernetesIdentityStore({ kubeApi: api.url, listWatch: fastLoop, ...options });
    stores.push(store);
    await store.ready();
    // every open store has its watch connected before a test injects faults into it
    const expected = stores.filter((s) => s.isSynced()).length;
    await eventually(() => api.watcherCount('serviceaccounts') >= expected || options.kubeApi !== undefined, 'the watch to connect');
    return store;
  };

  before(async () => {
    api = new FakeApiServer();
    await api.start();
  });
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await api.stop();
  });

  test('syncs the paged initial list, keeping only name, namespace, uid and the prefixed annotations', async () => {
    api.upsertServiceAccount('team-a', 'reader', { [ROLE]: ARN, 'eks.amazonaws.com/audience': 'sts.example.com', 'example.com/owner': 'alice' });
    api.upsertServiceAccount('team-a', 'plain');
    api.upsertServiceAccount('team-b', 'writer', { [ROLE]: 'arn:aws:iam::111122223333:role/writer' });
    const t = tracker();
    const store = await open({ events: t.events });
    assert.equal(store.isSynced(), true);
    assert.equal(store.size(), 3);
    assert.equal(t.count('synced'), 1);
    assert.ok(api.count('GET', '/api/v1/serviceaccounts', { limit: '2' }) >= 2, 'the list was paged with limit/continue');
    const { serviceAccount, source } = await store.lookupServiceAccount('team-a', 'reader');
    assert.equal(source, 'cache');
    assert.deepEqual(Object.keys(serviceAccount!).sort(), ['annotations', 'name', 'namespace', 'uid']);
    assert.deepEqual(serviceAccount!.annotations, { [ROLE]: ARN, 'eks.amazonaws.com/audience': 'sts.example.com' });
    assert.match(serviceAccount!.uid!, /^[0-9a-f-]{36}$/);
    assert.deepEqual((await store.lookupServiceAccount('team-a', 'plain')).serviceAccount?.annotations, {});
    assert.deepEqual(t.log.filter((l) => l.startsWith('lookup')), ['lookup:cache', 'lookup:cache']);
  });

  test('follows ADDED, MODIFIED and DELETED: a removed annotation or ServiceAccount stops resolution', async () => {
    const store = await open();
    api.upsertServiceAccount('live', 'app', { [ROLE]: ARN });
    await eventually(() => store.size() > 0 && store.dump().includes('"live/app"'), 'ADDED to reach the cache');
    assert.equal((await store.lookupServiceAccount('live', 'app')).serviceAccount?.annotations[ROLE], ARN);

    api.upsertServiceAccount('live', 'app', {});
    await eventually(async () => (await store.lookupServiceAccount('live', 'app')).serviceAccount?.annotations[ROLE] === undefined, 'MODIFIED to drop the role');
    const after = await store.lookupServiceAccount('live', 'app');
    assert.equal(after.source, 'cache');
    assert.deepEqual(after.serviceAccount?.annotations, {});

    api.deleteServiceAccount('live', 'app');
    await eventually(() => !store.dump().includes('"live/app"'), 'DELETED to remove the entry');
    const gone = await store.lookupServiceAccount('live', 'app');
    assert.equal(gone.source, 'miss', 'a deleted ServiceAccount resolves to nothing (404 on the direct GET)');
    assert.equal(gone.serviceAccount, undefined);
  });

  test('a lookup arriving before the watch event is answered by a direct GET (source api), one GET for concurrent lookups', async () => {
    const store = await open();
    api.holdWatchEvents = true;
    try {
      api.upsertServiceAccount('race', 'new-sa', { [ROLE]: ARN });
      const before = api.count('GET', '/api/v1/namespaces/race/serviceaccounts/new-sa');
      const results = await Promise.all(Array.from({ length: 8 }, () => store.lookupServiceAccount('race', 'new-sa')));
      for (const r of results) {
        assert.equal(r.source, 'api');
        assert.equal(r.serviceAccount?.annotations[ROLE], ARN);
        assert.deepEqual(Object.keys(r.serviceAccount!.annotations), [ROLE], 'the GET result is reduced too');
      }
      assert.equal(api.count('GET', '/api/v1/namespaces/race/serviceaccounts/new-sa') - before, 1, 'concurrent lookups share one GET');
    } finally {
      api.releaseWatchEvents();
    }
    await eventually(() => store.dump().includes('"race/new-sa"'), 'the watch to catch up');
    assert.equal((await store.lookupServiceAccount('race', 'new-sa')).source, 'cache');
  });

  test('a watch event wakes waiting lookups before a slow GET returns', async () => {
    const store = await open({ lookupGracePeriodMs: 10_000, lookupRequestTimeoutMs: 10_000 });
    api.holdWatchEvents = true;
    api.delayMs = 3000;
    try {
      api.upsertServiceAccount('race', 'woken', { [ROLE]: ARN });
      const pending = Promise.all([store.lookupServiceAccount('race', 'woken'), store.lookupServiceAccount('race', 'woken')]);
      await eventually(() => api.count('GET', '/api/v1/namespaces/race/serviceaccounts/woken') === 1, 'the GET to be in flight');
      api.releaseWatchEvents();
      const results = await pending;
      for (const r of results) {
        assert.equal(r.source, 'cache', 'answered by the watch, not the (still pending) GET');
        assert.equal(r.serviceAccount?.annotations[ROLE], ARN);
      }
    } finally {
      api.delayMs = 0;
      api.releaseWatchEvents();
    }
  });

  test('a 404 resolves as a miss at once instead of waiting out the grace period', async () => {
    const store = await open({ lookupGracePeriodMs: 120_000 });
    const t0 = Date.now();
    const r = await store.lookupServiceAccount('nowhere', 'nobody');
    assert.equal(r.source, 'miss');
    assert.equal(r.serviceAccount, undefined);
    assert.ok(Date.now() - t0 < 60_000, 'did not wait for the grace period');
  });

  test('with a grace period of 0 a miss makes no GET', async () => {
    const store = await open({ lookupGracePeriodMs: 0 });
    const before = api.count('GET', /\/serviceaccounts\/ghost$/);
    assert.equal((await store.lookupServiceAccount('x', 'ghost')).source, 'miss');
    assert.equal(api.count('GET', /\/serviceaccounts\/ghost$/), before);
  });

  test('GETs are rate limited: a burst beyond the bucket waits for tokens or for the watch', async () => {
    const store = await open({ lookupGracePeriodMs: 300, lookupRateLimit: { perSecond: 1, burst: 3 } });
    api.holdWatchEvents = true;
    try {
      for (let i = 0; i < 6; i++) api.upsertServiceAccount('burst', `sa-${i}`, { [ROLE]: ARN });
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => store.lookupServiceAccount('burst', `sa-${i}`)));
      assert.equal(results.filter((r) => r.source === 'api').length, 3, 'only the burst of 3 GETs went out');
      assert.equal(results.filter((r) => r.source === 'miss').length, 3);
      assert.equal(api.count('GET', /^\/api\/v1\/namespaces\/burst\/serviceaccounts\//), 3);
    } finally {
      api.releaseWatchEvents();
    }
  });

  test('recovers from a 410 Gone ERROR event by relisting', async () => {
    const t = tracker();
    const store = await open({ events: t.events });
    const lists = api.count('GET', '/api/v1/serviceaccounts', { limit: '2' });
    api.expireWatches('serviceaccounts');
    api.upsertServiceAccount('after-gone', 'sa', { [ROLE]: ARN });
    await eventually(() => store.dump().includes('"after-gone/sa"'), 'relist after 410');
    assert.ok(t.count('restart:serviceaccounts:gone') >= 1, t.log.join());
    assert.ok(api.count('GET', '/api/v1/serviceaccounts', { limit: '2' }) > lists, 'relisted');
    api.upsertServiceAccount('after-gone', 'sa2');
    await eventually(() => store.dump().includes('"after-gone/sa2"'), 'the new watch to deliver events');
  });

  test('recovers from an HTTP 410 on re-watch after a dropped connection (relist)', async () => {
    const t = tracker();
    const store = await open({ events: t.events });
    api.goneMode = 'http';
    try {
      // the watch misses an event, then history is compacted past it: re-watching from the old version gets HTTP 410
      api.holdWatchEvents = true;
      api.upsertServiceAccount('after-http-gone', 'sa', { [ROLE]: ARN });
      api.compact();
      api.dropWatches('serviceaccounts');
      api.holdWatchEvents = false;
      await eventually(() => store.dump().includes('"after-http-gone/sa"'), 'relist after HTTP 410');
      assert.ok(t.count('restart:serviceaccounts:dropped') >= 1);
      assert.ok(t.count('restart:serviceaccounts:gone') >= 1);
    } finally {
      api.goneMode = 'event';
    }
  });

  test('a dropped watch resumes from the last resourceVersion without losing events', async () => {
    const t = tracker();
    const store = await open({ events: t.events });
    api.holdWatchEvents = true;
    api.upsertServiceAccount('dropped', 'during-outage', { [ROLE]: ARN });
    api.dropWatches('serviceaccounts');
    api.holdWatchEvents = false;
    await eventually(() => store.dump().includes('"dropped/during-outage"'), 'the missed event after reconnect');
    assert.ok(t.count('restart:serviceaccounts:dropped') >= 1);
  });

  test('a server-ended watch (timeoutSeconds) is reopened at once', async () => {
    const t = tracker();
    const store = await open({ events: t.events });
    api.endWatches();
    api.upsertServiceAccount('ended', 'sa');
    await eventually(() => store.dump().includes('"ended/sa"'), 'events after the watch was reopened');
    assert.ok(t.count('restart:serviceaccounts:closed') >= 1);
  });

  test('a failing then slow API still syncs (backoff and retry)', async () => {
    api.failures.push({ match: /^\/api\/v1\/serviceaccounts\?/, status: 500, remaining: 3 });
    api.delayMs = 200;
    const t = tracker();
    try {
      const store = await open({ events: t.events });
      assert.equal(store.isSynced(), true);
      assert.ok(t.count('restart:serviceaccounts:error') >= 3);
      assert.ok(store.size() > 0);
    } finally {
      api.delayMs = 0;
    }
  });

  test('dump() renders upstream debug JSON (sorted keys, one-space indent, computed entries)', async () => {
    const local = new FakeApiServer();
    await local.start();
    try {
      local.upsertServiceAccount('b', 'second', {});
      local.upsertServiceAccount('a', 'first', { [ROLE]: ARN, 'eks.amazonaws.com/token-expiration': '100', 'eks.amazonaws.com/sts-regional-endpoints': 'true' });
      const store = await open({ kubeApi: local.url, dumpSettings: { tokenAudience: 'sts.amazonaws.com' } });
      assert.equal(
        store.dump(),
        [
          '{',
          ' "a/first": {',
          `  "RoleARN": "${ARN}",`,
          '  "Audience": "sts.amazonaws.com",',
          '  "UseRegionalSTS": true,',
          '  "TokenExpiration": 600',
          ' },',
          ' "b/second": {',
          '  "RoleARN": "",',
          '  "Audience": "sts.amazonaws.com",',
          '  "UseRegionalSTS": false,',
          '  "TokenExpiration": 86400',
          ' }',
          '}',
        ].join('\n'),
      );
      store.clear();
      assert.equal(store.dump(), '{}');
      assert.equal(store.size(), 0);
      await eventually(() => store.size() === 2, 'a relist to refill the cleared cache');
      await store.close();
    } finally {
      await local.stop();
    }
  });
});

describe('Kubernetes identity store: the pod-identity-webhook ConfigMap', () => {
  let api: FakeApiServer;
  let store: ManagedIdentityStore;
  const t = tracker();
  before(async () => {
    api = new FakeApiServer();
    await api.start();
    api.upsertConfigMap('eks', 'pod-identity-webhook', { config: JSON.stringify({ 'default/app': { RoleARN: ARN, Audience: 'sts.amazonaws.com', UseRegionalSTS: true, TokenExpiration: 0 } }) });
    api.upsertConfigMap('eks', 'unrelated', { config: JSON.stringify({ 'default/other': { RoleARN: ARN } }) });
    api.upsertConfigMap('other-ns', 'pod-identity-webhook', { config: JSON.stringify({ 'default/x': { RoleARN: ARN } }) });
    store = createKubernetesIdentityStore({ kubeApi: api.url, namespace: 'eks', watchConfigMap: true, listWatch: fastLoop, events: t.events });
    await store.ready();
  });
  after(async () => {
    await store.close();
    await api.stop();
  });

  test('loads only its ConfigMap in --namespace', () => {
    const entries = store.configMapEntries();
    assert.ok(entries);
    assert.deepEqual([...entries.exact.keys()], ['default/app']);
    assert.equal(entries.exact.get('default/app')?.roleArn, ARN);
    assert.equal(entries.exact.get('default/app')?.useRegionalSts, true);
    assert.ok(api.count('GET', '/api/v1/namespaces/eks/configmaps', { fieldSelector: 'metadata.name=pod-identity-webhook' }) >= 1);
  });

  test('a malformed key is skipped and logged, the rest applies, nothing crashes', async () => {
    api.upsertConfigMap('eks', 'pod-identity-webhook', { config: JSON.stringify({ 'no-slash': { RoleARN: ARN }, '*/wild': { RoleARN: ARN }, 'default/bad': 'not an object' }) });
    await eventually(() => store.configMapEntries()?.wildcard.has('wild'), 'the update');
    const entries = store.configMapEntries()!;
    assert.equal(entries.exact.size, 0, 'keys absent from the new config are gone');
    assert.equal(entries.wildcard.size, 1);
  });

  test('invalid JSON keeps the previous entries', async () => {
    const reloadsBefore = t.count('reload:configmap:false');
    api.upsertConfigMap('eks', 'pod-identity-webhook', { config: '{"default/app": ' });
    await eventually(() => t.count('reload:configmap:false') > reloadsBefore, 'the rejected update');
    assert.equal(store.configMapEntries()?.wildcard.has('wild'), true);
  });

  test('deleting the ConfigMap clears its entries (upstream keeps them until restart)', async () => {
    api.deleteConfigMap('eks', 'pod-identity-webhook');
    await eventually(() => store.configMapEntries() === undefined, 'entries to clear');
    api.upsertConfigMap('eks', 'pod-identity-webhook', { config: JSON.stringify({ 'default/back': { RoleARN: ARN } }) });
    await eventually(() => store.configMapEntries()?.exact.has('default/back'), 'the re-created ConfigMap');
  });

  test('clear() empties the entries, a relist brings them back', async () => {
    assert.ok(store.configMapEntries());
    store.clear();
    assert.equal(store.configMapEntries(), undefined);
    await eventually(() => store.configMapEntries()?.exact.has('default/back'), 'the relist');
  });

  test('recovers after the ConfigMap watch gets 410 Gone', async () => {
    await eventually(() => api.watcherCount('configmaps') === 1, 'the ConfigMap watch to be connected');
    api.expireWatches('configmaps');
    api.upsertConfigMap('eks', 'pod-identity-webhook', { config: JSON.stringify({ 'default/after-gone': { RoleARN: ARN } }) });
    await eventually(() => store.configMapEntries()?.exact.has('default/after-gone'), 'relist after 410');
    assert.ok(t.count('restart:configmap:gone') >= 1);
  });
});
