/**
 * The file-backed identity store (offline `--service-accounts`, `--config-map FILE`, and the Pod Identity config
 * file shared with the Kubernetes store): loads, follows changes, keeps the last good content.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileIdentityStore, type ManagedIdentityStore } from '../../src/webhook/index.js';
import { eventually } from '../kube/watch-helpers.js';

const ROLE = 'eks.amazonaws.com/role-arn';
const ARN = 'arn:aws:iam::111122223333:role/s3-reader';

const sa = (ns: string, name: string, annotations: Record<string, string> = {}): string =>
  `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n  annotations: ${JSON.stringify(annotations)}\n`;

describe('file identity store', () => {
  let dir: string;
  let store: ManagedIdentityStore;
  const log: string[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'irsa-file-store-'));
    await mkdir(join(dir, 'sa'));
    await mkdir(join(dir, 'pod-identity'));
    await writeFile(join(dir, 'sa', 'app.yaml'), `${sa('default', 'app', { [ROLE]: ARN, 'example.com/x': 'y' })}---\n${sa('default', 'plain')}`);
    await writeFile(
      join(dir, 'configmap.yaml'),
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pod-identity-webhook\n  namespace: eks\ndata:\n  config: '${JSON.stringify({ '*/batch': { RoleARN: ARN, Audience: 'sts.amazonaws.com' }, broken: {} })}'\n`,
    );
    await writeFile(join(dir, 'pod-identity', 'config.json'), JSON.stringify({ identities: [{ namespace: 'default', serviceAccount: 'cc' }] }));
    store = createFileIdentityStore({
      serviceAccounts: join(dir, 'sa'),
      configMap: join(dir, 'configmap.yaml'),
      containerCredentialsConfig: join(dir, 'pod-identity', 'config.json'),
      filePollIntervalMs: 0,
      events: { lookup: (s) => log.push(`lookup:${s}`), configReloaded: (k, ok) => log.push(`reload:${k}:${ok}`), synced: () => log.push('synced') },
    });
    await store.ready();
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('loads ServiceAccounts (prefixed annotations only), the ConfigMap file and the Pod Identity config', async () => {
    assert.equal(store.isSynced(), true);
    assert.equal(store.size(), 2);
    const hit = await store.lookupServiceAccount('default', 'app');
    assert.equal(hit.source, 'cache');
    assert.deepEqual(hit.serviceAccount?.annotations, { [ROLE]: ARN });
    const miss = await store.lookupServiceAccount('default', 'nope');
    assert.deepEqual(miss, { serviceAccount: undefined, source: 'miss' });
    assert.equal(store.configMapEntries()?.wildcard.get('batch')?.roleArn, ARN, 'the malformed key was skipped, the rest loaded');
    await eventually(() => store.containerCredentials()?.identities.has('default/cc'), 'the Pod Identity config');
    assert.deepEqual(log.filter((l) => l.startsWith('lookup')), ['lookup:cache', 'lookup:miss']);
    assert.ok(log.includes('synced'));
  });

  test('follows manifest changes: a new file, a removed annotation, a deleted file', async () => {
    await writeFile(join(dir, 'sa', 'new.yaml'), sa('team', 'new', { [ROLE]: ARN }));
    await eventually(async () => (await store.lookupServiceAccount('team', 'new')).serviceAccount, 'the new file');
    await writeFile(join(dir, 'sa', 'new.yaml'), sa('team', 'new'));
    await eventually(async () => (await store.lookupServiceAccount('team', 'new')).serviceAccount?.annotations[ROLE] === undefined, 'the annotation removal');
    await rm(join(dir, 'sa', 'new.yaml'));
    await eventually(async () => (await store.lookupServiceAccount('team', 'new')).source === 'miss', 'the deletion');
  });

  test('an invalid manifest keeps the last good set and is reported', async () => {
    const before = log.filter((l) => l === 'reload:serviceaccounts:false').length;
    await writeFile(join(dir, 'sa', 'zz-broken.yaml'), 'kind: ServiceAccount\nmetadata: {name: [unclosed\n');
    await eventually(() => log.filter((l) => l === 'reload:serviceaccounts:false').length > before, 'the rejection');
    assert.equal((await store.lookupServiceAccount('default', 'app')).serviceAccount?.annotations[ROLE], ARN);
    await rm(join(dir, 'sa', 'zz-broken.yaml'));
  });

  test('the ConfigMap file follows edits and keeps its last good entries on invalid JSON', async () => {
    const path = join(dir, 'configmap.yaml');
    await writeFile(path, `kind: ConfigMap\nmetadata: {name: pod-identity-webhook}\ndata:\n  config: '{"default/exact":{"RoleARN":"${ARN}"}}'\n`);
    await eventually(() => store.configMapEntries()?.exact.has('default/exact'), 'the edit');
    await writeFile(path, `kind: ConfigMap\nmetadata: {name: pod-identity-webhook}\ndata:\n  config: '{"default/exact": '\n`);
    await eventually(() => log.includes('reload:configmap:false'), 'the rejection');
    assert.equal(store.configMapEntries()?.exact.has('default/exact'), true);
    await writeFile(path, JSON.stringify({ 'default/bare': { RoleARN: ARN } }));
    await eventually(() => store.configMapEntries()?.exact.has('default/bare'), 'the bare config JSON form');
  });

  test('dump() lists the ServiceAccounts as upstream, clear() empties until the next reload', async () => {
    const dump = JSON.parse(store.dump()) as Record<string, { RoleARN: string; TokenExpiration: number }>;
    assert.deepEqual(Object.keys(dump), ['default/app', 'default/plain']);
    assert.equal(dump['default/app']!.RoleARN, ARN);
    assert.equal(dump['default/plain']!.TokenExpiration, 86400);
    store.clear();
    assert.equal(store.size(), 0);
    assert.equal(store.configMapEntries(), undefined);
    await writeFile(join(dir, 'sa', 'touch.yaml'), sa('default', 'touched'));
    await eventually(() => store.size() === 3, 'the reload after clear');
  });
});

test('a ServiceAccount directory mounted from a ConfigMap follows the ..data symlink swap', async () => {
  const vol = await mkdtemp(join(tmpdir(), 'irsa-sa-volume-'));
  const { symlink, rename } = await import('node:fs/promises');
  await mkdir(join(vol, '..v1'));
  await writeFile(join(vol, '..v1', 'accounts.yaml'), sa('default', 'first', { [ROLE]: ARN }));
  await symlink('..v1', join(vol, '..data'));
  await symlink('..data/accounts.yaml', join(vol, 'accounts.yaml'));
  const store = createFileIdentityStore({ serviceAccounts: vol, filePollIntervalMs: 0 });
  try {
    await store.ready();
    assert.equal((await store.lookupServiceAccount('default', 'first')).source, 'cache');
    await mkdir(join(vol, '..v2'));
    await writeFile(join(vol, '..v2', 'accounts.yaml'), sa('default', 'second', { [ROLE]: ARN }));
    await symlink('..v2', join(vol, '..data_tmp'));
    await rename(join(vol, '..data_tmp'), join(vol, '..data'));
    await rm(join(vol, '..v1'), { recursive: true });
    await eventually(async () => (await store.lookupServiceAccount('default', 'second')).source === 'cache', 'the swapped content');
    assert.equal((await store.lookupServiceAccount('default', 'first')).source, 'miss');
    assert.equal(store.size(), 1);
  } finally {
    await store.close();
    await rm(vol, { recursive: true, force: true });
  }
});

test('closed while a reload is under way: nothing is applied or reported after close() resolves', async () => {
  const many = await mkdtemp(join(tmpdir(), 'irsa-file-store-close-'));
  try {
    // Enough files that a reload takes a while, so close() lands during one.
    for (let i = 0; i < 200; i++) await writeFile(join(many, `sa-${i}.yaml`), sa('default', `app-${i}`, { [ROLE]: ARN }));
    const events: string[] = [];
    const s = createFileIdentityStore({ serviceAccounts: many, filePollIntervalMs: 0, events: { configReloaded: (k, ok) => events.push(`reload:${k}:${ok}`), changed: (c) => events.push(`changed:${c.type}`) } });
    await s.ready();
    assert.equal(s.size(), 200);
    await writeFile(join(many, 'sa-extra.yaml'), sa('default', 'extra', { [ROLE]: ARN }));
    await new Promise((r) => setTimeout(r, 60)); // past the 50 ms debounce: the reload is reading the files
    await s.close();
    const atClose = [...events];
    const size = s.size();
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(events, atClose, 'a reload reported after close()');
    assert.equal(s.size(), size, 'a reload applied after close()');
  } finally {
    await rm(many, { recursive: true, force: true });
  }
});
