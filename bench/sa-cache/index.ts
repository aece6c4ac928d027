/**
 * Memory and sync time of the Kubernetes identity store for many ServiceAccounts (goal: 100,000 under 60 MB of
 * heap), against a baseline measured in the same run: the same pages fetched and kept as parsed API objects (what
 * an informer without upstream's transform holds). The API stand-in runs in this process; the store and the
 * baseline are measured in a child started with `--expose-gc`, so each heap figure is a delta after full GCs.
 * Short mode uses 20,000 ServiceAccounts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeApiServer } from '../../test/kube/fake-api-server.js';
import { cliKind, deploymentMemoryLimit, measureTree } from './process-tree.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface ChildResult {
  mode: 'store' | 'baseline';
  count: number;
  heapBytes: number;
  syncMs: number;
}

function measure(url: string, mode: 'store' | 'baseline', expected: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(here, 'measure.ts'), url, mode, String(expected)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`measure ${mode} exited ${code}: ${out}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)!) as ChildResult);
    });
  });
}

/** Realistic ServiceAccounts: 1,000 namespaces, one in five with IRSA annotations, all with kubectl's last-applied annotation. */
function* serviceAccounts(n: number): Generator<{ namespace: string; name: string; annotations: Record<string, string> }> {
  for (let i = 0; i < n; i++) {
    const namespace = `team-${String(i % 1000).padStart(4, '0')}`;
    const name = `workload-${i}-sa`;
    const annotations: Record<string, string> = {
      'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace, annotations: {} } }) + '\n',
    };
    if (i % 5 === 0) {
      annotations['eks.amazonaws.com/role-arn'] = `arn:aws:iam::111122223333:role/${namespace}-${name}`;
      annotations['eks.amazonaws.com/sts-regional-endpoints'] = 'true';
    }
    yield { namespace, name, annotations };
  }
}

const mb = (b: number): string => (b / 1024 / 1024).toFixed(1);

export async function run(short: boolean): Promise<void> {
  const count = short ? 20_000 : 100_000;
  const api = new FakeApiServer();
  api.loadServiceAccounts(serviceAccounts(count));
  const url = await api.start();
  try {
    const store = await measure(url, 'store', count);
    const baseline = await measure(url, 'baseline', count);
    const perSa = (r: ChildResult): string => (r.heapBytes / r.count).toFixed(0);
    console.log(`ServiceAccounts: ${count}${short ? ' (short mode; full run: 100,000)' : ''}, list pages of 500 from the local API stand-in`);
    console.log(`store (reduced entries):      heap ${mb(store.heapBytes)} MB (${perSa(store)} B/SA), sync ${store.syncMs.toFixed(0)} ms (${((count / store.syncMs) * 1000).toFixed(0)} SAs/s)`);
    console.log(`baseline (parsed API objects): heap ${mb(baseline.heapBytes)} MB (${perSa(baseline)} B/SA), fetch+parse ${baseline.syncMs.toFixed(0)} ms`);
    console.log(`ratio store/baseline: heap ${(store.heapBytes / baseline.heapBytes).toFixed(2)}x, time ${(store.syncMs / baseline.syncMs).toFixed(2)}x`);
    const projected = (store.heapBytes / count) * 100_000;
    console.log(`heap for 100,000 ServiceAccounts: ${mb(projected)} MB${short ? ' (projected)' : ''} — goal < 60 MB: ${projected < 60 * 1024 * 1024 ? 'met' : 'NOT met'}`);

    // The whole process tree of `irsa webhook` (the CLI from the sources) with 1 and 2 workers, against deploy/'s limit.
    const limit = deploymentMemoryLimit();
    const dir = mkdtempSync(join(tmpdir(), 'irsa-bench-sa-tree-'));
    try {
      console.log(`irsa webhook process tree (the CLI: ${cliKind()}), resident memory summed over the primary and its workers:`);
      const trees = [await measureTree(url, dir, 1), await measureTree(url, dir, 2)];
      for (const t of trees) {
        const parts = t.workers === 1 ? `one process ${mb(t.total)} MB` : `primary ${mb(t.rss[0]!)} MB + workers ${t.rss.slice(1).map(mb).join(' + ')} MB`;
        console.log(`irsa webhook --workers ${t.workers}, ${count} ServiceAccounts: RSS ${mb(t.total)} MB (${parts}), ready on every worker after ${t.syncMs.toFixed(0)} ms — ${(t.total / limit.bytes * 100).toFixed(0)}% of deploy/'s limit ${limit.text}: ${t.total < limit.bytes ? 'fits' : 'does NOT fit'}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await api.stop();
  }
}
