/**
 * The API client's configuration (`--kubeconfig`, `--kube-api`, in-cluster) and its calls over HTTP and HTTPS:
 * credentials and the cluster CA come from the kubeconfig through client-node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createKubeApi, KubeApiError, loadKubeConfig, startListWatch } from '../../src/kube/index.js';
import { createWebhookCertificates } from '../../src/webhook/certs.js';
import { FakeApiServer } from './fake-api-server.js';
import { eventually } from './watch-helpers.js';

function kubeconfig(server: string, extra: { ca?: string; token?: string; insecure?: boolean } = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server, ...(extra.ca ? { 'certificate-authority-data': Buffer.from(extra.ca).toString('base64') } : {}), ...(extra.insecure ? { 'insecure-skip-tls-verify': true } : {}) } }],
    users: [{ name: 'u', user: extra.token ? { token: extra.token } : {} }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'ctx',
  });
}

test('--kube-api alone: anonymous client; --kubeconfig: its token is sent; --kube-api overrides the kubeconfig server', async () => {
  const api = new FakeApiServer();
  await api.start();
  const dir = await mkdtemp(join(tmpdir(), 'irsa-kubeconfig-'));
  try {
    api.upsertServiceAccount('default', 'app');
    const anonymous = createKubeApi(loadKubeConfig({ kubeApi: api.url }));
    const r = await anonymous.getJson('/api/v1/namespaces/default/serviceaccounts/app');
    assert.equal(r.status, 200);
    assert.equal((r.body as { metadata: { name: string } }).metadata.name, 'app');
    assert.equal(api.requests.at(-1)!.authorization, undefined);

    const path = join(dir, 'config');
    await writeFile(path, kubeconfig('http://127.0.0.1:1', { token: 'sekret', insecure: true }));
    const overridden = createKubeApi(loadKubeConfig({ kubeconfig: path, kubeApi: api.url }));
    const nf = await overridden.getJson('/api/v1/namespaces/default/serviceaccounts/missing');
    assert.equal(nf.status, 404);
    assert.equal((nf.body as { kind: string; reason: string }).reason, 'NotFound');
    assert.equal(api.requests.at(-1)!.authorization, 'Bearer sekret');
  } finally {
    await rm(dir, { recursive: true, force: true });
    await api.stop();
  }
});

test('HTTPS with the cluster CA from the kubeconfig; an unknown CA is refused', async () => {
  const certs = createWebhookCertificates({ localhost: true });
  const server = https.createServer({ cert: certs.cert, key: certs.key }, (_req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ kind: 'ServiceAccountList', apiVersion: 'v1', metadata: { resourceVersion: '7' }, items: [] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = await mkdtemp(join(tmpdir(), 'irsa-kubeconfig-'));
  try {
    await writeFile(join(dir, 'good'), kubeconfig(url, { ca: certs.caCert, token: 't' }));
    const good = createKubeApi(loadKubeConfig({ kubeconfig: join(dir, 'good') }));
    const r = await good.getJson('/api/v1/serviceaccounts');
    assert.equal((r.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion, '7');

    const other = createWebhookCertificates({ localhost: true });
    await writeFile(join(dir, 'bad'), kubeconfig(url, { ca: other.caCert }));
    await assert.rejects(createKubeApi(loadKubeConfig({ kubeconfig: join(dir, 'bad') })).getJson('/api/v1/serviceaccounts'), (err: unknown) => err instanceof KubeApiError && /certificate/i.test(err.message));
  } finally {
    server.closeAllConnections();
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('outside a cluster without a kubeconfig or API URL: a clear error naming what is missing (irsa webhook adds its flags)', () => {
  const saved = process.env.KUBERNETES_SERVICE_HOST;
  delete process.env.KUBERNETES_SERVICE_HOST;
  try {
    assert.throws(() => loadKubeConfig({}), (err: unknown) => err instanceof KubeApiError && err.code === 'ERR_KUBE_CONFIG' && /KUBERNETES_SERVICE_HOST is unset\) and neither a kubeconfig nor the API server URL given$/.test(err.message) && !err.message.includes('--'));
  } finally {
    if (saved !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved;
  }
});

test('a request timeout is reported as such', async () => {
  const api = new FakeApiServer();
  await api.start();
  api.delayMs = 300;
  try {
    api.upsertServiceAccount('default', 'slow');
    const client = createKubeApi(loadKubeConfig({ kubeApi: api.url }));
    await assert.rejects(client.getJson('/api/v1/namespaces/default/serviceaccounts/slow', { timeoutMs: 50 }), /timed out after 50 ms/);
  } finally {
    api.delayMs = 0;
    await api.stop();
  }
});

test('startListWatch: failing re-watches (HTTP 500) back off and resume from the last version without relisting', async () => {
  const api = new FakeApiServer();
  await api.start();
  const seen: string[] = [];
  const restarts: string[] = [];
  const lw = startListWatch(
    { api: createKubeApi(loadKubeConfig({ kubeApi: api.url })), path: '/api/v1/serviceaccounts', backoff: { initialMs: 5, maxMs: 20 }, onRestart: (r) => restarts.push(r) },
    {
      beginList: () => seen.push('list'),
      listItem: () => {},
      endList: () => {},
      abortList: () => {},
      event: (type, o) => seen.push(`${type}:${(o.metadata as { name: string }).name}`),
    },
  );
  try {
    await eventually(() => api.watcherCount() === 1, 'the watch');
    api.failures.push({ match: /watch=1/, status: 500, remaining: 2 });
    api.dropWatches();
    api.upsertServiceAccount('default', 'after-errors');
    await eventually(() => seen.includes('ADDED:after-errors'), 'the event after the failed re-watches');
    assert.equal(seen.filter((s) => s === 'list').length, 1, 'errors other than 410 do not relist');
    assert.ok(restarts.filter((r) => r === 'error').length >= 2);
  } finally {
    lw.stop();
    await lw.done;
    await api.stop();
  }
});

test('startListWatch: a watch left open past its timeoutSeconds (dead connection) is replaced, events keep flowing', async () => {
  const api = new FakeApiServer(); // never ends a watch on its own: every stream looks stalled after timeoutSeconds
  await api.start();
  const seen: string[] = [];
  const restarts: string[] = [];
  const lw = startListWatch(
    {
      api: createKubeApi(loadKubeConfig({ kubeApi: api.url })),
      path: '/api/v1/serviceaccounts',
      watchTimeoutSeconds: () => 0,
      stallMarginMs: 100,
      backoff: { initialMs: 5, maxMs: 20 },
      onRestart: (r) => restarts.push(r),
    },
    { beginList: () => {}, listItem: () => {}, endList: () => {}, abortList: () => {}, event: (type, o) => seen.push(`${type}:${(o.metadata as { name: string }).name}`) },
  );
  try {
    await eventually(() => restarts.includes('dropped'), 'the stalled watch to be replaced');
    api.upsertServiceAccount('default', 'after-stall');
    await eventually(() => seen.includes('ADDED:after-stall'), 'events on the new watch');
  } finally {
    lw.stop();
    await lw.done;
    await api.stop();
  }
});
